"""A report as a PDF in Chinese (reportlab, the built-in CID font STSong-Light, as records' PDF): the
patient, the test, every value with its unit, reference range and flag; or an exam's findings,
impression and key images; the reporting and reviewing physicians."""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from ihospital.core.time import local
from ihospital.labs.models import KeyImage, Report

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))
BODY = ParagraphStyle("body", fontName=FONT, fontSize=10.5, leading=16, wordWrap="CJK")
TITLE = ParagraphStyle("title", parent=BODY, fontSize=16, leading=22, alignment=1)
SMALL = ParagraphStyle("small", parent=BODY, fontSize=8.5, leading=12)
FLAG_TEXT = {"N": "", "H": "↑", "L": "↓", "HH": "↑↑", "LL": "↓↓"}


def _p(text: Any, style: ParagraphStyle = BODY) -> Paragraph:
    return Paragraph(escape(str(text or "—")).replace("\n", "<br/>"), style)


def _values_table(report: Report) -> Table:
    rows: list[list[Any]] = [[_p(_("Item")), _p(_("Result")), _p(_("Unit")), _p(_("Reference range"))]]
    critical = []
    for index, value in enumerate(report.values.all(), start=1):
        rows.append(
            [_p(value.name), _p(f"{value.value} {FLAG_TEXT[value.flag]}"), _p(value.unit), _p(value.reference_text)]
        )
        if value.critical:
            critical.append(index)
    table = Table(rows, colWidths=[60 * mm, 35 * mm, 30 * mm, 40 * mm], repeatRows=1)
    style = [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]
    style += [("BACKGROUND", (0, row), (-1, row), colors.HexColor("#f8d7da")) for row in critical]
    table.setStyle(TableStyle(style))
    return table


def _images(report: Report) -> list[Any]:
    story: list[Any] = []
    for image in report.images.all():
        if image.status != KeyImage.Status.STORED:
            continue
        with image.rendered.open("rb") as handle:
            data = io.BytesIO(handle.read())
        picture = Image(data)
        ratio = picture.imageHeight / picture.imageWidth
        picture.drawWidth, picture.drawHeight = 70 * mm, 70 * mm * ratio
        story += [picture, _p(image.description, SMALL), Spacer(1, 3 * mm)]
    return story


def report_pdf(*, report: Report, hospital: str) -> bytes:
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, title=report.title)
    person = report.visit_person
    story: list[Any] = [
        _p(hospital, TITLE),
        _p(_("Lab report") if report.kind == Report.Kind.LAB else _("Exam report"), TITLE),
        Spacer(1, 4 * mm),
        _p(f"{_('Patient')}: {person.name}    {_('Report number')}: {report.his_report_no}"),
        _p(f"{_('Test')}: {report.title}    {_('Reported at')}: {local(report.reported_at):%Y-%m-%d %H:%M}"),
    ]
    if report.specimen:
        story.append(_p(f"{_('Specimen')}: {report.specimen}"))
    story.append(Spacer(1, 4 * mm))
    if report.kind == Report.Kind.LAB:
        story.append(_values_table(report))
    else:
        story += [_p(_("Findings"), BODY), _p(report.findings), Spacer(1, 2 * mm)]
        story += [_p(_("Impression"), BODY), _p(report.impression), Spacer(1, 4 * mm), *_images(report)]
    if report.critical:
        story += [Spacer(1, 3 * mm), _p(_("Critical value: contact the hospital at once."), BODY)]
    story += [
        Spacer(1, 6 * mm),
        _p(f"{_('Reported by')}: {report.reporting_physician}    {_('Reviewed by')}: {report.reviewing_physician}"),
        _p(_("This report is a copy for the patient; the hospital's signed original is kept in its system."), SMALL),
    ]
    document.build(story)
    return buffer.getvalue()
