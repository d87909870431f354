"""Browser-test harness: Playwright (sync API) driving Debian's Chromium against pytest-django's live_server.

    @pytest.mark.browser
    def test_something(page):
        page.goto("/p/sign-in/")          # relative to live_server.url (the context's base_url)

Fixtures: ``browser`` (one Chromium for the whole package), ``media_browser`` (the same with Chromium's
fake camera and microphone, for video-call tests), ``context``/``page`` (a fresh phone-sized context per
test), ``new_phone_context(browser)`` to open more contexts in one test (patient and doctor side by
side) and ``screenshot(page, name)``. A failing test leaves a screenshot of every page it opened under
``test-results/`` (gitignored).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

CHROMIUM = "/usr/bin/chromium"  # Debian's package; never `playwright install`
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
FAKE_MEDIA_ARGS = [
    "--use-fake-ui-for-media-stream",  # grant camera/microphone without a prompt
    "--use-fake-device-for-media-stream",  # a synthetic camera and microphone
    "--allow-loopback-in-peer-connection",  # WebRTC between two contexts on 127.0.0.1
]
PHONE = {
    "viewport": {"width": 360, "height": 740},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
    "timezone_id": "Asia/Shanghai",
}
DEFAULT_TIMEOUT_MS = 10_000
RESULTS_DIR = "test-results"  # gitignored


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    # Playwright's sync API runs an asyncio event loop in the test thread (on a greenlet) for as long as
    # it is started, so Django sees "a running event loop" and refuses ORM calls made by the test itself
    # (reading SandboxSms, counting rows, flushing the transactional DB) with SynchronousOnlyOperation.
    # There is no real concurrency: the test thread is blocked whenever the loop works. So we allow it,
    # but only while Playwright runs — package scope stops it after the last browser test, so the rest of
    # the suite keeps Django's guard (which matters for the async Channels code).
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as instance:
        yield instance
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _launch(playwright: Playwright, *, fake_media: bool = False) -> Browser:
    args = CHROMIUM_ARGS + (FAKE_MEDIA_ARGS if fake_media else [])
    return playwright.chromium.launch(executable_path=CHROMIUM, args=args)


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = _launch(playwright)
    yield browser
    browser.close()


@pytest.fixture(scope="package")
def media_browser(playwright: Playwright) -> Iterator[Browser]:
    """Chromium with a fake camera and microphone and no permission prompts (video-call tests)."""
    browser = _launch(playwright, fake_media=True)
    yield browser
    browser.close()


@pytest.fixture
def new_phone_context(request, live_server) -> Iterator:
    """``new_phone_context(browser)`` → a new phone-sized zh-CN context on the live server; closed after the
    test, and screenshotted first if the test failed. A Content-Security-Policy violation on any of its
    pages fails the test."""
    opened: list[BrowserContext] = []
    violations: list[str] = []  # Chromium's console errors for what the Content-Security-Policy blocked

    def watch(page: Page) -> None:
        page.on(
            "console",
            lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None,
        )

    def new(browser: Browser, **overrides) -> BrowserContext:
        context = browser.new_context(base_url=live_server.url, **{**PHONE, **overrides})
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        context.on("page", watch)
        opened.append(context)
        return context

    yield new
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        _screenshot_all(request, opened)
    for context in opened:
        context.close()
    assert violations == [], "the Content-Security-Policy blocked something (tests/test_csp.py)"


@pytest.fixture
def context(browser: Browser, new_phone_context) -> BrowserContext:
    return new_phone_context(browser)


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


def _save(request, page: Page, name: str) -> Path:
    path = request.config.rootpath / RESULTS_DIR / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def screenshot(request):
    """``screenshot(page, "name")`` saves the whole page as test-results/name.png, for a human to look at."""
    return lambda page, name: _save(request, page, name)


def _screenshot_all(request, contexts: list[BrowserContext]) -> None:
    stem = re.sub(r"[^\w.-]+", "_", request.node.nodeid)
    for c, context in enumerate(contexts):
        for p, page in enumerate(context.pages):
            try:
                saved = _save(request, page, f"FAILED-{stem}-{c}-{p}")
            except Exception as error:  # a crashed page must not hide the test's own failure
                print(f"could not screenshot {page.url}: {error}")
            else:
                print(f"screenshot of the failure ({page.url}): {saved}")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so fixtures can tell in teardown whether the test failed."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
