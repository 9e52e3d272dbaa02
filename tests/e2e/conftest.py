"""Browser end-to-end fixtures: headless Chromium (Debian's package, driven by Playwright)
against the app served by pytest-django's live server on 127.0.0.1.

Each test gets fresh browser contexts (one per person, so cookies never mix), a
`browser_page(email)` that signs someone in through the real login form, and `screenshot(page,
name)` that saves a full-page picture to artifacts/screenshots/<test>-<name>.png after checking
that every stylesheet of the page arrived."""

import os
import re
from pathlib import Path

import pytest

from conftest import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
VIEWPORT = {"width": 1280, "height": 800}
TIMEOUT_MS = 10_000


# One browser for the whole e2e package. Not kept for the rest of the session on purpose:
# Playwright's sync API leaves an asyncio loop marked as running on the main thread while it
# is started, and every later (non-browser) test would then meet Django's async-safety guard
# and asgiref's "AsyncToSync in the same thread as an event loop" refusal.
@pytest.fixture(scope="package")
def chromium():
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing: install Debian's chromium package to run the browser tests."
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as mp:
        # The tests' own ORM calls and pytest-django's flush run on that thread too; the
        # live server's threads are unaffected.
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        playwright = sync_playwright().start()
        try:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            yield browser
            browser.close()
        finally:
            playwright.stop()


@pytest.fixture
def new_page(chromium, live_server, transactional_db):
    """new_page() -> a Page in a fresh browser context (own cookies) pointed at the live server.
    Any static file that fails to load fails the test."""
    contexts, static_errors = [], []

    def factory(locale: str = "en-US"):
        context = chromium.new_context(base_url=live_server.url, viewport=VIEWPORT, locale=locale)
        context.set_default_timeout(TIMEOUT_MS)
        context.on(
            "response",
            lambda r: static_errors.append(f"{r.status} {r.url}") if "/static/" in r.url and r.status >= 400 else None,
        )
        # A request the browser itself abandons (the page moved on before the favicon came) is
        # not a failure of the server.
        context.on(
            "requestfailed",
            lambda r: (
                static_errors.append(f"failed {r.url}")
                if "/static/" in r.url and r.failure != "net::ERR_ABORTED"
                else None
            ),
        )
        contexts.append(context)
        return context.new_page()

    yield factory
    for context in contexts:
        context.close()
    assert not static_errors, f"static files did not load: {static_errors}"


@pytest.fixture
def browser_page(new_page):
    """browser_page(email, password=PASSWORD) -> a Page signed in through the real login form."""

    def login(email: str, password: str = PASSWORD):
        page = new_page()
        page.goto("/accounts/login/")
        page.get_by_label("E-mail address").fill(email)  # the field has autofocus
        page.keyboard.press("Tab")
        page.keyboard.type(password)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.url.endswith("/dashboard/"), f"sign-in of {email} ended on {page.url}"
        return page

    return login


@pytest.fixture
def screenshot(request):
    """screenshot(page, name): check the page's stylesheets, then save a full-page screenshot."""
    test = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def save(page, name: str) -> Path:
        page.wait_for_load_state("load")
        unstyled = page.evaluate(
            """() => [...document.querySelectorAll('link[rel=stylesheet]')]
                .filter(l => !l.sheet || l.sheet.cssRules.length === 0).map(l => l.href)"""
        )
        assert not unstyled, f"stylesheets missing on {page.url}: {unstyled}"
        path = SCREENSHOTS / f"{test}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save
