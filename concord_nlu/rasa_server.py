"""`rasa run` for Concord: Rasa's own command line, with nothing a customer said in its logs.

Rasa writes message text in two ways. Its structured events ("rest.message.received.timeout",
text=…) carry it in fields: only the fields named in `_KEPT` are written, every other value is
"[redacted]". Its plain log lines and Python warnings quote text inside the sentence ("Received
user message 'my dob is 12/04/1988'…"): quoted parts of those lines are masked before any
handler sees them.

Usage: python -m concord_nlu.rasa_server run [rasa run options]
"""

import json
import logging
import re
import sys
from typing import Any

REDACTED = "[redacted]"
# Structured-event fields that never hold what a customer said.
_KEPT = {
    "event",
    "event_info",
    "event_key",
    "level",
    "log_level",
    "timestamp",
    "exc_info",
    "exception",
    "stack",
    "sender_id",
    "action_name",
    "policy_name",
}
_QUOTED = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"")


def redact_fields(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
    """A structlog processor: every field but `_KEPT` is written as "[redacted]"."""
    return {key: value if key in _KEPT else REDACTED for key, value in event.items()}


def mask_exception_values(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
    """A structlog processor after the traceback is rendered: an exception's message may quote."""
    for exception in event.get("exception") or []:
        if isinstance(exception, dict) and isinstance(exception.get("exc_value"), str):
            exception["exc_value"] = mask_quoted(exception["exc_value"])
    return event


def mask_quoted(text: str) -> str:
    return _QUOTED.sub(f"'{REDACTED}'", text)


def _structured(text: str) -> bool:
    """A line structlog rendered (already redacted field by field)."""
    if not text.startswith("{"):
        return False
    try:
        return isinstance(json.loads(text), dict)
    except ValueError:
        return False


def install(rasa_main: Any) -> None:
    """Redact Rasa's structured events (after Rasa configures structlog) and quoted text in its
    plain lines and warnings."""
    import structlog
    from structlog.tracebacks import ExceptionDictTransformer

    configure = rasa_main.configure_structlog

    # Tracebacks without the values of local variables (structlog shows them by default).
    tracebacks = structlog.processors.ExceptionRenderer(ExceptionDictTransformer(show_locals=False))

    def configure_without_text(*args: Any, **kwargs: Any) -> None:
        configure(*args, **kwargs)
        processors = [
            processor
            for rasa_processor in structlog.get_config()["processors"]
            for processor in (
                [tracebacks, mask_exception_values]
                if rasa_processor is structlog.processors.dict_tracebacks
                else [rasa_processor]
            )
        ]
        structlog.configure(processors=[redact_fields, *processors])

    rasa_main.configure_structlog = configure_without_text
    make_record = logging.getLogRecordFactory()

    def without_quotes(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        if record.name.split(".")[0] in ("rasa", "sanic", "py"):  # py.warnings: Rasa's warnings
            text = record.getMessage()
            record.msg, record.args = (text if _structured(text) else mask_quoted(text)), ()
        return record

    logging.setLogRecordFactory(without_quotes)
    logging.captureWarnings(True)


if __name__ == "__main__":
    import rasa.__main__

    install(rasa.__main__)
    sys.argv[0] = "rasa"
    rasa.__main__.main()
