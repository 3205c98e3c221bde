"""The contact policy: no decision lets the assistant speak first outside the rules.

The properties check each decision with an audit written apart from the policy
(tests/contact_rules_audit.py), not with the policy's own helpers.
"""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.outreach.contact_policy import (
    ChannelState,
    Recipient,
    Verdict,
    decide,
    load_rules,
)
from tests.contact_rules_audit import broken_rule

RULES = load_rules(default_caps={"week": 4, "month": 12})
SMS = ChannelState("sms", configured=True, business_may_start=True)

# Where customers live, with zones a number and an address could put them in.
PLACES = {
    "AU": (("NSW", "Australia/Sydney"), ("WA", "Australia/Perth"), ("SA", "Australia/Adelaide"),
           ("QLD", "Australia/Brisbane")),
    "US": (("NY", "America/New_York"), ("CA", "America/Los_Angeles"), ("IL", "America/Chicago"),
           ("AZ", "America/Phoenix"), ("HI", "Pacific/Honolulu")),
    "ID": ((None, "Asia/Jakarta"), (None, "Asia/Makassar"), (None, "Asia/Jayapura")),
    "PH": ((None, "Asia/Manila"),),
    "MY": ((None, "Asia/Kuala_Lumpur"),),
    "GB": (("ENG", "Europe/London"), ("SCT", "Europe/London")),
    "ES": ((None, "Europe/Madrid"), (None, "Atlantic/Canary")),
    "NZ": ((None, "Pacific/Auckland"),),
}  # fmt: skip


def _breaks_a_rule(moment: datetime, recipient: Recipient, ledger: list[datetime]) -> str | None:
    return broken_rule(
        moment,
        recipient.jurisdiction,
        recipient.region,
        recipient.timezones,
        ledger,
        RULES.default_caps,
        wished=recipient.wished_hours,
    )


@st.composite
def recipients(draw) -> Recipient:
    jurisdiction = draw(st.sampled_from(sorted(PLACES)))
    places = PLACES[jurisdiction]
    region, home = draw(st.sampled_from(places))
    # Sometimes the number's area code puts them in a second zone.
    other = draw(st.sampled_from(places))[1]
    zones = tuple(dict.fromkeys((home, other)))
    wished = draw(st.one_of(st.none(), st.sampled_from([(time(12), time(14)), (time(17), time(19, 30))])))
    return Recipient(jurisdiction, region, zones, wished_hours=wished)


moments = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
)


@st.composite
def ledgers(draw, now: datetime) -> list[datetime]:
    offsets = draw(st.lists(st.integers(min_value=1, max_value=40 * 24 * 60), max_size=14))
    return [now - timedelta(minutes=minutes) for minutes in offsets]


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(recipient=recipients(), now=moments, data=st.data())
def test_no_decision_allows_a_time_outside_hours_on_a_holiday_or_over_a_cap(recipient, now, data):
    ledger = data.draw(ledgers(now))
    decision = decide(recipient, SMS, now, ledger, RULES)
    if decision.verdict == Verdict.SEND:
        assert _breaks_a_rule(now, recipient, ledger) is None
    elif decision.verdict == Verdict.DEFER:
        assert decision.not_before > now
        assert _breaks_a_rule(decision.not_before, recipient, ledger) is None, decision
        # Deferred for a reason that holds now, and not later than needed: a minute before the
        # time it names is still not allowed.
        assert _breaks_a_rule(now, recipient, ledger) is not None
        assert _breaks_a_rule(decision.not_before - timedelta(minutes=1), recipient, ledger) is not None
    else:
        assert decision.rule.endswith("beyond_horizon") or decision.rule.endswith("hours.none"), decision


SUPPRESSIONS = (
    "opted_out",
    "dispute",
    "already_paid",
    "hardship_review",
    "crisis",
    "bereavement",
    "family_violence",
    "wrong_person",
    "recalled",
)


@settings(max_examples=200, deadline=None)
@given(recipient=recipients(), now=moments, reason=st.sampled_from(SUPPRESSIONS))
def test_nothing_is_started_while_suppressed(recipient, now, reason):
    suppressed = Recipient(
        recipient.jurisdiction, recipient.region, recipient.timezones, suppressed=(reason,)
    )
    decision = decide(suppressed, SMS, now, [], RULES)
    assert (decision.verdict, decision.rule) == (Verdict.NEVER, f"suppressed.{reason}")


def _at(zone: str, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def test_australia_weekday_evening_defers_to_next_morning_and_names_the_rule():
    sydney = Recipient("AU", "NSW", ("Australia/Sydney",))
    decision = decide(sydney, SMS, _at("Australia/Sydney", 2027, 1, 5, 21, 30), [], RULES)
    assert decision == (
        decision.__class__(Verdict.DEFER, "AU.hours", _at("Australia/Sydney", 2027, 1, 6, 7, 30))
    )


def test_a_public_holiday_in_the_customers_state_moves_the_contact_to_the_next_day():
    # 26 January 2027 (Australia Day, a Tuesday).
    decision = decide(
        Recipient("AU", "NSW", ("Australia/Sydney",)),
        SMS,
        _at("Australia/Sydney", 2027, 1, 26, 10),
        [],
        RULES,
    )
    assert (decision.verdict, decision.rule) == (Verdict.DEFER, "AU.holiday")
    assert decision.not_before == _at("Australia/Sydney", 2027, 1, 27, 7, 30)


def test_an_uncertain_us_zone_waits_for_hours_that_suit_both():
    # 8:30 in New York is 5:30 in Los Angeles: wait for 8:00 there.
    both = Recipient("US", "NY", ("America/New_York", "America/Los_Angeles"))
    decision = decide(both, SMS, _at("America/New_York", 2027, 3, 2, 8, 30), [], RULES)
    assert decision.not_before == _at("America/Los_Angeles", 2027, 3, 2, 8, 0)
    # And it stops at 9 p.m. in New York, though it is only 6 p.m. in Los Angeles.
    late = decide(both, SMS, _at("America/New_York", 2027, 3, 2, 21, 5), [], RULES)
    assert late.verdict == Verdict.DEFER


def test_australias_cap_of_three_a_week_counts_every_channel_and_releases_when_the_oldest_ages_out():
    now = _at("Australia/Sydney", 2027, 2, 10, 12)
    ledger = [now - timedelta(days=6), now - timedelta(days=3), now - timedelta(hours=2)]
    decision = decide(Recipient("AU", "NSW", ("Australia/Sydney",)), SMS, now, ledger, RULES)
    assert (decision.verdict, decision.rule) == (Verdict.DEFER, "AU.cap.week")
    assert decision.not_before == now + timedelta(days=1)


def test_indonesia_has_no_contact_on_sunday():
    decision = decide(
        Recipient("ID", None, ("Asia/Jakarta",)), SMS, _at("Asia/Jakarta", 2027, 2, 7, 10), [], RULES
    )
    assert decision.rule == "ID.hours" and decision.not_before == _at("Asia/Jakarta", 2027, 2, 8, 8)


@pytest.mark.parametrize(
    ("channel", "rule"),
    [
        (ChannelState("web", configured=True, business_may_start=False), "channel.web.cannot_start"),
        (
            ChannelState("telegram", configured=True, business_may_start=True, started=False),
            "channel.telegram.not_started",
        ),
        (ChannelState("sms", configured=False, business_may_start=True), "channel.sms.off"),
        (
            ChannelState(
                "whatsapp", True, True, window_hours=24, window_open=False, opted_in=False, has_template=True
            ),
            "channel.whatsapp.no_opt_in",
        ),
        (
            ChannelState(
                "whatsapp", True, True, window_hours=24, window_open=False, opted_in=True, has_template=False
            ),
            "channel.whatsapp.no_template",
        ),
    ],
)
def test_channels_that_may_not_carry_a_first_message(channel, rule):
    now = _at("Australia/Sydney", 2027, 2, 10, 12)
    assert decide(Recipient("AU", "NSW", ("Australia/Sydney",)), channel, now, [], RULES).rule == rule


def test_whatsapp_outside_the_window_goes_with_opt_in_and_a_template():
    now = _at("Australia/Sydney", 2027, 2, 10, 12)
    channel = ChannelState(
        "whatsapp", True, True, window_hours=24, window_open=False, opted_in=True, has_template=True
    )
    assert (
        decide(Recipient("AU", "NSW", ("Australia/Sydney",)), channel, now, [], RULES).verdict == Verdict.SEND
    )


def test_a_customer_who_asked_for_one_channel_hears_on_no_other():
    now = _at("Australia/Sydney", 2027, 2, 10, 12)
    only_whatsapp = Recipient("AU", "NSW", ("Australia/Sydney",), only_channel="whatsapp")
    assert decide(only_whatsapp, SMS, now, [], RULES).rule == "customer.only_whatsapp"


def test_a_creditor_can_narrow_the_hours_but_not_widen_them():
    narrowed = load_rules({"week": 4, "month": 12}, creditor_hours={"mon-sun": "06:00-18:00"})
    sydney = Recipient("AU", "NSW", ("Australia/Sydney",))
    early = decide(sydney, SMS, _at("Australia/Sydney", 2027, 2, 10, 7), [], narrowed)
    assert early.not_before == _at("Australia/Sydney", 2027, 2, 10, 7, 30)  # not 06:00
    evening = decide(sydney, SMS, _at("Australia/Sydney", 2027, 2, 10, 18, 30), [], narrowed)
    assert evening.not_before == _at("Australia/Sydney", 2027, 2, 11, 7, 30)


def test_rules_that_make_no_sense_are_refused_at_load():
    with pytest.raises(ValueError, match="closes before it opens"):
        load_rules({"week": 3}, creditor_hours={"mon": "21:00-08:00"})
    with pytest.raises(ValueError, match="unknown span"):
        load_rules({"fortnight": 3})


def test_an_address_that_opted_out_or_reported_a_wrong_person_gets_nothing():
    now = _at("Australia/Sydney", 2027, 2, 10, 12)
    sydney = Recipient("AU", "NSW", ("Australia/Sydney",))
    for reason in ("opted_out", "wrong_person"):
        channel = ChannelState("sms", configured=True, business_may_start=True, opted_out=reason)
        assert decide(sydney, channel, now, [], RULES).rule == f"suppressed.{reason}"
