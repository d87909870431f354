"""The API docs pages work offline: each NinjaAPI's docs page loads its viewer from the product's own
static files, names no other host, and every asset it references is served."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from ninja import NinjaAPI

from config import api as apis

NINJA_APIS = [value for value in vars(apis).values() if isinstance(value, NinjaAPI)]
VENDOR = Path(__file__).resolve().parents[1] / "ihospital" / "web" / "static" / "vendor"


class References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0
        self._in_script_without_src = False

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        self.urls += [found[name] for name in ("src", "href") if found.get(name)]
        self._in_script_without_src = tag == "script" and not found.get("src")

    def handle_data(self, data):
        if self._in_script_without_src and data.strip():
            self.inline_scripts += 1

    def handle_endtag(self, tag):
        self._in_script_without_src = False


def docs_page(client, api) -> str:
    response = client.get(reverse(f"{api.urls_namespace}:openapi-view"))
    assert response.status_code == 200
    return response.content.decode()


def test_every_api_has_a_docs_page():
    assert {api.urls_namespace for api in NINJA_APIS} >= {"patient_api", "staff_api"}


@pytest.mark.parametrize("api", NINJA_APIS, ids=lambda api: api.urls_namespace)
def test_the_docs_page_names_no_other_host_and_uses_the_vendored_viewer(client, api):
    html = docs_page(client, api)
    assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", html, re.IGNORECASE), "an outside host"
    page = References()
    page.feed(html)
    assert page.inline_scripts == 0
    vendored = [url for url in page.urls if url.startswith("/static/vendor/swagger-ui-")]
    assert {url.rsplit("/", 1)[-1] for url in vendored} == {"swagger-ui-bundle.js", "swagger-ui.css"}


@pytest.mark.parametrize("api", NINJA_APIS, ids=lambda api: api.urls_namespace)
def test_every_asset_of_the_docs_page_is_served(client, api):
    page = References()
    page.feed(docs_page(client, api))
    assert page.urls
    for url in page.urls:
        assert not urlsplit(url).netloc
        response = client.get(url)
        assert response.status_code == 200, url
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert body, url


def test_the_vendored_viewer_records_its_version_and_licence():
    [folder] = VENDOR.glob("swagger-ui-*")
    version = folder.name.removeprefix("swagger-ui-")
    assert "Apache License" in (folder / "LICENSE").read_text()
    assert f"| swagger-ui-dist | {version} | Apache-2.0" in (VENDOR / "README.md").read_text()
