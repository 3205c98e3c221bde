"""Every sentence a customer can see lives in locales/, is complete, and keeps our tone."""

import re

import pytest
import yaml

from bot.config import ROOT
from bot.i18n import Catalog, MissingValueError, placeholders

DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text())
ACTIONS_CODE = "\n".join(p.read_text() for p in (ROOT / "actions").glob("*.py"))
GATEWAY_KEYS = {"gateway_delayed", "error_message_too_long", "error_bad_request"}
# Per language, words that threaten, shame or pressure (DESIGN.md tone rules): tests/tone/<lang>.yml.
NEVER_SAY = {
    path.stem: yaml.safe_load(path.read_text(encoding="utf-8"))["never_say"]
    for path in sorted((ROOT / "tests" / "tone").glob("*.yml"))
}


def test_every_response_the_domain_or_an_action_uses_exists_in_english(catalog: Catalog):
    used = set(DOMAIN["responses"]) | set(re.findall(r'response="(utter_\w+)"', ACTIONS_CODE)) | GATEWAY_KEYS
    assert used - catalog.keys("en") == set()


def test_domain_responses_only_name_their_key_and_never_hold_customer_text():
    for key, variants in DOMAIN["responses"].items():
        assert [v["text"] for v in variants] == [key]


@pytest.mark.parametrize("language", sorted(Catalog(ROOT / "locales", "en").languages))
def test_every_locale_has_every_key_with_the_same_placeholders(catalog: Catalog, language: str):
    english = catalog.languages["en"]
    other = catalog.languages[language]
    assert set(other) == set(english)
    for key, entry in english.items():
        assert placeholders(other[key]["text"]) == placeholders(entry["text"]), key
        assert placeholders(other[key].get("option_title", "")) == placeholders(
            entry.get("option_title", "")
        ), key
        assert [b["payload"] for b in other[key].get("buttons", [])] == [
            b["payload"] for b in entry.get("buttons", [])
        ], key
    assert set(catalog.interface[language]) == set(catalog.interface["en"])


def test_every_language_has_a_tone_list_and_every_tone_list_a_language(catalog: Catalog):
    assert set(NEVER_SAY) == set(catalog.languages)


@pytest.mark.parametrize("language", sorted(NEVER_SAY))
def test_nothing_we_show_threatens_shames_or_pressures(catalog: Catalog, language: str):
    shown = [
        (key, text)
        for key, entry in catalog.languages[language].items()
        for text in [
            entry["text"],
            entry.get("option_title", ""),
            *(b["title"] for b in entry.get("buttons", [])),
        ]
    ] + [(f"interface.{key}", text) for key, text in catalog.interface[language].items()]
    for key, text in shown:
        for pattern in NEVER_SAY[language]:
            assert not re.search(pattern, text, re.IGNORECASE), f"{key} says {pattern!r}: {text}"


def test_a_missing_value_is_an_error_not_a_half_filled_sentence(catalog: Catalog):
    with pytest.raises(MissingValueError, match="minutes"):
        catalog.render("utter_verification_locked", "en", {})


def test_an_unsupported_language_falls_back_to_english(catalog: Catalog):
    assert catalog.render("utter_goodbye", "xx").language == "en"


@pytest.mark.parametrize(
    ("language", "typed", "reply_in"),
    [
        ("hi", "mera balance kitna hai", "hi-Latn"),
        ("hi-Latn", "मेरा बैलेंस कितना है", "hi"),
        ("hi-Latn", "kya main EMI mein pay kar sakta hoon", "hi-Latn"),
        ("hi", "मुझे EMI चाहिए", "hi"),  # a Latin acronym in Devanagari is still Devanagari
        ("hi-Latn", "👍 123", "hi-Latn"),  # no letters: nothing to follow
        ("es", "mi saldo", "es"),  # one script only
    ],
)
def test_a_reply_is_in_the_script_the_customer_writes(catalog: Catalog, language, typed, reply_in):
    assert catalog.as_written(language, typed) == reply_in


def test_a_script_variant_reads_customers_with_its_languages_words(catalog: Catalog):
    assert catalog.variants() == {"hi-Latn"}
    assert catalog.recognise("frequency", "har mahine", "hi-Latn") == "monthly"
    assert catalog.date_languages["hi-Latn"] == catalog.date_languages["hi"]
    assert catalog.address["hi-Latn"] == "given"
