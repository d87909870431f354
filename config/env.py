"""Tiny typed readers for the environment; the only place settings touch ``os.environ``.

A variable ``NAME_FILE`` wins over ``NAME`` so that secrets can come from mounted files
(Docker/Kubernetes secrets, systemd credentials) rather than the process environment.
"""

from __future__ import annotations

import os
from pathlib import Path


def env(name: str, default: str = "") -> str:
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        return Path(file_path).read_text(encoding="utf-8").strip()
    # A variable set to nothing means "not set": `MEDIA_ROOT=` must not become the current directory.
    return os.environ.get(name) or default


def envbool(name: str, default: bool) -> bool:
    value = env(name, "")
    if value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: int) -> int:
    value = env(name, "")
    return int(value) if value else default


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]
