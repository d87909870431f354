"""A private file leaves in chunks (asynchronously under ASGI, never read whole), with byte ranges for
seeking in a recording, and always with the headers that keep it uncached, unsniffed and sandboxed."""

from __future__ import annotations

import warnings

import pytest
from asgiref.sync import async_to_sync
from django.core import signals
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.db import close_old_connections
from django.db.models import FileField
from django.db.models.fields.files import FieldFile
from django.test import AsyncRequestFactory, RequestFactory

from ihospital.core.files.responses import CHUNK_SIZE, private_file_response

SIZE = 5 * CHUNK_SIZE + 123
CONTENT = bytes(i % 251 for i in range(SIZE))


class CountedFile:
    def __init__(self, file, reads: list[int]):
        self.file, self.reads = file, reads

    def read(self, size=-1):
        self.reads.append(size)
        return self.file.read(size)

    def seek(self, offset, whence=0):
        return self.file.seek(offset, whence)

    def close(self):
        self.file.close()

    @property
    def closed(self):
        return self.file.closed


class CountingStorage(FileSystemStorage):
    """Records the size of every read, to show nothing reads the whole file at once."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reads: list[int] = []
        self.opened: list[CountedFile] = []

    def open(self, name, mode="rb"):
        self.opened.append(CountedFile(super().open(name, mode), self.reads))
        return self.opened[-1]


@pytest.fixture
def stored(tmp_path) -> FieldFile:
    storage = CountingStorage(location=tmp_path)
    name = storage.save("recordings/take.webm", ContentFile(CONTENT))
    return FieldFile(instance=None, field=FileField(storage=storage), name=name)


def served(stored, *, filename="take.webm", **headers):
    request = RequestFactory().get("/file/", headers=headers)
    return private_file_response(request, stored, content_type="video/webm", filename=filename)


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def close(response):
    """What the server does once the response is sent or the client went away (without the
    request_finished handler that would close the database connection, as Django's test client)."""
    signals.request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        signals.request_finished.connect(close_old_connections)


def assert_private(response):
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"].startswith("sandbox; default-src 'none'")


def test_the_whole_file_with_every_private_header(stored):
    response = served(stored)
    assert response.status_code == 200
    assert (response["Content-Type"], response["Content-Length"]) == ("video/webm", str(SIZE))
    assert response["Accept-Ranges"] == "bytes" and "Content-Range" not in response
    assert response["Content-Disposition"] == 'inline; filename="take.webm"'
    assert_private(response)
    assert body(response) == CONTENT


def test_the_whole_file_is_read_a_chunk_at_a_time(stored):
    response = served(stored)
    chunks = list(response.streaming_content)
    assert [len(chunk) for chunk in chunks] == [CHUNK_SIZE] * 5 + [123]
    assert max(stored.storage.reads) <= CHUNK_SIZE


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=0-99", 0, 99),
        ("bytes=100-100", 100, 100),
        (f"bytes={CHUNK_SIZE - 10}-{2 * CHUNK_SIZE + 10}", CHUNK_SIZE - 10, 2 * CHUNK_SIZE + 10),
        (f"bytes={SIZE - 50}-{SIZE + 1000}", SIZE - 50, SIZE - 1),  # past the end: up to the end
        ("bytes=1000-", 1000, SIZE - 1),
        ("bytes=-200", SIZE - 200, SIZE - 1),
        (f"bytes=-{SIZE * 2}", 0, SIZE - 1),  # more than there is: all of it
    ],
)
def test_a_single_range_is_partial_content(stored, header, first, last):
    response = served(stored, Range=header)
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {first}-{last}/{SIZE}"
    assert response["Content-Length"] == str(last - first + 1)
    assert response["Accept-Ranges"] == "bytes"
    assert_private(response)
    assert body(response) == CONTENT[first : last + 1]


@pytest.mark.parametrize("header", [f"bytes={SIZE}-", f"bytes={SIZE + 5}-{SIZE + 10}", "bytes=-0"])
def test_a_range_outside_the_file_is_not_satisfiable(stored, header):
    response = served(stored, Range=header)
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{SIZE}"
    assert_private(response)
    assert stored.storage.reads == []


@pytest.mark.parametrize(
    "headers",
    [
        {"Range": "bytes=0-1,5-9"},  # several ranges: the whole file is a valid answer
        {"Range": "bytes=9-1"},  # invalid: ignored
        {"Range": "items=0-9"},
        {"Range": "bytes=-"},
        {"Range": "bytes=0-9", "If-Range": '"some-etag"'},  # nothing here has a validator to match
    ],
)
def test_other_range_requests_get_the_whole_file(stored, headers):
    response = served(stored, **headers)
    assert response.status_code == 200 and "Content-Range" not in response
    assert body(response) == CONTENT


@pytest.mark.parametrize(
    ("filename", "disposition"),
    [
        ('../../x";\r\nSet-Cookie: a=b.webm', 'inline; filename="x Set-Cookie a=b.webm"'),
        ("检验报告.pdf", "inline; filename*=utf-8''%E6%A3%80%E9%AA%8C%E6%8A%A5%E5%91%8A.pdf"),
        ("noextension", 'inline; filename="noextension.bin"'),
    ],
)
def test_the_file_name_is_made_safe(stored, filename, disposition):
    assert served(stored, filename=filename)["Content-Disposition"] == disposition


def test_the_file_is_closed_at_the_end_or_when_the_client_goes_away(stored):
    whole = served(stored)
    body(whole)
    abandoned = served(stored)
    next(iter(abandoned.streaming_content))
    assert [file.closed for file in stored.storage.opened] == [True, False]
    close(abandoned)
    assert all(file.closed for file in stored.storage.opened)


# --- under ASGI ----------------------------------------------------------------------------------------


def asgi_served(stored, **headers):
    request = AsyncRequestFactory().get("/file/", headers=headers)
    return private_file_response(request, stored, content_type="video/webm", filename="take.webm")


def test_under_asgi_the_file_is_streamed_by_an_async_iterator_not_buffered(stored):
    response = asgi_served(stored)
    assert response.is_async

    async def first_two_chunks_then_the_rest():
        # The ASGI handler consumes aiter(response); Django warns (and buffers everything) when that
        # has to map a synchronous iterator.
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            iterator = aiter(response)
            first = await anext(iterator)
            read_after_first = sum(stored.storage.reads)
            second = await anext(iterator)
            rest = [chunk async for chunk in iterator]
        return first, read_after_first, second, rest

    first, read_after_first, second, rest = async_to_sync(first_two_chunks_then_the_rest)()
    assert len(first) == len(second) == CHUNK_SIZE
    assert read_after_first == CHUNK_SIZE  # one chunk read for one chunk sent, not the whole file
    assert first + second + b"".join(rest) == CONTENT
    assert [len(chunk) for chunk in rest] == [CHUNK_SIZE] * 3 + [123]
    assert max(stored.storage.reads) <= CHUNK_SIZE
    close(response)
    assert stored.storage.opened[0].closed


def test_under_asgi_a_range_is_streamed_too(stored):
    response = asgi_served(stored, Range=f"bytes={CHUNK_SIZE + 1}-")
    assert response.status_code == 206 and response.is_async

    async def collect():
        return [chunk async for chunk in aiter(response)]

    chunks = async_to_sync(collect)()
    assert b"".join(chunks) == CONTENT[CHUNK_SIZE + 1 :]
    assert max(len(chunk) for chunk in chunks) == CHUNK_SIZE
