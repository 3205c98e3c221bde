"""The supervisors' dashboard: how the assistant and the team did over a period, in figures.

Everything is counted by the database (GROUP BY with COUNT, SUM and CASE), the same SQL on
SQLite and PostgreSQL; Python only shapes the grouped rows into JSON-ready dicts. A period is
[start, end): `start` counted, `end` not. Instants are compared as UTC instants; days (due
dates, the day a payment was made) as calendar days, `start.date()` up to `end.date()`.

Which timestamp puts a row in the period, figure by figure:

- **Conversations**, right-party contact, self-service containment, agreement: the conversation
  is counted in the period in which the customer **first wrote** in it (the earliest inbound
  message's `created_at`), not `conversations.created_at`: a reminder the assistant sent that
  nobody answered is not a conversation, and one answered days later counts when the customer
  answered. What happened in it is counted whenever it happened: *right-party contact* = the
  customer's identity was checked (`verified_account_id` set, or a successful row in
  `verification_attempts`, which stays when a reopened web chat forgets the check);
  *contained* = the conversation has no handoff at all (a hardship review a person must
  decide counts as a handoff); *agreed* = an arrangement was made from it.
- **Handoffs** (by reason, time to claim): `handoffs.created_at`, when a person was asked for.
  Time to claim is `claimed_at - created_at` in seconds over the handoffs that were claimed:
  the **median** (the middle wait, or the mean of the two middle ones; a few very long waits do
  not hide how long most people waited) and, beside it, the mean. Unclaimed handoffs are
  counted, never given a wait.
- **Arrangements made** (by kind, amount arranged): `arrangements.created_at`, when the customer
  agreed (a hardship plan: when they asked for it, once a person approved it). A hardship
  request still waiting for a person, or declined, was not made and is left out. Amounts are summed per currency, never across currencies.
- **Promises kept / late / broken** and **instalments kept / late / missed**: the instalment's
  `due_date`, the day that decides its outcome (an instalment that is still due is no outcome
  yet and is not counted). Kept = paid in full by its due date (`paid_on <= due_date`; a paid
  instalment with no `paid_on`, written before paid days were kept, counts as kept); late = paid
  in full after it; missed = status MISSED. A promise is an arrangement of kind PROMISE (its one
  instalment); instalments are those of instalment and hardship plans.
- **Plans completed / defaulted** (instalment and hardship plans; promises are above):
  arrangements have no end time, so the day comes from their instalments: completed = status
  COMPLETED, on the latest `paid_on` of its instalments; defaulted = status LAPSED, on the due
  date of its last missed instalment (the miss that broke it).
- **Amount collected**: `payments.paid_at`; payments reversed at any time are left out (and
  shown apart as reversed), per currency.
- **Opt-outs**: `consents.updated_at` of addresses that are opted out now (an opt-out later
  undone by START is not counted; the table keeps only the latest state).
- **Disputes and payment claims** (cases): `cases.created_at`.
- **Satisfaction (CSAT)**: `satisfaction_surveys.asked_at`; an answer is counted with the
  period in which its question was asked, so the response rate has one denominator.

Complaints are not recorded anywhere today, so there is no complaints figure.

Splits (`by`): `channel` and `language` are the conversation's the row came from (a survey
keeps its own; an opt-out takes the latest conversation on its address; a payment takes the
conversation of the arrangement it paid); `jurisdiction` is the customer's: the account's owner
for arrangements, instalments and payments, the conversation's customer (known by their number
or their identity check) otherwise. Rows with neither are "unknown".

Parity: the outcome rates per language beside the overall rate and the gap (language minus
overall), marked `worse` when the language is served worse by at least PARITY_MARGIN of that
metric, so a creditor sees whether customers writing in one language fare worse. Each value
carries `n`, the count it rests on, so a gap over a handful of conversations reads as such.
"""

from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Float, Select, and_, case, exists, func, literal_column, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.expression import ColumnElement, FunctionElement, Subquery

from bot.db.models import (
    Account,
    Arrangement,
    ArrangementKind,
    ArrangementStatus,
    Case,
    CaseKind,
    Consent,
    Conversation,
    Customer,
    Direction,
    Handoff,
    Instalment,
    InstalmentStatus,
    Message,
    Payment,
    PaymentAllocation,
    SatisfactionSurvey,
    VerificationAttempt,
)
from bot.domain.money import Money

Split = Literal["channel", "language", "jurisdiction"]
SPLITS: tuple[str, ...] = ("channel", "language", "jurisdiction")
UNKNOWN = "unknown"
ALL = "all"
MONEY_LOCALE = "en"  # the console's language (bot.people.console_view.AGENT_LOCALE)
SCORES = (1, 2, 3, 4, 5)

# Arrangements that were never agreed: a hardship request waiting for a person, or declined.
NOT_MADE = (ArrangementStatus.PENDING_APPROVAL, ArrangementStatus.DECLINED)

# Parity metrics: which way is better, and the gap from the overall figure that marks a language
# as served worse (5 percentage points of a rate, a quarter of a CSAT point, a wait a quarter
# longer than everyone's).
PARITY_METRICS: tuple[dict[str, str], ...] = (
    {"key": "right_party_contact", "unit": "rate", "better": "higher"},
    {"key": "contained", "unit": "rate", "better": "higher"},
    {"key": "agreed", "unit": "rate", "better": "higher"},
    {"key": "promises_kept", "unit": "rate", "better": "higher"},
    {"key": "instalments_kept", "unit": "rate", "better": "higher"},
    {"key": "plans_defaulted", "unit": "rate", "better": "lower"},
    {"key": "csat_mean", "unit": "score", "better": "higher"},
    {"key": "median_seconds_to_claim", "unit": "seconds", "better": "lower"},
)
PARITY_MARGIN = {"rate": 0.05, "score": 0.25, "seconds": 0.25}  # seconds: relative to the overall


class seconds_between(FunctionElement):
    """Seconds from the first instant to the second, on either database."""

    type = Float()
    name = "seconds_between"
    inherit_cache = True


@compiles(seconds_between)
def _seconds_postgresql(element, compiler, **kw) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"EXTRACT(EPOCH FROM ({end} - {start}))"


@compiles(seconds_between, "sqlite")
def _seconds_sqlite(element, compiler, **kw) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"((julianday({end}) - julianday({start})) * 86400.0)"


async def dashboard(
    session: AsyncSession, start: datetime, end: datetime, by: Split | None = None
) -> dict[str, Any]:
    """Every figure for [start, end), overall and (with `by`) per channel, language or
    jurisdiction, and the parity of outcome rates per language."""
    if by is not None and by not in SPLITS:
        raise ValueError(f"by must be one of {', '.join(SPLITS)}")
    if end <= start:
        raise ValueError("end must come after start")
    period = _Period(start, end)
    overall = (await _figures(session, period, None)).get(ALL) or _empty()
    by_language = await _figures(session, period, "language")
    groups = by_language if by == "language" else await _figures(session, period, by) if by else {}
    return {
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "by": by,
        "overall": overall,
        "groups": [{"key": key, **groups[key]} for key in sorted(groups, key=_unknown_last)],
        "parity": _parity(overall, by_language),
    }


class _Period:
    def __init__(self, start: datetime, end: datetime) -> None:
        self.start, self.end = start, end
        self.first_day, self.last_day = start.date(), end.date()  # days: [first_day, last_day)

    def holds(self, at: ColumnElement) -> ColumnElement:
        return and_(at >= self.start, at < self.end)

    def holds_day(self, day: ColumnElement) -> ColumnElement:
        return and_(day >= self.first_day, day < self.last_day)


# Shaping -----------------------------------------------------------------------------------------


def _empty() -> dict[str, Any]:
    return {
        "conversations": {
            "count": 0,
            "right_party_contact": 0,
            "right_party_contact_rate": None,
            "contained": 0,
            "contained_rate": None,
            "agreed": 0,
            "agreed_rate": None,
        },
        "handoffs": {
            "count": 0,
            "claimed": 0,
            "median_seconds_to_claim": None,
            "mean_seconds_to_claim": None,
            "by_reason": [],
        },
        "arrangements": {"made": 0, "by_kind": [], "amounts": []},
        "promises": {"kept": 0, "late": 0, "broken": 0, "kept_rate": None},
        "instalments": {"kept": 0, "late": 0, "missed": 0, "kept_rate": None},
        "plans": {"completed": 0, "defaulted": 0, "default_rate": None},
        "collected": [],
        "reversed": [],
        "opt_outs": 0,
        "cases": {kind.value: 0 for kind in CaseKind},
        "csat": {
            "asked": 0,
            "responses": 0,
            "response_rate": None,
            "mean_score": None,
            "distribution": {str(score): 0 for score in SCORES},
        },
    }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _seconds(value: Any) -> float | None:
    return None if value is None else round(float(value), 1)


def _money(currency: str, minor: int) -> dict[str, Any]:
    return {"currency": currency, "minor": minor, "formatted": Money(minor, currency).format(MONEY_LOCALE)}


def _unknown_last(key: str) -> tuple[bool, str]:
    return key == UNKNOWN, key


async def _figures(session: AsyncSession, period: _Period, by: str | None) -> dict[str, dict[str, Any]]:
    """Every figure per split value (one value, "all", without a split)."""
    found: dict[str, dict[str, Any]] = {}

    def at(key: str) -> dict[str, Any]:
        return found.setdefault(key, _empty())

    for key, count, verified, contained, agreed in await session.execute(_conversations(period, by)):
        figures = at(key)["conversations"]
        figures.update(
            count=count,
            right_party_contact=verified,
            right_party_contact_rate=_rate(verified, count),
            contained=contained,
            contained_rate=_rate(contained, count),
            agreed=agreed,
            agreed_rate=_rate(agreed, verified),
        )

    for key, count, claimed, mean in await session.execute(_handoffs(period, by)):
        at(key)["handoffs"].update(count=count, claimed=claimed, mean_seconds_to_claim=_seconds(mean))
    for key, median in await session.execute(_median_wait(period, by)):
        at(key)["handoffs"]["median_seconds_to_claim"] = _seconds(median)
    medians = {
        (key, reason): median for key, reason, median in await session.execute(_median_wait(period, by, True))
    }
    for key, reason, count, claimed, mean in await session.execute(_handoffs(period, by, True)):
        at(key)["handoffs"]["by_reason"].append(
            {
                "reason": reason,
                "count": count,
                "claimed": claimed,
                "median_seconds_to_claim": _seconds(medians.get((key, reason))),
                "mean_seconds_to_claim": _seconds(mean),
            }
        )

    amounts: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for key, kind, currency, total in await session.execute(_amounts_arranged(period, by, per_kind=True)):
        amounts.setdefault((key, kind.value), []).append(_money(currency, int(total)))
    for key, kind, made in await session.execute(_arrangements_made(period, by, per_kind=True)):
        at(key)["arrangements"]["by_kind"].append(
            {"kind": kind.value, "made": made, "amounts": amounts.get((key, kind.value), [])}
        )
    for key, made in await session.execute(_arrangements_made(period, by)):
        at(key)["arrangements"]["made"] = made
    for key, currency, total in await session.execute(_amounts_arranged(period, by)):
        at(key)["arrangements"]["amounts"].append(_money(currency, int(total)))

    for key, promise, kept, late, missed in await session.execute(_instalments(period, by)):
        if promise:
            at(key)["promises"].update(
                kept=kept, late=late, broken=missed, kept_rate=_rate(kept, kept + late + missed)
            )
        else:
            at(key)["instalments"].update(
                kept=kept, late=late, missed=missed, kept_rate=_rate(kept, kept + late + missed)
            )

    for key, completed, defaulted in await session.execute(_plans_ended(period, by)):
        at(key)["plans"].update(
            completed=completed, defaulted=defaulted, default_rate=_rate(defaulted, completed + defaulted)
        )

    for key, currency, collected, payments, reversed_minor, reversals in await session.execute(
        _payments(period, by)
    ):
        if payments:
            at(key)["collected"].append({**_money(currency, int(collected)), "payments": payments})
        if reversals:
            at(key)["reversed"].append({**_money(currency, int(reversed_minor)), "payments": reversals})

    for key, count in await session.execute(_opt_outs(period, by)):
        at(key)["opt_outs"] = count

    for key, kind, count in await session.execute(_cases(period, by)):
        at(key)["cases"][kind.value] = count

    for key, asked, responses, mean, *distribution in await session.execute(_csat(period, by)):
        at(key)["csat"].update(
            asked=asked,
            responses=responses,
            response_rate=_rate(responses, asked),
            mean_score=None if mean is None else round(float(mean), 2),
            distribution={str(score): n for score, n in zip(SCORES, distribution, strict=True)},
        )
    return found


# Queries -----------------------------------------------------------------------------------------
#
# Each figure is a subquery of rows carrying `channel`, `language` and `customer_id` (where the
# split comes from) and what the figure needs, grouped by the split value in `_grouped`.


def _split_key(rows: Subquery, by: str | None) -> tuple[ColumnElement, Any]:
    """The split value of each row, and what to select from to have it."""
    if by is None:
        return literal_column(f"'{ALL}'"), rows
    if by == "jurisdiction":
        customer = aliased(Customer)
        joined = rows.outerjoin(customer, customer.id == rows.c.customer_id)
        return func.coalesce(customer.jurisdiction, literal_column(f"'{UNKNOWN}'")), joined
    return func.coalesce(rows.c[by], literal_column(f"'{UNKNOWN}'")), rows


def _grouped(rows: Subquery, by: str | None, *columns: ColumnElement) -> Select:
    """SELECT <split value>, <columns> FROM rows GROUP BY the split value; without a split there
    is no GROUP BY on it and every row is "all"."""
    key, source = _split_key(rows, by)
    query = select(key.label("key"), *columns).select_from(source)
    return query.group_by(key) if by is not None else query


def _total(column: ColumnElement) -> ColumnElement:
    """SUM that is 0, not NULL, over no rows (an aggregate without GROUP BY still gives a row)."""
    return func.coalesce(func.sum(column), 0)


def _count_if(condition: ColumnElement) -> ColumnElement:
    return _total(case((condition, 1), else_=0))


def _in_conversation(conversation_id: ColumnElement, *owners: ColumnElement):
    """Columns for the split from the conversation a row came from, and joins to reach it: the
    customer is the first of `owners` known, then the conversation's, then its verified account's."""
    conversation, verified = aliased(Conversation), aliased(Account)
    columns = [
        conversation.channel.label("channel"),
        conversation.language.label("language"),
        func.coalesce(*owners, conversation.customer_id, verified.customer_id).label("customer_id"),
    ]

    def joined(query: Select) -> Select:
        return query.outerjoin(conversation, conversation.id == conversation_id).outerjoin(
            verified, verified.id == conversation.verified_account_id
        )

    return columns, joined


def _conversations(period: _Period, by: str | None) -> Select:
    first = (
        select(Message.conversation_id, func.min(Message.created_at).label("first_at"))
        .where(Message.direction == Direction.INBOUND, Message.created_at < period.end)
        .group_by(Message.conversation_id)
        .subquery()
    )
    verified_account = aliased(Account)
    checked = or_(
        Conversation.verified_account_id.is_not(None),
        exists().where(
            VerificationAttempt.conversation_id == Conversation.id, VerificationAttempt.succeeded.is_(True)
        ),
    )
    handed = exists().where(Handoff.conversation_id == Conversation.id)
    agreed = exists().where(
        Arrangement.conversation_id == Conversation.id, Arrangement.status.not_in(NOT_MADE)
    )
    rows = (
        select(
            Conversation.channel,
            Conversation.language,
            func.coalesce(Conversation.customer_id, verified_account.customer_id).label("customer_id"),
            case((checked, 1), else_=0).label("verified"),
            case((handed, 0), else_=1).label("contained"),
            case((agreed, 1), else_=0).label("agreed"),
        )
        .join(first, first.c.conversation_id == Conversation.id)
        .outerjoin(verified_account, verified_account.id == Conversation.verified_account_id)
        .where(period.holds(first.c.first_at))
        .subquery()
    )
    return _grouped(
        rows,
        by,
        func.count(),
        _total(rows.c.verified),
        _total(rows.c.contained),
        _total(rows.c.agreed),
    )


def _handoff_rows(period: _Period) -> Subquery:
    columns, joined = _in_conversation(Handoff.conversation_id)
    wait = case(
        (Handoff.claimed_at.is_not(None), seconds_between(Handoff.created_at, Handoff.claimed_at)),
        else_=None,
    )
    query = select(*columns, Handoff.reason, wait.label("wait")).select_from(Handoff)
    return joined(query).where(period.holds(Handoff.created_at)).subquery()


def _handoffs(period: _Period, by: str | None, per_reason: bool = False) -> Select:
    rows = _handoff_rows(period)
    extra = [rows.c.reason] if per_reason else []
    query = _grouped(rows, by, *extra, func.count(), func.count(rows.c.wait), func.avg(rows.c.wait))
    return query.group_by(*extra).order_by(func.count().desc(), *extra) if per_reason else query


def _median_wait(period: _Period, by: str | None, per_reason: bool = False) -> Select:
    """The median wait per split value (and reason): the middle one or two claimed waits, by
    their rank among their group's (window functions, which both databases have)."""
    rows = _handoff_rows(period)
    key, source = _split_key(rows, by)
    group = [key, rows.c.reason] if per_reason else [key]
    ranked = (
        select(
            key.label("key"),
            rows.c.reason,
            rows.c.wait,
            func.row_number().over(partition_by=group, order_by=rows.c.wait).label("rank"),
            func.count().over(partition_by=group).label("n"),
        )
        .select_from(source)
        .where(rows.c.wait.is_not(None))
        .subquery()
    )
    middle = ranked.c.rank.in_([(ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2])
    columns = [ranked.c.key, ranked.c.reason] if per_reason else [ranked.c.key]
    return select(*columns, func.avg(ranked.c.wait)).where(middle).group_by(*columns)


def _arrangement_rows(period: _Period) -> Subquery:
    columns, joined = _in_conversation(Arrangement.conversation_id, Account.customer_id)
    query = (
        select(*columns, Arrangement.kind, Arrangement.currency, Arrangement.total_minor)
        .select_from(Arrangement)
        .join(Account, Account.id == Arrangement.account_id)
    )
    return (
        joined(query)
        .where(period.holds(Arrangement.created_at), Arrangement.status.not_in(NOT_MADE))
        .subquery()
    )


def _arrangements_made(period: _Period, by: str | None, per_kind: bool = False) -> Select:
    rows = _arrangement_rows(period)
    extra = [rows.c.kind] if per_kind else []
    return _grouped(rows, by, *extra, func.count()).group_by(*extra).order_by(*extra)


def _amounts_arranged(period: _Period, by: str | None, per_kind: bool = False) -> Select:
    """Amounts arranged per currency (and kind): never one sum across currencies."""
    rows = _arrangement_rows(period)
    extra = [rows.c.kind, rows.c.currency] if per_kind else [rows.c.currency]
    return _grouped(rows, by, *extra, func.sum(rows.c.total_minor)).group_by(*extra).order_by(*extra)


def _instalments(period: _Period, by: str | None) -> Select:
    """Outcomes of instalments (and promises) that fell due in the period."""
    columns, joined = _in_conversation(Arrangement.conversation_id, Account.customer_id)
    paid = Instalment.status == InstalmentStatus.PAID
    kept = and_(paid, or_(Instalment.paid_on.is_(None), Instalment.paid_on <= Instalment.due_date))
    late = and_(paid, Instalment.paid_on > Instalment.due_date)
    query = (
        select(
            *columns,
            case((Arrangement.kind == ArrangementKind.PROMISE, 1), else_=0).label("promise"),
            case((kept, 1), else_=0).label("kept"),
            case((late, 1), else_=0).label("late"),
            case((Instalment.status == InstalmentStatus.MISSED, 1), else_=0).label("missed"),
        )
        .select_from(Instalment)
        .join(Arrangement, Arrangement.id == Instalment.arrangement_id)
        .join(Account, Account.id == Arrangement.account_id)
    )
    rows = (
        joined(query)
        .where(
            period.holds_day(Instalment.due_date),
            Instalment.status.in_((InstalmentStatus.PAID, InstalmentStatus.MISSED)),
        )
        .subquery()
    )
    return _grouped(
        rows,
        by,
        rows.c.promise,
        _total(rows.c.kept),
        _total(rows.c.late),
        _total(rows.c.missed),
    ).group_by(rows.c.promise)


def _plans_ended(period: _Period, by: str | None) -> Select:
    """Instalment and hardship plans completed (on their last payment's day) or defaulted (on
    the due date of the miss that broke them) in the period."""
    ends = (
        select(
            Instalment.arrangement_id,
            func.max(
                case((Instalment.status == InstalmentStatus.PAID, Instalment.paid_on), else_=None)
            ).label("last_paid"),
            func.max(
                case((Instalment.status == InstalmentStatus.MISSED, Instalment.due_date), else_=None)
            ).label("last_missed"),
        )
        .group_by(Instalment.arrangement_id)
        .subquery()
    )
    completed = and_(Arrangement.status == ArrangementStatus.COMPLETED, period.holds_day(ends.c.last_paid))
    defaulted = and_(Arrangement.status == ArrangementStatus.LAPSED, period.holds_day(ends.c.last_missed))
    columns, joined = _in_conversation(Arrangement.conversation_id, Account.customer_id)
    query = (
        select(
            *columns,
            case((completed, 1), else_=0).label("completed"),
            case((defaulted, 1), else_=0).label("defaulted"),
        )
        .select_from(Arrangement)
        .join(Account, Account.id == Arrangement.account_id)
        .join(ends, ends.c.arrangement_id == Arrangement.id)
    )
    rows = (
        joined(query).where(Arrangement.kind != ArrangementKind.PROMISE, or_(completed, defaulted)).subquery()
    )
    return _grouped(rows, by, _total(rows.c.completed), _total(rows.c.defaulted))


def _payments(period: _Period, by: str | None) -> Select:
    """Payments made in the period per currency: what stands, and what was reversed."""
    toward = (
        select(PaymentAllocation.payment_id, func.min(Instalment.arrangement_id).label("arrangement_id"))
        .join(Instalment, Instalment.id == PaymentAllocation.instalment_id)
        .group_by(PaymentAllocation.payment_id)
        .subquery()
    )
    columns, joined = _in_conversation(Arrangement.conversation_id, Account.customer_id)
    query = (
        select(*columns, Payment.currency, Payment.amount_minor, Payment.reversed_at)
        .select_from(Payment)
        .join(Account, Account.id == Payment.account_id)
        .outerjoin(toward, toward.c.payment_id == Payment.id)
        .outerjoin(Arrangement, Arrangement.id == toward.c.arrangement_id)
    )
    rows = joined(query).where(period.holds(Payment.paid_at)).subquery()
    standing = rows.c.reversed_at.is_(None)
    return (
        _grouped(
            rows,
            by,
            rows.c.currency,
            _total(case((standing, rows.c.amount_minor), else_=0)),
            _count_if(standing),
            _total(case((standing, 0), else_=rows.c.amount_minor)),
            _count_if(~standing),
        )
        .group_by(rows.c.currency)
        .order_by(rows.c.currency)
    )


def _opt_outs(period: _Period, by: str | None) -> Select:
    """Addresses opted out in the period (and still), each with the language and customer of the
    latest conversation on that address."""
    latest = (
        select(Conversation.language)
        .where(Conversation.channel == Consent.channel, Conversation.channel_user_id == Consent.address)
        .order_by(Conversation.last_message_at.desc(), Conversation.id.desc())
        .limit(1)
    )
    rows = (
        select(
            Consent.channel.label("channel"),
            latest.scalar_subquery().label("language"),
            func.coalesce(
                Consent.customer_id, latest.with_only_columns(Conversation.customer_id).scalar_subquery()
            ).label("customer_id"),
        )
        .where(Consent.opted_out.is_(True), period.holds(Consent.updated_at))
        .subquery()
    )
    return _grouped(rows, by, func.count())


def _cases(period: _Period, by: str | None) -> Select:
    owner = aliased(Account)
    columns, joined = _in_conversation(Case.conversation_id, owner.customer_id)
    query = select(*columns, Case.kind).select_from(Case).outerjoin(owner, owner.id == Case.account_id)
    rows = joined(query).where(period.holds(Case.created_at)).subquery()
    return _grouped(rows, by, rows.c.kind, func.count()).group_by(rows.c.kind)


def _csat(period: _Period, by: str | None) -> Select:
    """Questions asked in the period, the answers to them, and how the answers spread over 1–5;
    the channel and language are the survey's own (those it was asked in)."""
    columns, joined = _in_conversation(SatisfactionSurvey.conversation_id)
    query = select(
        SatisfactionSurvey.channel.label("channel"),
        SatisfactionSurvey.language.label("language"),
        columns[2],
        SatisfactionSurvey.score,
    ).select_from(SatisfactionSurvey)
    rows = joined(query).where(period.holds(SatisfactionSurvey.asked_at)).subquery()
    return _grouped(
        rows,
        by,
        func.count(),
        func.count(rows.c.score),
        func.avg(rows.c.score),
        *(_count_if(rows.c.score == score) for score in SCORES),
    )


# Parity ------------------------------------------------------------------------------------------


def _outcomes(figures: dict[str, Any]) -> dict[str, tuple[float | None, int]]:
    """Each parity metric's value and the count it rests on."""
    conversations, handoffs = figures["conversations"], figures["handoffs"]
    promises, instalments, plans, csat = (
        figures["promises"],
        figures["instalments"],
        figures["plans"],
        figures["csat"],
    )
    return {
        "right_party_contact": (conversations["right_party_contact_rate"], conversations["count"]),
        "contained": (conversations["contained_rate"], conversations["count"]),
        "agreed": (conversations["agreed_rate"], conversations["right_party_contact"]),
        "promises_kept": (promises["kept_rate"], promises["kept"] + promises["late"] + promises["broken"]),
        "instalments_kept": (
            instalments["kept_rate"],
            instalments["kept"] + instalments["late"] + instalments["missed"],
        ),
        "plans_defaulted": (plans["default_rate"], plans["completed"] + plans["defaulted"]),
        "csat_mean": (csat["mean_score"], csat["responses"]),
        "median_seconds_to_claim": (handoffs["median_seconds_to_claim"], handoffs["claimed"]),
    }


def _worse(metric: dict[str, str], value: float, overall: float) -> bool:
    """Whether a language's value is worse than everyone's by at least the metric's margin."""
    margin = PARITY_MARGIN[metric["unit"]]
    if metric["unit"] == "seconds":
        return value > overall and value >= overall * (1 + margin)
    shortfall = overall - value if metric["better"] == "higher" else value - overall
    return shortfall >= margin - 1e-9


def _parity(overall: dict[str, Any], by_language: dict[str, dict[str, Any]]) -> dict[str, Any]:
    everyone = _outcomes(overall)
    languages = []
    for language in sorted(by_language, key=_unknown_last):
        values = _outcomes(by_language[language])
        metrics = {}
        for metric in PARITY_METRICS:
            (value, n), (base, _) = values[metric["key"]], everyone[metric["key"]]
            known = value is not None and base is not None
            metrics[metric["key"]] = {
                "value": value,
                "n": n,
                "gap": round(value - base, 4) if known else None,
                "worse": known and _worse(metric, value, base),
            }
        languages.append({"language": language, "metrics": metrics})
    return {
        "metrics": [dict(metric) for metric in PARITY_METRICS],
        "margins": dict(PARITY_MARGIN),
        "overall": {key: {"value": value, "n": n} for key, (value, n) in everyone.items()},
        "languages": languages,
    }
