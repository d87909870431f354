"""Developer inbox: what the SMS sandbox delivered (sign-in codes). Answers 404 unless DEV_INBOX_ENABLED."""

from django.conf import settings
from django.http import Http404
from django.shortcuts import render

from ihospital.integrations.models import SandboxSms


def sms_inbox(request):
    if not settings.DEV_INBOX_ENABLED:
        raise Http404
    phone = request.GET.get("phone", "").strip()
    messages = SandboxSms.objects.all()
    if phone:
        messages = messages.filter(phone=phone)
    return render(request, "integrations/sms_inbox.html", {"messages": messages[:50], "phone": phone})
