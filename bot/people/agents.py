"""People who work the console: accounts with argon2 passwords, and signed-in sessions.

A session's cookie value is a random token; only its SHA-256 is stored, so a copy of the
database does not sign anyone in. Each session has its own CSRF token for changes.
"""

import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.audit import record
from bot.db.models import Agent, AgentRole, AgentSession
from bot.db.protection import token_digest
from bot.db.types import utcnow

_hasher = PasswordHasher()
# Verified when the username is unknown, so a wrong name takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))
MIN_PASSWORD_CHARS = 12


class AgentError(ValueError):
    """A user that cannot be created as asked (a taken name, a short password, an unknown role)."""


async def create_agent(
    session: AsyncSession,
    username: str,
    display_name: str,
    password: str,
    role: str,
    languages: list[str],
) -> Agent:
    username = username.strip().casefold()
    if not username or not display_name.strip():
        raise AgentError("a username and a display name are needed")
    if len(password) < MIN_PASSWORD_CHARS:
        raise AgentError(f"the password needs at least {MIN_PASSWORD_CHARS} characters")
    if role not in {r.value for r in AgentRole}:
        raise AgentError(f"role must be one of {', '.join(r.value for r in AgentRole)}")
    if await session.scalar(select(Agent.id).where(Agent.username == username)):
        raise AgentError(f"the username {username} is taken")
    agent = Agent(
        username=username,
        display_name=display_name.strip(),
        password_hash=_hasher.hash(password),
        role=AgentRole(role),
        languages=sorted(set(languages)),
        active=True,
    )
    session.add(agent)
    await session.flush()
    record(session, "system", "agent_created", details={"username": username, "role": role})
    return agent


async def authenticate(session: AsyncSession, username: str, password: str) -> Agent | None:
    agent = await session.scalar(select(Agent).where(Agent.username == username.strip().casefold()))
    try:
        _hasher.verify(agent.password_hash if agent else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if agent is None or not agent.active:
        return None
    if _hasher.check_needs_rehash(agent.password_hash):
        agent.password_hash = _hasher.hash(password)
    return agent


async def start_session(session: AsyncSession, agent: Agent, lifetime: timedelta) -> tuple[str, str]:
    """(cookie token, CSRF token) for a newly signed-in agent."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    session.add(
        AgentSession(
            token_hash=token_digest(token), csrf_token=csrf, agent_id=agent.id, expires_at=utcnow() + lifetime
        )
    )
    record(session, agent.username, "signed_in")
    return token, csrf


async def session_for(session: AsyncSession, token: str | None) -> AgentSession | None:
    """The live session a cookie belongs to; None when unknown, expired or the agent is disabled."""
    if not token:
        return None
    found = await session.scalar(select(AgentSession).where(AgentSession.token_hash == token_digest(token)))
    if found is None or found.expires_at <= utcnow() or not found.agent.active:
        return None
    return found


async def end_session(session: AsyncSession, token: str, agent: Agent) -> None:
    await session.execute(delete(AgentSession).where(AgentSession.token_hash == token_digest(token)))
    record(session, agent.username, "signed_out")
