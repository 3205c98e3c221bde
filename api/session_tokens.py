"""Web-chat session tokens: a browser can resume its own conversation, not guess another's.

A token is a signed random id with an expiry; nothing in it names the conversation. The
conversation keeps only the id's digest, so issuing a new token (on every connection, and when
identity is checked) ends the previous one: a token copied before verification opens nothing after.
"""

import secrets

from itsdangerous import BadSignature, URLSafeTimedSerializer

from bot.db.protection import token_digest


class SessionTokens:
    def __init__(self, secret_key: str, max_age_seconds: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt="concord-webchat")
        self._max_age = max_age_seconds

    def issue(self) -> tuple[str, str]:
        """A new token, and the digest to store on its conversation."""
        session_id = secrets.token_urlsafe(24)
        return self._serializer.dumps(session_id), token_digest(session_id)

    def digest(self, token: str) -> str | None:
        """The digest a token's conversation holds; None when forged, altered or expired."""
        try:
            session_id = self._serializer.loads(token, max_age=self._max_age)
        except BadSignature:  # SignatureExpired is a BadSignature
            return None
        return token_digest(session_id) if isinstance(session_id, str) else None
