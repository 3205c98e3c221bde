"""The assistant's NLU examples (`data/nlu/<lang>/*.yml`), read for our own classifiers."""

import re
from pathlib import Path

import yaml

_ANNOTATION = re.compile(r"\[([^\]]*)\]\([^)]*\)")  # "[CN-482913](account_reference)" → "CN-482913"


def examples_by_intent(language_dir: Path) -> dict[str, list[str]]:
    """One language's examples per intent (every file in its folder), annotations removed."""
    found: dict[str, list[str]] = {}
    for path in sorted(language_dir.rglob("*.yml")):
        for intent, texts in examples_by_intent_file(path).items():
            found.setdefault(intent, []).extend(texts)
    return found


def examples_by_intent_file(path: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu", []):
        if "intent" in block:
            found.setdefault(block["intent"], []).extend(
                _ANNOTATION.sub(r"\1", line.strip()[2:]).strip()
                for line in block.get("examples", "").splitlines()
                if line.strip().startswith("- ")
            )
    return found
