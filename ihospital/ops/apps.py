from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    """Operating the installation: key rotation, backup and verified restore (management commands)."""

    name = "ihospital.ops"
    label = "ops"
    verbose_name = _("Operations")
