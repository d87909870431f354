"""Public identifiers: every object a person or an app can name carries a random UUID.

Sequential primary keys stay inside the database; they never appear in a URL or a payload, so ids
can't be guessed or counted.
"""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class PublicIdModel(models.Model):
    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        abstract = True
