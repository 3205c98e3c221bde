"""the creditor's side: API keys, idempotent requests, payments applied to instalments, events
out with their delivery log, satisfaction surveys

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.db.types import UTCDateTime


revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'api_keys',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('key_id', sa.String(length=16), nullable=False),
        sa.Column('secret_digest', sa.String(length=64), nullable=False),
        sa.Column('scopes', sa.JSON(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('revoked_at', UTCDateTime(), nullable=True),
        sa.Column('last_used_at', UTCDateTime(), nullable=True),
        sa.UniqueConstraint('key_id', name='uq_api_keys_key_id'),
    )
    op.create_table(
        'idempotent_requests',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('api_key_id', sa.Integer(), sa.ForeignKey('api_keys.id'), nullable=False),
        sa.Column('key', sa.String(length=128), nullable=False),
        sa.Column('request_digest', sa.String(length=64), nullable=False),
        sa.Column('status_code', sa.Integer(), nullable=False),
        sa.Column('response', sa.JSON(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.UniqueConstraint('api_key_id', 'key', name='uq_idempotent_request_key'),
    )
    with op.batch_alter_table('payments') as batch:
        batch.add_column(sa.Column('overdue_applied_minor', sa.BigInteger(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('reversed_at', UTCDateTime(), nullable=True))
        batch.create_unique_constraint('uq_payments_external_reference', ['external_reference'])
    with op.batch_alter_table('instalments') as batch:
        batch.add_column(sa.Column('paid_minor', sa.BigInteger(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('paid_on', sa.Date(), nullable=True))
    op.create_table(
        'payment_allocations',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('payment_id', sa.Integer(), sa.ForeignKey('payments.id'), nullable=False),
        sa.Column('instalment_id', sa.Integer(), sa.ForeignKey('instalments.id'), nullable=False),
        sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    )
    op.create_index('ix_payment_allocations_payment_id', 'payment_allocations', ['payment_id'])
    op.create_index('ix_payment_allocations_instalment_id', 'payment_allocations', ['instalment_id'])
    op.create_table(
        'creditor_events',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('kind', sa.String(length=24), nullable=False),
        sa.Column('account_id', sa.Integer(), sa.ForeignKey('accounts.id'), nullable=True),
        sa.Column('occurred_at', UTCDateTime(), nullable=False),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.Column('delivery', sa.String(length=24), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', UTCDateTime(), nullable=True),
        sa.Column('claimed_until', UTCDateTime(), nullable=True),
        sa.Column('delivered_at', UTCDateTime(), nullable=True),
    )
    op.create_index('ix_creditor_events_account_id', 'creditor_events', ['account_id'])
    op.create_index('ix_creditor_events_delivery', 'creditor_events', ['delivery', 'next_attempt_at'])
    op.create_table(
        'webhook_attempts',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('event_id', sa.Integer(), sa.ForeignKey('creditor_events.id'), nullable=False),
        sa.Column('at', UTCDateTime(), nullable=False),
        sa.Column('status_code', sa.Integer(), nullable=True),
        sa.Column('error', sa.String(length=200), nullable=True),
    )
    op.create_index('ix_webhook_attempts_event_id', 'webhook_attempts', ['event_id'])
    op.create_table(
        'satisfaction_surveys',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('conversation_id', sa.String(length=36), sa.ForeignKey('conversations.id'), nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=False),
        sa.Column('asked_at', UTCDateTime(), nullable=False),
        sa.Column('score', sa.Integer(), nullable=True),
        sa.Column('answered_at', UTCDateTime(), nullable=True),
    )
    op.create_index('ix_satisfaction_surveys_conversation_id', 'satisfaction_surveys', ['conversation_id'])


def downgrade() -> None:
    op.drop_table('satisfaction_surveys')
    op.drop_table('webhook_attempts')
    op.drop_table('creditor_events')
    op.drop_table('payment_allocations')
    with op.batch_alter_table('instalments') as batch:
        batch.drop_column('paid_on')
        batch.drop_column('paid_minor')
    with op.batch_alter_table('payments') as batch:
        batch.drop_constraint('uq_payments_external_reference', type_='unique')
        batch.drop_column('reversed_at')
        batch.drop_column('overdue_applied_minor')
    op.drop_table('idempotent_requests')
    op.drop_table('api_keys')
