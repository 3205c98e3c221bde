"""The bot/ services the actions share, built on first use (never at import time)."""

from functools import lru_cache

from bot.config import get_settings
from bot.db.engine import Database
from bot.verification import VerificationPolicy


@lru_cache
def database() -> Database:
    return Database(get_settings().database_url)


def verification_policy() -> VerificationPolicy:
    settings = get_settings()
    return VerificationPolicy(settings.verification_max_failures, settings.verification_lock_minutes)
