"""The satisfaction question: when it may be asked (a pure rule), what ends a conversation, what
reads as a score, and how the question looks on SMS in every language."""

import dataclasses

import pytest

from bot.channels.text_parts import as_sms
from bot.db.models import Message
from bot.gateway.assistant import BotReply
from bot.gateway.replies import Replies
from bot.gateway.satisfaction import QUESTION, THANKS, Facts, Satisfaction, reason_not_to_ask
from tests.conftest import LANGUAGES

SERVED = Facts(served=True)


@pytest.fixture(scope="module")
def satisfaction(catalog) -> Satisfaction:
    return Satisfaction(catalog, Replies(catalog, {}))


def test_a_customer_served_with_nothing_against_it_is_asked():
    assert reason_not_to_ask(SERVED) is None


@pytest.mark.parametrize(
    "fact",
    ["care_cue", "care_pause", "consent_pending", "care_handoff", "with_person", "opted_out", "asked_today"],
)
def test_any_of_these_means_no_question(fact):
    assert reason_not_to_ask(dataclasses.replace(SERVED, **{fact: True})) == fact


def test_a_customer_who_never_got_past_a_greeting_is_not_asked():
    assert reason_not_to_ask(Facts(served=False)) == "not_served"


def test_care_comes_before_every_other_reason():
    everything = Facts(
        served=False,
        opted_out=True,
        care_cue=True,
        care_pause=True,
        consent_pending=True,
        care_handoff=True,
        with_person=True,
        asked_today=True,
    )
    assert reason_not_to_ask(everything) == "care_cue"


@pytest.mark.parametrize("language", [*LANGUAGES, "hi-Latn"])
def test_the_goodbye_in_any_language_ends_the_conversation(satisfaction, catalog, language):
    goodbye = catalog.render("utter_goodbye", language).text
    assert satisfaction.ends_conversation([BotReply("Your plan reference is AR-1."), BotReply(goodbye)])


@pytest.mark.parametrize(
    "said",
    [
        [],
        [BotReply("You're welcome. Is there anything else I can help with?")],
        [BotReply("Thanks for chatting with me. You can message here any time. Take care."), BotReply("Hi")],
        [BotReply("", custom={"opt_out": "keyword"})],
    ],
    ids=["nothing", "you are welcome", "goodbye not last", "only a custom payload"],
)
def test_a_turn_that_does_not_end_with_the_goodbye_does_not_end_the_conversation(satisfaction, said):
    assert not satisfaction.ends_conversation(said)


@pytest.mark.parametrize(
    ("text", "interpreted", "language", "score"),
    [
        ("4", None, "en", 4),
        ("４", None, "ja", 4),  # full width
        (" 2. ", None, "en", 2),
        ("५", None, "hi", 5),  # Devanagari digit
        ("๓", None, "th", 3),  # Thai digit
        ("/csat_5", None, "en", 5),  # the web chat sends a button's payload as text
        ("4", "/csat_4", "en", 4),  # a typed option number, read by the gateway
        ("Very good", "/csat_5", "en", 5),  # Telegram: the title shown, the payload pressed
        ("four", None, "en", 4),
        ("cuatro", None, "es", 4),
        ("Four!", None, "es", 4),  # English words count in every conversation
        ("四", None, "ja", 4),
        ("4点", None, "ja", 4),
        ("다섯", None, "ko", 5),
        ("สาม", None, "th", 3),
        ("dalawa", None, "tl", 2),
        ("năm", None, "vi", 5),
        ("5分", None, "zh", 5),
    ],
)
def test_a_score_is_read_however_it_is_given(satisfaction, text, interpreted, language, score):
    assert satisfaction.score_of(Message(text=text, interpreted=interpreted), language) == score


@pytest.mark.parametrize(
    ("text", "interpreted"),
    [
        ("0", None),
        ("6", None),
        ("45", None),
        ("4 stars but slow", None),
        ("thanks again", None),
        ("1", "/affirm"),  # the number picked an option of something else
        ("/csat_9", None),
    ],
)
def test_anything_else_is_not_a_score(satisfaction, text, interpreted):
    assert satisfaction.score_of(Message(text=text, interpreted=interpreted), "en") is None


@pytest.mark.parametrize("language", [*LANGUAGES, "hi-Latn"])
def test_the_question_arrives_by_sms_as_one_text_with_five_numbered_options(catalog, language):
    rendered = catalog.render(QUESTION, language)
    buttons = [{"title": b.title, "payload": b.payload} for b in rendered.buttons]
    parts = as_sms(rendered.text, buttons, language)
    assert len(parts) == 1, f"the customer would get the question in {len(parts)} texts: {parts}"
    [(text, _)] = parts
    assert text.endswith("\n".join(f"{n}. {b['title']}" for n, b in enumerate(buttons, start=1)))
    assert [b["payload"] for b in buttons] == [f"/csat_{n}" for n in range(1, 6)]


@pytest.mark.parametrize("language", [*LANGUAGES, "hi-Latn"])
def test_the_thanks_is_one_short_text(catalog, language):
    parts = as_sms(catalog.render(THANKS, language).text, [], language)
    assert len(parts) == 1 and len(parts[0][0]) <= 100, parts


@pytest.mark.parametrize("language", [*LANGUAGES, "hi-Latn"])
def test_no_option_is_a_bare_acknowledgement_that_would_be_read_as_a_score(catalog, language):
    """ "ok" or "好" after the question is more often a goodbye than a middling score."""
    titles = [b.title for b in catalog.render(QUESTION, language).buttons]
    assert not [t for t in titles if catalog.is_acknowledgement(t, language)], titles
