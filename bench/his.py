"""The HIS path end to end: app client (zeep) → gateway (spyne, WS-Security) → simulated HIS, beside a
trivial request to the same gateway, in one run.

    uv run python bench/his.py                   # ~1 minute, loopback only
    uv run python bench/his.py --calls 500 --threads 8 --json out.json

It starts ``ihospital gateway`` as its own process on a free port with a throw-away var directory (a
fresh simulated HIS file, no artificial latency), then from this process measures, one client after
another (sequential: latency) and with ``--threads`` clients at once (throughput):

- trivial: ``GET /healthz`` of the gateway through ``core.http`` (the same HTTP stack and pool);
- small read: ``ExamOrderStatus`` (a reply of five fields: the path's fixed cost);
- read: ``VisitHistory`` of the persona with 14 visits, diagnoses and prescriptions (reply ~9 KB);
- write: ``RegisterVisit`` with a new transaction id each call (a write the HIS applies once).

Goal (issue 11): a read costs at most 3× the trivial request (p50). Results in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_gateway(port: int, env: dict[str, str], log: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "ihospital.cli", "gateway", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(command, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, cwd=ROOT)  # noqa: S603
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):  # noqa: S310
                return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit(f"the gateway did not start; see {log}")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def sequential(call: Callable[[int], object], n: int) -> dict[str, float]:
    durations = []
    started = time.perf_counter()
    for i in range(n):
        t = time.perf_counter()
        call(i)
        durations.append((time.perf_counter() - t) * 1000)
    elapsed = time.perf_counter() - started
    return {"calls_per_s": n / elapsed, "p50_ms": percentile(durations, 50), "p99_ms": percentile(durations, 99)}


def concurrent(call: Callable[[int], object], n: int, threads: int) -> dict[str, float]:
    durations: list[float] = []
    lock = threading.Lock()
    counter = iter(range(n))

    def worker() -> None:
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            t = time.perf_counter()
            call(1_000_000 + i)
            with lock:
                durations.append((time.perf_counter() - t) * 1000)

    started = time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - started
    return {"calls_per_s": n / elapsed, "p50_ms": percentile(durations, 50), "p99_ms": percentile(durations, 99)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    var_dir = Path(tempfile.mkdtemp(prefix="bench-his-"))
    port = free_port()
    env = {
        **os.environ,
        "IHOSPITAL_VAR_DIR": str(var_dir),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "HIS_GATEWAY_PASSWORD": uuid.uuid4().hex,
        "HIS_CLIENT": "ihospital.integrations.his.soap.SoapHis",
        "HIS_GATEWAY_URL": f"http://127.0.0.1:{port}/his",
        "GATEWAY_RATE_LIMIT_PER_MINUTE": "1000000",
        "HIS_SIM_LATENCY_SECONDS": "0",
        "LOG_LEVEL": "warning",
    }
    os.environ.update(env)
    gateway = start_gateway(port, env, var_dir / "gateway.log")
    try:
        import django

        django.setup()
        import logging
        from datetime import date

        logging.disable(logging.INFO)  # one log line per call would be measured too
        from ihospital.core import http
        from ihospital.integrations.his import base, client

        his = client()
        plain = http.Client(service="bench", transport="ihospital.integrations.his.soap.GatewayTransport")
        healthz = f"http://127.0.0.1:{port}/healthz"

        def trivial(i: int) -> object:
            return plain.request("GET", healthz)

        def read(i: int) -> object:
            return his.visit_history(base.HistoryQuery(patient_id="00000001"))

        def small_read(i: int) -> object:
            return his.exam_order_status(base.ExamOrderQuery(request_no="SQ0000000001"))

        def write(i: int) -> object:
            return his.register_visit(
                base.RegistrationRequest(
                    transaction_id=f"BENCH-{uuid.uuid4().hex}",
                    patient_id="00000001",
                    department_code="cardiology",
                    doctor_code="dr_bob",
                    session_date=date.today(),
                    period="morning",
                    slot_number=i % 50,
                    fee_fen=5000,
                    reference=f"bench-{i}",
                )
            )

        reply_bytes = len(json.dumps(base.__dict__ and __import__("dataclasses").asdict(read(0)), default=str))
        results: dict[str, dict[str, dict[str, float]]] = {}
        for name, call in (
            ("trivial GET /healthz", trivial),
            ("read ExamOrderStatus", small_read),
            ("read VisitHistory", read),
            ("write RegisterVisit", write),
        ):
            for i in range(30):
                call(i)  # warm-up: pools, the WSDL, sqlite pages
            results[name] = {
                "sequential": sequential(call, args.calls),
                f"{args.threads} threads": concurrent(call, args.calls, args.threads),
            }
        print(
            f"\nHIS path on {os.cpu_count()} cores, {args.calls} calls each (read reply: {reply_bytes} bytes as JSON)\n"
        )
        print(f"{'':26} {'mode':12} {'calls/s':>9} {'p50 ms':>8} {'p99 ms':>8}")
        for name, modes in results.items():
            for mode, numbers in modes.items():
                rate, p50, p99 = numbers["calls_per_s"], numbers["p50_ms"], numbers["p99_ms"]
                print(f"{name:26} {mode:12} {rate:9.0f} {p50:8.2f} {p99:8.2f}")
        ratio = (
            results["read VisitHistory"]["sequential"]["p50_ms"]
            / results["trivial GET /healthz"]["sequential"]["p50_ms"]
        )
        print(f"\nread p50 / trivial p50 = {ratio:.1f}× (goal ≤ 3×)")
        if args.json:
            args.json.write_text(json.dumps({"results": results, "read_over_trivial_p50": ratio}, indent=2))
    finally:
        gateway.terminate()
        gateway.wait(timeout=10)


if __name__ == "__main__":
    main()
