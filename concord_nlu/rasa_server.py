"""`rasa run` for Concord: Rasa's own command line, with nothing a customer said in its logs.

Rasa writes message text in two ways. Its structured events ("rest.message.received.timeout",
text=…) pass through an anonymization hook that Rasa leaves empty; Concord fills it, so every
field Rasa marks as anonymizable is logged as "[redacted]". Its plain log lines quote text
inside the sentence ("Received user message 'my dob is 12/04/1988'…", a payload it could not
parse) or in Python warnings: quoted parts of every such line are masked before any handler
sees them.

Usage: python -m concord_nlu.rasa_server run [rasa run options]
"""

import logging
import re
import sys
from typing import Any

import pluggy

REDACTED = "[redacted]"
_QUOTED = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"")
_hookimpl = pluggy.HookimplMarker("rasa")


class _Redactor:
    """Rasa's anonymization pipeline interface: `log_run(value)` gives what may be logged."""

    def log_run(self, value: Any) -> str:
        return REDACTED


class _Anonymization:
    @_hookimpl
    def get_anonymization_pipeline(self) -> _Redactor:
        return _Redactor()


def mask_quoted(text: str) -> str:
    return _QUOTED.sub(f"'{REDACTED}'", text)


def install() -> None:
    from rasa.plugin import plugin_manager

    plugin_manager().register(_Anonymization())
    make_record = logging.getLogRecordFactory()

    def without_quotes(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        if record.name.split(".")[0] in ("rasa", "sanic", "py"):  # py.warnings: Rasa's warnings
            record.msg, record.args = mask_quoted(record.getMessage()), ()
        return record

    logging.setLogRecordFactory(without_quotes)
    logging.captureWarnings(True)


if __name__ == "__main__":
    install()
    from rasa.__main__ import main

    sys.argv[0] = "rasa"
    main()
