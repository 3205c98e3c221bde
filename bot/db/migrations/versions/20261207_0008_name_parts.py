"""a customer's given and family names, so each language can address them as its customers expect

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable: a name we cannot split is used whole, which is polite in every language.
    with op.batch_alter_table('customers') as batch:
        batch.add_column(sa.Column('given_name', sa.String(length=100), nullable=True))
        batch.add_column(sa.Column('family_name', sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('customers') as batch:
        batch.drop_column('family_name')
        batch.drop_column('given_name')
