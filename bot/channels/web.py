"""The web chat widget: JSON frames over a WebSocket (the protocol is in the README).

Every conversation is its own address (a browser's chat, not a shared "web"), replies go to the
customer's open tabs rather than through a provider, and we can never write first.
"""

import json
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from bot.channels.base import Allows, Part, as_is


class _Frame(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Every frame carries the session token, checked again each time (it may have expired).
    session: str = Field(min_length=1, max_length=512)


class MessageFrame(_Frame):
    type: Literal["message"]
    text: str = Field(min_length=1)
    client_id: str | None = Field(default=None, max_length=64)


class LanguageFrame(_Frame):
    type: Literal["language"]
    language: str = Field(min_length=2, max_length=8)


class PingFrame(_Frame):
    type: Literal["ping"]


Frame = MessageFrame | LanguageFrame | PingFrame
_CLIENT_FRAME = TypeAdapter(Annotated[Frame, Field(discriminator="type")])


class FrameRejected(Exception):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code, self.detail = code, detail


class WebChannel:
    name = "web"
    allows = Allows(business_may_start=False)

    def __init__(self, allowed_origins: set[str], max_frame_bytes: int) -> None:
        self.allowed_origins = allowed_origins
        self.max_frame_bytes = max_frame_bytes

    def verify(self, origin: str | None) -> bool:
        """Browsers always send Origin: a page not on the allow-list may not open a chat."""
        return origin is None or origin.rstrip("/") in self.allowed_origins

    def parse(self, raw: str | None) -> Frame:
        if raw is None:
            raise FrameRejected("invalid_frame", "frames must be JSON text, not binary")
        if len(raw.encode()) > self.max_frame_bytes:
            raise FrameRejected("frame_too_large", f"frames are limited to {self.max_frame_bytes} bytes")
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as error:
            raise FrameRejected("invalid_json", f"not valid JSON: {error.msg}") from None
        try:
            return _CLIENT_FRAME.validate_python(data)
        except ValidationError as error:
            problems = error.errors()
            unknown = [".".join(map(str, p["loc"][1:])) for p in problems if p["type"] == "extra_forbidden"]
            if unknown:
                raise FrameRejected("unknown_fields", f"unknown fields: {', '.join(unknown)}") from None
            if any(p["loc"][1:] == ("session",) and p["type"] == "missing" for p in problems):
                raise FrameRejected("invalid_session", "every frame carries the session token") from None
            detail = "; ".join(f"{'.'.join(map(str, p['loc']))}: {p['msg']}" for p in problems)
            raise FrameRejected("invalid_frame", detail) from None

    def typed_text(self, raw: str | None, limit: int) -> str:
        """What the customer typed in a frame we could not accept, to keep on record: its `text`
        (at most `limit` characters) and nothing else; never its session token or raw JSON."""
        if raw is None or len(raw.encode()) > self.max_frame_bytes:
            return ""
        try:
            data = json.loads(raw)
        except json.JSONDecodeError:
            return ""
        text = data.get("text") if isinstance(data, dict) else None
        return text[:limit] if isinstance(text, str) else ""

    def format(self, text: str, buttons: list[dict[str, str]], language: str) -> list[Part]:
        return as_is(text, buttons, language)
