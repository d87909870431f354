"""The encrypted backup archive: a tar stream sealed in chunks with AES-256-GCM under a passphrase.

Layout: a header (magic, scrypt salt and cost, a random nonce prefix), then chunks, each a 4-byte
big-endian length and the sealed bytes of up to CHUNK plaintext bytes. A chunk's nonce is the prefix, its
number and a "last chunk" flag (the STREAM construction), and the header is its associated data, so a
chunk that is altered, reordered, dropped or appended, a truncated archive and a changed header are all
refused while reading, not after. The key is scrypt(passphrase) (n=2^15, r=8, p=1: ~0.1 s, 32 MiB).
"""

from __future__ import annotations

import os
import struct
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

MAGIC = b"IHBK\x01"
CHUNK = 1024 * 1024
SALT_BYTES, PREFIX_BYTES, TAG_BYTES = 16, 7, 16
HEADER = struct.Struct(f">{len(MAGIC)}s{SALT_BYTES}sBBB{PREFIX_BYTES}s")
LENGTH = struct.Struct(">I")
LOG2_N, R, P = 15, 8, 1


class ArchiveError(Exception):
    """Not an archive, the wrong passphrase, or an archive altered or cut short."""


def _key(passphrase: str, salt: bytes, log2_n: int, r: int, p: int) -> AESGCM:
    if not passphrase:
        raise ArchiveError("no backup passphrase (BACKUP_PASSPHRASE)")
    if not 10 <= log2_n <= 22 or not 1 <= r <= 32 or not 1 <= p <= 16:
        raise ArchiveError("the archive's key-derivation parameters are out of range")
    return AESGCM(Scrypt(salt=salt, length=32, n=2**log2_n, r=r, p=p).derive(passphrase.encode()))


def _nonce(prefix: bytes, number: int, last: bool) -> bytes:
    return prefix + struct.pack(">I", number) + (b"\x01" if last else b"\x00")


class EncryptingWriter:
    """A write-only file object: what is written to it reaches ``out`` sealed. ``close()`` seals the
    last chunk (it does not close ``out``); an archive without it is refused as truncated."""

    def __init__(self, out: BinaryIO, passphrase: str) -> None:
        salt, prefix = os.urandom(SALT_BYTES), os.urandom(PREFIX_BYTES)
        self.header = HEADER.pack(MAGIC, salt, LOG2_N, R, P, prefix)
        self.aead, self.prefix, self.out = _key(passphrase, salt, LOG2_N, R, P), prefix, out
        self.buffer, self.number, self.closed = bytearray(), 0, False
        out.write(self.header)

    def write(self, data: bytes) -> int:
        self.buffer += data
        while len(self.buffer) > CHUNK:  # keep at least one byte back: the last chunk is sealed on close
            self._seal(bytes(self.buffer[:CHUNK]), last=False)
            del self.buffer[:CHUNK]
        return len(data)

    def _seal(self, plaintext: bytes, *, last: bool) -> None:
        sealed = self.aead.encrypt(_nonce(self.prefix, self.number, last), plaintext, self.header)
        self.out.write(LENGTH.pack(len(sealed)) + sealed)
        self.number += 1

    def close(self) -> None:
        if not self.closed:
            self._seal(bytes(self.buffer), last=True)
            self.buffer.clear()
            self.closed = True


class DecryptingReader:
    """A read-only file object over an archive: yields the plaintext, refusing anything tampered."""

    def __init__(self, source: BinaryIO, passphrase: str) -> None:
        self.header = source.read(HEADER.size)
        if len(self.header) != HEADER.size or not self.header.startswith(MAGIC):
            raise ArchiveError("not an ihospital backup archive")
        _magic, salt, log2_n, r, p, self.prefix = HEADER.unpack(self.header)
        self.aead, self.source = _key(passphrase, salt, log2_n, r, p), source
        self.buffer, self.offset, self.number, self.finished = b"", 0, 0, False

    def _next_chunk(self) -> None:
        length = self.source.read(LENGTH.size)
        if len(length) != LENGTH.size:
            raise ArchiveError("the archive is truncated")
        (size,) = LENGTH.unpack(length)
        if size > CHUNK + TAG_BYTES:
            raise ArchiveError("the archive is damaged (chunk too large)")
        sealed = self.source.read(size)
        for last in (False, True):
            try:
                plaintext = self.aead.decrypt(_nonce(self.prefix, self.number, last), sealed, self.header)
            except InvalidTag:
                continue
            self.number += 1
            self.buffer, self.offset = self.buffer[self.offset :] + plaintext, 0  # one copy per chunk
            if last:
                self.finished = True
                if self.source.read(1):
                    raise ArchiveError("the archive has data after its end")
            return
        if self.number == 0:
            raise ArchiveError("wrong passphrase, or the archive is damaged")
        raise ArchiveError(f"the archive is damaged or altered (chunk {self.number})")

    def read(self, size: int = -1) -> bytes:
        while not self.finished and (size < 0 or len(self.buffer) - self.offset < size):
            self._next_chunk()
        end = len(self.buffer) if size < 0 else min(len(self.buffer), self.offset + size)
        data, self.offset = self.buffer[self.offset : end], end
        return data
