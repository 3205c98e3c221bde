"""The plan engine: exact money, the creditor's limits, and dates that only move forward."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.config import ROOT
from bot.domain.money import Money
from bot.domain.plans import OfferNote, build_plan, fits_policy, offer_plans, split_evenly, today_for
from bot.domain.policy import load_policy
from bot.domain.schedule import Frequency

POLICY = load_policy(ROOT / "creditor.yml").arrangements
TODAY = date(2026, 11, 23)
CURRENCIES = sorted(POLICY.smallest_instalment)

balances = st.builds(Money, st.integers(min_value=1, max_value=10**12), st.sampled_from(CURRENCIES))
frequencies = st.sampled_from(list(Frequency))
days = st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31))


def _assert_within_policy(plans, balance, today):
    smallest = POLICY.smallest_instalment_for(balance.currency)
    for plan in plans:
        dates = [i.due for i in plan.instalments]
        assert sum(i.amount.minor for i in plan.instalments) == balance.minor
        assert all(i.amount.currency == balance.currency for i in plan.instalments)
        assert all(i.amount.minor >= smallest for i in plan.instalments)
        assert all(a < b for a, b in pairwise(dates))
        assert today < dates[0] <= today + timedelta(days=POLICY.first_payment_within_days)
        assert dates[-1] <= today + timedelta(days=POLICY.longest_term_days)
        assert 2 <= plan.count <= POLICY.most_instalments
        assert fits_policy(plan, balance, today, POLICY)


@given(balances, st.integers(min_value=1, max_value=500))
def test_an_even_split_adds_up_to_the_balance_exactly_and_is_as_even_as_money_allows(total, count):
    parts = split_evenly(total, count)
    assert sum(p.minor for p in parts) == total.minor
    assert len(parts) == count
    step = total.cash_step  # 100 for IDR: nobody pays in sen
    assert all(p.minor % step == 0 for p in parts[:-1])
    assert max(p.minor for p in parts) - min(p.minor for p in parts) <= step + total.minor % step


@settings(max_examples=300)
@given(balances, days, st.one_of(st.none(), frequencies), st.one_of(st.none(), st.integers(1, 10**11)))
def test_every_plan_offered_sums_to_the_balance_and_keeps_every_creditor_limit(
    balance, today, frequency, can_pay
):
    affordable = Money(can_pay, balance.currency) if can_pay else None
    offer = offer_plans(balance, today, POLICY, frequency=frequency, affordable=affordable)
    assert len(offer.plans) <= 3
    _assert_within_policy(offer.plans, balance, today)
    if offer.note == OfferNote.TOO_SMALL_TO_SPLIT:
        assert offer.plans == ()


@settings(max_examples=300)
@given(balances, days, frequencies, st.integers(1, 10**11))
def test_when_a_plan_fits_what_the_customer_can_afford_no_instalment_is_more_than_that(
    balance, today, frequency, can_pay
):
    affordable = Money(can_pay, balance.currency)
    offer = offer_plans(balance, today, POLICY, frequency=frequency, affordable=affordable)
    if offer.note == OfferNote.FITS:  # as the offer says: no payment of any plan is more
        assert offer.plans and all(p.frequency == frequency for p in offer.plans)
        assert all(p.largest.minor <= affordable.minor for p in offer.plans)


@given(balances, days, frequencies, st.integers(min_value=14, max_value=400))
def test_a_finish_date_is_respected_by_every_plan(balance, today, frequency, days_ahead):
    finish_by = today + timedelta(days=days_ahead)
    offer = offer_plans(balance, today, POLICY, frequency=frequency, finish_by=finish_by)
    _assert_within_policy(offer.plans, balance, today)
    if offer.note == OfferNote.FINISHES_BY:
        assert all(plan.last_due <= finish_by for plan in offer.plans)


def test_fifty_a_week_on_a_486_dollar_balance_is_ten_weekly_payments_first():
    offer = offer_plans(Money(48_650, "AUD"), TODAY, POLICY, Frequency.WEEKLY, affordable=Money(5_000, "AUD"))
    assert offer.note == OfferNote.FITS
    quickest, gentlest = offer.plans  # both weekly: $100 a fortnight would be more than $50
    assert (quickest.frequency, quickest.count, quickest.largest) == (
        Frequency.WEEKLY,
        10,
        Money(4_865, "AUD"),
    )
    assert gentlest.frequency == Frequency.WEEKLY and gentlest.largest.minor < 4_865
    assert quickest.first_due == date(2026, 11, 30)


def test_the_gentlest_plans_never_repeat_the_same_payments_in_another_frequency():
    offer = offer_plans(
        Money(64_320, "MYR"), TODAY, POLICY, Frequency.FORTNIGHTLY, affordable=Money(100, "MYR")
    )
    payments = [(p.count, p.largest) for p in offer.plans]
    assert offer.plans[0].frequency == Frequency.FORTNIGHTLY and len(payments) == len(set(payments))


def test_less_than_the_smallest_instalment_is_explained_with_the_gentlest_plans():
    offer = offer_plans(Money(48_650, "AUD"), TODAY, POLICY, Frequency.WEEKLY, affordable=Money(500, "AUD"))
    assert offer.note == OfferNote.BELOW_SMALLEST
    assert offer.plans and all(p.largest.minor >= 2_000 for p in offer.plans)


def test_when_even_the_longest_plan_costs_more_the_customer_is_told_so():
    offer = offer_plans(
        Money(2_000_000, "USD"), TODAY, POLICY, Frequency.MONTHLY, affordable=Money(5_000, "USD")
    )
    assert offer.note == OfferNote.ABOVE_AFFORDABLE
    assert offer.plans[0].frequency == Frequency.MONTHLY
    assert offer.plans[0].count == 12  # monthly for a year is as long as the policy goes


def test_a_balance_too_small_for_two_instalments_gets_no_plan():
    assert offer_plans(Money(3_000, "AUD"), TODAY, POLICY).note == OfferNote.TOO_SMALL_TO_SPLIT


def test_monthly_payments_on_the_31st_fall_on_each_months_last_day():
    plan = build_plan(Money(40_000, "AUD"), Frequency.MONTHLY, 4, date(2027, 1, 31))
    assert [i.due for i in plan.instalments] == [
        date(2027, 1, 31),
        date(2027, 2, 28),
        date(2027, 3, 31),
        date(2027, 4, 30),
    ]


def test_a_plan_the_policy_does_not_allow_is_caught_before_it_is_offered_or_stored():
    plan = build_plan(Money(48_650, "AUD"), Frequency.WEEKLY, 4, TODAY + timedelta(days=7))
    assert fits_policy(plan, Money(48_650, "AUD"), TODAY, POLICY)
    assert not fits_policy(plan, Money(48_651, "AUD"), TODAY, POLICY)  # does not add up
    assert not fits_policy(
        plan, Money(48_650, "AUD"), TODAY, replace(POLICY, frequencies=(Frequency.MONTHLY,))
    )
    late = build_plan(Money(48_650, "AUD"), Frequency.WEEKLY, 4, TODAY + timedelta(days=30))
    assert not fits_policy(late, Money(48_650, "AUD"), TODAY, POLICY)


@pytest.mark.parametrize(
    ("timezone", "expected"),
    [("Australia/Sydney", date(2026, 11, 24)), ("America/Chicago", date(2026, 11, 23))],
)
def test_the_customers_today_is_their_own_not_the_servers(timezone, expected):
    assert today_for(timezone, datetime(2026, 11, 23, 14, 0, tzinfo=UTC)) == expected


def test_asking_for_six_payments_offers_six_in_the_chosen_frequency_first():
    offer = offer_plans(Money(48_650, "AUD"), TODAY, POLICY, Frequency.FORTNIGHTLY, count=6)
    assert offer.note == OfferNote.CHOICES
    assert [(p.frequency, p.count) for p in offer.plans][0] == (Frequency.FORTNIGHTLY, 6)
    assert all(p.count == 6 for p in offer.plans)


def test_more_payments_than_the_policy_allows_gets_the_usual_choices_instead():
    offer = offer_plans(Money(48_650, "AUD"), TODAY, POLICY, Frequency.WEEKLY, count=500)
    assert max(p.count for p in offer.plans) <= POLICY.most_instalments
    _assert_within_policy(offer.plans, Money(48_650, "AUD"), TODAY)


def test_the_gentlest_plans_never_cost_more_a_month_than_the_frequency_asked_for():
    offer = offer_plans(
        Money(849_900, "PHP"), TODAY, POLICY, Frequency.MONTHLY, affordable=Money(50_000, "PHP")
    )
    per_month = {Frequency.WEEKLY: 52 / 12, Frequency.FORTNIGHTLY: 26 / 12, Frequency.MONTHLY: 1}
    monthly = offer.plans[0]
    assert monthly.frequency == Frequency.MONTHLY
    assert all(p.largest.minor * per_month[p.frequency] <= monthly.largest.minor for p in offer.plans)
