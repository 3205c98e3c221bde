"""Personal data at rest: names and email encrypted, dates of birth kept only as a keyed hash.

Neither SQLite nor PostgreSQL encrypts columns by itself (PostgreSQL's answer is disk or volume
encryption, which a deployer adds underneath), so the columns that name a person are encrypted
here with Fernet (AES-128-CBC with HMAC-SHA256, from `cryptography`). Keys come from
CONCORD_DATA_KEYS, newest first: the newest encrypts, every listed key still decrypts, and
`python -m api.cli rotate-keys` re-encrypts every row with the newest so an old key can go.

A date of birth is only ever compared, never shown, so it is stored as an HMAC-SHA256 of the date
under a key derived from a data key, prefixed with that key's id. A hash cannot be re-keyed
without the date: it moves to the newest key the next time its owner verifies.

Phone numbers and chat ids (the addresses we look conversations up by) and message text stay
readable to the database: protect them with the database's disk encryption and the retention
purge.
"""

import base64
import hashlib
import hmac
from datetime import date
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator

from bot.config import get_settings


class DataProtection:
    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ValueError("at least one data key is needed")
        self._keys = [key.encode() for key in keys]
        self._fernet = MultiFernet([Fernet(key) for key in self._keys])
        self._birth_keys = {_key_id(key): _birth_key(key) for key in self._keys}
        self.current_id = _key_id(self._keys[0])

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as error:
            raise ValueError("encrypted with a key that is no longer in CONCORD_DATA_KEYS") from error

    def rotate(self, token: str) -> str:
        """The same value encrypted with the newest key."""
        return self._fernet.rotate(token.encode()).decode()

    def birth_digest(self, born: date, key_id: str | None = None) -> str:
        key_id = key_id or self.current_id
        mac = hmac.new(self._birth_keys[key_id], born.isoformat().encode(), hashlib.sha256)
        return f"{key_id}:{mac.hexdigest()}"

    def birth_matches(self, digest: str, candidates: list[date]) -> date | None:
        """Which of the dates the customer may have meant is theirs (None: none, or the hash is
        under a key no longer listed)."""
        key_id, _, _ = digest.partition(":")
        if key_id not in self._birth_keys:
            return None
        for born in candidates:
            if hmac.compare_digest(self.birth_digest(born, key_id), digest):
                return born
        return None

    def is_current(self, digest: str) -> bool:
        return digest.startswith(f"{self.current_id}:")


def token_digest(token: str) -> str:
    """How a bearer secret (a sign-in, a link) is stored: enough to recognise it, not to use it."""
    return hashlib.sha256(token.encode()).hexdigest()


def development_key(secret_key: str) -> str:
    """The data key used when none is configured (only allowed while Concord is reachable from
    this machine alone: bot.config.Settings.weak_secrets)."""
    return base64.urlsafe_b64encode(hashlib.sha256(f"concord-data:{secret_key}".encode()).digest()).decode()


@lru_cache
def protection() -> DataProtection:
    settings = get_settings()
    return DataProtection(settings.data_keys or [development_key(settings.secret_key)])


class Encrypted(TypeDecorator[str]):
    """A text column stored encrypted (`protection()`); reads give the plain text back."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect) -> str | None:
        return None if value is None else protection().encrypt(value)

    def process_result_value(self, value: str | None, dialect) -> str | None:
        return None if value is None else protection().decrypt(value)


def _key_id(key: bytes) -> str:
    return hashlib.sha256(b"concord-key-id:" + key).hexdigest()[:8]


def _birth_key(key: bytes) -> bytes:
    return hmac.new(base64.urlsafe_b64decode(key), b"concord-date-of-birth", hashlib.sha256).digest()
