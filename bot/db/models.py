"""Concord's tables. Money is integer minor units beside an ISO 4217 code; times are UTC-aware."""

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import true as sa_true
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from bot.db.protection import Encrypted
from bot.db.types import UTCDateTime, utcnow


class Base(DeclarativeBase):
    pass


def _enum(cls: type[StrEnum]) -> Enum:
    # Stored as plain strings so adding a state later needs no database type change.
    return Enum(cls, native_enum=False, length=24, values_callable=lambda e: [m.value for m in e])


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class Sender(StrEnum):
    CUSTOMER = "customer"
    BOT = "bot"
    AGENT = "agent"
    SYSTEM = "system"


class MessageStatus(StrEnum):
    RECEIVED = "received"  # inbound, being handled
    PENDING = "pending"  # inbound, waiting for the assistant to be reachable again
    ANSWERED = "answered"  # inbound, the assistant replied
    REJECTED = "rejected"  # inbound, refused (too long, malformed); kept for the record
    WITH_PERSON = "with_person"  # inbound, for the person who has the conversation
    NOT_ANSWERED = "not_answered"  # inbound, deliberately left without a reply; `error` says why
    QUEUED = "queued"  # outbound, stored and not yet handed to the channel
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"


class AccountStatus(StrEnum):
    CURRENT = "current"
    PAST_DUE = "past_due"
    CLOSED = "closed"
    RECALLED = "recalled"  # the creditor took it back: no contact of any kind


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Names and email are encrypted at rest, the date of birth only hashed (bot.db.protection).
    full_name: Mapped[str] = mapped_column(Encrypted())
    # How each language addresses the customer (locales: `address`); None when not known.
    given_name: Mapped[str | None] = mapped_column(Encrypted())
    family_name: Mapped[str | None] = mapped_column(Encrypted())
    date_of_birth_digest: Mapped[str] = mapped_column(String(80))
    phone_e164: Mapped[str | None] = mapped_column(String(20), unique=True)
    email: Mapped[str | None] = mapped_column(Encrypted())
    language: Mapped[str] = mapped_column(String(8))
    locale: Mapped[str] = mapped_column(String(16))  # Babel locale, e.g. en_AU, id_ID
    timezone: Mapped[str] = mapped_column(String(64))  # IANA name
    jurisdiction: Mapped[str] = mapped_column(String(8))  # ISO 3166 country code
    # The state or province (ISO 3166-2 suffix: NSW, CA), for its public holidays; None if unknown.
    region: Mapped[str | None] = mapped_column(String(8))
    # What the customer asked of messages we start: one channel only, and hours ("17:00-19:30").
    contact_channel: Mapped[str | None] = mapped_column(String(16))
    contact_hours: Mapped[str | None] = mapped_column(String(16))
    # Why nothing about money may reach this person on any channel until a person lifts it
    # (bot.domain.pauses.CarePause: a crisis, family violence, a bereavement).
    care_pause: Mapped[str | None] = mapped_column(String(24))
    care_paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    accounts: Mapped[list["Account"]] = relationship(back_populates="customer")


class Account(Base):
    __tablename__ = "accounts"
    __table_args__ = (
        CheckConstraint("balance_minor >= 0", name="balance_not_negative"),
        CheckConstraint("overdue_minor >= 0", name="overdue_not_negative"),
        CheckConstraint("minimum_payment_minor >= 0", name="minimum_not_negative"),
        CheckConstraint("fees_minor >= 0", name="fees_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    product: Mapped[str] = mapped_column(String(120))
    currency: Mapped[str] = mapped_column(String(3))
    balance_minor: Mapped[int] = mapped_column(BigInteger)
    overdue_minor: Mapped[int] = mapped_column(BigInteger)
    minimum_payment_minor: Mapped[int] = mapped_column(BigInteger)
    fees_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    due_date: Mapped[date] = mapped_column(Date)
    status: Mapped[AccountStatus] = mapped_column(_enum(AccountStatus))
    # While set, no reminders or collection messages go out (a claim, dispute or review is open).
    collection_paused_reason: Mapped[str | None] = mapped_column(String(32))
    collection_paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    customer: Mapped[Customer] = relationship(back_populates="accounts")
    payments: Mapped[list["Payment"]] = relationship(back_populates="account")


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (CheckConstraint("amount_minor > 0", name="payment_positive"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    paid_at: Mapped[datetime] = mapped_column(UTCDateTime)
    method: Mapped[str] = mapped_column(String(32))  # api, stripe, demo
    # The creditor's or provider's own id for it: posting the same one twice stores it once.
    external_reference: Mapped[str | None] = mapped_column(String(64), unique=True)
    # What of it brought the overdue amount down, so a reversal puts back exactly that.
    overdue_applied_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    reversed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    account: Mapped[Account] = relationship(back_populates="payments")


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (Index("ix_conversations_channel_user", "channel", "channel_user_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=lambda: str(uuid.uuid4()))
    channel: Mapped[str] = mapped_column(String(16))
    channel_user_id: Mapped[str] = mapped_column(String(128))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    language: Mapped[str] = mapped_column(String(8))
    # How the language was chosen: default, browser, profile, telegram (a guess to start from),
    # or asked, picker, detected (the customer's own choice or writing).
    language_source: Mapped[str] = mapped_column(String(16), default="default", server_default="default")
    verified_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The web chat's current session token, as a digest (api.session_tokens); a new one is
    # issued on every connection and when identity is checked, and the old one stops working.
    web_session_digest: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The country the customer seems to be in before we know them (a web chat: the browser's
    # time zone), for the crisis lines of the right place.
    region: Mapped[str | None] = mapped_column(String(2))
    # A vulnerability cue we asked the customer's consent to note, until they answer (bot.gateway.care).
    pending_consent: Mapped[str | None] = mapped_column(String(24))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_message_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    messages: Mapped[list["Message"]] = relationship(back_populates="conversation", order_by="Message.id")


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("channel", "channel_message_id", name="uq_messages_channel_message_id"),
        Index("ix_messages_conversation", "conversation_id", "id"),
        Index("ix_messages_status", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"))
    direction: Mapped[Direction] = mapped_column(_enum(Direction))
    sender: Mapped[Sender] = mapped_column(_enum(Sender))
    channel: Mapped[str] = mapped_column(String(16))
    channel_message_id: Mapped[str | None] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text)
    buttons: Mapped[list[dict[str, str]] | None] = mapped_column(JSON)
    status: Mapped[MessageStatus] = mapped_column(_enum(MessageStatus))
    error: Mapped[str | None] = mapped_column(String(200))
    # Inbound: times the assistant answered it with an error (not counting being unreachable).
    # Outbound: delivery attempts the provider turned away.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # What the assistant was given when it differs from what was typed ("2" → a button payload).
    interpreted: Mapped[str | None] = mapped_column(Text)
    # Outbound delivery: when to try next, and until when a worker holds it (a crash frees it).
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Why it is sent, where that changes the rules (an opt-out confirmation goes to an opted-out number).
    purpose: Mapped[str | None] = mapped_column(String(32))
    language: Mapped[str | None] = mapped_column(String(8))
    # Inbound: the language the customer wrote in, when it could be told (bot.understanding.language).
    detected_language: Mapped[str | None] = mapped_column(String(8))
    # Inbound: how the message feels (bot.understanding.sentiment), −1 upset … 1 pleased, and its label.
    sentiment_score: Mapped[float | None] = mapped_column(Float)
    sentiment_label: Mapped[str | None] = mapped_column(String(8))
    # Inbound: the vulnerability cue it shows (bot.understanding.vulnerability), if any.
    vulnerability_cue: Mapped[str | None] = mapped_column(String(24))
    # Outbound from a person: which agent wrote it.
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    conversation: Mapped[Conversation] = relationship(back_populates="messages")


class DeepLink(Base):
    """A link that opens a chat app already knowing whose chat it is (Telegram's /start
    payload): random, stored only as a hash, with an expiry, and bound to the first chat that
    uses it. It proves possession of the link, not identity; the customer still verifies."""

    __tablename__ = "deep_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    channel: Mapped[str] = mapped_column(String(16))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_by: Mapped[str | None] = mapped_column(String(128))  # the chat that opened it first
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class VerificationAttempt(Base):
    __tablename__ = "verification_attempts"
    __table_args__ = (
        Index("ix_verification_conversation", "conversation_id", "created_at"),
        Index("ix_verification_account", "account_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"))
    # The account the reference named, if any; internal only, never shown to the customer.
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    succeeded: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    conversation_id: Mapped[str | None] = mapped_column(String(36), index=True)
    customer_id: Mapped[int | None] = mapped_column(Integer)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ArrangementKind(StrEnum):
    INSTALMENTS = "instalments"
    PROMISE = "promise"  # one payment on a date the customer chose, e.g. payday
    HARDSHIP = "hardship"  # reduced payments or a pause, approved by a person


class ArrangementStatus(StrEnum):
    ACTIVE = "active"
    PENDING_APPROVAL = "pending_approval"
    COMPLETED = "completed"
    LAPSED = "lapsed"
    DECLINED = "declined"
    REPLACED = "replaced"  # the customer agreed a new plan instead
    SUSPENDED = "suspended"  # a hardship request is with a person: nothing is asked of it meanwhile


class InstalmentStatus(StrEnum):
    DUE = "due"
    PAID = "paid"
    MISSED = "missed"


class Arrangement(Base):
    __tablename__ = "arrangements"
    __table_args__ = (CheckConstraint("total_minor >= 0", name="arrangement_total_not_negative"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str | None] = mapped_column(String(16), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    conversation_id: Mapped[str | None] = mapped_column(ForeignKey("conversations.id"))
    kind: Mapped[ArrangementKind] = mapped_column(_enum(ArrangementKind))
    status: Mapped[ArrangementStatus] = mapped_column(_enum(ArrangementStatus))
    frequency: Mapped[str | None] = mapped_column(String(16))
    total_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # Loaded with the arrangement: async sessions cannot load lazily later.
    instalments: Mapped[list["Instalment"]] = relationship(
        back_populates="arrangement",
        order_by="Instalment.sequence",
        cascade="all, delete-orphan",
        lazy="selectin",
    )


class Instalment(Base):
    __tablename__ = "instalments"
    __table_args__ = (
        UniqueConstraint("arrangement_id", "sequence", name="uq_instalment_sequence"),
        CheckConstraint("amount_minor > 0", name="instalment_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    arrangement_id: Mapped[int] = mapped_column(ForeignKey("arrangements.id"))
    sequence: Mapped[int] = mapped_column(Integer)
    due_date: Mapped[date] = mapped_column(Date)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[InstalmentStatus] = mapped_column(_enum(InstalmentStatus), default=InstalmentStatus.DUE)
    # Set when the customer moved this instalment; the date it was first due.
    original_due_date: Mapped[date | None] = mapped_column(Date)
    paid_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_on: Mapped[date | None] = mapped_column(Date)  # the day it was paid in full: kept or late

    arrangement: Mapped[Arrangement] = relationship(back_populates="instalments", lazy="joined")


class CaseKind(StrEnum):
    ALREADY_PAID = "already_paid"
    DISPUTE = "dispute"


class Case(Base):
    """Something the customer told us that a person must look into: a payment claim, a dispute."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[CaseKind] = mapped_column(_enum(CaseKind))
    status: Mapped[str] = mapped_column(String(16), default="open")
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Consent(Base):
    """Whether we may message an address (a phone number, a chat) on a channel."""

    __tablename__ = "consents"
    __table_args__ = (UniqueConstraint("channel", "address", name="uq_consent_address"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(128))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    opted_out: Mapped[bool]
    reason: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class HandoffStatus(StrEnum):
    REQUESTED = "requested"  # waiting in the queue
    CLAIMED = "claimed"  # a person has the conversation
    RETURNED = "returned"  # handed back to the assistant
    CLOSED = "closed"  # closed by a person with an outcome


class Handoff(Base):
    """A conversation that needs a person, and why."""

    __tablename__ = "handoffs"
    __table_args__ = (Index("ix_handoffs_status", "status", "priority", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    reason: Mapped[str] = mapped_column(String(32))
    priority: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default=HandoffStatus.REQUESTED.value)
    # Whether the assistant stays silent while this is open (a hardship review waits in the
    # queue while the customer can still use the assistant, until a person claims it).
    bot_paused: Mapped[bool] = mapped_column(default=True, server_default=sa_true())
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    claimed_by: Mapped["Agent | None"] = relationship(lazy="joined")


class AgentRole(StrEnum):
    AGENT = "agent"  # works the queue and the conversations they claim
    SUPERVISOR = "supervisor"  # also sees every conversation and agent
    ADMIN = "admin"  # also manages users


class Agent(Base):
    """A person who signs in to the console."""

    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(200))  # argon2
    role: Mapped[AgentRole] = mapped_column(_enum(AgentRole))
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AgentSession(Base):
    """A signed-in browser: only a hash of its cookie is stored, with its CSRF token."""

    __tablename__ = "agent_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"), index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    agent: Mapped[Agent] = relationship(lazy="joined")


class Note(Base):
    """An agent's internal note on a conversation; never sent to the customer."""

    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    agent: Mapped[Agent] = relationship(lazy="joined")


class VulnerabilityFlag(Base):
    """A vulnerability the customer agreed we note (DOMAIN.md), shown first to any agent."""

    __tablename__ = "vulnerability_flags"
    __table_args__ = (UniqueConstraint("customer_id", "cue", name="uq_flag_customer_cue"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Unknown until the customer is identified; the conversation still shows it.
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    cue: Mapped[str] = mapped_column(String(24))
    conversation_id: Mapped[str | None] = mapped_column(ForeignKey("conversations.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ContactKind(StrEnum):
    """Why the assistant starts a conversation (creditor.yml `outreach.cadence`)."""

    FIRST_CONTACT = "first_contact"  # the account has just fallen past due
    BEFORE_DUE = "before_due"
    MISSED_PAYMENT = "missed_payment"  # an instalment of a plan was missed
    BEFORE_INSTALMENT = "before_instalment"
    BROKEN_PROMISE = "broken_promise"  # a promised payment did not come
    RE_ENGAGE = "re_engage"  # nothing heard for a while and nothing agreed


class ContactStatus(StrEnum):
    PLANNED = "planned"  # waits for `due_at`; a deferral moves it
    SENT = "sent"  # handed to the outbox as `message_id`
    SKIPPED = "skipped"  # will never go; `rule` says why


class PlannedContact(Base):
    """A message the assistant means to start, planned from the cadence, sent when the contact
    policy allows (bot.outreach)."""

    __tablename__ = "planned_contacts"
    __table_args__ = (Index("ix_planned_contacts_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    instalment_id: Mapped[int | None] = mapped_column(ForeignKey("instalments.id"))  # the one it is about
    kind: Mapped[ContactKind] = mapped_column(_enum(ContactKind))
    # One contact per occasion ("before_instalment:41"): planning twice plans nothing new.
    occasion: Mapped[str] = mapped_column(String(96), unique=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)  # after this it would make no sense
    status: Mapped[ContactStatus] = mapped_column(_enum(ContactStatus), default=ContactStatus.PLANNED)
    rule: Mapped[str | None] = mapped_column(String(160))  # what the latest decision rested on
    channel: Mapped[str | None] = mapped_column(String(16))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ContactDecision(Base):
    """Every decision about a planned contact: sent, deferred until when, or skipped and why."""

    __tablename__ = "contact_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    planned_contact_id: Mapped[int] = mapped_column(ForeignKey("planned_contacts.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    verdict: Mapped[str] = mapped_column(String(8))  # planned, send, defer, never
    rule: Mapped[str] = mapped_column(String(160))
    channel: Mapped[str | None] = mapped_column(String(16))
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ApiKey(Base):
    """A key the creditor's systems call `/api/v1` with: only a digest of its secret is kept."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))  # what the creditor calls the system that holds it
    key_id: Mapped[str] = mapped_column(String(16), unique=True)  # the public part, in every log line
    secret_digest: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class IdempotentRequest(Base):
    """A request made with an `Idempotency-Key`, and the answer it got: a repeat gets the same answer."""

    __tablename__ = "idempotent_requests"
    __table_args__ = (UniqueConstraint("api_key_id", "key", name="uq_idempotent_request_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id"))
    key: Mapped[str] = mapped_column(String(128))
    request_digest: Mapped[str] = mapped_column(
        String(64)
    )  # method, path and body: a reuse for another request is refused
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[Any] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PaymentAllocation(Base):
    """How much of a payment went to which instalment, so a reversal can undo exactly that."""

    __tablename__ = "payment_allocations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    instalment_id: Mapped[int] = mapped_column(ForeignKey("instalments.id"), index=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)


class EventKind(StrEnum):
    """What the creditor hears about (webhooks and `GET /api/v1/events`)."""

    ARRANGEMENT_CREATED = "arrangement.created"
    ARRANGEMENT_CHANGED = "arrangement.changed"
    PROMISE_MADE = "promise.made"
    PROMISE_KEPT = "promise.kept"
    PROMISE_BROKEN = "promise.broken"
    PAYMENT_APPLIED = "payment.applied"
    PAYMENT_REVERSED = "payment.reversed"
    INSTALMENT_MISSED = "instalment.missed"
    PLAN_COMPLETED = "plan.completed"
    PLAN_BROKEN = "plan.broken"
    OPT_OUT = "opt_out"
    DISPUTE = "dispute.opened"
    HARDSHIP_REQUESTED = "hardship.requested"
    HARDSHIP_DECIDED = "hardship.decided"
    HANDOFF_REQUESTED = "handoff.requested"
    HANDOFF_ENDED = "handoff.ended"


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # to be sent when `next_attempt_at` comes
    DELIVERED = "delivered"  # the creditor's endpoint answered 2xx
    FAILED = "failed"  # every attempt turned away; a replay from the console sends it again


class CreditorEvent(Base):
    """Something the creditor's systems hear about, stored in the transaction that made it
    happen and then delivered to the creditor's webhook with retries (bot.creditor.webhooks)."""

    __tablename__ = "creditor_events"
    __table_args__ = (Index("ix_creditor_events_delivery", "delivery", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[EventKind] = mapped_column(_enum(EventKind))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    delivery: Mapped[DeliveryStatus] = mapped_column(_enum(DeliveryStatus), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebhookAttempt(Base):
    """One try at delivering an event: the delivery log the console shows."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("creditor_events.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(200))


class SatisfactionSurvey(Base):
    """The one question asked when a conversation ends well (CSAT), and the answer, 1 to 5."""

    __tablename__ = "satisfaction_surveys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8))
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    score: Mapped[int | None] = mapped_column(Integer)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
