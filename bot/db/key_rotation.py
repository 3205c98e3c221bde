"""Moving personal data at rest onto the newest data key (bot.db.protection)."""

from dataclasses import dataclass

from sqlalchemy import Integer, String, Text, column, func, select, table, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.protection import protection

# The encrypted columns as stored: through the model they would read as plain text.
_ENCRYPTED = [column(name, Text) for name in ("full_name", "given_name", "family_name", "email")]
_CUSTOMERS = table("customers", column("id", Integer), column("date_of_birth_digest", String), *_ENCRYPTED)


@dataclass(frozen=True)
class Rotated:
    customers: int
    # Dates of birth still hashed under an older key: they move when their owner next verifies,
    # and until then that key must stay listed.
    older_birth_hashes: int


async def rotate_keys(session: AsyncSession) -> Rotated:
    keys = protection()
    rows = (await session.execute(select(_CUSTOMERS.c.id, *_ENCRYPTED))).all()
    for row in rows:
        values = {column.name: keys.rotate(row[i + 1]) for i, column in enumerate(_ENCRYPTED) if row[i + 1]}
        await session.execute(update(_CUSTOMERS).where(_CUSTOMERS.c.id == row.id).values(**values))
    older = await session.scalar(
        select(func.count())
        .select_from(_CUSTOMERS)
        .where(~_CUSTOMERS.c.date_of_birth_digest.startswith(f"{keys.current_id}:"))
    )
    return Rotated(len(rows), older or 0)
