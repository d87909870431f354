"""Checking a patient's upload (report photos, PDFs) before it is stored.

The type is decided by the bytes, never by the file name or the client's content type:

- JPEG, PNG and WebP images are decoded with Pillow and re-encoded. Re-encoding drops every piece of
  metadata (EXIF with GPS, XMP, comments, PNG text chunks, ICC profiles) after the EXIF orientation has
  been applied, so a photo of a report stays upright and tells nothing about where it was taken. Colours
  in another ICC profile (iPhone Display P3) are converted to sRGB first so they still look right.
- A PDF is stored unchanged, but only when qpdf (pikepdf) parses it without having to repair it and it
  carries no scripts, actions that reach outside the document, embedded files or XFA forms. An
  encrypted PDF is refused.

Size and pixel limits are checked before anything is decoded.
"""

from __future__ import annotations

import hashlib
import re
import struct
import unicodedata
import zlib
from dataclasses import dataclass
from functools import lru_cache
from io import BytesIO
from typing import TYPE_CHECKING, BinaryIO

from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageCms, ImageOps

from ihospital.core.errors import DomainError, ErrorCode

if TYPE_CHECKING:
    import pikepdf

MB = 1024 * 1024
# 40 MP holds any ordinary phone photo (12-24 MP) and bounds the memory one decode can take (~160 MB).
MAX_IMAGE_PIXELS = 40_000_000
JPEG_QUALITY = 90
WEBP_QUALITY = 90
MAX_NAME_LENGTH = 100
PDF_EOF_WINDOW = 1024  # "%%EOF" may be followed by line ends and padding


class UploadError:
    EMPTY = ErrorCode("upload.empty", _("The file is empty."), status=422)
    TOO_LARGE = ErrorCode("upload.too_large", _("The file is too large. The limit is %(limit)s MB."), status=413)
    UNSUPPORTED_TYPE = ErrorCode(
        "upload.unsupported_type",
        _("Only photos (JPEG, PNG or WebP) and PDF documents can be uploaded."),
        status=415,
    )
    CORRUPT = ErrorCode("upload.corrupt", _("The file is damaged or incomplete and cannot be opened."), status=422)
    TOO_MANY_PIXELS = ErrorCode(
        "upload.too_many_pixels",
        _("The image is too large (more than %(limit)s megapixels). Take the photo at a lower resolution."),
        status=422,
    )
    PDF_ACTIVE_CONTENT = ErrorCode(
        "upload.pdf_active_content",
        _("PDF files with scripts, actions or embedded files are not accepted. Upload a photo of the report."),
        status=422,
    )
    PDF_ENCRYPTED = ErrorCode(
        "upload.pdf_encrypted",
        _("Password-protected PDF files are not accepted. Upload an unprotected copy or a photo of the report."),
        status=422,
    )


@dataclass(frozen=True)
class CheckedFile:
    content: bytes  # what to store: the re-encoded image, or the PDF as uploaded
    content_type: str  # image/jpeg, image/png, image/webp or application/pdf
    extension: str  # jpg, png, webp or pdf (no dot)
    sha256: str  # hex digest of content
    size: int  # len(content); a re-encoded image may differ from the upload
    original_name: str  # the client's name made safe to show, with the real extension, ≤ 100 characters


@dataclass(frozen=True)
class _Kind:
    content_type: str
    extension: str


_IMAGE_KINDS = {
    "JPEG": _Kind("image/jpeg", "jpg"),
    "PNG": _Kind("image/png", "png"),
    "WEBP": _Kind("image/webp", "webp"),
}
_PDF = _Kind("application/pdf", "pdf")


def check_upload(
    *,
    name: str,
    data: bytes | BinaryIO,
    max_bytes: int,
    max_pixels: int = MAX_IMAGE_PIXELS,
    images_only: bool = False,
) -> CheckedFile:
    """Validate an upload by its content and return what may be stored.

    ``data`` is bytes or a binary file, read from the start if it can seek; at most ``max_bytes + 1``
    bytes are read, so an oversize upload is refused without being held in memory. ``images_only``
    refuses a PDF as unsupported before parsing it (a chat photo).
    Refuses (DomainError): upload.too_large, upload.empty, upload.unsupported_type, upload.corrupt,
    upload.too_many_pixels, upload.pdf_active_content, upload.pdf_encrypted.
    """
    raw = _read_at_most(data, max_bytes + 1)
    if len(raw) > max_bytes:
        raise DomainError(UploadError.TOO_LARGE, limit=_megabytes(max_bytes))
    if not raw:
        raise DomainError(UploadError.EMPTY)
    if raw.startswith(b"%PDF-"):
        if images_only:
            raise DomainError(UploadError.UNSUPPORTED_TYPE)
        content, kind = _check_pdf(raw), _PDF
    else:
        content, kind = _clean_image(raw, max_pixels=max_pixels)
    return CheckedFile(
        content=content,
        content_type=kind.content_type,
        extension=kind.extension,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        original_name=safe_name(name, extension=kind.extension),
    )


def _read_at_most(data: bytes | BinaryIO, limit: int) -> bytes:
    if isinstance(data, bytes | bytearray | memoryview):
        return bytes(data[:limit])
    if getattr(data, "seekable", lambda: False)():
        data.seek(0)
    chunks: list[bytes] = []
    remaining = limit
    while remaining > 0 and (chunk := data.read(min(remaining, MB))):
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _megabytes(size: int) -> str:
    value = size / MB
    return f"{value:.1f}".removesuffix(".0") if value >= 1 else f"{value:.2g}"


# ------------------------------------------------------------------------------------------------ images


def _sniff_image(raw: bytes) -> str | None:
    if raw.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if raw.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if raw[:4] == b"RIFF" and raw[8:12] == b"WEBP":
        return "WEBP"
    return None


def _clean_image(raw: bytes, *, max_pixels: int) -> tuple[bytes, _Kind]:
    image_format = _sniff_image(raw)
    if image_format is None:
        raise DomainError(UploadError.UNSUPPORTED_TYPE)
    try:
        # Opening reads only the header: the pixel count is known before anything is decoded.
        with Image.open(BytesIO(raw), formats=[image_format]) as probe:
            _check_pixels(probe.size, max_pixels)
            probe.verify()
        with Image.open(BytesIO(raw), formats=[image_format]) as image:
            image.load()
            return _reencode(image, image_format), _IMAGE_KINDS[image_format]
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise DomainError(UploadError.TOO_MANY_PIXELS, limit=max_pixels // 1_000_000) from exc
    except (OSError, SyntaxError, ValueError, EOFError, struct.error, zlib.error) as exc:
        raise DomainError(UploadError.CORRUPT) from exc


def _check_pixels(size: tuple[int, int], max_pixels: int) -> None:
    width, height = size
    if width * height > max_pixels:
        raise Image.DecompressionBombError(f"{width}x{height} pixels")


def _reencode(image: Image.Image, image_format: str) -> bytes:
    icc_profile = image.info.get("icc_profile")
    transparency = image.info.get("transparency")
    upright = ImageOps.exif_transpose(image)  # a new image; the source stays untouched
    clean = _output_mode(_to_srgb(upright, icc_profile), image_format)
    clean.info = {}  # encoders fall back to info for the ICC profile, comments, transparency…
    options: dict = {}
    if image_format == "JPEG":
        options = {"quality": JPEG_QUALITY, "optimize": True}
    elif image_format == "WEBP":
        options = {"quality": WEBP_QUALITY}
    elif transparency is not None and clean.mode == upright.mode:
        options = {"transparency": transparency}  # pixel data of a palette or grey PNG, not metadata
    out = BytesIO()
    clean.save(out, format=image_format, **options)
    return out.getvalue()


@lru_cache(maxsize=1)
def _srgb() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _to_srgb(image: Image.Image, icc_profile: bytes | None) -> Image.Image:
    """Convert colours from an embedded ICC profile to sRGB, since the profile itself is dropped."""
    if not icc_profile or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(BytesIO(icc_profile))
        output_mode = "RGB" if image.mode == "CMYK" else image.mode
        converted = ImageCms.profileToProfile(image, source, _srgb(), outputMode=output_mode)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return image  # a broken profile: keep the pixels as they are rather than refuse the photo
    return converted if converted is not None else image  # None only when converting in place


def _output_mode(image: Image.Image, image_format: str) -> Image.Image:
    keep = {"JPEG": {"RGB", "L"}, "PNG": {"1", "L", "LA", "I", "I;16", "P", "RGB", "RGBA"}, "WEBP": {"RGB", "RGBA"}}
    if image.mode in keep[image_format]:
        return image
    alpha = image_format != "JPEG" and image.has_transparency_data
    return image.convert("RGBA" if alpha else "RGB")


# -------------------------------------------------------------------------------------------------- PDFs

# What makes a PDF do something besides showing its pages. Keys: scripts (/JS, the /JavaScript name
# tree), additional actions run on events (/AA: opening a page, a form field's keystroke…), embedded and
# attached files (/EmbeddedFiles name tree, a file specification's /EF), XFA forms (scripted XML).
_ACTIVE_KEYS = frozenset({"/JS", "/JavaScript", "/AA", "/EmbeddedFiles", "/EF", "/XFA", "/RichMediaContent"})
# Names: action types that run code or reach outside the document (whether under /OpenAction, a link
# or a form field), and the types of embedded files and rich media.
_ACTIVE_NAMES = frozenset(
    {
        "/JavaScript",
        "/Launch",
        "/SubmitForm",
        "/ImportData",
        "/GoToR",
        "/GoToE",
        "/RichMediaExecute",
        "/EmbeddedFile",
        "/FileAttachment",
        "/RichMedia",
    }
)
# qpdf's decoders, for every Pdf in the process (pikepdf has no per-document limit). Parsing inflates
# object streams, and deflate shrinks zeros ~1000 times: 10 MB could claim 10 GB.
QPDF_DECODE_MAX_MEMORY = 64 * MB


def _check_pdf(raw: bytes) -> bytes:
    """Accept a complete, unencrypted PDF without active content, unchanged.

    qpdf (through pikepdf) parses every object, those compressed in object streams included, and
    returns names decoded (``/J#61vaScript`` is ``/JavaScript``). A file qpdf can open only by repairing
    it (a broken cross-reference table, a stream that doesn't decode) is refused as damaged: viewers
    repair differently, and what one of them would run is what this check has to see.
    """
    import pikepdf  # here, not at the top: its import logs a line, and most processes never see a PDF

    if b"%%EOF" not in raw[-PDF_EOF_WINDOW:]:  # an upload cut short, which qpdf would quietly repair
        raise DomainError(UploadError.CORRUPT)
    _limit_qpdf_memory()
    try:
        with pikepdf.open(BytesIO(raw)) as pdf:
            if pdf.is_encrypted:  # an empty user password opens it, but it stays encrypted on disk
                raise DomainError(UploadError.PDF_ENCRYPTED)
            active = _has_active_content(pdf)
            repaired = bool(pdf.get_warnings())
    except pikepdf.PasswordError as exc:
        raise DomainError(UploadError.PDF_ENCRYPTED) from exc
    except (pikepdf.PdfError, RuntimeError, ValueError, OverflowError) as exc:  # what qpdf raises on bad input
        raise DomainError(UploadError.CORRUPT) from exc
    if active:
        raise DomainError(UploadError.PDF_ACTIVE_CONTENT)
    if repaired:
        raise DomainError(UploadError.CORRUPT)
    return raw


@lru_cache(maxsize=1)
def _limit_qpdf_memory() -> None:
    """Bound what qpdf may inflate, once per process (the setting is global; the same value each time)."""
    import pikepdf.settings

    limits = pikepdf.settings.get_qpdf_limits()

    def lowered(name: str) -> int:  # 0 is "no limit"; a lower limit set elsewhere is kept
        return int(limits[name]) if 0 < limits[name] <= QPDF_DECODE_MAX_MEMORY else QPDF_DECODE_MAX_MEMORY

    pikepdf.settings.set_qpdf_limits(
        flate_max_memory=lowered("flate_max_memory"),
        png_max_memory=lowered("png_max_memory"),
        tiff_max_memory=lowered("tiff_max_memory"),
        run_length_max_memory=lowered("run_length_max_memory"),
    )


def _has_active_content(pdf: pikepdf.Pdf) -> bool:
    """Whether any object, referenced or not, holds an active key or name. Every indirect object is
    visited once through ``pdf.objects``; the walk below it stops at references."""
    return any(_holds_active(obj) for obj in [pdf.trailer, *pdf.objects])


def _holds_active(root: pikepdf.Object) -> bool:
    import pikepdf

    pending = [root]
    while pending:
        obj = pending.pop()
        if isinstance(obj, pikepdf.Name):
            if str(obj) in _ACTIVE_NAMES:
                return True
            continue
        if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
            if not _ACTIVE_KEYS.isdisjoint(obj.keys()):
                return True
            children = list(obj.values())
        elif isinstance(obj, pikepdf.Array):
            children = list(obj)
        else:
            continue
        pending.extend(child for child in children if not getattr(child, "is_indirect", False))
    return False


# ------------------------------------------------------------------------------------------------- names

_UNSAFE_IN_NAMES = re.compile(r'[<>:"|?*;]')


def safe_name(name: str, *, extension: str) -> str:
    """The client's file name fit to show and to put in a Content-Disposition header.

    Keeps the last path component, drops control and invisible characters (bidi overrides can fake an
    extension), replaces the extension with the real one and keeps the result within 100 characters.
    """
    base = re.split(r"[\\/]", unicodedata.normalize("NFKC", name or ""))[-1]
    base = "".join(" " if ch.isspace() else ch for ch in base if ch.isspace() or unicodedata.category(ch)[0] != "C")
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = " ".join(_UNSAFE_IN_NAMES.sub("", stem).split()).strip(". ") or "upload"
    return f"{stem[: MAX_NAME_LENGTH - len(extension) - 1].rstrip('. ')}.{extension}"
