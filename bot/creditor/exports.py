"""CSV exports for the creditor's system of record: arrangements, outcomes per account, contacts.

Each export is one SQL query with its aggregates done by the database; rows are streamed.
"""

import csv
import io
from collections.abc import AsyncIterator
from datetime import datetime

from sqlalchemy import Select, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import (
    Account,
    Arrangement,
    Case,
    Consent,
    ContactStatus,
    Conversation,
    Handoff,
    Instalment,
    InstalmentStatus,
    Payment,
    PlannedContact,
)


def _arrangements(since: datetime | None, until: datetime | None) -> Select:
    paid = func.sum(case((Instalment.status == InstalmentStatus.PAID, 1), else_=0))
    kept = func.sum(
        case(
            ((Instalment.status == InstalmentStatus.PAID) & (Instalment.paid_on <= Instalment.due_date), 1),
            else_=0,
        )
    )
    missed = func.sum(case((Instalment.status == InstalmentStatus.MISSED, 1), else_=0))
    next_due = func.min(case((Instalment.status == InstalmentStatus.DUE, Instalment.due_date)))
    query = (
        select(
            Account.reference.label("account"),
            Arrangement.reference.label("arrangement"),
            Arrangement.kind,
            Arrangement.status,
            Arrangement.frequency,
            Arrangement.total_minor,
            Arrangement.currency,
            Arrangement.created_at,
            func.count(Instalment.id).label("instalments"),
            paid.label("paid"),
            kept.label("kept"),
            missed.label("missed"),
            func.coalesce(func.sum(Instalment.paid_minor), 0).label("paid_minor"),
            next_due.label("next_due"),
        )
        .join(Account, Account.id == Arrangement.account_id)
        .outerjoin(Instalment, Instalment.arrangement_id == Arrangement.id)
        .group_by(Arrangement.id, Account.reference)
        .order_by(Arrangement.id)
    )
    return _within(query, Arrangement.created_at, since, until)


def _outcomes(since: datetime | None, until: datetime | None) -> Select:
    def per_account(column, *where):
        return select(column).where(*where).correlate(Account).scalar_subquery()

    collected = per_account(
        func.coalesce(func.sum(Payment.amount_minor), 0),
        Payment.account_id == Account.id,
        Payment.reversed_at.is_(None),
    )
    arrangements = per_account(func.count(Arrangement.id), Arrangement.account_id == Account.id)
    latest = (
        select(Arrangement.status)
        .where(Arrangement.account_id == Account.id)
        .order_by(Arrangement.id.desc())
        .limit(1)
        .correlate(Account)
        .scalar_subquery()
    )
    verified = per_account(func.count(Conversation.id), Conversation.verified_account_id == Account.id)
    handoffs = (
        select(func.count(Handoff.id))
        .join(Conversation, Conversation.id == Handoff.conversation_id)
        .where(Conversation.verified_account_id == Account.id)
        .correlate(Account)
        .scalar_subquery()
    )
    disputes = per_account(func.count(Case.id), Case.account_id == Account.id)
    opted_out = per_account(
        func.count(Consent.id), Consent.customer_id == Account.customer_id, Consent.opted_out.is_(True)
    )
    query = select(
        Account.reference.label("account"),
        Account.status,
        Account.currency,
        Account.balance_minor,
        Account.overdue_minor,
        collected.label("collected_minor"),
        arrangements.label("arrangements"),
        latest.label("latest_arrangement_status"),
        verified.label("verified_conversations"),
        handoffs.label("handoffs"),
        disputes.label("disputes"),
        opted_out.label("opted_out_addresses"),
        Account.collection_paused_reason.label("collection_paused"),
    ).order_by(Account.id)
    return _within(query, Account.created_at, since, until)


def _contacts(since: datetime | None, until: datetime | None) -> Select:
    query = (
        select(
            Account.reference.label("account"),
            PlannedContact.kind,
            PlannedContact.status,
            PlannedContact.channel,
            PlannedContact.rule,
            PlannedContact.due_at,
            PlannedContact.sent_at,
        )
        .join(Account, Account.id == PlannedContact.account_id)
        .where(PlannedContact.status != ContactStatus.PLANNED)
        .order_by(PlannedContact.id)
    )
    return _within(query, PlannedContact.due_at, since, until)


EXPORTS = {"arrangements": _arrangements, "outcomes": _outcomes, "contacts": _contacts}


def _within(query: Select, column, since: datetime | None, until: datetime | None) -> Select:
    if since is not None:
        query = query.where(column >= since)
    if until is not None:
        query = query.where(column < until)
    return query


async def csv_rows(
    session: AsyncSession, name: str, since: datetime | None, until: datetime | None
) -> AsyncIterator[str]:
    """The export as CSV text, a chunk of lines at a time, header first."""
    result = await session.stream(EXPORTS[name](since, until))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(result.keys())
    async for chunk in result.partitions(500):
        for row in chunk:
            writer.writerow([_cell(value) for value in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():  # the header alone, when there are no rows
        yield buffer.getvalue()


def _cell(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    return getattr(value, "value", value)
