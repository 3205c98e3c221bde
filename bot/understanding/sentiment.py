"""How a customer's message feels: a score from −1 (upset) to 1 (pleased) and a label.

Trained from labelled examples in every language (`data/sentiment/<lang>.yml`, negative /
neutral / positive) with bot.understanding.text_classifier; one model for all languages, because customers
mix them. The score is P(positive) − P(negative); the label is the likeliest of the three.

Everyday requests to the assistant (a greeting, "how much do I owe") are neutral examples too,
EVERYDAY_PER_LANGUAGE of them per language from data/nlu: trained on the hand-written sets
alone, a third of such messages read as negative ("hi" scored −0.85), and a conversation's
mood hands it to a person (bot.gateway.care).
Accuracy per language on sets written apart from the training data is printed by `make test`.
"""

from functools import lru_cache

from bot.config import ROOT
from bot.understanding.nlu_data import examples_by_intent
from bot.understanding.text_classifier import TextClassifier, labelled_examples

NEUTRAL = "neutral"
# Intents that carry no feeling of their own, and how many of their examples each language adds.
EVERYDAY_INTENTS = {
    "greet",
    "affirm",
    "deny",
    "inform",
    "ask_due_date",
    "ask_minimum_payment",
    "check_balance",
    "make_payment",
    "request_payment_plan",
    "change_language",
    "bot_challenge",
    "goodbye",
}
EVERYDAY_PER_LANGUAGE = 120
# How many of a conversation's latest customer messages its trend averages.
TREND_WINDOW = 5


@lru_cache
def load() -> TextClassifier:
    """The model, built once per process (call it at start-up so no message waits for it)."""
    examples = labelled_examples(ROOT / "data" / "sentiment")
    share = EVERYDAY_PER_LANGUAGE // len(EVERYDAY_INTENTS)
    for language_dir in sorted((ROOT / "data" / "nlu").iterdir()):
        # The same share from every intent, spread over its examples: an intent that gains many
        # examples (short yeses and noes) does not crowd out the others.
        for intent, texts in sorted(examples_by_intent(language_dir).items()):
            if intent in EVERYDAY_INTENTS:
                examples[NEUTRAL] += texts[:: max(1, len(texts) // share)][:share]
    return TextClassifier(
        {label: [t.casefold() for t in texts] for label, texts in examples.items()}, class_weight="balanced"
    )


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
    return round(value, 3), str(label)


def trend(scores: list[float]) -> float | None:
    """The mean of a conversation's latest scores, oldest first; None before any message."""
    recent = scores[-TREND_WINDOW:]
    return round(sum(recent) / len(recent), 3) if recent else None
