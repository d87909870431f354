"""Keeping the last visit history read from the HIS, for when it cannot be reached."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from ihospital.accounts.models import VisitPerson
from ihospital.consultations.models import HisVisitHistoryCopy
from ihospital.integrations.his import codec
from ihospital.integrations.his.base import Visit


@transaction.atomic
def his_history_copy_keep(*, person: VisitPerson, visits: tuple[Visit, ...], read_at: datetime) -> None:
    """Replace the person's copy with this read (a later read wins; an older one arriving late does not
    overwrite it). Not audited on its own: the read that produced it is (``visit_history.read``)."""
    payload = [codec.as_payload(visit) for visit in visits]
    updated = HisVisitHistoryCopy.objects.filter(visit_person=person, read_at__lt=read_at).update(
        visits=payload, read_at=read_at
    )
    if not updated:
        HisVisitHistoryCopy.objects.get_or_create(visit_person=person, defaults={"visits": payload, "read_at": read_at})
