"""Intent recognition on messages written outside the project (tests/outside/corpora.py).

Our held-out sets were written for this project; these were written by people who never saw it,
for other assistants and other purposes, and are never trained on. Only messages absent from
training count. The public packages hold greetings, thanks, goodbyes, yes/no, "are you a bot?"
and a great many requests we cannot help with; none holds requests about accounts and payments,
which the held-out sets and the integration tests cover. Tables are printed by `make test`.
"""

import collections

import pytest

from bot.config import ROOT
from bot.understanding import vulnerability
from tests.conftest import REPORTS
from tests.outside.corpora import SOURCES, Row, fetch, rows
from tests.rasa.conftest import parse_with_rasa
from tests.rasa.test_nlu_evaluation import _plain, _trained_on

# Out-of-scope recall meets the bar we set ourselves (0.80). Macro-F1 does not yet meet ours (0.85):
# deny (18 outside messages, many of them slang no-words) and "are you a bot?" lose precision to
# out-of-scope ones read as them ("who is Spider-Man?" as "who are you?"). These floors keep what
# is reached from slipping.
MACRO_F1_AT_LEAST = 0.82
ACCURACY_AT_LEAST = 0.90
OUT_OF_SCOPE_RECALL_BAR = 0.80
# Everyday messages that may raise a care cue (each one costs a person's look).
CUE_FALSE_ALARMS_AT_MOST = 0.01
CACHE = ROOT / ".cache" / "outside"


@pytest.fixture(scope="module")
def outside() -> list[Row]:
    fetch(CACHE)
    trained = _trained_on()
    seen: set[str] = set()
    unseen = []
    for row in rows(CACHE):
        text = row.text.strip()
        if _plain(text) in trained or text in seen or "[" in text:  # "[x](y)" is Rasa's entity markup
            continue
        seen.add(text)
        unseen.append(Row(row.source, row.language, row.intent, text))
    return unseen


@pytest.fixture(scope="module")
def said(outside, trained_model, tmp_path_factory) -> dict[str, str]:
    examples: dict[str, list[str]] = collections.defaultdict(list)
    for row in outside:
        examples[row.intent].append(row.text)
    parsed = parse_with_rasa(examples, trained_model, tmp_path_factory.mktemp("outside"))
    return {text: intent for text, (intent, _) in parsed.items()}


def _f1(pairs: list[tuple[str, str | None]], intent: str) -> tuple[float, float, float, int]:
    hit = sum(1 for gold, guess in pairs if gold == intent == guess)
    predicted = sum(1 for _, guess in pairs if guess == intent)
    support = sum(1 for gold, _ in pairs if gold == intent)
    precision = hit / predicted if predicted else 0.0
    recall = hit / support if support else 0.0
    return precision, recall, 2 * precision * recall / (precision + recall) if hit else 0.0, support


def test_messages_written_outside_the_project_are_understood(outside, said):
    pairs = [(row.intent, said.get(row.text)) for row in outside]
    intents = sorted({row.intent for row in outside})
    scores = {intent: _f1(pairs, intent) for intent in intents}
    macro = sum(f1 for _, _, f1, _ in scores.values()) / len(scores)
    accuracy = sum(gold == guess for gold, guess in pairs) / len(pairs)
    by_source = collections.defaultdict(list)
    by_language = collections.defaultdict(list)
    for row in outside:
        by_source[row.source].append(row.intent == said.get(row.text))
        by_language[row.language].append(row.intent == said.get(row.text))
    licences = {source.name: source.licence for source in SOURCES}
    misread = collections.Counter(guess for gold, guess in pairs if gold != guess)
    lines = [
        f"NLU on {len(pairs)} messages written outside the project (tests/outside): "
        f"accuracy {accuracy:.3f}, macro-F1 {macro:.3f} over the {len(intents)} intents they hold",
        f"{'intent':16} {'precision':>9} {'recall':>7} {'f1':>6} {'n':>5}",
        *(f"{i:16} {p:9.2f} {r:7.2f} {f:6.2f} {n:5d}" for i, (p, r, f, n) in scores.items()),
        "per source (accuracy, n, licence): "
        + "; ".join(
            f"{name} {sum(v) / len(v):.2f} {len(v)} {licences[name]}" for name, v in sorted(by_source.items())
        ),
        "per language (accuracy, n): "
        + "  ".join(f"{lang} {sum(v) / len(v):.2f} {len(v)}" for lang, v in sorted(by_language.items())),
        "read as instead: " + ", ".join(f"{name} {n}" for name, n in misread.most_common(6)),
    ]
    REPORTS.append("\n".join(lines))
    assert macro >= MACRO_F1_AT_LEAST and accuracy >= ACCURACY_AT_LEAST, "\n".join(lines)
    assert scores["out_of_scope"][1] >= OUT_OF_SCOPE_RECALL_BAR, "\n".join(lines)


def test_everyday_messages_written_outside_raise_no_care_cue(outside):
    alarms = [(row.text, cue) for row in outside if (cue := vulnerability.detect(row.text, row.language))]
    crises = [text for text, cue in alarms if cue == "suicide_risk"]
    REPORTS.append(
        f"Care cues raised on {len(outside)} everyday messages written outside the project: "
        f"{len(alarms)} ({len(crises)} a crisis)"
    )
    assert len(alarms) / len(outside) <= CUE_FALSE_ALARMS_AT_MOST, alarms[:20]
