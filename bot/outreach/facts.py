"""What the contact policy is told about a customer, an account and each channel, read from the
database: pauses, opt-outs, what the customer asked for, where they may be and what they opened."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

import phonenumbers
from phonenumbers import timezone as number_zones
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.base import SendingChannel
from bot.db.models import (
    Account,
    AccountStatus,
    Case,
    Consent,
    ContactStatus,
    Conversation,
    Customer,
    Direction,
    Message,
    MessageStatus,
    PlannedContact,
)
from bot.outreach.contact_policy import CAP_SPANS, ChannelState, Recipient

# A number that names more zones than this says nothing about where its owner is (a mobile).
_PLACE_ZONES = 2


@dataclass(frozen=True)
class Route:
    """One channel the customer could be reached on, and the address there."""

    state: ChannelState
    address: str | None


def possible_zones(home: str, phone: str | None) -> tuple[str, ...]:
    """The customer's zone, and the zones their number's area code names when they differ: the
    rules must then hold in all of them (Regulation F, where a consumer's location is unclear)."""
    zones = [home]
    if phone:
        try:
            named = number_zones.time_zones_for_number(phonenumbers.parse(phone))
        except phonenumbers.NumberParseException:
            named = ()
        if len(named) <= _PLACE_ZONES and "Etc/Unknown" not in named:
            zones.extend(named)
    return tuple(dict.fromkeys(zones))


async def recipient(session: AsyncSession, customer: Customer, account: Account) -> Recipient:
    # A dispute or a payment claim said from the customer's number before anyone was identified
    # pauses no account (it may not be theirs), but nothing is started while a person looks at it.
    cases = await session.scalars(
        select(Case.kind)
        .join(Conversation, Conversation.id == Case.conversation_id)
        .where(
            Case.status == "open", or_(Case.account_id == account.id, Conversation.customer_id == customer.id)
        )
    )
    suppressed = [
        reason
        for reason in (
            customer.care_pause,
            account.collection_paused_reason,
            account.status.value
            if account.status in (AccountStatus.RECALLED, AccountStatus.CLOSED)
            else None,
            *(kind.value for kind in cases),
        )
        if reason
    ]
    wished = None
    if customer.contact_hours:
        opens, closes = (time.fromisoformat(part) for part in customer.contact_hours.split("-"))
        wished = (opens, closes)
    return Recipient(
        jurisdiction=customer.jurisdiction,
        region=customer.region,
        timezones=possible_zones(customer.timezone, customer.phone_e164),
        suppressed=tuple(dict.fromkeys(suppressed)),
        only_channel=customer.contact_channel,
        wished_hours=wished,
    )


async def routes(
    session: AsyncSession,
    customer: Customer,
    senders: dict[str, SendingChannel],
    enabled: list[str],
    templates: dict[str, str],
    now: datetime,
) -> list[Route]:
    """Every channel switched on for outreach, in the deployment's order of preference."""
    addresses: dict[str, str | None] = {}
    for name in enabled:
        sender = senders.get(name)
        if sender is None or not sender.allows.business_may_start:
            continue
        if sender.allows.phone_numbers:
            addresses[name] = customer.phone_e164
        else:  # a chat the customer opened (Telegram: by pressing Start)
            addresses[name] = await session.scalar(
                select(Conversation.channel_user_id)
                .where(Conversation.channel == name, Conversation.customer_id == customer.id)
                .order_by(Conversation.last_message_at.desc())
                .limit(1)
            )
    consents = {
        consent.channel: consent
        for consent in await session.scalars(
            select(Consent).where(
                Consent.channel.in_(list(addresses)),
                Consent.address.in_([address for address in addresses.values() if address]),
            )
        )
        if consent.address == addresses[consent.channel]
    }
    found = []
    for name in enabled:
        sender = senders.get(name)
        if name not in addresses:  # not set up in this deployment, or a channel nobody can be reached on
            state = ChannelState(name, configured=sender is not None, business_may_start=sender is None)
            found.append(Route(state, None))
            continue
        address, allows, consent = addresses[name], sender.allows, consents.get(name)
        window_open = True
        if allows.window_hours is not None:
            window_open = await _wrote_since(
                session, name, address, now - timedelta(hours=allows.window_hours)
            )
        opted_out = None
        if consent is not None and consent.opted_out:
            opted_out = "wrong_person" if consent.reason == "wrong_person" else "opted_out"
        state = ChannelState(
            name,
            configured=True,
            business_may_start=True,
            started=address is not None,
            opted_out=opted_out,
            window_hours=allows.window_hours,
            window_open=window_open,
            opted_in=consent is not None and not consent.opted_out and consent.reason == "opted_in",
            has_template=customer.language in templates,
        )
        found.append(Route(state, address))
    return found


async def _wrote_since(session: AsyncSession, channel: str, address: str | None, since: datetime) -> bool:
    if address is None:
        return False
    last = await session.scalar(
        select(func.max(Message.created_at))
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(
            Conversation.channel == channel,
            Conversation.channel_user_id == address,
            Message.direction == Direction.INBOUND,
        )
    )
    return last is not None and last >= since


async def ledger(session: AsyncSession, account_id: int, now: datetime) -> list[datetime]:
    """When contacts the assistant started on this account reached (or are on their way to) the
    customer, on any channel, within the longest cap's span."""
    return list(
        await session.scalars(
            select(PlannedContact.sent_at)
            .join(Message, Message.id == PlannedContact.message_id)
            .where(
                PlannedContact.account_id == account_id,
                PlannedContact.status == ContactStatus.SENT,
                PlannedContact.sent_at > now - max(CAP_SPANS.values()),
                Message.status != MessageStatus.FAILED,
            )
        )
    )
