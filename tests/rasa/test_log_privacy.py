"""Rasa, started as the Procfile starts it (concord_nlu/rasa_server.py), writes nothing a
customer said: not in its structured events, its plain lines, its warnings or its tracebacks."""

import os
import subprocess

from bot.config import ROOT

SAID = "my dob is 12/04/1988"
# Rasa's own logging set up as `rasa run` sets it up, then the kinds of line that quote a message.
SCRIPT = f"""
import logging, sys, warnings
import rasa.__main__
from concord_nlu.rasa_server import install
install(rasa.__main__)
from rasa.utils.common import configure_logging_and_warnings
configure_logging_and_warnings(logging.INFO)
rasa.__main__.configure_structlog(logging.INFO)
import structlog
structlogger = structlog.get_logger("rasa.core.channels.rest")
structlogger.error("rest.message.received.timeout", text={SAID!r}, sender_id="conversation-1")
logging.getLogger("rasa.core.processor").warning("Received user message '{SAID}' with intent 'inform'")
warnings.warn("Failed to parse arguments in line '/inform{{\\"date_of_birth\\": \\"12/04/1988\\"}}'")
def handle(text):
    raise ValueError(f"could not read '{{text}}'")
try:
    handle({SAID!r})
except ValueError:
    structlogger.exception("rest.message.received.failure", text={SAID!r})
print("done", flush=True)
"""


def test_rasas_logs_hold_no_customer_text():
    env = os.environ | {"RASA_TELEMETRY_ENABLED": "false", "FORCE_JSON_LOGGING": "1"}
    ran = subprocess.run(
        [str(ROOT / ".venv-rasa/bin/python"), "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    written = ran.stdout + ran.stderr
    assert ran.returncode == 0 and "done" in ran.stdout, written[-3000:]
    for event in ("rest.message.received.timeout", "rest.message.received.failure", "conversation-1"):
        assert event in written, f"{event} is not logged at all:\n{written[-3000:]}"
    assert "Received user message" in written and "Failed to parse arguments" in written
    assert "12/04/1988" not in written and "1988" not in written, written[-3000:]
