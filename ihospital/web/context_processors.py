from django.conf import settings


def shell(request):
    return {"DEV_INBOX_ENABLED": settings.DEV_INBOX_ENABLED}
