"""Which contacts to plan: the occasions the creditor's cadence names, found in accounts and plans.

Each occasion is planned once (its `occasion` key is unique), for the start of a day in the
customer's own time zone; the contact policy then moves it into the hours it allows. Whether an
occasion still holds (the instalment was paid, the account brought up to date) is asked again
right before sending (`still_holds`).
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import (
    Account,
    AccountStatus,
    Arrangement,
    ArrangementKind,
    ArrangementStatus,
    ContactKind,
    ContactStatus,
    Conversation,
    Customer,
    Direction,
    Instalment,
    InstalmentStatus,
    Message,
    PlannedContact,
)
from bot.domain.policy import Cadence

# Arrangements that stand: while one does, there is nothing to re-engage about.
_STANDING = (ArrangementStatus.ACTIVE, ArrangementStatus.PENDING_APPROVAL, ArrangementStatus.SUSPENDED)
# A missed instalment older than this is a person's matter, not a reminder's.
_MISSED_LOOKBACK = timedelta(days=60)


@dataclass(frozen=True, slots=True)
class Occasion:
    account_id: int
    kind: ContactKind
    key: str
    due_at: datetime
    expires_at: datetime
    instalment_id: int | None = None


def _day_start(day: date, zone: str) -> datetime:
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(zone))  # ZoneInfo caches each zone


async def occasions(session: AsyncSession, now: datetime, cadence: Cadence) -> list[Occasion]:
    """Every occasion the cadence names that is due within a day of `now` and not yet over."""
    found: list[Occasion] = []
    drop = timedelta(days=cadence.drop_after)
    today = now.date()
    horizon = today + timedelta(days=max(cadence.before_due, cadence.before_instalment) + 1)

    accounts = await session.execute(
        select(Account.id, Account.status, Account.overdue_minor, Account.due_date, Customer.timezone)
        .join(Customer, Customer.id == Account.customer_id)
        .where(Account.status.in_([AccountStatus.CURRENT, AccountStatus.PAST_DUE]), Account.balance_minor > 0)
        .where(Account.due_date <= horizon)
    )
    for account_id, status, overdue, due_date, zone in accounts:
        if status == AccountStatus.PAST_DUE and overdue > 0:
            due = _day_start(due_date + timedelta(days=cadence.first_contact_after_due), zone)
            key = f"first_contact:{account_id}:{due_date}"
            found.append(Occasion(account_id, ContactKind.FIRST_CONTACT, key, due, max(due, now) + drop))
        elif status == AccountStatus.CURRENT and due_date >= today:
            due = _day_start(due_date - timedelta(days=cadence.before_due), zone)
            key = f"before_due:{account_id}:{due_date}"
            found.append(Occasion(account_id, ContactKind.BEFORE_DUE, key, due, _day_start(due_date, zone)))

    instalments = await session.execute(
        select(
            Instalment.id, Instalment.due_date, Arrangement.kind, Arrangement.account_id, Customer.timezone
        )
        .join(Arrangement, Arrangement.id == Instalment.arrangement_id)
        .join(Account, Account.id == Arrangement.account_id)
        .join(Customer, Customer.id == Account.customer_id)
        .where(
            Arrangement.status == ArrangementStatus.ACTIVE,
            Instalment.status != InstalmentStatus.PAID,
            Instalment.due_date <= horizon,
            Instalment.due_date >= today - _MISSED_LOOKBACK,
        )
    )
    for instalment_id, due_date, kind, account_id, zone in instalments:
        if due_date >= today:
            due = _day_start(due_date - timedelta(days=cadence.before_instalment), zone)
            key = f"before_instalment:{instalment_id}:{due_date}"
            expires = _day_start(due_date, zone)
            found.append(
                Occasion(account_id, ContactKind.BEFORE_INSTALMENT, key, due, expires, instalment_id)
            )
        missed = ContactKind.BROKEN_PROMISE if kind == ArrangementKind.PROMISE else ContactKind.MISSED_PAYMENT
        due = _day_start(due_date + timedelta(days=cadence.missed_instalment_after), zone)
        if due <= now + timedelta(days=1):
            key = f"{missed.value}:{instalment_id}:{due_date}"
            found.append(Occasion(account_id, missed, key, due, due + drop, instalment_id))

    found.extend(await _silent(session, now, cadence))
    return [
        occasion
        for occasion in found
        if occasion.expires_at > now and occasion.due_at <= now + timedelta(days=1)
    ]


async def _silent(session: AsyncSession, now: datetime, cadence: Cadence) -> list[Occasion]:
    """Past-due accounts with nothing agreed, from whose customer nothing was heard and to whom
    nothing was sent for `re_engage_after_silence` days: one contact per such span."""
    quiet = timedelta(days=cadence.re_engage_after_silence)
    heard = (
        select(func.max(Message.created_at))
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(Conversation.customer_id == Account.customer_id, Message.direction == Direction.INBOUND)
        .scalar_subquery()
    )
    contacted = (
        select(func.max(PlannedContact.sent_at))
        .where(PlannedContact.account_id == Account.id, PlannedContact.status == ContactStatus.SENT)
        .scalar_subquery()
    )
    agreed = select(Arrangement.id).where(
        Arrangement.account_id == Account.id, Arrangement.status.in_(_STANDING)
    )
    rows = await session.execute(
        select(Account.id, heard, contacted).where(
            Account.status == AccountStatus.PAST_DUE, Account.balance_minor > 0, ~agreed.exists()
        )
    )
    span = max(cadence.re_engage_after_silence, 1)
    period = (now.date() - date(2000, 1, 1)).days // span
    found = []
    for account_id, last_heard, last_sent in rows:
        if last_sent is None:
            continue  # the first contact comes first
        if max(last_sent, last_heard or last_sent) <= now - quiet:
            key = f"re_engage:{account_id}:{period}"
            found.append(
                Occasion(
                    account_id, ContactKind.RE_ENGAGE, key, now, now + timedelta(days=cadence.drop_after)
                )
            )
    return found


async def plan(session: AsyncSession, now: datetime, cadence: Cadence) -> list[int]:
    """Store every occasion not planned before; returns the new rows' ids (planning twice, or in
    two processes at once, plans nothing twice)."""
    found = {occasion.key: occasion for occasion in await occasions(session, now, cadence)}
    keys = list(found)
    for start in range(0, len(keys), 500):  # most were planned on an earlier pass
        chunk = keys[start : start + 500]
        for key in await session.scalars(
            select(PlannedContact.occasion).where(PlannedContact.occasion.in_(chunk))
        ):
            del found[key]
    if not found:
        return []
    insert = postgresql.insert if session.bind.dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(PlannedContact)
        .values(
            [
                {
                    "account_id": occasion.account_id,
                    "instalment_id": occasion.instalment_id,
                    "kind": occasion.kind,
                    "occasion": occasion.key,
                    "due_at": occasion.due_at,
                    "expires_at": occasion.expires_at,
                    "status": ContactStatus.PLANNED,
                    "created_at": now,
                }
                for occasion in found.values()
            ]
        )
        .on_conflict_do_nothing(index_elements=["occasion"])  # another process planned it meanwhile
        .returning(PlannedContact.id)
    )
    return list(await session.scalars(statement))


async def still_holds(session: AsyncSession, planned: PlannedContact) -> bool:
    """Whether the occasion is still true right before sending (nothing was paid or agreed since)."""
    account = await session.get(Account, planned.account_id)
    if account is None or account.balance_minor <= 0 or account.status == AccountStatus.RECALLED:
        return False
    if planned.kind == ContactKind.FIRST_CONTACT:
        return account.status == AccountStatus.PAST_DUE and account.overdue_minor > 0
    if planned.kind == ContactKind.BEFORE_DUE:
        return account.status == AccountStatus.CURRENT and planned.occasion.endswith(f":{account.due_date}")
    if planned.kind == ContactKind.RE_ENGAGE:
        agreed = select(Arrangement.id).where(
            Arrangement.account_id == account.id, Arrangement.status.in_(_STANDING)
        )
        return account.status == AccountStatus.PAST_DUE and not await session.scalar(agreed.exists().select())
    found = (
        await session.execute(
            select(Instalment.status, Instalment.due_date, Arrangement.status)
            .join(Arrangement, Arrangement.id == Instalment.arrangement_id)
            .where(Instalment.id == planned.instalment_id)
        )
    ).one_or_none()
    if found is None:
        return False
    status, due_date, arrangement_status = found
    return (
        status != InstalmentStatus.PAID
        and arrangement_status == ArrangementStatus.ACTIVE
        and planned.occasion.endswith(f":{due_date}")
    )
