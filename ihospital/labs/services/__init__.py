"""Lab/exam order writes. Split by stage: progress at the hospital (performed, reported)."""

from ihospital.labs.services.progress import lab_order_perform, lab_order_report

__all__ = ["lab_order_perform", "lab_order_report"]
