"""names and email encrypted, dates of birth kept only as a keyed hash, web sessions by digest,
and the country a web chat seems to be in

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 13:00:00

One way only: a date of birth is not kept, so a downgrade cannot bring it back.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.db.protection import protection


revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PERSONAL = ('full_name', 'given_name', 'family_name', 'email')


def upgrade() -> None:
    with op.batch_alter_table('customers') as batch:
        batch.add_column(sa.Column('date_of_birth_digest', sa.String(length=80), nullable=True))
        for column in PERSONAL:
            batch.alter_column(column, type_=sa.Text())
    customers = sa.table(
        'customers',
        sa.column('id', sa.Integer()),
        sa.column('date_of_birth', sa.Date()),
        sa.column('date_of_birth_digest', sa.String()),
        *(sa.column(column, sa.Text()) for column in PERSONAL),
    )
    connection = op.get_bind()
    keys = protection()
    for row in connection.execute(sa.select(customers)).mappings().all():
        values = {column: keys.encrypt(row[column]) for column in PERSONAL if row[column] is not None}
        values['date_of_birth_digest'] = keys.birth_digest(row['date_of_birth'])
        connection.execute(sa.update(customers).where(customers.c.id == row['id']).values(**values))
    with op.batch_alter_table('customers') as batch:
        batch.alter_column('date_of_birth_digest', nullable=False)
        batch.drop_column('date_of_birth')
    with op.batch_alter_table('conversations') as batch:
        batch.add_column(sa.Column('web_session_digest', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('region', sa.String(length=2), nullable=True))
        batch.create_unique_constraint('uq_conversations_web_session_digest', ['web_session_digest'])


def downgrade() -> None:
    raise NotImplementedError('dates of birth are no longer stored: restore a backup to go back')
