"""The API docs render with no network beyond the product: every request to another host is refused."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect


@pytest.mark.browser
def test_the_api_docs_render_offline(page, live_server, screenshot):
    own = urlsplit(live_server.url).netloc
    outside: list[str] = []

    def only_our_server(route):
        if urlsplit(route.request.url).netloc == own:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_our_server)
    page.goto("/api/patient/v1/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("ihospital patient API")
    expect(page.locator(".opblock").first).to_be_visible()  # the operations, read from the OpenAPI document
    screenshot(page, "api-docs")
    assert outside == []
