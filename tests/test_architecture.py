"""The import contracts (pyproject.toml, checked by ``lint-imports`` in CI) cover every app: a new package
under ``ihospital/`` fails here until it has a place in the apps' DAG and its own inner layers."""

from __future__ import annotations

import pkgutil
import tomllib
from pathlib import Path

import ihospital

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"
CONTRACTS = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]["contracts"]
LAYERS = [c for c in CONTRACTS if c["type"] == "layers"]
PACKAGES = {f"ihospital.{m.name}" for m in pkgutil.iter_modules(ihospital.__path__) if m.ispkg}


def _modules_of(layer: str) -> set[str]:
    """ "a | (b)" or "a : b" → {"a", "b"} (parentheses mark an optional layer)."""
    separator = "|" if "|" in layer else ":"
    return {name.strip().strip("()") for name in layer.split(separator)}


def test_the_packages_are_found():
    assert {"ihospital.core", "ihospital.accounts", "ihospital.consultations"} <= PACKAGES


def test_every_app_has_its_place_in_the_apps_dag():
    dags = [c for c in LAYERS if "containers" not in c]
    assert len(dags) == 1, [c["name"] for c in dags]
    placed = set().union(*(_modules_of(layer) for layer in dags[0]["layers"]))
    assert placed - PACKAGES == set(), "the DAG names a package that does not exist"
    assert PACKAGES - placed == set(), f"add to the layers of {dags[0]['name']!r}"


def test_every_app_has_exhaustive_inner_layers():
    containers = [name for c in LAYERS for name in c.get("containers", [])]
    assert len(containers) == len(set(containers)), "an app is the container of two inner-layer contracts"
    assert set(containers) - PACKAGES == set(), "a contract names a package that does not exist"
    assert PACKAGES - set(containers) == set(), "add the app to an inner-layer contract's containers"
    for contract in LAYERS:
        if "containers" in contract:
            assert contract.get("exhaustive") is True, f"{contract['name']!r}: every module must have a layer"
