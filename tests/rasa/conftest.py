"""Running Rasa's own CLI from its Python 3.10 environment."""

import os
import subprocess

from bot.config import ROOT


def rasa(*args: str) -> subprocess.CompletedProcess:
    env = os.environ | {"RASA_TELEMETRY_ENABLED": "false"}
    return subprocess.run(
        [str(ROOT / ".venv-rasa/bin/rasa"), *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
