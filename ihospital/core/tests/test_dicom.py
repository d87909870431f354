"""DICOM files from the PACS: checked (size, format, pixel data) and rendered for a phone, on the test files
pydicom ships."""

from __future__ import annotations

import io
import logging

import numpy as np
import pydicom
import pytest
from PIL import Image
from pydicom.data import get_testdata_file

from ihospital.core.errors import DomainError
from ihospital.core.files.dicom import CT_DEFAULT_WINDOW, dicom_check, dicom_render

LIMIT = 20 * 1024 * 1024


def sample(name: str) -> bytes:
    with open(get_testdata_file(name), "rb") as handle:
        return handle.read()


def rendered(content: bytes, **options) -> np.ndarray:
    image = Image.open(io.BytesIO(dicom_render(content, max_bytes=LIMIT, min_side=0, **options)))
    return np.asarray(image)


def expected_window(values: np.ndarray, centre: float, width: float) -> np.ndarray:
    return (np.clip((values - (centre - width / 2)) / width, 0, 1) * 255).astype(np.uint8)


def test_ct_is_shown_in_hounsfield_units_through_a_soft_tissue_window():
    content = sample("CT_small.dcm")
    dataset = pydicom.dcmread(io.BytesIO(content))
    hu = dataset.pixel_array * float(dataset.RescaleSlope) + float(dataset.RescaleIntercept)
    image = rendered(content)
    assert image.shape == hu.shape and image.dtype == np.uint8
    assert np.array_equal(image, expected_window(hu, *CT_DEFAULT_WINDOW))
    assert image[hu < -200].max() == 0 and image[hu > 240].min() == 255  # air black, bone white


def test_mr_uses_the_window_the_file_carries():
    content = sample("MR_small.dcm")
    dataset = pydicom.dcmread(io.BytesIO(content))
    image = rendered(content)
    assert np.array_equal(image, expected_window(dataset.pixel_array.astype(float), 600, 1600))


def test_monochrome1_is_inverted():
    dataset = pydicom.dcmread(get_testdata_file("MR_small.dcm"))
    normal = rendered(sample("MR_small.dcm"))
    dataset.PhotometricInterpretation = "MONOCHROME1"
    buffer = io.BytesIO()
    dataset.save_as(buffer)
    assert np.array_equal(rendered(buffer.getvalue()), 255 - normal)


@pytest.mark.parametrize("name", ["examples_palette.dcm", "examples_ybr_color.dcm", "SC_rgb_rle.dcm"])
def test_colour_images_become_rgb(name):
    image = rendered(sample(name))
    assert image.ndim == 3 and image.shape[2] == 3 and image.max() > 0


def test_a_multiframe_ultrasound_shows_its_first_frame_as_jpeg():
    jpeg = dicom_render(sample("examples_ybr_color.dcm"), max_bytes=LIMIT, image_format="JPEG")
    image = Image.open(io.BytesIO(jpeg))
    assert image.format == "JPEG" and image.size == (320, 240)


def test_a_small_slice_is_enlarged_and_a_large_one_reduced_for_the_phone():
    small = Image.open(io.BytesIO(dicom_render(sample("MR_small.dcm"), max_bytes=LIMIT)))
    large = Image.open(io.BytesIO(dicom_render(sample("examples_overlay.dcm"), max_bytes=LIMIT, max_side=300)))
    assert small.size == (256, 256) and max(large.size) == 300


def test_check_reads_the_identity_and_shape():
    info = dicom_check(sample("CT_small.dcm"), max_bytes=LIMIT)
    assert (info.modality, info.rows, info.columns, info.frames) == ("CT", 128, 128, 1)
    assert info.sop_instance_uid.startswith("1.3.6.1.4.1.5962")


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (sample("MR_truncated.dcm"), "dicom.malformed"),  # pixel data cut short
        (b"\0" * 128 + b"DICM" + b"\x02\x00\x10\x00garbage" * 20, "dicom.malformed"),
        (b"%PDF-1.7 not an image at all" * 10, "dicom.malformed"),
        (sample("rtplan.dcm"), "dicom.no_image"),
    ],
    ids=["truncated", "garbage-after-preamble", "not-dicom", "no-pixel-data"],
)
def test_a_damaged_or_imageless_file_is_refused_with_a_code_and_logged(content, code, caplog):
    with caplog.at_level(logging.WARNING, logger="ihospital.core.files.dicom"), pytest.raises(DomainError) as refused:
        dicom_render(content, max_bytes=LIMIT)
    assert refused.value.code == code
    assert code in caplog.text and "bytes" in caplog.text


def test_an_oversized_file_is_refused_before_it_is_read(caplog):
    with caplog.at_level(logging.WARNING), pytest.raises(DomainError) as refused:
        dicom_check(sample("CT_small.dcm"), max_bytes=10_000)
    assert refused.value.code == "dicom.too_large" and refused.value.status == 413
    assert "dicom.too_large" in caplog.text


def test_a_header_announcing_a_huge_image_is_refused_before_decoding():
    dataset = pydicom.dcmread(get_testdata_file("MR_small.dcm"))
    dataset.Rows = dataset.Columns = 60000
    buffer = io.BytesIO()
    dataset.save_as(buffer)
    with pytest.raises(DomainError) as refused:
        dicom_check(buffer.getvalue(), max_bytes=LIMIT)
    assert refused.value.code == "dicom.too_many_pixels"
