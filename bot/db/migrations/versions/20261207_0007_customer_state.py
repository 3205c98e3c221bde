"""a customer's state: care pauses on the customer; a web chat's address is its own conversation

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('customers') as batch:
        batch.add_column(sa.Column('care_pause', sa.String(length=24), nullable=True))
        batch.add_column(sa.Column('care_paused_at', sa.DateTime(timezone=True), nullable=True))
    # Every web chat shared the address "web", so one opt-out silenced every browser: each
    # conversation becomes its own address, and the shared opt-out (nobody's in particular) goes.
    op.execute("UPDATE conversations SET channel_user_id = id WHERE channel = 'web'")
    op.execute("DELETE FROM consents WHERE channel = 'web' AND address = 'web'")


def downgrade() -> None:
    with op.batch_alter_table('customers') as batch:
        batch.drop_column('care_paused_at')
        batch.drop_column('care_pause')
