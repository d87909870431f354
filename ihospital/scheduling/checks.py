"""Refuse to start with a symptom-rules file (导诊) that cannot be used, rather than fail the first request."""

from __future__ import annotations

from django.core.checks import Error, register

from ihospital.core.rulefiles import RulesError
from ihospital.scheduling import guidance


@register()
def symptom_rules_check(app_configs=None, **kwargs) -> list[Error]:
    """Load (and so cache) the rules guidance serves; a ``RulesError`` becomes a check error."""
    if app_configs is not None and not any(config.label == "scheduling" for config in app_configs):
        return []
    try:
        guidance.load_rules()
    except RulesError as exc:
        return [
            Error(
                f"The symptom guidance rules cannot be used: {exc}",
                hint="Fix the entries named (each by its JSON path), then start again.",
                id="scheduling.E001",
            )
        ]
    return []
