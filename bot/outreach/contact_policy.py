"""Whether the assistant may start a conversation now: send, not before a time, or never, and why.

One pure function, `decide`, asked when a contact is planned and again at the moment of sending.
It reads the jurisdiction's rules (contact_rules.yml), the creditor's narrower hours, the
customer's own wishes, the channel's rules and the contact ledger; it never reads the database or
the clock. Every decision names the rule that made it, so a person can audit it.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays
import yaml

RULES_FILE = Path(__file__).with_name("contact_rules.yml")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CAP_SPANS = {"week": timedelta(days=7), "month": timedelta(days=31)}
# How far ahead a contact may be put off before the answer is "never" (a long holiday season
# plus a full month's cap fit in it).
HORIZON = timedelta(days=45)

Hours = dict[int, tuple[time, time]]  # weekday (0 is Monday) → opens, closes; missing: no contact


class Verdict(StrEnum):
    PLANNED = "planned"  # at planning: it may go at its time (asked again then)
    SEND = "send"
    DEFER = "defer"  # not before `not_before`
    NEVER = "never"


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    rule: str  # what decided: "AU.hours", "AU.cap.week", "suppressed.dispute", "channel.telegram.not_started"
    not_before: datetime | None = None


@dataclass(frozen=True)
class Rules:
    """One jurisdiction's contact rules."""

    code: str
    hours: Hours
    holidays: bool
    caps: dict[str, int]


@dataclass(frozen=True)
class Recipient:
    """What the policy needs to know about the customer and the account."""

    jurisdiction: str
    region: str | None  # a subdivision the `holidays` package knows (NSW, CA), if any
    timezones: tuple[str, ...]  # every zone they may be in: more than one when we are unsure
    # Why nothing may be started at all: opted out, a dispute, a payment claim, a hardship review,
    # a care pause, a wrong-person report, the account recalled by the creditor.
    suppressed: tuple[str, ...] = ()
    only_channel: str | None = None  # the customer asked to be contacted on this channel only
    wished_hours: tuple[time, time] | None = None  # the customer asked for these hours only


@dataclass(frozen=True)
class ChannelState:
    """What the channel allows for this customer now."""

    name: str
    configured: bool  # the creditor switched it on for outreach
    business_may_start: bool  # false for the web chat, which nobody can reach
    started: bool = True  # Telegram: the customer pressed Start, so the bot may write
    opted_out: str | None = None  # why this address may get nothing: "opted_out", "wrong_person"
    window_hours: int | None = None  # WhatsApp: free-form only this long after their last message
    window_open: bool = True
    opted_in: bool = False  # recorded consent to messages outside the window
    has_template: bool = False  # an approved template in the customer's language


@dataclass(frozen=True)
class ContactRules:
    """Every jurisdiction's rules and the creditor's narrowing, as loaded once."""

    by_jurisdiction: dict[str, Rules]
    default_caps: dict[str, int]
    creditor_hours: Hours | None = None
    _narrowed: dict[str, Rules] = field(default_factory=dict, compare=False, repr=False)

    def of(self, jurisdiction: str) -> Rules:
        if jurisdiction not in self._narrowed:
            base = self.by_jurisdiction.get(jurisdiction) or self.by_jurisdiction["default"]
            hours = _intersect(base.hours, self.creditor_hours) if self.creditor_hours else base.hours
            code = jurisdiction if jurisdiction in self.by_jurisdiction else "default"
            self._narrowed[jurisdiction] = Rules(code, hours, base.holidays, base.caps or self.default_caps)
        return self._narrowed[jurisdiction]


def decide(
    recipient: Recipient,
    channel: ChannelState,
    now: datetime,
    ledger: Sequence[datetime],
    rules: ContactRules,
) -> Decision:
    """May a contact the assistant starts go to this recipient on this channel at `now`?

    `ledger`: when earlier contacts the assistant started on this account reached the customer,
    on any channel. Replies inside a conversation the customer started are not in it.
    """
    if never := _never(recipient, channel):
        return Decision(Verdict.NEVER, never)
    jurisdiction, hours, zones = _reading(recipient, rules)
    if not hours:
        return Decision(Verdict.NEVER, f"{jurisdiction.code}.hours.none")
    blocked_now = _blocked(now, recipient, jurisdiction, hours, zones, ledger)
    if blocked_now is None:
        return Decision(Verdict.SEND, f"{jurisdiction.code}.allowed")
    earliest = max([now, *(_cap_release(ledger, span, limit, now) for span, limit in _caps(jurisdiction))])
    for moment in _openings(earliest, hours, zones):
        if _blocked(moment, recipient, jurisdiction, hours, zones, ledger) is None:
            return Decision(Verdict.DEFER, blocked_now, moment.astimezone(UTC))
    return Decision(Verdict.NEVER, f"{blocked_now}.beyond_horizon")


def _reading(recipient: Recipient, rules: ContactRules) -> tuple[Rules, Hours, tuple[ZoneInfo, ...]]:
    """The recipient's rules, their hours narrowed by their own wishes, and their possible zones."""
    jurisdiction = rules.of(recipient.jurisdiction)
    hours = jurisdiction.hours
    if recipient.wished_hours:
        hours = _intersect(hours, dict.fromkeys(range(7), recipient.wished_hours))
    return jurisdiction, hours, tuple(ZoneInfo(name) for name in recipient.timezones)


def _never(recipient: Recipient, channel: ChannelState) -> str | None:
    if recipient.suppressed:
        return f"suppressed.{recipient.suppressed[0]}"
    if channel.opted_out:
        return f"suppressed.{channel.opted_out}"
    if recipient.only_channel and recipient.only_channel != channel.name:
        return f"customer.only_{recipient.only_channel}"
    if not channel.business_may_start:
        return f"channel.{channel.name}.cannot_start"
    if not channel.configured:
        return f"channel.{channel.name}.off"
    if not channel.started:
        return f"channel.{channel.name}.not_started"
    if channel.window_hours is not None and not channel.window_open:
        if not channel.opted_in:
            return f"channel.{channel.name}.no_opt_in"
        if not channel.has_template:
            return f"channel.{channel.name}.no_template"
    return None


def _blocked(
    moment: datetime,
    recipient: Recipient,
    jurisdiction: Rules,
    hours: Hours,
    zones: tuple[ZoneInfo, ...],
    ledger: Sequence[datetime],
) -> str | None:
    for zone in zones:
        local = moment.astimezone(zone)
        if jurisdiction.holidays and _is_holiday(recipient.jurisdiction, recipient.region, local.date()):
            return f"{jurisdiction.code}.holiday"
        window = hours.get(local.weekday())
        if window is None or not window[0] <= local.time() < window[1]:
            return f"{jurisdiction.code}.hours"
    for span, limit in _caps(jurisdiction):
        if sum(1 for sent in ledger if moment - CAP_SPANS[span] < sent <= moment) >= limit:
            return f"{jurisdiction.code}.cap.{span}"
    return None


def _caps(jurisdiction: Rules) -> list[tuple[str, int]]:
    return sorted(jurisdiction.caps.items())


def _cap_release(ledger: Sequence[datetime], span: str, limit: int, now: datetime) -> datetime:
    """The first moment from which fewer than `limit` contacts fall in the span before it."""
    within = sorted(sent for sent in ledger if now - CAP_SPANS[span] < sent <= now)
    if len(within) < limit:
        return now
    return within[len(within) - limit] + CAP_SPANS[span]


def _openings(earliest: datetime, hours: Hours, zones: tuple[ZoneInfo, ...]):
    """Candidate moments, in order: `earliest`, then each day's opening in every possible zone.

    The first allowed moment is one of them: allowed time is a union of intervals that each start
    at an opening in some zone or where a cap releases (`earliest`).
    """
    moments = {earliest}
    for zone in zones:
        first_day = earliest.astimezone(zone).date()
        for offset in range(HORIZON.days + 1):
            day = first_day + timedelta(days=offset)
            if window := hours.get(day.weekday()):
                opening = datetime.combine(day, window[0], tzinfo=zone)
                if opening > earliest:
                    moments.add(opening)
    return sorted(moments)


@lru_cache(maxsize=256)
def _holidays(country: str, region: str | None) -> holidays.HolidayBase | None:
    if country not in holidays.list_supported_countries():
        return None
    subdivisions = holidays.list_supported_countries()[country]
    return holidays.country_holidays(country, subdiv=region if region in subdivisions else None)


def _is_holiday(country: str, region: str | None, day: date) -> bool:
    calendar = _holidays(country, region)
    return calendar is not None and day in calendar


def _intersect(first: Hours, second: Hours) -> Hours:
    both = {}
    for day in set(first) & set(second):
        opens, closes = max(first[day][0], second[day][0]), min(first[day][1], second[day][1])
        if opens < closes:
            both[day] = (opens, closes)
    return both


def parse_hours(spec: dict[str, str]) -> Hours:
    """{"mon-fri": "07:30-21:00", "sat": "09:00-17:00"} → weekday → (opens, closes)."""
    hours: Hours = {}
    for days, span in spec.items():
        first, _, last = days.partition("-")
        start, end = DAYS.index(first), DAYS.index(last or first)
        opens, closes = (time.fromisoformat(part) for part in span.split("-"))
        if not opens < closes:
            raise ValueError(f"contact hours {days}: {span} closes before it opens")
        for day in range(start, end + 1):
            hours[day] = (opens, closes)
    return hours


def load_rules(
    default_caps: dict[str, int], creditor_hours: dict[str, str] | None = None, path: Path = RULES_FILE
) -> ContactRules:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for caps in [default_caps, *(entry.get("caps", {}) for entry in data.values())]:
        if unknown := set(caps) - set(CAP_SPANS):
            raise ValueError(f"contact caps: unknown span {sorted(unknown)}; use {sorted(CAP_SPANS)}")
    return ContactRules(
        by_jurisdiction={
            code: Rules(
                code, parse_hours(entry["hours"]), bool(entry["holidays"]), dict(entry.get("caps", {}))
            )
            for code, entry in data.items()
        },
        default_caps=dict(default_caps),
        creditor_hours=parse_hours(creditor_hours) if creditor_hours else None,
    )
