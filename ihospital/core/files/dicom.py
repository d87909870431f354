"""DICOM files from the PACS: checked before anything keeps them, rendered once to an image a phone shows.

    info = dicom_check(content, max_bytes=settings.LABS_DICOM_MAX_BYTES)   # DomainError(DicomError.…)
    png = dicom_render(content, max_bytes=…, image_format="PNG", max_side=1024)

Checks, in order: size (``dicom.too_large``), the Part 10 preamble and a dataset pydicom reads
(``dicom.malformed``), pixel data present (``dicom.no_image``), a frame size within ``MAX_PIXELS``
(``dicom.too_many_pixels``, before decoding: a header cannot make us allocate gigabytes), and the
pixel data decoding to exactly that size (a truncated file is ``dicom.malformed``). Each refusal is
logged with its code and the file's size, never its content (it names the patient).

Rendering follows what a viewer does: the modality LUT (rescale slope and intercept to Hounsfield units
for CT), then the window (the file's own centre/width; for CT without one, a soft-tissue window; for
others, the 0.5–99.5 percentile range), MONOCHROME1 inverted, palette and YBR colour converted to RGB,
the first frame of a multi-frame file, scaled down to ``max_side``.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from ihospital.core.errors import DomainError, ErrorCode

logger = logging.getLogger(__name__)

PREAMBLE_LENGTH = 128
MAX_PIXELS = 4096 * 4096  # one frame
CT_DEFAULT_WINDOW = (40.0, 400.0)  # soft tissue: centre, width in HU


class DicomError:
    TOO_LARGE = ErrorCode("dicom.too_large", _("The image file is too large (more than %(limit)s MB)."), status=413)
    MALFORMED = ErrorCode("dicom.malformed", _("The image file is damaged or is not a DICOM file."), status=422)
    NO_IMAGE = ErrorCode("dicom.no_image", _("The DICOM file holds no image."), status=422)
    TOO_MANY_PIXELS = ErrorCode("dicom.too_many_pixels", _("The DICOM image is too large to show."), status=422)


@dataclass(frozen=True)
class DicomInfo:
    sop_instance_uid: str
    modality: str
    rows: int
    columns: int
    frames: int
    photometric: str
    study_date: str


def _refuse(error: ErrorCode, size: int, reason: str, **params: Any) -> DomainError:
    logger.warning("DICOM refused (%s): %d bytes, %s", error.code, size, reason)
    return DomainError(error, **params)


def _dataset(content: bytes, max_bytes: int) -> Any:
    import pydicom
    from pydicom.errors import InvalidDicomError

    size = len(content)
    if size > max_bytes:
        raise _refuse(DicomError.TOO_LARGE, size, "over the limit", limit=max_bytes // (1024 * 1024) or 1)
    if size < PREAMBLE_LENGTH + 4 or content[PREAMBLE_LENGTH : PREAMBLE_LENGTH + 4] != b"DICM":
        raise _refuse(DicomError.MALFORMED, size, "no DICM preamble")
    try:
        dataset = pydicom.dcmread(io.BytesIO(content))
        if not dataset.file_meta.get("TransferSyntaxUID") or not dataset.get("SOPClassUID"):
            raise ValueError("no transfer syntax or SOP class")
        rows, columns = int(dataset.Rows), int(dataset.Columns)
    except AttributeError as exc:
        raise _refuse(DicomError.NO_IMAGE, size, "no Rows/Columns") from exc
    except (InvalidDicomError, ValueError, TypeError, KeyError, EOFError, OSError, NotImplementedError) as exc:
        raise _refuse(DicomError.MALFORMED, size, f"unreadable: {type(exc).__name__}") from exc
    if "PixelData" not in dataset:
        raise _refuse(DicomError.NO_IMAGE, size, "no pixel data")
    if rows * columns > MAX_PIXELS or rows <= 0 or columns <= 0:
        raise _refuse(DicomError.TOO_MANY_PIXELS, size, f"{rows}×{columns}")
    return dataset


def _first_frame(dataset: Any, size: int) -> Any:
    try:
        pixels = dataset.pixel_array
    except Exception as exc:  # noqa: BLE001 - pydicom's decoders raise many types for a damaged file
        raise _refuse(DicomError.MALFORMED, size, f"pixel data does not decode: {type(exc).__name__}") from exc
    frames = int(getattr(dataset, "NumberOfFrames", 1) or 1)
    return pixels[0] if frames > 1 else pixels


def dicom_check(content: bytes, *, max_bytes: int) -> DicomInfo:
    """The file's identity and shape; ``DomainError(DicomError.…)`` when it cannot be kept and shown."""
    dataset = _dataset(content, max_bytes)
    _first_frame(dataset, len(content))
    return DicomInfo(
        sop_instance_uid=str(dataset.get("SOPInstanceUID", "")),
        modality=str(dataset.get("Modality", "")),
        rows=int(dataset.Rows),
        columns=int(dataset.Columns),
        frames=int(getattr(dataset, "NumberOfFrames", 1) or 1),
        photometric=str(dataset.get("PhotometricInterpretation", "")),
        study_date=str(dataset.get("StudyDate", "")),
    )


def _first(value: Any) -> Any:
    """A multi-valued element's first value (a file may offer several windows)."""
    from pydicom.multival import MultiValue

    return value[0] if isinstance(value, MultiValue | list | tuple) else value


def window_of(dataset: Any, values: Any) -> tuple[float, float]:
    """(centre, width): the file's first window, a soft-tissue window for CT, else the robust range."""
    import numpy as np

    centre, width = dataset.get("WindowCenter"), dataset.get("WindowWidth")
    if centre is not None and width is not None:
        return float(_first(centre)), max(1.0, float(_first(width)))
    if str(dataset.get("Modality", "")) == "CT":
        return CT_DEFAULT_WINDOW
    low, high = np.percentile(values, [0.5, 99.5])
    return float(low + high) / 2, max(1.0, float(high - low))


def _grey(dataset: Any, frame: Any) -> Any:
    import numpy as np
    from pydicom.pixels import apply_modality_lut

    values = apply_modality_lut(frame, dataset).astype(np.float64)
    centre, width = window_of(dataset, values)
    low = centre - width / 2
    grey = (np.clip((values - low) / width, 0.0, 1.0) * 255.0).astype(np.uint8)
    if str(dataset.get("PhotometricInterpretation", "")) == "MONOCHROME1":
        grey = 255 - grey  # MONOCHROME1: the lowest value is white
    return grey


def _colour(dataset: Any, frame: Any) -> Any:
    import numpy as np
    from pydicom.pixels import apply_color_lut, convert_color_space

    photometric = str(dataset.get("PhotometricInterpretation", ""))
    if photometric == "PALETTE COLOR":
        frame = apply_color_lut(frame, dataset)
    elif photometric.startswith("YBR") and "JPEG" not in dataset.file_meta.TransferSyntaxUID.name:
        frame = convert_color_space(frame, photometric, "RGB")  # decoded JPEG is RGB already
    if frame.dtype != np.uint8:  # 16-bit colour (or a 16-bit palette): to 8 bits per sample
        frame = (frame.astype(np.float64) * 255.0 / max(1.0, float(frame.max()))).astype(np.uint8)
    return frame


def dicom_render(
    content: bytes, *, max_bytes: int, image_format: str = "PNG", max_side: int = 1024, min_side: int = 256
) -> bytes:
    """The file's (first) image as PNG or JPEG for a screen: windowed, at most ``max_side`` pixels a side;
    a smaller image is enlarged by a whole factor towards ``min_side`` (a 64-pixel MR slice is a postage
    stamp on a phone)."""
    from PIL import Image

    dataset = _dataset(content, max_bytes)
    frame = _first_frame(dataset, len(content))
    photometric = str(dataset.get("PhotometricInterpretation", ""))
    if photometric.startswith("MONOCHROME"):
        image = Image.fromarray(_grey(dataset, frame), mode="L")
    else:
        image = Image.fromarray(_colour(dataset, frame), mode="RGB")
    if max(image.size) > max_side:
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    elif max(image.size) < min_side:
        factor = min_side // max(image.size)
        image = image.resize((image.width * factor, image.height * factor), Image.Resampling.BICUBIC)
    buffer = io.BytesIO()
    if image_format == "JPEG":
        image.save(buffer, format="JPEG", quality=90)
    else:
        image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
