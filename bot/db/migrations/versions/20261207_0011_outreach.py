"""outreach: planned contacts and every decision about them; what the customer asked of them

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.db.types import UTCDateTime


revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('customers') as batch:
        batch.add_column(sa.Column('region', sa.String(length=8), nullable=True))
        batch.add_column(sa.Column('contact_channel', sa.String(length=16), nullable=True))
        batch.add_column(sa.Column('contact_hours', sa.String(length=16), nullable=True))
    op.create_table(
        'planned_contacts',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('account_id', sa.Integer(), sa.ForeignKey('accounts.id'), nullable=False),
        sa.Column('instalment_id', sa.Integer(), sa.ForeignKey('instalments.id'), nullable=True),
        sa.Column('kind', sa.String(length=24), nullable=False),
        sa.Column('occasion', sa.String(length=96), nullable=False),
        sa.Column('due_at', UTCDateTime(), nullable=False),
        sa.Column('expires_at', UTCDateTime(), nullable=False),
        sa.Column('status', sa.String(length=24), nullable=False),
        sa.Column('rule', sa.String(length=160), nullable=True),
        sa.Column('channel', sa.String(length=16), nullable=True),
        sa.Column('message_id', sa.Integer(), sa.ForeignKey('messages.id'), nullable=True),
        sa.Column('sent_at', UTCDateTime(), nullable=True),
        sa.Column('claimed_until', UTCDateTime(), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.UniqueConstraint('occasion', name='uq_planned_contacts_occasion'),
    )
    op.create_index('ix_planned_contacts_account_id', 'planned_contacts', ['account_id'])
    op.create_index('ix_planned_contacts_due', 'planned_contacts', ['status', 'due_at'])
    op.create_table(
        'contact_decisions',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('planned_contact_id', sa.Integer(), sa.ForeignKey('planned_contacts.id'), nullable=False),
        sa.Column('at', UTCDateTime(), nullable=False),
        sa.Column('verdict', sa.String(length=8), nullable=False),
        sa.Column('rule', sa.String(length=160), nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=True),
        sa.Column('not_before', UTCDateTime(), nullable=True),
    )
    op.create_index('ix_contact_decisions_planned_contact_id', 'contact_decisions', ['planned_contact_id'])


def downgrade() -> None:
    op.drop_table('contact_decisions')
    op.drop_table('planned_contacts')
    with op.batch_alter_table('customers') as batch:
        for column in ('contact_hours', 'contact_channel', 'region'):
            batch.drop_column(column)
