"""报告查询 under load: the report list and one report page of a patient with 1,000 reports, beside the trivial
request (issue 14's benchmark).

    uv run python bench/reports.py                       # ~1–2 minutes
    uv run python bench/reports.py --requests 500 --json out.json

A throw-away PostgreSQL database (role and database ``h_labr``, CONNECTION LIMIT 20), Redis db 6 (only this
run's keys are deleted), one server process (``ihospital serve --no-worker``, DEBUG off) on 127.0.0.1.
The patient's 1,000 reports (lab reports of 1–5 values — a repeated HbA1c, blood counts, lipids — and exam
reports) are made through the app's own ingestion service (``report_apply_in_person``). Then, one keep-alive
connection, requests one after another (latency, not throughput): ``/healthz`` (trivial), the list's first
and a middle page, a blood-count report page, the HbA1c report page (its trend of ~200 points drawn inline)
and the HbA1c trend page; beside them the patient's home page ``/p/``, an ordinary signed-in page, for
reference (what every page costs: session, middleware, base template). Each page's SQL query count is
measured once in the setup process (Django's CaptureQueriesContext on the same URL), with 1,000 reports
and again with 10, to show it does not grow.
Goal: a fixed number of queries whatever the number of reports, p99 ≤ 3× the trivial request's.
Not a test: nothing asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import secrets
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _support as s  # noqa: E402

KINDS = ("HbA1c", "CBC", "lipids", "exam")
CBC = [("WBC", "白细胞计数", "10^9/L", "3.5-9.5"), ("RBC", "红细胞计数", "10^12/L", "3.8-5.1"),
       ("HGB", "血红蛋白", "g/L", "115-150"), ("PLT", "血小板计数", "10^9/L", "125-350"),
       ("NEUT%", "中性粒细胞百分比", "%", "40-75")]  # fmt: skip
LIPIDS = [
    ("TC", "总胆固醇", "mmol/L", "<5.2"),
    ("TG", "甘油三酯", "mmol/L", "<1.7"),
    ("LDL-C", "低密度脂蛋白胆固醇", "mmol/L", "<3.4"),
]


def _report(n: int, person_name: str):
    from datetime import UTC, datetime, timedelta

    from ihospital.integrations.his import base

    at = datetime(2026, 12, 1, 2, tzinfo=UTC) - timedelta(days=n)
    kind = KINDS[n % 4]
    common = {"request_no": f"SQB{n:08d}", "report_no": f"BG{n:08d}", "reported_at": at, "origin": "in_person"}
    common |= {"reporting_physician": "陈晓燕", "reviewing_physician": "王立军"}
    if kind == "exam":
        return base.ExamReport(
            **common,
            modality="US",
            title="腹部彩超",
            findings="肝脏形态大小正常，实质回声均匀。",
            impression="未见异常。",
        )
    rows = {"HbA1c": [("HbA1c", "糖化血红蛋白", "%", "4-6")], "CBC": CBC, "lipids": LIPIDS}[kind]
    items = tuple(
        base.ResultItem(
            code=c, name=name, value=f"{5 + (n * 7 + i) % 30 / 10:.1f}", unit=u, reference_range=r, flag="N"
        )
        for i, (c, name, u, r) in enumerate(rows)
    )
    title = {"HbA1c": "糖化血红蛋白", "CBC": "血常规（五分类）", "lipids": "血脂四项"}[kind]
    return base.LabReport(**common, items=items, title=title, specimen="静脉血")


def setup(out: Path, count: int) -> None:
    """(in the server's environment) the patient, her reports through the ingestion service, a signed-in
    session, and each page's query count with ``count`` reports and with 10."""
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from ihospital.accounts import services as accounts
    from ihospital.accounts.models import User
    from ihospital.audit.services import Actor
    from ihospital.labs.models import Report
    from ihospital.labs.services import report_apply_in_person

    def patient(name: str, seq: int):
        user = User(username=name, role="patient", phone=f"1390000{seq:04d}", full_name="压测患者")
        user.set_unusable_password()
        user.save()
        person = accounts.visit_person_create(
            account=user,
            data=accounts.VisitPersonInput(
                relationship="self", name="压测患者", id_number=s._resident_id(seq), phone=user.phone
            ),
            actor=Actor.of(user),
        )
        return user, person

    def pages(user, person) -> dict:
        reports = Report.objects.filter(visit_person=person)
        cbc = reports.filter(title="血常规（五分类）").first()
        hba1c = reports.filter(title="糖化血红蛋白").first()
        return {
            "patient_home (reference)": "/p/",
            "list": "/p/reports/",
            "list_page_10": "/p/reports/?page=10",
            "report_cbc": f"/reports/{cbc.public_id}/",
            "report_hba1c_with_trend": f"/reports/{hba1c.public_id}/",
            "trend_hba1c": f"/reports/{hba1c.public_id}/trend/HbA1c/",
        }

    def queries(client: Client, urls: dict) -> dict:
        counted = {}
        for name, url in urls.items():
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url, HTTP_HOST=s.HOST).status_code == 200, url
            counted[name] = len(captured)
        return counted

    results = {}
    for label, seq, n in (("small", 2, 10), ("large", 1, count)):
        user, person = patient(f"bench_reports_{label}", seq)
        started = time.perf_counter()
        for i in range(n):
            report_apply_in_person(report=_report(i, person.name), person=person)
        results[f"ingest_{label}_per_report_ms"] = round((time.perf_counter() - started) * 1000 / n, 2)
        client = Client()
        client.force_login(user)
        urls = pages(user, person)
        client.get(urls["list"], HTTP_HOST=s.HOST)  # warm: the session's first touch
        results[f"queries_{label}"] = queries(client, urls)
        if label == "large":
            results["urls"] = urls
            results["cookie"] = f"sessionid={client.cookies['sessionid'].value}"
    out.write_text(json.dumps(results, ensure_ascii=False))


async def _timed(port: int, raw: bytes, n: int, warmup: int) -> dict:
    conn = await s.Conn.open(port)
    try:
        for _ in range(warmup):
            await conn.request(raw)
        times, statuses = [], set()
        for _ in range(n):
            started = time.perf_counter()
            status, _body = await conn.request(raw)
            times.append((time.perf_counter() - started) * 1000)
            statuses.add(status)
    finally:
        conn.close()
    times.sort()
    return {
        "p50_ms": round(s.percentile(times, 50), 2),
        "p99_ms": round(s.percentile(times, 99), 2),
        "statuses": sorted(statuses),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reports", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=300, help="timed requests per page (default 300)")
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--db", default="h_labr")
    parser.add_argument("--redis-db", type=int, default=6)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ihospital-bench-reports-"))
    marker = f"bench-reports-{secrets.token_hex(4)}"
    redis_url = f"redis://127.0.0.1:6379/{args.redis_db}"
    database_url = s.db_create(args.db, connection_limit=20)
    env = s.bench_env(
        database_url=database_url,
        redis_url=redis_url,
        var_dir=work / "var",
        secret_key=secrets.token_urlsafe(40),
        huey_name=marker,
        FIELD_ENCRYPTION_KEYS="bench1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
        BLIND_INDEX_KEY=secrets.token_urlsafe(32),
    )
    server = None
    try:
        s.run(["uv", "run", "ihospital", "manage", "migrate", "--no-input", "-v", "0"], env, timeout=300)
        data_file = work / "data.json"
        s.run(
            ["uv", "run", "python", "bench/reports.py", "--setup", str(data_file), str(args.reports)], env, timeout=900
        )
        data = json.loads(data_file.read_text())
        server = s.server_start(env, workers=1, log=work / "server.log")
        headers = {"Cookie": data["cookie"]}
        results: dict = {"reports": args.reports, "requests": args.requests, "setup": data, "pages": {}}
        results["pages"]["trivial (/healthz)"] = asyncio.run(
            _timed(server.port, s.get_request("/healthz"), args.requests, args.warmup)
        )
        for name, url in data["urls"].items():
            raw = s.get_request(url, headers)
            results["pages"][name] = asyncio.run(_timed(server.port, raw, args.requests, args.warmup))
        _print(results)
        if args.json:
            args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2))
    finally:
        if server is not None:
            server.stop()
        s.db_drop(args.db)
        s.redis_cleanup(redis_url, marker)


def _print(results: dict) -> None:
    trivial = results["pages"]["trivial (/healthz)"]["p99_ms"]
    setup = results["setup"]
    print(
        f"{results['reports']} reports; {results['requests']} sequential requests per page, one keep-alive connection"
    )
    print(f"ingestion: {setup['ingest_large_per_report_ms']} ms per report (report_apply_in_person)")
    print(f"{'page':28} {'p50 ms':>8} {'p99 ms':>8} {'p99/trivial':>12} {'queries (1000)':>15} {'queries (10)':>13}")
    for name, row in results["pages"].items():
        q_large = setup["queries_large"].get(name, "")
        q_small = setup["queries_small"].get(name, "")
        print(
            f"{name:28} {row['p50_ms']:8.2f} {row['p99_ms']:8.2f} {row['p99_ms'] / trivial:12.2f} "
            f"{q_large!s:>15} {q_small!s:>13}  statuses {row['statuses']}"
        )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--setup"]:
        setup(Path(sys.argv[2]), int(sys.argv[3]))
    else:
        main()
