"""Uploads are judged by their bytes: images are re-encoded without metadata, PDFs must parse and be inert."""

import hashlib
import struct
import zlib
from io import BytesIO

import pikepdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pikepdf import Array, Dictionary, Name, String
from PIL import Image, ImageCms
from PIL.PngImagePlugin import PngInfo

from ihospital.core.errors import DomainError
from ihospital.core.files.uploads import MB, QPDF_DECODE_MAX_MEMORY, UploadError, check_upload, safe_name


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


def minimal_pdf(*extra_objects: bytes) -> bytes:
    """A small valid PDF (catalog, pages, one empty page, then objects 4, 5…) with a correct xref table."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        # The font name /JSans must not be mistaken for /JS.
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 << /BaseFont /JSans >> >> >>"
        b" >>",
    ]
    objects.extend(extra_objects)
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
        (b"<< /JS 5 0 R >>", b"(app.alert(1))"),  # a reference to a script (to nothing, it would be null)
        b"<< /JS\n%comment\n<616c657274> >>",
        b"<< /S /Launch /F (cmd.exe) >>",
        (b"<< /Names << /EmbeddedFiles 5 0 R >> >>", b"<< /Names [(a.exe) 6 0 R] >>", b"<< /Type /Filespec >>"),
        b"<< /Type /EmbeddedFile /Length 0 >>",
    ],
)
def test_pdf_with_active_content_is_refused(action):
    objects = action if isinstance(action, tuple) else (action,)
    refused(UploadError.PDF_ACTIVE_CONTENT, minimal_pdf(*objects), name="r.pdf")


def pikepdf_made(decorate=None, **save_options) -> bytes:
    """A one-page PDF as pikepdf (qpdf) writes it, after ``decorate(pdf)`` added whatever the test needs."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    if decorate:
        decorate(pdf)
    out = BytesIO()
    pdf.save(out, **save_options)
    return out.getvalue()


def open_action_script(pdf):
    pdf.Root.OpenAction = pdf.make_indirect(Dictionary(S=Name.JavaScript, JS=String("app.alert(1);  ")))


def test_a_clean_pdf_made_by_a_real_writer_is_accepted_unchanged():
    pdf = pikepdf_made(object_stream_mode=pikepdf.ObjectStreamMode.generate)
    assert check_upload(name="r.pdf", data=pdf, max_bytes=LIMIT).content == pdf


def test_an_open_action_going_to_the_first_page_and_a_web_link_are_not_active():
    def link_and_open_at_page_one(pdf):
        pdf.Root.OpenAction = Array([pdf.pages[0].obj, Name.Fit])
        link = Dictionary(Type=Name.Annot, Subtype=Name.Link, Rect=[0, 0, 100, 20])
        link.A = Dictionary(S=Name.URI, URI=String("https://hospital.example/report"))
        pdf.pages[0].Annots = pdf.make_indirect(Array([pdf.make_indirect(link)]))

    check_upload(name="r.pdf", data=pikepdf_made(link_and_open_at_page_one), max_bytes=LIMIT)


def test_an_open_action_running_javascript_is_refused():
    refused(UploadError.PDF_ACTIVE_CONTENT, pikepdf_made(open_action_script))


def test_javascript_compressed_into_an_object_stream_is_found():
    pdf = pikepdf_made(open_action_script, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    assert b"JavaScript" not in pdf  # only the parser, inflating the object stream, can see it
    refused(UploadError.PDF_ACTIVE_CONTENT, pdf)


def test_a_name_written_with_hex_escapes_is_read_as_the_parser_reads_it():
    pdf = pikepdf_made(open_action_script, compress_streams=False)
    # The same length, so the cross-reference offsets stay right: /J#61vaScript is /JavaScript.
    obfuscated = pdf.replace(b"(app.alert\\(1\\);  ) /S /JavaScript", b"(app.alert\\(1\\);) /S /J#61vaScript")
    assert obfuscated != pdf and b"/JavaScript" not in obfuscated
    refused(UploadError.PDF_ACTIVE_CONTENT, obfuscated)


def test_an_embedded_file_is_refused():
    def attach(pdf):
        pdf.attachments["results.exe"] = pikepdf.AttachedFileSpec(pdf, b"MZ...", mime_type="application/x-msdos")

    refused(UploadError.PDF_ACTIVE_CONTENT, pikepdf_made(attach))


@pytest.mark.parametrize(
    "decorate",
    [
        lambda pdf: setattr(pdf.pages[0].obj, "AA", Dictionary(O=Dictionary(S=Name.GoTo, D=Array([0, Name.Fit])))),
        lambda pdf: setattr(pdf.Root, "AcroForm", Dictionary(Fields=Array([]), XFA=pdf.make_stream(b"<xdp/>"))),
        lambda pdf: setattr(pdf.Root, "OpenAction", Dictionary(S=Name.Launch, F=String("cmd.exe"))),
        lambda pdf: setattr(pdf.Root, "OpenAction", Dictionary(S=Name.SubmitForm, F=String("https://evil.example"))),
    ],
    ids=["additional-actions", "xfa-form", "launch", "submit-form"],
)
def test_other_active_content_made_by_a_real_writer_is_refused(decorate):
    refused(UploadError.PDF_ACTIVE_CONTENT, pikepdf_made(decorate))


def test_a_form_field_running_javascript_on_a_keystroke_is_refused():
    def scripted_field(pdf):
        field = pdf.make_indirect(
            Dictionary(FT=Name.Tx, T=String("age"), AA=Dictionary(K=Dictionary(S=Name.JavaScript, JS=String("1"))))
        )
        pdf.Root.AcroForm = Dictionary(Fields=Array([field]))

    refused(UploadError.PDF_ACTIVE_CONTENT, pikepdf_made(scripted_field))


def test_an_object_stream_that_does_not_inflate_is_corrupt():
    pdf = pikepdf_made(object_stream_mode=pikepdf.ObjectStreamMode.generate)
    data = pdf.index(b"stream", pdf.index(b"/ObjStm")) + len(b"stream\n") + 4
    damaged = pdf[:data] + bytes(byte ^ 0x55 for byte in pdf[data : data + 16]) + pdf[data + 16 :]
    refused(UploadError.CORRUPT, damaged)


def test_an_object_stream_that_inflates_beyond_the_limit_is_corrupt():
    def bomb(pdf):  # 130 KB on disk, twice the limit inflated
        pdf.Root.Padding = pdf.make_indirect(Dictionary(Zeros=String(b"0" * 2 * QPDF_DECODE_MAX_MEMORY)))

    refused(UploadError.CORRUPT, pikepdf_made(bomb, object_stream_mode=pikepdf.ObjectStreamMode.generate))


@pytest.mark.parametrize("user_password", ["", "secret"])
def test_encrypted_pdf_is_refused(user_password):
    encryption = pikepdf.Encryption(owner="hospital", user=user_password)
    refused(UploadError.PDF_ENCRYPTED, pikepdf_made(encryption=encryption))


def test_garbage_after_a_pdf_header_is_corrupt():
    refused(UploadError.CORRUPT, b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n")


def test_a_pdf_that_only_opens_after_repair_is_corrupt():
    pdf = pikepdf_made()
    broken_xref = pdf.replace(b"startxref\n", b"startxref\n1")  # points into nowhere; viewers would rebuild it
    refused(UploadError.CORRUPT, broken_xref)


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


def test_where_only_photos_are_taken_a_pdf_is_unsupported_without_being_parsed(monkeypatch):
    monkeypatch.setattr(pikepdf, "open", lambda *args, **kwargs: pytest.fail("parsed"))
    refused(UploadError.UNSUPPORTED_TYPE, minimal_pdf(), images_only=True)
    assert check_upload(name="a.png", data=encoded(two_colour_image(), "PNG"), max_bytes=LIMIT, images_only=True)
