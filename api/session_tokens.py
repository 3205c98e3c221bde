"""Signed web-chat session tokens: a browser can resume its own conversation, not guess another's."""

from itsdangerous import BadSignature, URLSafeSerializer


class SessionTokens:
    def __init__(self, secret_key: str) -> None:
        self._serializer = URLSafeSerializer(secret_key, salt="concord-webchat")

    def issue(self, conversation_id: str) -> str:
        return self._serializer.dumps(conversation_id)

    def conversation_id(self, token: str) -> str | None:
        try:
            value = self._serializer.loads(token)
        except BadSignature:
            return None
        return value if isinstance(value, str) else None
