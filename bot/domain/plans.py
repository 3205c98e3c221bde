"""Instalment plans a customer can choose from, always inside the creditor's policy.

Read aloud: we split the balance into equal instalments (the first few a cent larger when it
does not divide evenly), weekly, fortnightly or monthly; no instalment is smaller than the
creditor's smallest; the last falls within the longest term. Given what the customer says
they can afford, we offer that first and the same pace in other frequencies; if even the
longest plan costs more, we say so and offer the gentlest plans there are.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from fractions import Fraction
from itertools import pairwise
from zoneinfo import ZoneInfo

from bot.domain.money import Money
from bot.domain.policy import ArrangementPolicy
from bot.domain.schedule import Frequency

MAX_OPTIONS = 3


@dataclass(frozen=True)
class Instalment:
    due: date
    amount: Money


@dataclass(frozen=True)
class Plan:
    frequency: Frequency
    instalments: tuple[Instalment, ...]

    @property
    def count(self) -> int:
        return len(self.instalments)

    @property
    def total(self) -> Money:
        total = Money(0, self.instalments[0].amount.currency)
        for instalment in self.instalments:
            total = total + instalment.amount
        return total

    @property
    def largest(self) -> Money:
        return max((i.amount for i in self.instalments), key=lambda m: m.minor)

    @property
    def first_due(self) -> date:
        return self.instalments[0].due

    @property
    def last_due(self) -> date:
        return self.instalments[-1].due


class OfferNote(StrEnum):
    FITS = "fits"  # every plan costs at most what the customer can afford
    ABOVE_AFFORDABLE = "above_affordable"  # even the longest plan costs more than that
    BELOW_SMALLEST = "below_smallest"  # what they can afford is under the smallest instalment
    CHOICES = "choices"  # no amount given: a short, a middle and the longest plan
    FINISHES_BY = "finishes_by"  # every plan is paid off by the date the customer gave
    TOO_SMALL_TO_SPLIT = "too_small_to_split"  # the balance cannot make two instalments


@dataclass(frozen=True)
class Offer:
    plans: tuple[Plan, ...]
    note: OfferNote


def today_for(timezone: str, now: datetime) -> date:
    """The customer's own date: schedules start from their today, not the server's."""
    return now.astimezone(ZoneInfo(timezone)).date()


def first_payment_date(today: date, policy: ArrangementPolicy, asked: date | None = None) -> date:
    """The day the customer asked for if the creditor's first-payment window allows it; else a
    week from today, which gives time to prepare."""
    if asked is not None and today < asked <= latest_first_payment(today, policy):
        return asked
    return today + timedelta(days=min(7, policy.first_payment_within_days))


def latest_first_payment(today: date, policy: ArrangementPolicy) -> date:
    return today + timedelta(days=policy.first_payment_within_days)


def split_evenly(total: Money, count: int) -> list[Money]:
    """`count` amounts that add up to `total` exactly and differ by at most one unit in daily
    use (a cent, or a rupiah where nobody pays in sen); what is smaller than that unit, if
    anything, is paid with the last."""
    if count < 1:
        raise ValueError("a plan has at least one instalment")
    step = total.cash_step
    whole, odd = divmod(total.minor, step)
    base, remainder = divmod(whole, count)
    amounts = [(base + (1 if n < remainder else 0)) * step for n in range(count)]
    amounts[-1] += odd
    return [Money(minor, total.currency) for minor in amounts]


def build_plan(balance: Money, frequency: Frequency, count: int, first: date) -> Plan:
    amounts = split_evenly(balance, count)
    return Plan(
        frequency,
        tuple(Instalment(d, a) for d, a in zip(frequency.dates(first, count), amounts, strict=True)),
    )


def most_instalments(
    balance: Money, frequency: Frequency, first: date, today: date, policy: ArrangementPolicy
) -> int:
    """The longest plan the policy allows for this balance and frequency (0 if none)."""
    smallest = policy.smallest_instalment_for(balance.currency)
    by_amount = balance.minor // smallest if smallest else policy.most_instalments
    last_allowed = today + timedelta(days=policy.longest_term_days)
    count = min(policy.most_instalments, by_amount)
    while count >= 2 and frequency.nth_date(first, count - 1) > last_allowed:
        count -= 1
    return count if count >= 2 else 0


def fits_policy(plan: Plan, balance: Money, today: date, policy: ArrangementPolicy) -> bool:
    """The last check before a plan is offered or stored."""
    smallest = policy.smallest_instalment_for(balance.currency)
    dates = [i.due for i in plan.instalments]
    return (
        plan.frequency in policy.frequencies
        and 2 <= plan.count <= policy.most_instalments
        and plan.total == balance
        and all(i.amount.minor >= smallest for i in plan.instalments)
        and all(a < b for a, b in pairwise(dates))
        and today < plan.first_due <= latest_first_payment(today, policy)
        and plan.last_due <= today + timedelta(days=policy.longest_term_days)
    )


def offer_plans(
    balance: Money,
    today: date,
    policy: ArrangementPolicy,
    frequency: Frequency | None = None,
    affordable: Money | None = None,
    finish_by: date | None = None,
    count: int | None = None,
    starting: date | None = None,
) -> Offer:
    """Up to three plans, the customer's own choice of frequency (and first payment day) first."""
    first = first_payment_date(today, policy, starting)
    frequencies = _frequencies(policy, frequency)
    longest = {f: most_instalments(balance, f, first, today, policy) for f in frequencies}
    if not any(longest.values()):
        return Offer((), OfferNote.TOO_SMALL_TO_SPLIT)

    if affordable is not None:
        plans, note = _for_affordable(balance, affordable, frequencies, longest, first, policy)
    elif count is not None:
        plans, note = _in_payments(balance, count, frequencies, longest, first)
    elif finish_by is not None:
        plans, note = _to_finish_by(balance, finish_by, frequencies, longest, first)
    else:
        plans, note = _choices(balance, frequencies[0], longest, first), OfferNote.CHOICES
    offered = tuple(p for p in _unique(plans) if fits_policy(p, balance, today, policy))[:MAX_OPTIONS]
    return Offer(offered, note)


def _for_affordable(balance, affordable, frequencies, longest, first, policy):
    """In the frequency the customer asked for, the quickest plan whose payments are at most what
    they can afford, and the one with the smallest payments: every payment within their amount,
    as the offer says (another frequency's "same pace" would not be: $100 a fortnight is $216
    a month)."""
    asked = frequencies[0]
    if affordable.minor < policy.smallest_instalment_for(balance.currency):
        return _gentlest(balance, frequencies, longest, first), OfferNote.BELOW_SMALLEST
    count = max(2, -(-balance.minor // affordable.minor))
    if not longest[asked] or count > longest[asked]:
        return _gentlest(balance, frequencies, longest, first), OfferNote.ABOVE_AFFORDABLE
    plans = [build_plan(balance, asked, n, first) for n in dict.fromkeys([count, longest[asked]])]
    return [p for p in plans if p.largest.minor <= affordable.minor], OfferNote.FITS


def _in_payments(balance, count, frequencies, longest, first):
    """ "In 6 payments": that many in each frequency the policy allows it in."""
    plans = [
        build_plan(balance, f, count, first) for f in frequencies if longest[f] and 2 <= count <= longest[f]
    ]
    if plans and plans[0].frequency == frequencies[0]:
        return plans, OfferNote.CHOICES
    return _choices(balance, frequencies[0], longest, first), OfferNote.CHOICES


def _to_finish_by(balance, finish_by, frequencies, longest, first):
    plans = []
    for f in frequencies:
        count = sum(1 for d in f.dates(first, longest[f]) if d <= finish_by)
        if count >= 2:
            plans.append(build_plan(balance, f, count, first))
    if plans:
        return plans, OfferNote.FINISHES_BY
    return _choices(balance, frequencies[0], longest, first), OfferNote.CHOICES


def _choices(balance, frequency, longest, first):
    if not longest[frequency]:
        frequency = next(f for f, n in longest.items() if n)
    most = longest[frequency]
    counts = sorted({max(2, -(-most // 4)), max(2, -(-most // 2)), most})
    return [build_plan(balance, frequency, n, first) for n in counts]


def _gentlest(balance, frequencies, longest, first):
    """The longest plan in each frequency: the smallest payments the policy allows; a frequency
    whose plan would be the same payments as one before it is left out (when the smallest
    instalment decides, twelve weekly payments of $53.60 and twelve monthly ones are no choice),
    and so is one that costs more a month than the frequency asked for (₱531 a week is heavier
    than ₱708 a month, however small each payment looks)."""
    plans = _unique(
        [build_plan(balance, f, longest[f], first) for f in frequencies if longest[f]],
        key=lambda plan: (plan.count, plan.largest),
    )
    return [p for p in plans if _per_month(p) <= _per_month(plans[0])] if plans else plans


# Payments a month, on average, at each frequency.
_PER_MONTH = {
    Frequency.WEEKLY: Fraction(52, 12),
    Frequency.FORTNIGHTLY: Fraction(26, 12),
    Frequency.MONTHLY: 1,
}


def _per_month(plan: Plan) -> Fraction:
    return plan.largest.minor * _PER_MONTH[plan.frequency]


def _frequencies(policy: ArrangementPolicy, asked: Frequency | None) -> list[Frequency]:
    allowed = list(policy.frequencies)
    if asked in allowed:
        allowed.remove(asked)
        allowed.insert(0, asked)
    return allowed


def _unique(plans: list[Plan], key=lambda plan: (plan.frequency, plan.count)) -> list[Plan]:
    """The first plan of each `key`, in order."""
    seen, unique = set(), []
    for plan in plans:
        if key(plan) not in seen:
            seen.add(key(plan))
            unique.append(plan)
    return unique
