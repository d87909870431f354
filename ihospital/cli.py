"""The ``ihospital`` command: ``demo``, ``serve``, ``worker``, ``gateway`` and ``manage`` (Django's manage.py)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8000


def _django(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["ihospital manage", *argv])


def _start_worker() -> subprocess.Popen:
    """The task worker in its own process (huey's consumer), so a crash in one never stops the other."""
    return subprocess.Popen([sys.executable, "-m", "ihospital.cli", "worker"], env=os.environ.copy())


def _start_worker_in_process():
    """The embedded mode's worker: huey's consumer as threads of the server process. The in-memory
    channel layer lives in this process, so live pushes from tasks (reminders, call time-outs) must too.

    Huey knows a task only once its module is imported: like huey's own ``run_huey`` (which
    ``ihospital worker`` runs), import every app's ``tasks`` module first, or the periodic sweepers
    (reminders, call time-outs, no-shows, auto-completion, recordings) never run."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.utils.module_loading import autodiscover_modules
    from huey.contrib.djhuey import HUEY

    autodiscover_modules("tasks")

    consumer = HUEY.create_consumer(**settings.HUEY["consumer"])
    consumer.start()
    return consumer


def _serve(host: str, port: int, *, with_worker: bool, workers: int = 1) -> None:
    import uvicorn

    embedded = not os.environ.get("REDIS_URL")
    if embedded and workers > 1:
        raise SystemExit("ihospital: several server processes need REDIS_URL (in-memory channels are per process)")
    worker = consumer = None
    if with_worker and embedded:
        consumer = _start_worker_in_process()
    elif with_worker:
        worker = _start_worker()
    try:
        uvicorn.run(
            "config.asgi:application",
            host=host,
            port=port,
            workers=workers,
            lifespan="off",
            timeout_graceful_shutdown=10,  # open WebSockets must not hold a restart for long
            log_level=os.environ.get("LOG_LEVEL", "info").lower(),
        )
    finally:
        if consumer is not None:
            consumer.stop(graceful=True)
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=10)


def demo_environment(host: str, port: int, gateway_port: int) -> dict[str, str]:
    """The variables ``ihospital demo`` sets (unless already set) before settings are first read.

    The demo is a developer's machine on plain HTTP, but DEBUG stays off: a visitor sees the product's own
    pages (the branded 404), not Django's debug pages. What the demo needs is switched on by its own
    setting, and IHOSPITAL_DEMO tells the deploy checks that these relaxed settings are the demo's."""
    return {
        "IHOSPITAL_DEMO": "1",
        "DEBUG": "0",
        # The developer pages: the SMS inbox (/dev/sms/), the staff's TOTP codes (/dev/totp/), payment faults.
        "DEV_INBOX_ENABLED": "1",
        # The cloud-video platform's sandbox (/sandbox/video/v1/), for VIDEO_PROVIDER=…CloudVideoProvider.
        "CLOUD_VIDEO_SANDBOX_ENABLED": "1",
        # The sandbox cashier sends patients back, and posts its notifications, to this very server.
        "PUBLIC_BASE_URL": f"http://{host}:{port}",
        # The app calls the HIS through the gateway started beside it.
        "HIS_CLIENT": "ihospital.integrations.his.soap.SoapHis",
        "HIS_GATEWAY_URL": f"http://127.0.0.1:{gateway_port}/his",
    }


def demo(args: argparse.Namespace) -> None:
    gateway_port = args.gateway_port or args.port + 200
    for name, value in demo_environment(args.host, args.port, gateway_port).items():
        os.environ.setdefault(name, value)
    _django(["migrate", "--no-input", "-v", "0"])
    # The gateway first: loading the demo already calls the HIS (the drug catalogue, visit persons' matching,
    # alice's lab reports).
    his_gateway = _start_gateway(gateway_port)
    try:
        _django(["load_demo", "--base-url", f"http://{args.host}:{args.port}"])
        print(f"\n  ihospital is starting at http://{args.host}:{args.port}/  (Ctrl+C stops it)", flush=True)
        print(f"  HIS gateway (SOAP, WSDL): http://127.0.0.1:{gateway_port}/his?wsdl\n", flush=True)
        _serve(args.host, args.port, with_worker=True)
    finally:
        his_gateway.terminate()
        his_gateway.wait(timeout=10)


def _start_gateway(port: int) -> subprocess.Popen:
    """The HIS forwarding gateway beside the demo, its own process in front of the simulated HIS; the
    app's soap client calls it, so the demo takes the real SOAP path. Waits until it answers."""
    import time
    import urllib.request

    command = [sys.executable, "-m", "ihospital.cli", "gateway", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(command, env=os.environ.copy())  # noqa: S603 - our own interpreter and module
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"ihospital: the HIS gateway stopped (exit {process.returncode}); port {port} taken?")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as answer:  # noqa: S310
                if answer.status == 200:
                    return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("ihospital: the HIS gateway did not answer within a minute")


def serve(args: argparse.Namespace) -> None:
    # No migrate here: several instances starting at once would race. Deployments run
    # `ihospital manage migrate` once per release.
    _django(["check", "--deploy", "--fail-level", "ERROR"])
    _serve(args.host, args.port, with_worker=not args.no_worker, workers=args.workers)


def gateway(args: argparse.Namespace) -> None:
    """The HIS forwarding gateway (gateway/), its own process: in production on a host in the hospital
    network that may reach the HIS (docs/his.md)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings

    from gateway.server import serve as serve_gateway

    serve_gateway(args.host or settings.GATEWAY_HOST, args.port or settings.GATEWAY_PORT, settings.GATEWAY_THREADS)


def worker(args: argparse.Namespace) -> None:
    _django(["run_huey"])


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["manage"]:
        _django(argv[1:])
        return
    parser = argparse.ArgumentParser(prog="ihospital", description="Internet hospital platform")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, handler, help_text in (
        ("demo", demo, "migrate, load demo data, serve with the worker and print the logins"),
        ("serve", serve, "check the configuration, migrate and serve (with a worker unless --no-worker)"),
    ):
        sub = commands.add_parser(name, help=help_text)
        sub.add_argument("--host", default=os.environ.get("HOST", DEFAULT_HOST))
        sub.add_argument("--port", type=int, default=int(os.environ.get("PORT", DEFAULT_PORT)))
        sub.set_defaults(handler=handler)
        if name == "demo":
            sub.add_argument("--gateway-port", type=int, default=None, help="the HIS gateway (default: port+200)")
        if name == "serve":
            sub.add_argument("--no-worker", action="store_true", help="workers run elsewhere (RedisHuey)")
            sub.add_argument("--workers", type=int, default=1, help="uvicorn processes")
    commands.add_parser("worker", help="run the background task worker").set_defaults(handler=worker)
    gateway_command = commands.add_parser("gateway", help="run the HIS forwarding gateway (SOAP)")
    gateway_command.add_argument("--host", default=None, help="default: GATEWAY_HOST")
    gateway_command.add_argument("--port", type=int, default=None, help="default: GATEWAY_PORT")
    gateway_command.set_defaults(handler=gateway)
    commands.add_parser("manage", help="Django's manage.py (e.g. ihospital manage audit_verify)")
    args = parser.parse_args(argv)
    args.handler(args)


if __name__ == "__main__":
    main()
