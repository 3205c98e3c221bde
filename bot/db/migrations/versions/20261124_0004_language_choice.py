"""language choice: how a conversation's language was chosen, and what each message was written in

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('language_source', sa.String(length=16), nullable=False, server_default='default')
        )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('detected_language', sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('detected_language')
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.drop_column('language_source')
