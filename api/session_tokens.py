"""Signed web-chat session tokens: a browser can resume its own conversation, not guess another's."""

from itsdangerous import BadSignature, URLSafeTimedSerializer


class SessionTokens:
    def __init__(self, secret_key: str, max_age_seconds: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt="concord-webchat")
        self._max_age = max_age_seconds

    def issue(self, conversation_id: str) -> str:
        return self._serializer.dumps(conversation_id)

    def conversation_id(self, token: str) -> str | None:
        """The conversation a token was issued for; None when forged, altered or expired."""
        try:
            value = self._serializer.loads(token, max_age=self._max_age)
        except BadSignature:  # SignatureExpired is a BadSignature
            return None
        return value if isinstance(value, str) else None
