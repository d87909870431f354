"""CI's dependency audit (.ci/audit_dependencies.py): a known vulnerability fails the build unless it is
recorded, with a reason, in .ci/vulnerability-exceptions.txt."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / ".ci" / "audit_dependencies.py"
spec = importlib.util.spec_from_file_location("audit_dependencies", SCRIPT)
audit = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = audit  # dataclasses look their module up there
spec.loader.exec_module(audit)

# The shape of `pip-audit --format json` (pip-audit 2.x).
REPORT = {
    "dependencies": [
        {"name": "django", "version": "5.2.1", "vulns": []},
        {
            "name": "jinja2",
            "version": "3.1.2",
            "vulns": [
                {
                    "id": "GHSA-h5c8-rqwp-cp95",
                    "fix_versions": ["3.1.3"],
                    "aliases": ["CVE-2024-22195"],
                    "description": "xmlattr filter accepts keys containing spaces",
                }
            ],
        },
        {"name": "offline-pkg", "skip_reason": "Dependency not found on PyPI and could not be audited"},
    ],
    "fixes": [],
}


def run_script(tmp_path, report, exceptions_text, *extra):
    report_file = tmp_path / "report.json"
    report_file.write_text(json.dumps(report))
    script = tmp_path / ".ci" / "audit_dependencies.py"
    script.parent.mkdir()
    script.write_text(SCRIPT.read_text())
    (tmp_path / ".ci" / "vulnerability-exceptions.txt").write_text(exceptions_text)
    return subprocess.run(
        [sys.executable, str(script), "--report", str(report_file), *extra], capture_output=True, text=True
    )


def test_a_known_vulnerability_fails_the_audit(tmp_path):
    finished = run_script(tmp_path, REPORT, "")
    assert finished.returncode == 1
    assert "VULNERABLE  jinja2 3.1.2 GHSA-h5c8-rqwp-cp95" in finished.stdout


def test_a_vulnerability_recorded_with_a_reason_passes(tmp_path):
    exceptions = "# accepted\nCVE-2024-22195  jinja2  templates never pass user keys to xmlattr\n"
    finished = run_script(tmp_path, REPORT, exceptions)
    assert finished.returncode == 0, finished.stdout
    assert "accepted: templates never pass user keys to xmlattr" in finished.stdout


def test_an_exception_without_a_reason_is_refused():
    with pytest.raises(audit.ExceptionsFileError):
        audit.parse_exceptions("GHSA-h5c8-rqwp-cp95 jinja2\n")


def test_an_exception_for_another_package_does_not_hide_the_vulnerability():
    verdict = audit.judge(REPORT, audit.parse_exceptions("GHSA-h5c8-rqwp-cp95 django reason\n"))
    assert verdict.vulnerable and verdict.failed(strict=False)


def test_a_stale_exception_fails_so_it_cannot_hide_a_later_finding():
    verdict = audit.judge(REPORT, audit.parse_exceptions("PYSEC-2023-1 django fixed long ago\n"))
    assert verdict.unused_exceptions == ["PYSEC-2023-1 django"]


def test_packages_not_audited_warn_and_fail_only_when_strict():
    clean = {"dependencies": [d for d in REPORT["dependencies"] if d["name"] != "jinja2"]}
    verdict = audit.judge(clean, {})
    assert verdict.not_audited and verdict.audited == 1
    assert not verdict.failed(strict=False)
    assert verdict.failed(strict=True)


def test_the_repository_exceptions_file_is_valid():
    audit.parse_exceptions((ROOT / ".ci" / "vulnerability-exceptions.txt").read_text())
