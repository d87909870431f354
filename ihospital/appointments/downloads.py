"""How a stored private file leaves the server: inline, never cached, never sniffed, scripts disabled
(a PDF carrying JavaScript that slipped past the upload check still cannot run)."""

from django.http import FileResponse

from ihospital.appointments.models import Attachment


def private_file_response(file, *, content_type: str, filename: str) -> FileResponse:
    """A patient's file (an attachment, a chat photo, a recording), for an already authorised reader."""
    response = FileResponse(file.open("rb"), content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    return response


def attachment_response(attachment: Attachment) -> FileResponse:
    extension = attachment.file.name.rsplit(".", 1)[-1]
    return private_file_response(
        attachment.file, content_type=attachment.content_type, filename=f"{attachment.public_id}.{extension}"
    )
