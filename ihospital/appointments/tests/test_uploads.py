"""Uploads are judged by their bytes: images are re-encoded without metadata, PDFs must be inert."""

import hashlib
import struct
import zlib
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageCms
from PIL.PngImagePlugin import PngInfo

from ihospital.appointments.uploads import MB, UploadError, check_upload, safe_name
from ihospital.core.errors import DomainError


@pytest.fixture
def english():
    """These tests read the English message text (the default language is Chinese)."""
    from django.utils import translation

    with translation.override("en"):
        yield


LIMIT = 2 * MB
RED, BLUE = (220, 20, 20), (20, 20, 220)
GPS_IFD, ORIENTATION, MAKE = 0x8825, 0x0112, 0x010F


def refused(error, data, *, name="file", max_bytes=LIMIT, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as caught:
        check_upload(name=name, data=data, max_bytes=max_bytes, **kwargs)
    assert caught.value.code == error.code
    return caught.value


def two_colour_image(size=(40, 20)) -> Image.Image:
    """Left half red, right half blue: shows which way an image was turned."""
    image = Image.new("RGB", size, RED)
    image.paste(BLUE, (size[0] // 2, 0, size[0], size[1]))
    return image


def encoded(image: Image.Image, image_format: str, **options) -> bytes:
    out = BytesIO()
    image.save(out, format=image_format, **options)
    return out.getvalue()


def phone_photo() -> bytes:
    """A JPEG as a phone writes it: sideways pixels, orientation 6, GPS, camera make, XMP, comment, ICC."""
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif[MAKE] = "PhoneMaker"
    exif[GPS_IFD] = {1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 23.0, 17.0)}
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description exif:GPSLatitude="39,54.45N"/></x:xmpmeta>'
    return encoded(
        two_colour_image(), "JPEG", exif=exif, xmp=xmp, comment=b"home address", icc_profile=srgb, quality=95
    )


def close_to(pixel, colour, tolerance=40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=True))


def minimal_pdf(extra_object: bytes = b"") -> bytes:
    """A small valid PDF (catalog, pages, one empty page) with a correct xref table."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        # The font name /JSans must not be mistaken for /JS.
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 << /BaseFont /JSans >> >> >>"
        b" >>",
    ]
    if extra_object:
        objects.append(extra_object)
    out = BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares its size but holds almost no data: what a decompression bomb looks like at first."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


# -------------------------------------------------------------------------------------------------- images


def test_phone_photo_is_turned_upright_and_stripped_of_all_metadata():
    checked = check_upload(name="IMG_0042.JPG", data=phone_photo(), max_bytes=LIMIT)
    assert (checked.content_type, checked.extension, checked.original_name) == ("image/jpeg", "jpg", "IMG_0042.jpg")
    cleaned = Image.open(BytesIO(checked.content))
    assert cleaned.size == (20, 40)  # 40x20 stored sideways, orientation 6: turned a quarter clockwise
    assert close_to(cleaned.getpixel((10, 5)), RED) and close_to(cleaned.getpixel((10, 35)), BLUE)
    assert len(cleaned.getexif()) == 0
    assert not {"exif", "xmp", "comment", "icc_profile"} & cleaned.info.keys()
    for trace in (b"Exif", b"PhoneMaker", b"xmpmeta", b"home address", b"ICC_PROFILE"):
        assert trace not in checked.content


def test_png_text_chunks_are_removed():
    info = PngInfo()
    info.add_text("Comment", "patient 张三 13800000000")
    info.add_text("Author", "secret", zip=True)
    info.add_itxt("Description", "住址 北京市", lang="zh")
    checked = check_upload(name="scan.png", data=encoded(two_colour_image(), "PNG", pnginfo=info), max_bytes=LIMIT)
    cleaned = Image.open(BytesIO(checked.content))
    assert cleaned.format == "PNG" and cleaned.size == (40, 20)
    assert cleaned.text == {}
    for chunk in (b"tEXt", b"zTXt", b"iTXt", b"13800000000"):
        assert chunk not in checked.content


def test_webp_is_re_encoded_without_exif():
    exif = Image.Exif()
    exif[MAKE] = "PhoneMaker"
    checked = check_upload(name="x.webp", data=encoded(two_colour_image(), "WEBP", exif=exif), max_bytes=LIMIT)
    assert checked.content_type == "image/webp"
    assert b"PhoneMaker" not in checked.content
    assert Image.open(BytesIO(checked.content)).size == (40, 20)


def test_png_palette_keeps_its_transparency():
    image = Image.new("P", (8, 8), 0)
    image.putpalette([255, 255, 255, 0, 0, 0] + [0] * 762)
    image.paste(1, (0, 0, 4, 8))
    checked = check_upload(name="p.png", data=encoded(image, "PNG", transparency=0), max_bytes=LIMIT)
    cleaned = Image.open(BytesIO(checked.content)).convert("RGBA")
    assert cleaned.getpixel((6, 0))[3] == 0 and cleaned.getpixel((0, 0))[3] == 255


def test_cmyk_jpeg_becomes_rgb():
    checked = check_upload(name="c.jpg", data=encoded(Image.new("CMYK", (8, 8)), "JPEG"), max_bytes=LIMIT)
    assert Image.open(BytesIO(checked.content)).mode == "RGB"


def test_result_describes_the_stored_content():
    checked = check_upload(name="a.png", data=encoded(two_colour_image(), "PNG"), max_bytes=LIMIT)
    assert checked.size == len(checked.content)
    assert checked.sha256 == hashlib.sha256(checked.content).hexdigest()


def test_the_type_comes_from_the_content_not_the_name():
    checked = check_upload(name="report.pdf", data=encoded(two_colour_image(), "PNG"), max_bytes=LIMIT)
    assert (checked.content_type, checked.original_name) == ("image/png", "report.png")


def test_text_renamed_to_jpg_is_unsupported():
    refused(UploadError.UNSUPPORTED_TYPE, "血常规 正常\n".encode() * 10, name="report.jpg")


def test_gif_is_unsupported():
    refused(UploadError.UNSUPPORTED_TYPE, encoded(two_colour_image(), "GIF"), name="x.gif")


def test_truncated_jpeg_is_corrupt():
    photo = encoded(Image.effect_noise((200, 200), 60).convert("RGB"), "JPEG")
    refused(UploadError.CORRUPT, photo[: len(photo) // 2], name="half.jpg")


def test_png_with_a_broken_checksum_is_corrupt():
    png = bytearray(encoded(two_colour_image(), "PNG"))
    png[-20] ^= 0xFF  # inside the IDAT data: its CRC no longer matches
    refused(UploadError.CORRUPT, bytes(png))


@pytest.mark.usefixtures("english")
def test_decompression_bomb_is_refused_before_decoding():
    error = refused(UploadError.TOO_MANY_PIXELS, png_header_only(20_000, 20_000))
    assert "40 megapixels" in error.message


def test_images_over_our_pixel_limit_but_under_pillows_are_refused_too():
    refused(UploadError.TOO_MANY_PIXELS, png_header_only(7_000, 7_000))  # 49 MP: Pillow alone would decode it
    refused(UploadError.TOO_MANY_PIXELS, encoded(two_colour_image(), "PNG"), max_pixels=799)


# ---------------------------------------------------------------------------------------------------- PDFs


def test_minimal_pdf_is_accepted_unchanged():
    pdf = minimal_pdf()
    checked = check_upload(name="检验报告.pdf", data=pdf, max_bytes=LIMIT)
    assert checked.content == pdf
    assert (checked.content_type, checked.extension, checked.original_name) == (
        "application/pdf",
        "pdf",
        "检验报告.pdf",
    )
    assert checked.sha256 == hashlib.sha256(pdf).hexdigest()


@pytest.mark.parametrize(
    "action",
    [
        b"<< /S /JavaScript /JS (app.alert(1)) >>",
        b"<< /S /J#61vaScript >>",  # a name written with a hex escape
        b"<< /JS 5 0 R >>",
        b"<< /JS\n%comment\n<616c657274> >>",
        b"<< /S /Launch /F (cmd.exe) >>",
        b"<< /Names << /EmbeddedFiles 6 0 R >> >>",
        b"<< /Type /EmbeddedFile /Length 0 >>",
    ],
)
def test_pdf_with_active_content_is_refused(action):
    refused(UploadError.PDF_ACTIVE_CONTENT, minimal_pdf(action), name="r.pdf")


def test_javascript_hidden_in_a_compressed_object_stream_is_found():
    hidden = zlib.compress(b"9 0 << /S /JavaScript /JS (app.alert(1)) >>")
    stream = b"<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream" % (
        len(hidden),
        hidden,
    )
    refused(UploadError.PDF_ACTIVE_CONTENT, minimal_pdf(stream))


def test_object_stream_that_does_not_inflate_is_refused():
    stream = b"<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length 8 >>\nstream\nnotzlib!\nendstream"
    refused(UploadError.CORRUPT, minimal_pdf(stream))


def test_a_plain_compressed_object_stream_passes():
    inflated = zlib.compress(b"9 0 << /Type /Annot /Subtype /Text >>")
    stream = b"<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream" % (
        len(inflated),
        inflated,
    )
    check_upload(name="ok.pdf", data=minimal_pdf(stream), max_bytes=LIMIT)


def test_encrypted_pdf_is_refused():
    pdf = minimal_pdf().replace(b"/Root 1 0 R", b"/Root 1 0 R /Encrypt 9 0 R")
    refused(UploadError.PDF_ENCRYPTED, pdf)


def test_pdf_without_an_end_is_corrupt():
    pdf = minimal_pdf()
    refused(UploadError.CORRUPT, pdf[: pdf.rindex(b"%%EOF")])


# ------------------------------------------------------------------------------------------- size and input


@pytest.mark.usefixtures("english")
def test_oversize_is_refused_before_decoding():
    error = refused(UploadError.TOO_LARGE, b"not even an image" + b"\0" * MB, max_bytes=MB)
    assert error.message == "The file is too large. The limit is 1 MB."
    assert error.status == 413


def test_a_stream_is_read_only_up_to_the_limit():
    stream = BytesIO(b"\0" * (3 * MB))
    refused(UploadError.TOO_LARGE, stream, max_bytes=MB)
    assert stream.tell() == MB + 1


def test_a_file_at_exactly_the_limit_is_accepted():
    pdf = minimal_pdf()
    assert check_upload(name="a.pdf", data=pdf, max_bytes=len(pdf)).size == len(pdf)


@pytest.mark.parametrize("data", [b"", BytesIO()])
def test_empty_file_is_refused(data):
    refused(UploadError.EMPTY, data)


def test_django_uploaded_file_is_read_from_the_start():
    upload = SimpleUploadedFile("photo.jpg", phone_photo(), content_type="text/plain")
    upload.read()  # e.g. a form already looked at it
    checked = check_upload(name=upload.name, data=upload, max_bytes=LIMIT)
    assert checked.content_type == "image/jpeg"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd.jpg", "passwd.png"),
        ("C:\\Users\\张三\\Desktop\\化验单 2024.JPG", "化验单 2024.png"),
        ("invoice\u202egpj.exe", "invoicegpj.png"),  # the right-to-left override is gone
        ('a<b>"c";\r\nd.png', "abc d.png"),
        ("...", "upload.png"),
        ("", "upload.png"),
        ("x" * 300 + ".png", "x" * 96 + ".png"),
    ],
)
def test_original_names_are_made_safe(name, expected):
    assert safe_name(name, extension="png") == expected
    assert len(safe_name(name, extension="webp")) <= 100


def test_multi_picture_jpeg_from_a_phone_is_accepted_as_its_first_picture():
    out = BytesIO()
    two_colour_image().save(out, format="MPO", save_all=True, append_images=[Image.new("RGB", (8, 8))])
    assert Image.open(BytesIO(out.getvalue())).format == "MPO"
    checked = check_upload(name="DSC_0001.JPG", data=out.getvalue(), max_bytes=LIMIT)
    cleaned = Image.open(BytesIO(checked.content))
    assert (checked.content_type, cleaned.format, cleaned.size) == ("image/jpeg", "JPEG", (40, 20))
