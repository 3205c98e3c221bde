"""Tokens ride in URLs (the web chat's `/ws/chat?session=…`, a payment link's `/pay/<token>`,
which names an account and an amount), and uvicorn writes request lines to its logs: the
tokens are taken out of every such line before it is written."""

import logging
import re

_SECRET_PARAMETER = re.compile(r"(\b(?:session|token)=)[^&\s\"']+")
_PAYMENT_LINK = re.compile(r"(/pay/)(?!thanks\b|cancelled\b)[^/?\s\"']+")
REDACTED = "[redacted]"


def redact(text: str) -> str:
    return _PAYMENT_LINK.sub(rf"\1{REDACTED}", _SECRET_PARAMETER.sub(rf"\1{REDACTED}", text))


class RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def install() -> None:
    """On uvicorn's access log and on its error log, which names each WebSocket it accepts."""
    for name in ("uvicorn.access", "uvicorn.error"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())
