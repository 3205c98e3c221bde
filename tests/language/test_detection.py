"""Telling the language of short customer messages: ours against langdetect and lingua, same sets.

tests/language/<lang>.yml hold short messages (2–8 words) written apart from the training data;
nothing here is used to train or tune the detector (its threshold was chosen on tests/nlu/).
"""

import pytest
import yaml
from langdetect import DetectorFactory, LangDetectException
from langdetect import detect as langdetect_detect
from lingua import IsoCode639_1, LanguageDetectorBuilder

from bot.config import ROOT
from bot.understanding.language import default_detector, detect_language
from tests.conftest import REPORTS

BAR = 0.97
SETS = {
    data["language"]: data["messages"]
    for data in (
        yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted((ROOT / "tests/language").glob("*.yml"))
    )
}


def _langdetect():
    DetectorFactory.seed = 0  # langdetect is random otherwise

    def detect(text: str) -> str | None:
        try:
            code = langdetect_detect(text)
        except LangDetectException:
            return None
        return code.split("-")[0]  # zh-cn → zh

    return detect


def _lingua(languages):
    codes = [getattr(IsoCode639_1, code.upper()) for code in languages]
    detector = LanguageDetectorBuilder.from_iso_codes_639_1(*codes).with_preloaded_language_models().build()

    def detect(text: str) -> str | None:
        found = detector.detect_language_of(text)
        return found.iso_code_639_1.name.lower() if found else None

    return detect


def _accuracy(detect) -> dict[str, float]:
    return {lang: sum(detect(m) == lang for m in messages) / len(messages) for lang, messages in SETS.items()}


def test_every_supported_language_has_a_detection_set():
    assert set(SETS) == set(default_detector().languages)
    assert all(len(messages) >= 50 for messages in SETS.values())


def test_short_messages_are_told_apart_at_least_97_percent_of_the_time():
    candidates = {
        "langdetect": _langdetect(),
        "lingua (our 11)": _lingua(SETS),
        "ours (bot.understanding.language)": detect_language,
    }
    scores = {name: _accuracy(detect) for name, detect in candidates.items()}
    total = sum(len(m) for m in SETS.values())
    overall = {
        name: sum(acc[lang] * len(SETS[lang]) for lang in SETS) / total for name, acc in scores.items()
    }
    languages = sorted(SETS)
    lines = [
        f"Language detection on short messages (tests/language, {total} messages, 2–8 words)",
        f"{'detector':34} " + " ".join(f"{lang:>5}" for lang in languages) + f" {'all':>6}",
        *(
            f"{name:34} " + " ".join(f"{acc[lang]:5.2f}" for lang in languages) + f" {overall[name]:6.3f}"
            for name, acc in scores.items()
        ),
    ]
    REPORTS.append("\n".join(lines))
    ours = scores["ours (bot.understanding.language)"]
    assert overall["ours (bot.understanding.language)"] >= BAR, "\n".join(lines)
    assert min(ours.values()) >= 0.9, "\n".join(lines)


@pytest.mark.parametrize(
    "said",
    [
        "ok",
        "okay",
        "yes",
        "thanks",
        "1",
        "2",
        "ya",
        "no",
        "👍",
        "🙏🙏",
        "CN-100234",
        "$50",
        "12/04/1988",
        "?",
    ],
)
def test_messages_that_say_nothing_about_language_are_not_guessed(said):
    assert detect_language(said) is None
