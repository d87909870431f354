"""What the prescription services share: audited refusals and the realtime group of the review queue."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, ParamSpec, TypeVar

from django.db import transaction

from ihospital.audit.services import Actor, record
from ihospital.core.errors import DomainError
from ihospital.prescriptions.models import Prescription, PrescriptionVersion
from ihospital.prescriptions.selectors.checks import finding_key, rule_item, run_check

P = ParamSpec("P")
R = TypeVar("R")

REVIEW_GROUP = "rx.review"  # the pharmacists' review queue pages


def target_of(kwargs: Mapping[str, Any]) -> tuple[str, str]:
    for name in ("version", "prescription", "consultation"):
        value = kwargs.get(name)
        if isinstance(value, PrescriptionVersion):
            return "prescription", str(value.prescription.public_id)
        if value is not None:
            kind = "prescription" if isinstance(value, Prescription) else name
            return kind, str(getattr(value, "public_id", ""))
    return "", ""


def audited_refusals(action: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """A service whose refusals (``DomainError``) are audited as ``<action>.refused`` with their code, in a
    transaction of their own (the service's own rolled back with the refusal: nothing changed)."""

    def wrap(service: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(service)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return service(*args, **kwargs)
            except DomainError as error:
                actor = kwargs.get("actor")
                if isinstance(actor, Actor):
                    target_type, target_id = target_of(kwargs)
                    with transaction.atomic():
                        record(
                            actor=actor,
                            action=f"{action}.refused",
                            target_type=target_type,
                            target_id=target_id,
                            details={"code": error.code, "params": _safe(error.params)},
                        )
                raise

        return run

    return wrap


def _safe(params: Mapping[str, Any]) -> dict[str, str]:
    return {key: str(value)[:100] for key, value in params.items()}


__all__ = ["REVIEW_GROUP", "audited_refusals", "finding_key", "rule_item", "run_check", "target_of"]
