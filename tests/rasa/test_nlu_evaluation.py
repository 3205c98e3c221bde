"""Intent recognition on held-out messages, never trained on, in every language.

The held-out files (tests/nlu/<lang>*.yml) were written apart from the training data, by people
who never saw it, but short messages ("yes", "hello") turn up in both; only messages absent from
training count. One `rasa test nlu` run over all languages; the tables are printed by `make test`.
"""

import collections

import pytest
import yaml

from bot.config import ROOT
from bot.understanding.nlu_data import examples_by_intent, examples_by_intent_file
from tests.conftest import LANGUAGES, REPORTS
from tests.rasa.conftest import parse_with_rasa

# At least this accuracy in every language (and English macro-F1).
BAR = 0.92
# Short messages ("gracias", "no") are often in the training data too and do not count, so a
# short intent may keep only a few; a language keeps at least 200 in all.
AT_LEAST_PER_INTENT = 3
AT_LEAST_PER_LANGUAGE = 200
DOMAIN_INTENTS = yaml.safe_load((ROOT / "domain.yml").read_text())["intents"]


def _plain(example: str) -> str:
    return example.casefold().strip()


def _trained_on() -> set[str]:
    return {
        _plain(e)
        for language_dir in (ROOT / "data/nlu").iterdir()
        for examples in examples_by_intent(language_dir).values()
        for e in examples
    }


def _held_out() -> dict[str, dict[str, list[str]]]:
    """Per language, held-out examples per intent that the model was never trained on."""
    trained = _trained_on()
    unseen: dict[str, dict[str, list[str]]] = {lang: collections.defaultdict(list) for lang in LANGUAGES}
    for language in LANGUAGES:
        for path in sorted((ROOT / "tests/nlu").glob(f"{language}*.yml")):
            if path.stem.split("_")[0] != language:
                continue
            for intent, examples in examples_by_intent_file(path).items():
                unseen[language][intent] += [_plain(e) for e in examples if _plain(e) not in trained]
    return unseen


HELD_OUT = _held_out()


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_intent_has_enough_held_out_messages_the_model_never_saw(language):
    counts = {intent: len(examples) for intent, examples in HELD_OUT[language].items()}
    assert {i: counts.get(i, 0) for i in DOMAIN_INTENTS if counts.get(i, 0) < AT_LEAST_PER_INTENT} == {}
    assert sum(counts.values()) >= AT_LEAST_PER_LANGUAGE


@pytest.fixture(scope="module")
def parsed(trained_model, tmp_path_factory) -> dict[str, tuple[str, float]]:
    """What the trained model says of every held-out message: text → (intent, confidence)."""
    examples: dict[str, list[str]] = collections.defaultdict(list)
    for per_intent in HELD_OUT.values():
        for intent, texts in per_intent.items():
            examples[intent] += texts
    return {
        _plain(text): said
        for text, said in parse_with_rasa(examples, trained_model, tmp_path_factory.mktemp("nlu")).items()
    }


@pytest.fixture(scope="module")
def predictions(parsed) -> dict[str, str]:
    return {text: intent for text, (intent, _) in parsed.items()}


def _scores(per_intent: dict[str, list[str]], said: dict[str, str]) -> dict[str, dict[str, float]]:
    """Precision, recall, F1 and support per intent, for one language."""
    pairs = [(intent, said.get(text)) for intent, texts in per_intent.items() for text in texts]
    scores = {}
    for intent in DOMAIN_INTENTS:
        true_positive = sum(1 for gold, guess in pairs if gold == intent and guess == intent)
        predicted = sum(1 for _, guess in pairs if guess == intent)
        support = sum(1 for gold, _ in pairs if gold == intent)
        precision = true_positive / predicted if predicted else 0.0
        recall = true_positive / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        scores[intent] = {"precision": precision, "recall": recall, "f1": f1, "support": support}
    return scores


def test_intents_are_recognised_in_every_language(predictions):
    table, accuracy, macro = [], {}, {}
    for language in LANGUAGES:
        per_intent = HELD_OUT[language]
        pairs = [(intent, predictions.get(text)) for intent, texts in per_intent.items() for text in texts]
        accuracy[language] = sum(gold == guess for gold, guess in pairs) / len(pairs)
        scores = _scores(per_intent, predictions)
        macro[language] = sum(s["f1"] for s in scores.values()) / len(scores)
        weakest = sorted(scores.items(), key=lambda item: item[1]["f1"])[:3]
        table.append(
            f"{language:4} {len(pairs):5d} {accuracy[language]:9.3f} {macro[language]:9.3f}   "
            + ", ".join(f"{intent} {s['f1']:.2f}" for intent, s in weakest)
        )
    lines = [
        "NLU: held-out messages absent from training (tests/nlu/<lang>*.yml), per language",
        f"{'lang':4} {'n':>5} {'accuracy':>9} {'macro-F1':>9}   weakest intents (F1)",
        *table,
    ]
    REPORTS.append("\n".join(lines))
    assert {lang: round(a, 3) for lang, a in accuracy.items() if a < BAR} == {}, "\n".join(lines)


def test_confidences_mean_what_they_say(parsed):
    """The assistant asks the customer to say it another way below FallbackClassifier's threshold,
    which only works if a confidence of 0.7 means right about 70% of the time."""
    graded = [
        (parsed[text][1], intent == parsed[text][0])
        for per_intent in HELD_OUT.values()
        for intent, texts in per_intent.items()
        for text in texts
    ]
    # Expected calibration error: the gap between confidence and accuracy, over ten bands.
    bands: dict[int, list[tuple[float, bool]]] = collections.defaultdict(list)
    for confidence, right in graded:
        bands[min(int(confidence * 10), 9)].append((confidence, right))
    error = sum(
        abs(sum(c for c, _ in band) - sum(r for _, r in band)) / len(graded) for band in bands.values()
    )
    [fallback] = [
        c
        for c in yaml.safe_load((ROOT / "config.yml").read_text())["pipeline"]
        if c["name"] == "FallbackClassifier"
    ]
    unsure = [right for confidence, right in graded if confidence < fallback["threshold"]]
    REPORTS.append(
        f"NLU confidence on {len(graded)} held-out messages: calibration error {error:.3f}; "
        f"{len(unsure) / len(graded):.1%} under the {fallback['threshold']} fallback threshold "
        f"(the customer is asked to rephrase), {sum(unsure)} of them understood right"
    )
    assert error < 0.05


def test_english_intents_in_detail(predictions):
    scores = _scores(HELD_OUT["en"], predictions)
    lines = [
        "NLU, English: held-out messages absent from training (tests/nlu/en*.yml)",
        f"{'intent':24} {'precision':>9} {'recall':>7} {'f1':>6} {'n':>4}",
        *(
            f"{name:24} {s['precision']:9.2f} {s['recall']:7.2f} {s['f1']:6.2f} {s['support']:4d}"
            for name, s in sorted(scores.items())
        ),
    ]
    REPORTS.append("\n".join(lines))
    assert sum(s["f1"] for s in scores.values()) / len(scores) >= BAR, "\n".join(lines)


def test_a_pause_alone_is_no_answer_but_a_short_yes_still_is(trained_model, tmp_path):
    """ "hmm" after "shall I set up this plan?" must not agree to it: the customer is asked to say
    it another way. "uh" (Vietnamese chat), "어" and "嗯" mean yes and stay answers."""
    pauses = ["hmm", "Hmm...", "umm", "huh?", "うーん", "えっと…", "음...", "흠", "อืมม", "呃", "हम्म"]
    # (Rasa writes no results for a test file with a single intent.)
    said = parse_with_rasa({"affirm": [*pauses, "ok", "yes"], "deny": ["no"]}, trained_model, tmp_path)
    [fallback] = [
        c
        for c in yaml.safe_load((ROOT / "config.yml").read_text())["pipeline"]
        if c["name"] == "FallbackClassifier"
    ]
    assert {t: said[t] for t in pauses if said[t][1] >= fallback["threshold"]} == {}
    for answer in ("ok", "yes"):
        assert said[answer][0] == "affirm" and said[answer][1] >= fallback["threshold"], said[answer]
