"""Running Rasa's own CLI from its Python 3.10 environment."""

import json
import os
import subprocess
from pathlib import Path

import yaml

from bot.config import ROOT


def rasa(*args: str) -> subprocess.CompletedProcess:
    env = os.environ | {"RASA_TELEMETRY_ENABLED": "false"}
    return subprocess.run(
        [str(ROOT / ".venv-rasa/bin/rasa"), *args], cwd=ROOT, env=env, capture_output=True, text=True
    )


def parse_with_rasa(
    examples: dict[str, list[str]], model: Path, folder: Path
) -> dict[str, tuple[str, float]]:
    """What the trained model says of each text (intent → texts), in one `rasa test nlu` run:
    text → (intent, confidence), the fallback included."""
    test_file = folder / "messages.yml"
    test_file.write_text(
        yaml.safe_dump(
            {
                "version": "3.1",
                "nlu": [
                    {"intent": i, "examples": "".join(f"- {e}\n" for e in ex)}
                    for i, ex in examples.items()
                    if ex
                ],
            },
            allow_unicode=True,
            sort_keys=False,
        ),
        encoding="utf-8",
    )
    out = folder / "out"
    result = rasa(
        "test", "nlu", "--nlu", str(test_file), "--model", str(model), "--out", str(out), "--successes"
    )
    assert result.returncode == 0, result.stderr[-3000:]
    said = {}
    for name in ("intent_successes.json", "intent_errors.json"):
        path = out / name
        for row in json.loads(path.read_text(encoding="utf-8")) if path.exists() else []:
            said[row["text"]] = (row["intent_prediction"]["name"], row["intent_prediction"]["confidence"])
    return said
