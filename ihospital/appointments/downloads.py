"""How a stored attachment leaves the server: inline, never cached, never sniffed, scripts disabled
(a PDF carrying JavaScript that slipped past the upload check still cannot run)."""

from django.http import FileResponse

from ihospital.appointments.models import Attachment


def attachment_response(attachment: Attachment) -> FileResponse:
    response = FileResponse(attachment.file.open("rb"), content_type=attachment.content_type)
    response["Content-Disposition"] = (
        f'inline; filename="{attachment.public_id}.{attachment.file.name.rsplit(".", 1)[-1]}"'
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    return response
