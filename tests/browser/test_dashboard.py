"""Supervisors read the dashboard and the webhook delivery log in Chromium; an agent gets neither.

The api runs alone on a database holding the known world of tests/db/test_dashboard.py: the
dashboard needs no assistant, so no Rasa model is trained or started for these tests. The api's
sweep for missed instalments runs on the real clock and may mark the world's instalments still
due in active plans as missed, so instalment and plan figures are asserted in tests/db only.
"""

from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from playwright.async_api import Page, expect

from api.cli import migrate
from bot.config import Settings
from bot.db.engine import Database
from bot.people.agents import create_agent
from tests.db.test_dashboard import seed_world
from tests.integration.console_client import PASSWORD, Console
from tests.stack import launch, stack_environment, stop, wait_until

NOVEMBER = {"start": "2026-11-01", "end": "2026-12-01"}


@pytest.fixture(scope="module")
def dashboard_database(tmp_path_factory) -> tuple[str, Path]:
    """A migrated SQLite file (migrations run their own event loop, so outside the tests')."""
    folder = tmp_path_factory.mktemp("dashboard")
    database_url = f"sqlite+aiosqlite:///{folder / 'concord.db'}"
    migrate(Settings(database_url=database_url))
    return database_url, folder


@pytest.fixture(scope="module")
async def console_api(dashboard_database) -> AsyncIterator[SimpleNamespace]:
    """The api alone (no assistant), on a SQLite file seeded with the known world, with a
    supervisor (sara) and an agent (lina)."""
    database_url, folder = dashboard_database
    database = Database(database_url)
    try:
        async with database.transaction() as session:
            events = await seed_world(session)
            await create_agent(session, "sara", "Sara", PASSWORD, "supervisor", ["en"])
            await create_agent(session, "lina", "Lina", PASSWORD, "agent", ["en"])
    finally:
        await database.close()
    # No creditor webhook: a replayed event stays pending, as it would until the sender's next round.
    env = stack_environment(database_url, f"sqlite:///{folder / 'tracker.db'}", CONCORD_WEBHOOK_URL="")
    log = folder / "api.log"
    api = launch(env, log, "api")
    try:
        # Degraded (503) without the assistant; any answer means the api is up.
        wait_until(f"{env['CONCORD_PUBLIC_URL']}/healthz", log, api, timeout=90, healthy=False)
        yield SimpleNamespace(url=env["CONCORD_PUBLIC_URL"], events=events)
    finally:
        stop(api)


async def _signed_in(browser, console_api, username: str) -> tuple[Page, list[str]]:
    """A console page signed in as `username`, and the problems the page reports (errors, and
    anything the Content-Security-Policy refused)."""
    context = await browser.new_context(viewport={"width": 1500, "height": 1000})
    page = await context.new_page()
    problems: list[str] = []

    def console_error(message) -> None:
        # Failed loads are taken from the responses below (Chromium's own favicon request is no page's).
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(message.text)  # a script error, or something the policy refused

    page.on("console", console_error)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    await page.goto(f"{console_api.url}/console/login")
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.locator("#live")).to_have_text("Live")
    return page, problems


def _figure(page: Page, key: str):
    return page.locator(f'[data-figure="{key}"]')


async def test_a_supervisor_reads_novembers_figures_and_sees_a_language_served_worse(
    browser, console_api, artifacts
):
    page, problems = await _signed_in(browser, console_api, "sara")
    await page.get_by_role("button", name="Dashboard").click()
    await page.get_by_label("From").fill("2026-11-01")
    await page.get_by_label("To (included)").fill("2026-11-30")
    await page.get_by_role("button", name="Show").click()

    await expect(page.locator("#dashboard-period")).to_contain_text("2026-11-01 to 2026-11-30")
    await expect(_figure(page, "conversations").locator(".big")).to_have_text("7")
    await expect(_figure(page, "right_party_contact")).to_contain_text("71% (5 of 7)")
    await expect(_figure(page, "contained")).to_contain_text("43% (3 of 7)")
    await expect(_figure(page, "handoffs")).to_contain_text("median 5m 0s, mean 5m 30s")
    await expect(_figure(page, "collected")).to_contain_text("A$699.50 from 3 payments")
    await expect(_figure(page, "collected")).to_contain_text("Reversed, not counted: A$70.00 (1)")
    await expect(_figure(page, "promises")).to_contain_text("kept 1 · late 0 · broken 1")
    await expect(_figure(page, "csat")).to_contain_text("3.5 average")

    spanish = page.locator('#parity tr[data-language="es"] td').first  # identity checked
    await expect(spanish).to_have_class("numeric worse")
    await expect(spanish).to_contain_text("50% (n 2)−21 pts")
    await page.screenshot(path=artifacts / "dashboard.png", full_page=True)
    assert not problems, f"the console page reported: {problems}"


async def test_a_supervisor_splits_the_figures_by_channel(browser, console_api):
    page, problems = await _signed_in(browser, console_api, "sara")
    await page.get_by_role("button", name="Dashboard").click()
    await page.get_by_label("From").fill("2026-11-01")
    await page.get_by_label("To (included)").fill("2026-11-30")
    await page.get_by_label("Split by").select_option("channel")

    await expect(page.locator("#dashboard-split-title")).to_have_text("By channel")
    sms = page.locator('#dashboard-split tbody tr[data-key="sms"]')
    await expect(sms.locator("td").nth(0)).to_have_text("3")  # conversations
    await expect(sms.locator("td").nth(1)).to_contain_text("67% (2/3)")  # identity checked
    await expect(page.locator('#dashboard-split tbody tr[data-key="unknown"]')).to_contain_text("$10.00")
    assert not problems, f"the console page reported: {problems}"


async def test_a_supervisor_replays_a_failed_webhook_and_its_row_shows_pending(browser, console_api):
    page, problems = await _signed_in(browser, console_api, "sara")
    await page.get_by_role("button", name="Webhooks").click()
    failed = page.locator(f'#webhook-log tbody tr[data-event="{console_api.events["failed"]}"]')
    await expect(failed.locator("td.delivery")).to_have_text("failed")
    await expect(failed).to_contain_text("promise.broken")
    await expect(failed).to_contain_text("HTTP 503")

    await failed.get_by_role("button", name="Replay").click()
    await expect(failed.locator("td.delivery")).to_have_text("pending")
    assert not problems, f"the console page reported: {problems}"


async def test_an_agent_gets_no_dashboard_and_no_webhook_log(browser, console_api):
    page, _ = await _signed_in(browser, console_api, "lina")
    await expect(page.get_by_role("button", name="Supervisor view")).to_be_hidden()
    await expect(page.get_by_role("button", name="Dashboard")).to_be_hidden()
    await expect(page.get_by_role("button", name="Webhooks")).to_be_hidden()
    refused = {
        path: (await page.request.get(f"{console_api.url}{path}")).status
        for path in ("/console/api/dashboard?start=2026-11-01&end=2026-12-01", "/console/api/webhooks")
    }
    assert refused == {
        "/console/api/dashboard?start=2026-11-01&end=2026-12-01": 403,
        "/console/api/webhooks": 403,
    }, f"an agent asking for the dashboard and the delivery log got {refused}"


async def test_an_agent_cannot_replay_a_webhook(console_api):
    agent = Console(SimpleNamespace(api_url=console_api.url))
    try:
        assert (await agent.sign_in("lina")).status_code == 200
        response = await agent.post(f"/console/api/webhooks/{console_api.events['failed']}/replay")
    finally:
        await agent.close()
    assert response.status_code == 403, f"an agent replaying an event got {response.status_code}"


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ({"start": "2026-13-01", "end": "2026-12-01"}, "start"),
        ({"start": "1 Nov 2026", "end": "2026-12-01"}, "start"),
        ({"start": "2026-11-01", "end": "2026-11-01"}, "end"),
        ({"start": "2024-01-01", "end": "2026-12-01"}, "end"),
        ({**NOVEMBER, "by": "currency"}, "by"),
    ],
)
async def test_a_bad_dashboard_parameter_is_refused_by_name(console_api, query, named):
    supervisor = Console(SimpleNamespace(api_url=console_api.url))
    try:
        assert (await supervisor.sign_in("sara")).status_code == 200
        response = await supervisor.http.get("/console/api/dashboard", params=query)
    finally:
        await supervisor.close()
    assert response.status_code == 422, f"{query} got {response.status_code}"
    assert response.json()["detail"].startswith(f"{named} "), f"{query} was refused with {response.json()}"


async def test_replaying_an_event_that_does_not_exist_is_not_found(console_api):
    supervisor = Console(SimpleNamespace(api_url=console_api.url))
    try:
        assert (await supervisor.sign_in("sara")).status_code == 200
        response = await supervisor.post("/console/api/webhooks/999999/replay")
    finally:
        await supervisor.close()
    assert response.status_code == 404, f"replaying event 999999 got {response.status_code}"
