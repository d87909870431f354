"""How a stored private file leaves the server: inline, never cached, never sniffed, scripts disabled
(a PDF carrying JavaScript that slipped past the upload check still cannot run).

The file is streamed from Django's storage in fixed-size chunks, never read whole. Under ASGI the
response gets an asynchronous iterator that reads each chunk in a worker thread: Django's ASGI handler
would buffer a synchronous iterator entirely (``StreamingHttpResponse`` consumes it with
``sync_to_async(list)``), a whole recording in memory. Under WSGI and the test client it gets a plain
iterator. A single byte range (``Range: bytes=a-b``, ``a-``, ``-n``) is answered with 206, so a
browser's <video> can seek in a recording; several ranges get the whole file (200), which the HTTP
specification allows.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import IO

from asgiref.sync import sync_to_async
from django.core.files.storage import Storage
from django.core.handlers.asgi import ASGIRequest
from django.db.models.fields.files import FieldFile
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header

from ihospital.core.files.uploads import safe_name

CHUNK_SIZE = 64 * 1024
_SINGLE_RANGE = re.compile(r"bytes=(\d{0,18})-(\d{0,18})")  # longer is no file of ours
_EXTENSION_UNSAFE = re.compile(r"[^A-Za-z0-9]")
_UNSATISFIABLE = "unsatisfiable"

# The headers every answer about a private file carries, the refusal of a range included.
_PRIVATE_HEADERS = {
    "Cache-Control": "private, no-store",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'",
}


def private_file_response(
    request: HttpRequest, file: FieldFile, *, content_type: str, filename: str
) -> HttpResponse | StreamingHttpResponse:
    """A patient's file (an attachment, a chat photo, a recording), for an already authorised reader.

    ``filename`` is what the browser is told to call it; it is made safe here (path, control and
    quoting characters removed). Raises FileNotFoundError if the storage has lost the file.
    """
    if not file.name:
        raise FileNotFoundError("no file is stored here")
    size = file.size
    byte_range = _byte_range(request, size)
    if byte_range == _UNSATISFIABLE:
        refusal = HttpResponse(status=416, headers=_PRIVATE_HEADERS)
        refusal["Content-Range"] = f"bytes */{size}"
        return refusal
    start, end = byte_range if isinstance(byte_range, tuple) else (0, size - 1)
    chunks = StorageChunks(file.storage, file.name, start=start, length=end - start + 1)
    response = StreamingHttpResponse(
        chunks.async_reader() if isinstance(request, ASGIRequest) else chunks,
        status=206 if isinstance(byte_range, tuple) else 200,
        content_type=content_type,
        headers=_PRIVATE_HEADERS,
    )
    response["Content-Length"] = str(end - start + 1)
    response["Accept-Ranges"] = "bytes"
    if isinstance(byte_range, tuple):
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    extension = _EXTENSION_UNSAFE.sub("", filename.rpartition(".")[2] if "." in filename else "")[:10] or "bin"
    disposition = content_disposition_header(as_attachment=False, filename=safe_name(filename, extension=extension))
    response["Content-Disposition"] = disposition or "inline"
    return response


def _byte_range(request: HttpRequest, size: int) -> tuple[int, int] | str | None:
    """(first, last) byte of a satisfiable single range, _UNSATISFIABLE, or None for the whole file.

    Anything but one well-formed byte range is ignored (RFC 9110 §14.2), and so is a range sent with
    If-Range: nothing here carries a validator (no ETag, no Last-Modified) it could match.
    """
    header = request.headers.get("Range", "")
    match = _SINGLE_RANGE.fullmatch(header.replace(" ", ""))
    if not match or "If-Range" in request.headers or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if not first:  # the last n bytes
        if int(last) == 0 or size == 0:
            return _UNSATISFIABLE
        return max(0, size - int(last)), size - 1
    if last and int(last) < int(first):
        return None  # invalid, so ignored
    if int(first) >= size:
        return _UNSATISFIABLE
    return int(first), min(int(last), size - 1) if last else size - 1


class StorageChunks:
    """``length`` bytes of a stored file from ``start``, read CHUNK_SIZE at a time.

    Iterating it reads in the calling thread (WSGI); ``async_reader()`` reads each chunk in a worker
    thread and yields it to the event loop (ASGI). The file is opened on the first read and closed at
    the end, or by ``close()`` when the response is closed early (the client went away).
    """

    def __init__(self, storage: Storage, name: str, *, start: int, length: int, chunk_size: int = CHUNK_SIZE):
        self.storage, self.name = storage, name
        self.start, self.remaining, self.chunk_size = start, length, chunk_size
        self._file: IO[bytes] | None = None

    def read_chunk(self) -> bytes:
        """The next chunk; b"" when the range is done (the file is then closed)."""
        if self.remaining <= 0:
            self.close()
            return b""
        if self._file is None:
            self._file = self.storage.open(self.name, "rb")
            if self.start:
                self._file.seek(self.start)
        chunk = self._file.read(min(self.chunk_size, self.remaining))
        if not chunk:  # the file is shorter than its recorded size: end here rather than hang
            self.remaining = 0
            self.close()
            return b""
        self.remaining -= len(chunk)
        return chunk

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self.read_chunk():
            yield chunk

    def async_reader(self) -> AsyncStorageChunks:
        return AsyncStorageChunks(self)


class AsyncStorageChunks:
    """The same chunks for an ASGI server: no ``__iter__``, so Django streams it as it comes."""

    def __init__(self, chunks: StorageChunks):
        self.chunks = chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        # File reads block: each runs in the default thread pool, not the request's one sync thread.
        read = sync_to_async(self.chunks.read_chunk, thread_sensitive=False)
        while chunk := await read():
            yield chunk

    def close(self) -> None:
        """Called by Django once the response is sent or abandoned."""
        self.chunks.close()
