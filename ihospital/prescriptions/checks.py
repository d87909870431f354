"""Refuse to start with prescription rule files (处方审核规则) that cannot be used, rather than fail a check."""

from __future__ import annotations

from django.core.checks import Error, register

from ihospital.core.rulefiles import RulesError
from ihospital.prescriptions import rules


@register()
def prescription_rules_check(app_configs=None, **kwargs) -> list[Error]:
    """Load (and so cache) the rule book the checks use; a ``RulesError`` becomes a check error."""
    if app_configs is not None and not any(config.label == "prescriptions" for config in app_configs):
        return []
    try:
        rules.rulebook()
    except RulesError as exc:
        return [
            Error(
                f"The prescription rules cannot be used: {exc}",
                hint="Fix the entries named (each by its file and JSON path), then start again.",
                id="prescriptions.E001",
            )
        ]
    return []
