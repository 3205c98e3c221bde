"""The chat widget on a creditor's page, in Chromium: a conversation, a reload, and accessibility."""

from playwright.async_api import expect

from bot.db.demo_data import DEMO_CUSTOMERS

MIA = DEMO_CUSTOMERS[0]


async def test_a_customer_chats_on_the_creditors_page_reloads_and_carries_on(
    browser, host_page, catalog, artifacts
):
    context = await browser.new_context()
    page = await context.new_page()
    labels = catalog.interface_labels("en")
    await page.goto(host_page)

    launcher = page.get_by_role("button", name=labels["launcher"])
    await expect(launcher).to_have_attribute("aria-expanded", "false")
    await launcher.click()
    await expect(launcher).to_have_attribute("aria-expanded", "true")
    await expect(page.get_by_role("dialog", name=labels["title"])).to_be_visible()
    message_box = page.get_by_label(labels["message_label"])
    await expect(message_box).to_be_focused()

    log = page.get_by_role("log")
    await message_box.fill("hi")
    await message_box.press("Enter")
    await expect(log).to_contain_text(catalog.render("utter_greet", "en").text)
    await page.get_by_role("button", name="Check what I owe").click()
    await expect(log).to_contain_text(catalog.render("utter_ask_account_reference", "en").text)
    await message_box.fill(MIA.reference)
    await message_box.press("Enter")
    await expect(log).to_contain_text(catalog.render("utter_ask_date_of_birth", "en").text)
    shown_before_reload = await log.locator("li").count()
    await page.screenshot(path=artifacts / "widget-before-reload.png")

    await page.reload()
    await expect(log).to_contain_text(catalog.render("utter_ask_date_of_birth", "en").text)
    assert await log.locator("li").count() == shown_before_reload, "a reload shows each message once"
    message_box = page.get_by_label(labels["message_label"])
    await message_box.fill(MIA.born.strftime("%d %B %Y"))
    await message_box.press("Enter")
    await expect(log).to_contain_text(f"Thank you, {MIA.name.split()[0]}")
    await page.screenshot(path=artifacts / "widget-after-reload.png")

    await page.keyboard.press("Escape")
    await expect(launcher).to_be_focused()
    await expect(launcher).to_have_attribute("aria-expanded", "false")
    await context.close()


async def test_what_a_customer_types_is_shown_as_text_never_as_markup(browser, host_page, catalog):
    context = await browser.new_context()
    page = await context.new_page()
    labels = catalog.interface_labels("en")
    await page.goto(host_page)
    await page.get_by_role("button", name=labels["launcher"]).click()
    attack = "<img src=x onerror=\"document.title='pwned'\">"
    await page.get_by_label(labels["message_label"]).fill(attack)
    await page.get_by_label(labels["message_label"]).press("Enter")
    await expect(page.locator(".log li.customer p")).to_have_text(attack)
    await expect(page.locator(".log li.bot").last).to_be_visible()
    assert await page.locator(".log img").count() == 0
    assert await page.title() != "pwned"
    await context.close()


async def test_on_a_phone_the_chat_fills_the_screen_and_keeps_still_for_reduced_motion(
    browser, host_page, catalog, artifacts
):
    context = await browser.new_context(viewport={"width": 375, "height": 740}, reduced_motion="reduce")
    page = await context.new_page()
    labels = catalog.interface_labels("en")
    await page.goto(host_page)
    await page.get_by_role("button", name=labels["launcher"]).click()
    panel = page.get_by_role("dialog", name=labels["title"])
    await expect(panel).to_be_visible()
    box = await panel.bounding_box()
    assert (box["x"], box["y"], box["width"]) == (0, 0, 375)
    animation = await page.locator(".panel").evaluate("panel => getComputedStyle(panel).animationName")
    assert animation == "none"
    await page.screenshot(path=artifacts / "widget-phone.png")
    await context.close()


async def test_the_language_picker_relabels_the_widget_and_the_assistant_answers_in_that_language(
    browser, host_page, catalog
):
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(host_page)
    await page.get_by_role("button", name=catalog.interface_labels("en")["launcher"]).click()
    await page.get_by_label(catalog.interface_labels("en")["language"]).select_option("ja")
    japanese = catalog.interface_labels("ja")
    message_box = page.get_by_label(japanese["message_label"])
    await expect(message_box).to_have_attribute("placeholder", japanese["placeholder"])
    await message_box.fill("こんにちは")
    await message_box.press("Enter")
    await expect(page.get_by_role("log")).to_contain_text(catalog.render("utter_greet", "ja").text)
    await context.close()
