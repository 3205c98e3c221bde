"""Identity checks that cannot be turned against the customer, over the web chat on the real stack."""

import pytest

from tests.integration.chat_client import ChatClient, bot_texts
from tests.integration.customers import add_customer, ask_balance

WRONG_BIRTH_DATES = ["01/01/1970", "02/02/1971", "03/03/1972", "04/04/1973"]


async def _stranger_tries(stack, reference: str) -> list[list[str]]:
    """A stranger in a browser of their own: the reference, then one wrong birth date after another."""
    chat = await ChatClient.connect(stack.ws_url)
    said = []
    try:
        await chat.say("what do I owe?")
        said.append(bot_texts(await chat.say(reference)))
        for born in WRONG_BIRTH_DATES:
            said.append(bot_texts(await chat.say(born)))
            if not any("?" in text for text in said[-1]):
                said.append(bot_texts(await chat.say(reference)))
    finally:
        await chat.close()
    return said


async def test_a_stranger_learns_nothing_and_cannot_lock_the_owner_out(stack):
    _, account = await add_customer(stack)

    first = await _stranger_tries(stack, account.reference)
    after_the_first = await _stranger_tries(stack, account.reference)
    guesses_one = await _stranger_tries(stack, "CN-000000")

    assert first == after_the_first == guesses_one, "the replies tell whether the reference exists"
    _, answer = await ask_balance(stack, account)
    assert any("$320.00" in text for text in answer), f"the owner was shut out: {answer}"


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "its {reference}, dob 03/14/90"),
        ("es", "{reference} y naci el 14 de marzo de 1990"),
    ],
)
async def test_a_reference_and_a_date_of_birth_in_one_message_are_both_read(stack, catalog, language, said):
    _, account = await add_customer(stack, language=language)
    chat = await ChatClient.connect(stack.ws_url, language=language, origin=stack.api_url)
    try:
        await chat.say("what do I owe?" if language == "en" else "¿cuánto debo?")
        told = bot_texts(await chat.say(said.format(reference=account.reference)))
    finally:
        await chat.close()
    assert any("320.00" in text for text in told), told
