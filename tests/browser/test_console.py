"""An agent works a conversation in the console in Chromium, while a customer chats on the web."""

from playwright.async_api import expect

from tests.integration.chat_client import ChatClient, bot_texts
from tests.integration.console_client import PASSWORD, add_agent

ATTACK = "<script>window.pwned = 1</script><img src=x onerror=\"document.title='pwned'\"> are you there?"


async def _message_from(customer: ChatClient, sender: str) -> dict:
    while True:
        frame = await customer.next_frame()
        if frame["type"] == "message" and frame["sender"] == sender:
            return frame


async def test_an_agent_signs_in_claims_replies_and_hands_back(stack, browser, catalog, artifacts):
    await add_agent(stack, "lina", ["en"])
    customer = await ChatClient.connect(stack.ws_url, language="en", origin=stack.api_url)
    await customer.say("hi")
    asked = bot_texts(await customer.say("I want to talk to a real person"))
    assert asked, "the customer is told a person is coming"

    context = await browser.new_context(viewport={"width": 1400, "height": 900})
    page = await context.new_page()
    await page.goto(f"{stack.api_url}/console")
    await expect(page).to_have_url(f"{stack.api_url}/console/login")
    await page.get_by_label("Username").fill("lina")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.locator("#live")).to_have_text("Live")

    row = page.locator("#queue tbody tr", has_text="Asked for a person").last
    await row.get_by_role("button", name="Claim").click()
    await expect(page.locator("#transcript")).to_contain_text("I want to talk to a real person")
    joined = await _message_from(customer, "system")
    assert "Lina" in joined["text"]

    await page.get_by_label("Reply to the customer").fill("Hi, this is Lina. How can I help?")
    await page.get_by_role("button", name="Send").click()
    assert (await _message_from(customer, "agent"))["text"] == "Hi, this is Lina. How can I help?"

    # What the customer writes arrives live and is shown as text, never run as markup.
    await customer.send_raw(customer.frame(type="message", text=ATTACK, client_id="attack-1"))
    await expect(page.locator("#transcript li.from-customer .text").last).to_have_text(ATTACK)
    assert await page.locator("#transcript img, #transcript script").count() == 0
    assert await page.evaluate("window.pwned") is None
    assert await page.title() != "pwned"
    await page.screenshot(path=artifacts / "console-conversation.png", full_page=True)

    await page.get_by_role("button", name="Hand back to the assistant").click()
    returned = await _message_from(customer, "system")
    assert returned["text"] == catalog.render("handoff_returned", "en").text
    answer = bot_texts(await customer.say("how much do I owe"))
    assert answer == [catalog.render("utter_ask_account_reference", "en").text]
    await context.close()
    await customer.close()
