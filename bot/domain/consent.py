"""Whether we may message someone: opt-outs are per channel and address, honoured at once."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.creditor.events import emit
from bot.db.audit import record
from bot.db.models import Account, Consent, EventKind


async def opt_out(
    session: AsyncSession, channel: str, address: str, reason: str, customer_id: int | None = None
) -> None:
    consent = await _consent(session, channel, address)
    if consent is None:
        consent = Consent(channel=channel, address=address)
        session.add(consent)
    consent.opted_out, consent.reason = True, reason
    consent.customer_id = consent.customer_id or customer_id
    record(
        session,
        "customer",
        "opted_out",
        customer_id=customer_id,
        details={"channel": channel, "reason": reason},
    )
    if customer_id is not None:
        for account in await session.scalars(select(Account).where(Account.customer_id == customer_id)):
            emit(session, EventKind.OPT_OUT, account, channel=channel, reason=reason)


async def opt_in(session: AsyncSession, channel: str, address: str, customer_id: int | None = None) -> None:
    """Recorded consent to be messaged (START, Telegram's /start, a WhatsApp opt-in)."""
    consent = await _consent(session, channel, address)
    if consent is None:
        consent = Consent(channel=channel, address=address, customer_id=customer_id)
        session.add(consent)
    consent.opted_out, consent.reason = False, "opted_in"
    record(session, "customer", "opted_in", customer_id=customer_id, details={"channel": channel})


async def is_opted_out(session: AsyncSession, channel: str, address: str) -> bool:
    consent = await _consent(session, channel, address)
    return bool(consent and consent.opted_out)


async def is_opted_in(session: AsyncSession, channel: str, address: str) -> bool:
    """An explicit, recorded opt-in (what WhatsApp templates need), not merely no opt-out."""
    consent = await _consent(session, channel, address)
    return bool(consent and not consent.opted_out and consent.reason == "opted_in")


async def _consent(session: AsyncSession, channel: str, address: str) -> Consent | None:
    return await session.scalar(select(Consent).where(Consent.channel == channel, Consent.address == address))
