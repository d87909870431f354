from django.utils.translation import gettext_lazy as _

from ihospital.core.errors import ErrorCode


class NotificationError:
    CLIENT_FRAME_IGNORED = ErrorCode(
        "notification.client_frame_ignored", _("This connection only delivers notifications.")
    )
