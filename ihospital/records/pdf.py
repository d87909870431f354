"""A signed record version as a PDF in Chinese (reportlab; the Adobe CID font STSong-Light is built into
every PDF reader, so no font file is shipped or embedded). It shows the record, its signer, certificate
serial and signing time, and a QR code leading to the public page that verifies the signature."""

from __future__ import annotations

import io
import json
from typing import Any
from xml.sax.saxutils import escape

import segno
from django.utils.translation import gettext as _
from reportlab.graphics import renderPDF
from reportlab.graphics.shapes import Drawing, Rect
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from ihospital.core.time import local
from ihospital.records.models import TEXT_FIELDS, RecordVersion

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))
BODY = ParagraphStyle("body", fontName=FONT, fontSize=10.5, leading=16, wordWrap="CJK")
LABEL = ParagraphStyle("label", parent=BODY, fontSize=10.5, textColor="#333333")
TITLE = ParagraphStyle("title", parent=BODY, fontSize=16, leading=22, alignment=1)
SMALL = ParagraphStyle("small", parent=BODY, fontSize=8.5, leading=12)


class QrCode(Flowable):
    """A QR code drawn as vector squares (segno gives the module matrix)."""

    def __init__(self, text: str, size: float = 30 * mm) -> None:
        super().__init__()
        self.matrix = segno.make(text, error="m").matrix
        self.size = size
        self.width = self.height = size

    def draw(self) -> None:
        count = len(self.matrix) + 8  # quiet zone of 4 modules each side
        module = self.size / count
        drawing = Drawing(self.size, self.size)
        for y, row in enumerate(self.matrix):
            for x, dark in enumerate(row):
                if dark:
                    top = self.size - (y + 4 + 1) * module
                    drawing.add(Rect((x + 4) * module, top, module, module, fillColor="#000000", strokeWidth=0))
        renderPDF.draw(drawing, self.canv, 0, 0)


def _p(text: Any, style: ParagraphStyle = BODY) -> Paragraph:
    return Paragraph(escape(str(text or "—")).replace("\n", "<br/>"), style)


def signer_name(version: RecordVersion) -> str:
    """The name printed beside the signature, never blank: the doctor's name as signed (the signed document's
    ``doctor.name``); if that was only the account name (no full name on the account then), the account's
    full name now, else the account name. The professional title follows when there is one."""
    author = version.author
    signed_as = ""
    if version.signature is not None:
        try:
            signed_as = str(json.loads(version.signature.document).get("doctor", {}).get("name") or "")
        except (ValueError, AttributeError):
            signed_as = ""
    name = signed_as if signed_as and signed_as != author.username else (author.full_name or author.username)
    return f"{name}（{author.title}）" if author.title else name


def record_pdf(*, version: RecordVersion, verify_url: str, hospital: str) -> bytes:
    """The PDF of a signed ``version`` (its signature, certificate and author loaded)."""
    medical_record = version.record
    person = medical_record.visit_person
    appointment = medical_record.consultation.appointment
    signature = version.signature
    assert signature is not None
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=f"{hospital} {_('Outpatient medical record')}",
        author=signer_name(version),
    )
    head = [
        [_p(_("Patient"), LABEL), _p(person.name), _p(_("Sex"), LABEL), _p(person.get_sex_display())],
        [
            _p(_("Date of birth"), LABEL),
            _p(person.birth_date),
            _p(_("Visit date"), LABEL),
            _p(appointment.schedule.date),
        ],
        [
            _p(_("Department"), LABEL),
            _p(appointment.schedule.department.name),
            _p(_("Version"), LABEL),
            _p(version.number),
        ],
    ]
    story: list[Flowable] = [
        _p(hospital, TITLE),
        _p(_("Outpatient medical record (online visit)"), TITLE),
        Spacer(1, 4 * mm),
        Table(
            head,
            colWidths=[24 * mm, 55 * mm, 24 * mm, 55 * mm],
            style=TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]),
        ),
        Spacer(1, 3 * mm),
    ]
    labels = {name: RecordVersion._meta.get_field(name).verbose_name for name in TEXT_FIELDS}  # type: ignore[union-attr]
    rows = []
    for name in TEXT_FIELDS[:5]:
        rows.append([_p(str(labels[name]).capitalize(), LABEL), _p(getattr(version, name))])
    diagnoses = "\n".join(f"{i}. {d['name']}（{d['code']}）" for i, d in enumerate(version.diagnoses, 1))
    rows.append([_p(_("Diagnoses"), LABEL), _p(diagnoses)])
    for name in TEXT_FIELDS[5:]:
        rows.append([_p(str(labels[name]).capitalize(), LABEL), _p(getattr(version, name))])
    grid = TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LINEBELOW", (0, 0), (-1, -1), 0.3, "#cccccc")])
    story += [Table(rows, colWidths=[30 * mm, 144 * mm], style=grid), Spacer(1, 6 * mm)]
    signed = [
        _p(_("Electronically signed by: %(name)s") % {"name": signer_name(version)}),
        _p(_("Certificate serial: %(serial)s") % {"serial": signature.certificate.serial}),
        _p(_("Signed at: %(time)s") % {"time": local(signature.signed_at).strftime("%Y-%m-%d %H:%M:%S")}),
        _p(_("Algorithm: %(algorithm)s") % {"algorithm": signature.algorithm}),
        _p(_("Digest: %(digest)s") % {"digest": signature.digest}, SMALL),
        _p(_("Scan the code to verify this signature."), SMALL),
        _p(_("Or open: %(url)s") % {"url": verify_url}, SMALL),  # what the code holds, for those without a scanner
    ]
    story.append(
        Table(
            [[signed, QrCode(verify_url)]],
            colWidths=[140 * mm, 34 * mm],
            style=TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]),
        )
    )
    doc.build(story)
    return out.getvalue()
