"""The demo runs with DEBUG off: a visitor meets the product's own pages, the developer pages stay on by
their own settings, and the deploy checks let the demo's relaxed settings pass while the same settings
without the demo flag are refused.

Each case runs in a fresh interpreter with exactly the environment ``ihospital demo`` sets
(``ihospital.cli.demo_environment``), so nothing this test process configured can hide a difference.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from ihospital.cli import demo_environment

# What a visitor's browser gets from the demo, asked in process through the demo's own middleware
# (WhiteNoise included) after the demo's migrate.
DEMO_PAGES = """
import json, django
django.setup()
from django.conf import settings
from django.core.management import call_command
from django.test import Client
call_command("migrate", verbosity=0)
client = Client(HTTP_HOST="127.0.0.1")
answers = {"DEBUG": settings.DEBUG}
PATHS = ("/no-such-page/", "/dev/sms/", "/dev/totp/", "/static/web/favicon.svg")
PATHS += ("/static/vendor/bootstrap-5.3.9/css/bootstrap.min.css",)
for path in PATHS:
    response = client.get(path)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    answers[path] = {"status": response.status_code, "body": body.decode("utf-8", "replace")}
print("ANSWERS=" + json.dumps(answers))
"""

DEPLOY_CHECK = ["-m", "ihospital.cli", "manage", "check", "--deploy", "--fail-level", "ERROR"]


def the_demos_environment(tmp_path, *, demo_flag: bool = True) -> dict[str, str]:
    env = {**os.environ, "IHOSPITAL_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings"}
    for inherited in ("DATABASE_URL", "REDIS_URL", "DEBUG", "DEV_INBOX_ENABLED", "IHOSPITAL_DEMO"):
        env.pop(inherited, None)  # the demo's embedded stores and nothing the suite's environment sets
    env.update(demo_environment("127.0.0.1", 8000, 8200))
    if not demo_flag:
        env.pop("IHOSPITAL_DEMO")
    return env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, timeout=300, check=False)


def test_the_demo_runs_with_debug_off_and_its_developer_pages_on(tmp_path):
    env = the_demos_environment(tmp_path)
    assert env["DEBUG"] == "0"
    result = run(["-c", DEMO_PAGES], env)
    lines = [line for line in result.stdout.splitlines() if line.startswith("ANSWERS=")]
    assert lines, result.stdout + result.stderr
    answers = json.loads(lines[-1].removeprefix("ANSWERS="))
    assert answers["DEBUG"] is False

    not_found = answers["/no-such-page/"]
    assert not_found["status"] == 404
    assert 'data-testid="error-status"' in not_found["body"] and 'data-testid="error-home"' in not_found["body"]
    assert "URLconf" not in not_found["body"] and "DEBUG = True" not in not_found["body"]

    assert answers["/dev/sms/"]["status"] == 200  # the SMS inbox with the sign-in codes
    assert answers["/dev/totp/"]["status"] == 200  # the demo staff's authenticator codes
    assert answers["/static/web/favicon.svg"]["status"] == 200  # static still served (WhiteNoise)
    assert answers["/static/vendor/bootstrap-5.3.9/css/bootstrap.min.css"]["status"] == 200


def test_the_demos_settings_pass_the_deploy_checks(tmp_path):
    result = run(DEPLOY_CHECK, the_demos_environment(tmp_path))
    assert result.returncode == 0, result.stderr


def test_the_same_settings_without_the_demo_flag_are_refused(tmp_path):
    """A production start that merely copied the demo's variables: plain HTTP and the developer pages."""
    env = the_demos_environment(tmp_path, demo_flag=False)
    result = run(DEPLOY_CHECK, env)
    assert result.returncode != 0
    assert "ihospital.E003" in result.stderr and "ihospital.E007" in result.stderr


def test_the_demo_starts_the_his_gateway_before_loading_its_data(monkeypatch):
    """Loading the demo calls the HIS through the gateway (the drug catalogue, matching visit persons):
    started after it, the first fresh demo stopped with prescription.catalogue_unavailable."""
    import argparse

    from ihospital import cli

    steps: list[str] = []

    class Gateway:
        def terminate(self):
            steps.append("gateway stopped")

        def wait(self, timeout=None):
            return 0

    monkeypatch.setattr(cli, "_django", lambda argv: steps.append(argv[0]))
    monkeypatch.setattr(cli, "_start_gateway", lambda port: steps.append(f"gateway :{port}") or Gateway())
    monkeypatch.setattr(cli, "_serve", lambda host, port, with_worker: steps.append("serve"))
    for name in demo_environment("127.0.0.1", 8000, 8200):
        monkeypatch.setenv(name, os.environ.get(name, ""))  # restored after the test: demo() sets them
    cli.demo(argparse.Namespace(host="127.0.0.1", port=8000, gateway_port=None))
    assert steps == ["migrate", "gateway :8200", "load_demo", "serve", "gateway stopped"]
