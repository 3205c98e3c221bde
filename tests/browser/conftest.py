"""A creditor's website on an origin of its own, and Debian's Chromium driven by Playwright."""

import threading
from collections.abc import AsyncIterator, Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright

from bot.config import ROOT
from tests.stack import HOST_PAGE_PORT, Stack

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "tests" / "artifacts"
# Chromium as root in a closed network: no sandbox, and no calls home at start.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def host_page(stack: Stack, tmp_path_factory) -> Iterator[str]:
    """The sample creditor page with its one script tag pointing at the stack's api."""
    site: Path = tmp_path_factory.mktemp("creditor-site")
    page = (ROOT / "api/static/creditor-site.html").read_text()
    (site / "index.html").write_text(page.replace('src="/widget.js"', f'src="{stack.api_url}/widget.js"'))
    server = ThreadingHTTPServer(
        ("127.0.0.1", HOST_PAGE_PORT), partial(SimpleHTTPRequestHandler, directory=site)
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{HOST_PAGE_PORT}/"
    finally:
        server.shutdown()


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: `make test` installs it"
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


@pytest.fixture
def artifacts() -> Path:
    """Screenshots the browser tests keep for a person to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
