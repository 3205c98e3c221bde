"""How a customer's message feels: a score from −1 (upset) to 1 (pleased) and a label.

Trained from labelled examples in every language (`data/sentiment/<lang>.yml`, negative /
neutral / positive) with bot.text_classifier; one model for all languages, because customers
mix them. The score is P(positive) − P(negative); the label is the likeliest of the three.
Accuracy per language on sets written apart from the training data is printed by `make test`.
"""

from functools import lru_cache

from bot.config import ROOT
from bot.text_classifier import TextClassifier, labelled_examples

NEUTRAL = "neutral"
# How many of a conversation's latest customer messages its trend averages.
TREND_WINDOW = 5


@lru_cache
def load() -> TextClassifier:
    """The model, built once per process (call it at start-up so no message waits for it)."""
    return TextClassifier(labelled_examples(ROOT / "data" / "sentiment"))


def score(text: str, lang: str | None = None) -> tuple[float, str]:
    """(score in −1…1, "negative" | "neutral" | "positive") for one message.

    `lang` is the conversation's language; the model reads every language, so it is not needed
    to score, but callers pass it so a per-language model can replace this one unchanged.
    """
    if not text.strip():
        return 0.0, NEUTRAL
    probabilities = load().probabilities(text.casefold())
    value = probabilities.get("positive", 0.0) - probabilities.get("negative", 0.0)
    label = max(probabilities, key=probabilities.__getitem__)
    return round(value, 3), label


def trend(scores: list[float]) -> float | None:
    """The mean of a conversation's latest scores, oldest first; None before any message."""
    recent = scores[-TREND_WINDOW:]
    return round(sum(recent) / len(recent), 3) if recent else None
