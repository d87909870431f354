"""Supply chain: audit every package pinned in uv.lock for known vulnerabilities (pip-audit).

    uv run python .ci/audit_dependencies.py            # what .ci/run does
    uv run python .ci/audit_dependencies.py --strict   # also fail when a package could not be audited

The lock file is exported with its hashes (``uv export``, every dependency group: the dev tools run in
CI too) and handed to pip-audit with ``--disable-pip``: nothing is resolved or installed, exactly the
pinned versions are looked up in the PyPI advisory data (the PyPA advisory database, which PyPI serves).

Exit status 1 when a package has a known vulnerability that ``.ci/vulnerability-exceptions.txt`` does
not list. That file is the only way to accept one: a line per vulnerability id, then the package, then
the reason it does not apply or cannot be fixed yet (``PYSEC-2024-1 django  we never call …``); a line
without a reason is refused, and so is an exception that no longer matches anything (it would silently
accept the next vulnerability given that id). Blank lines and ``#`` comments are ignored.

A package the vulnerability service does not answer for is listed as "not audited". That is a warning
by default, because some networks reach PyPI's package index but not its per-version JSON API that
pip-audit asks; ``--strict`` (or PIP_AUDIT_STRICT=1) makes it an error where the API is reachable.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXCEPTIONS_FILE = ROOT / ".ci" / "vulnerability-exceptions.txt"


class ExceptionsFileError(ValueError):
    pass


@dataclass(frozen=True)
class Accepted:
    vuln_id: str
    package: str
    reason: str


@dataclass
class Verdict:
    audited: int = 0
    vulnerable: list[str] = field(default_factory=list)  # "package version ID (fix: …)"
    accepted: list[str] = field(default_factory=list)
    unused_exceptions: list[str] = field(default_factory=list)
    not_audited: list[str] = field(default_factory=list)

    def failed(self, *, strict: bool) -> bool:
        return bool(self.vulnerable or self.unused_exceptions or (strict and self.not_audited))


def parse_exceptions(text: str) -> dict[str, Accepted]:
    """``ID package reason…`` per line; raises ExceptionsFileError on a line without a reason."""
    accepted: dict[str, Accepted] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 2)
        if len(parts) < 3 or not parts[2].strip():
            raise ExceptionsFileError(f"line {number}: write the vulnerability id, the package and the reason")
        vuln_id, package, reason = parts
        accepted[vuln_id.upper()] = Accepted(vuln_id.upper(), package.lower(), reason.strip())
    return accepted


def judge(report: dict, accepted: dict[str, Accepted]) -> Verdict:
    """Sort pip-audit's JSON report into vulnerable, accepted and not audited packages."""
    verdict = Verdict()
    used: set[str] = set()
    for dependency in report.get("dependencies", []):
        name, version = dependency["name"], dependency.get("version", "?")
        if "skip_reason" in dependency:
            verdict.not_audited.append(f"{name}: {dependency['skip_reason']}")
            continue
        verdict.audited += 1
        for vuln in dependency.get("vulns", []):
            ids = {vuln["id"].upper(), *(alias.upper() for alias in vuln.get("aliases", []))}
            match = next((accepted[i] for i in sorted(ids) if i in accepted and accepted[i].package == name), None)
            line = f"{name} {version} {vuln['id']} (fixed in: {', '.join(vuln.get('fix_versions', [])) or 'no fix'})"
            if match:
                used.add(match.vuln_id)
                verdict.accepted.append(f"{line} — accepted: {match.reason}")
            else:
                verdict.vulnerable.append(line)
    # Only an exception for a package that was audited can be called stale.
    audited_names = {d["name"] for d in report.get("dependencies", []) if "skip_reason" not in d}
    verdict.unused_exceptions = sorted(
        f"{a.vuln_id} {a.package}" for a in accepted.values() if a.vuln_id not in used and a.package in audited_names
    )
    return verdict


def run_pip_audit() -> dict:
    exported = subprocess.run(  # noqa: S603  (a fixed command line; uv is the project's tool, found on PATH)
        ["uv", "export", "--format", "requirements-txt", "--all-groups", "--no-emit-project", "--locked", "--quiet"],  # noqa: S607
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    with tempfile.TemporaryDirectory() as folder:
        requirements, out = Path(folder) / "requirements.txt", Path(folder) / "report.json"
        requirements.write_text(exported, encoding="utf-8")
        command = [sys.executable, "-m", "pip_audit", "--requirement", str(requirements), "--disable-pip"]
        command += ["--format", "json", "--output", str(out), "--progress-spinner", "off"]
        # Exit status 1 only says "vulnerabilities found"; the report is judged below, with the exceptions.
        finished = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)  # noqa: S603  (fixed)
        if not out.exists():
            sys.stderr.write(finished.stderr)
            raise SystemExit(f"pip-audit failed (exit {finished.returncode}) without a report")
        return json.loads(out.read_text(encoding="utf-8"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strict", action="store_true", default=os.environ.get("PIP_AUDIT_STRICT") == "1")
    parser.add_argument("--report", type=Path, help="judge this pip-audit JSON report instead of running pip-audit")
    args = parser.parse_args()
    try:
        accepted = parse_exceptions(EXCEPTIONS_FILE.read_text(encoding="utf-8"))
    except ExceptionsFileError as error:
        print(f"{EXCEPTIONS_FILE.name}: {error}", file=sys.stderr)
        return 1
    report = json.loads(args.report.read_text(encoding="utf-8")) if args.report else run_pip_audit()
    verdict = judge(report, accepted)
    total = verdict.audited + len(verdict.not_audited)
    print(f"pip-audit: {verdict.audited} of {total} locked packages audited")
    for line in verdict.accepted:
        print(f"  accepted  {line}")
    for line in verdict.vulnerable:
        print(f"  VULNERABLE  {line}")
    for line in verdict.unused_exceptions:
        print(f"  STALE EXCEPTION  {line} matches no vulnerability any more: remove it from {EXCEPTIONS_FILE.name}")
    if verdict.not_audited:
        level = "ERROR" if args.strict else "WARNING"
        print(f"  {level}: {len(verdict.not_audited)} packages not audited (vulnerability service unreachable?):")
        for line in verdict.not_audited[:5]:
            print(f"    {line}")
        if len(verdict.not_audited) > 5:
            print(f"    … and {len(verdict.not_audited) - 5} more")
    if verdict.failed(strict=args.strict):
        return 1
    if verdict.audited:
        print(f"pip-audit: no known vulnerability without a recorded exception in {verdict.audited} packages")
    else:
        print("pip-audit: NOTHING AUDITED — no vulnerability data reached this machine")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
