"""Rasa's REST channel for Concord's gateway alone: every request must carry the token Rasa's
HTTP API also takes (CONCORD_RASA_TOKEN) as `Authorization: Bearer …`.

Rasa's own REST channel asks nothing, so anyone who reaches Rasa could speak as any
conversation (and hear a verified customer's balance) without passing the gateway, which
verifies, stores and deduplicates every message.
"""

from hmac import compare_digest
from typing import Any

from rasa.core.channels.rest import RestInput
from sanic import Blueprint, Request, response


class GatewayInput(RestInput):
    @classmethod
    def name(cls) -> str:
        return "gateway"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> "GatewayInput":
        token = str((credentials or {}).get("token") or "")
        if not token:
            raise ValueError("the gateway channel needs a token (CONCORD_RASA_TOKEN)")
        return cls(token)

    def __init__(self, token: str) -> None:
        self.token = token

    def blueprint(self, on_new_message) -> Blueprint:
        blueprint = super().blueprint(on_new_message)

        @blueprint.middleware("request")
        async def require_the_token(request: Request):
            if not compare_digest(request.headers.get("Authorization", ""), f"Bearer {self.token}"):
                return response.json({"error": "unauthorized"}, status=401)
            return None

        return blueprint
