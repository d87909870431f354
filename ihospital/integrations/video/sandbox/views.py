"""The sandbox platform's HTTP face: three POST operations answering JSON, and a join page.

Every operation goes through ``_operation``: 404 while the sandbox is off, the platform's latency, an
injected failure if one is armed, the Bearer JWT (401 with a JSON body when refused), then the JSON body.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from ihospital.integrations.models import SandboxMeeting
from ihospital.integrations.video.sandbox import auth, control, meetings

Handler = Callable[..., dict[str, Any]]


def _refusal(status: int, code: str, message: str) -> JsonResponse:
    response = JsonResponse({"code": code, "message": message}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="sandbox-video", error="invalid_token"'
    return response


def _enabled_or_404() -> None:
    if not settings.CLOUD_VIDEO_SANDBOX_ENABLED:
        raise Http404


def _operation(handler: Handler):
    @csrf_exempt  # a machine-to-machine API authenticated by its Bearer token, not a browser form
    @wraps(handler)
    def view(request):
        _enabled_or_404()
        if request.method != "POST":
            return _refusal(405, "method_not_allowed", _("Use POST."))
        time.sleep(settings.CLOUD_VIDEO_SANDBOX_LATENCY_SECONDS)  # a real platform answers in 50–500 ms
        if failure := control.take():
            return _refusal(failure, "unavailable", _("Sandbox: injected platform failure."))
        try:
            claims = auth.authenticate(request.headers.get("Authorization", ""))
        except auth.Unauthorized as exc:
            return _refusal(401, exc.code, exc.message)
        try:
            body = json.loads(request.body or b"null")
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return _refusal(400, "invalid_request", _("The body must be a JSON object."))
        try:
            data = handler(org_id=str(claims["org_id"]), body=body)
        except meetings.Refused as exc:
            return _refusal(exc.status, exc.code, exc.message)
        return JsonResponse({"code": "ok", "data": data})

    return view


@_operation
def create(*, org_id: str, body: dict[str, Any]) -> dict[str, Any]:
    return meetings.as_data(meetings.create(org_id=org_id, new=meetings.parse_new_meeting(body)))


@_operation
def get(*, org_id: str, body: dict[str, Any]) -> dict[str, Any]:
    return meetings.as_data(meetings.get(org_id=org_id, meeting_id=body.get("meeting_id")))


@_operation
def delete(*, org_id: str, body: dict[str, Any]) -> dict[str, Any]:
    return meetings.as_data(meetings.end(org_id=org_id, meeting_id=body.get("meeting_id")))


def join(request, meeting_id: str):
    """Where a join_url leads: the sandbox carries no media, so it only says which meeting this is."""
    _enabled_or_404()
    meeting = SandboxMeeting.objects.filter(meeting_id=meeting_id).first()
    if meeting is None:
        raise Http404
    ended = meeting.status == meeting.Status.ENDED
    text = _("This meeting has ended.") if ended else _("Sandbox meeting: no audio or video is carried here.")
    page = format_html("<!doctype html><title>{}</title><h1>{}</h1><p>{}</p>", meeting.topic, meeting.topic, text)
    return HttpResponse(page, status=410 if ended else 200)
