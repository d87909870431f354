"""Booking benchmark: how fast is booking next to a trivial request, and does a flash crowd oversell?

    uv run python bench/booking.py            # about 2 minutes; loopback only

In one run, on a dedicated PostgreSQL database (created and dropped here) and Redis:
  0. migrate; make a doctor, 3 online sessions and N patients (visit person + Bearer token each) through
     the app's services; start `ihospital serve` (DEBUG off, `check --deploy` passing) as a subprocess.
  a. GET /healthz (no database): throughput and latency at a fixed concurrency.
  b. uncontended booking: each request books a different visit person into one large session.
  c. flash crowd: C clients, each a different patient, released at once on a small session; then all of
     them keep retrying the sold-out session for a fixed time. Oversell is checked in the database.
  d. pgbench on the row every booking serialises on (the audit chain head) and on the slot CAS shape.
Prints a table, the ratios against the targets and PASS/MISS. Not a test: nothing here asserts.
The load generator runs on the same machine as the server and PostgreSQL; its CPU use is reported.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _support as s  # noqa: E402

ACTIVE = ["pending_payment", "requested", "accepted", "waiting", "in_consultation"]
TARGETS = {"b/a": 0.25, "sold-out/a": 0.5, "booking/d": 0.3}
BOOKING_PATH = "/api/patient/v1/appointments"


def booking_request(patient: dict, session_id: str) -> bytes:
    body = {
        "visit_person_id": patient["visit_person_id"],
        "session_id": session_id,
        "complaint": "高血压复诊，血压控制不佳",
        "prior_visit_date": (date.today() - timedelta(days=60)).isoformat(),
        "prior_hospital": "苏州市立医院",
        "prior_diagnosis": "原发性高血压",
    }
    return s.post_json_request(BOOKING_PATH, body, {"Authorization": f"Bearer {patient['token']}"})


def code_of(body: bytes) -> str:
    try:
        return json.loads(body).get("code", "")
    except (ValueError, AttributeError):
        return ""


# --- load shapes -----------------------------------------------------------------------------------


async def closed_loop(port: int, requests: list[bytes], concurrency: int) -> tuple[list[tuple], float]:
    """``concurrency`` keep-alive clients work through ``requests``; returns ([(status, latency, body)], wall)."""
    conns = [await s.Conn.open(port) for _ in range(min(concurrency, len(requests)))]
    results: list[tuple] = [None] * len(requests)  # type: ignore[list-item]
    todo = iter(range(len(requests)))

    async def client(conn: s.Conn):
        for i in todo:
            t0 = time.perf_counter()
            status, body = await conn.request(requests[i])
            results[i] = (status, time.perf_counter() - t0, body)

    t0 = time.perf_counter()
    await asyncio.gather(*(client(c) for c in conns))
    wall = time.perf_counter() - t0
    for c in conns:
        c.close()
    return results, wall


async def flash_crowd(port: int, requests: list[bytes], retry_seconds: float) -> dict:
    """All clients connect, wait on one event, then book at once. After every first answer is in, all of
    them keep retrying for ``retry_seconds``; answers completed inside that window are counted."""
    conns = await asyncio.gather(*(s.Conn.open(port) for _ in requests))
    go, wave_done = asyncio.Event(), asyncio.Event()
    first: list[tuple] = [None] * len(requests)  # type: ignore[list-item]
    retry: list[tuple] = []
    window: dict = {}
    remaining = [len(requests)]

    async def client(i: int):
        conn = conns[i]
        await go.wait()
        t0 = time.perf_counter()
        status, body = await conn.request(requests[i])
        first[i] = (status, time.perf_counter() - t0, code_of(body), time.perf_counter() - window["release"])
        remaining[0] -= 1
        if remaining[0] == 0:
            window["start"] = time.perf_counter()
            window["end"] = window["start"] + retry_seconds
            wave_done.set()
        await wave_done.wait()
        while time.perf_counter() < window["end"]:
            t1 = time.perf_counter()
            status, body = await conn.request(requests[i])
            t2 = time.perf_counter()
            retry.append((status, t2 - t1, code_of(body), t2 <= window["end"]))

    tasks = [asyncio.create_task(client(i)) for i in range(len(requests))]
    await asyncio.sleep(0.2)  # every task is parked on the event
    window["release"] = time.perf_counter()
    go.set()
    await asyncio.gather(*tasks)
    window["drained"] = time.perf_counter()
    for c in conns:
        c.close()
    return {"first": first, "retry": retry, "window": window}


# --- reporting -------------------------------------------------------------------------------------


def latency_summary(latencies: list[float]) -> dict:
    ordered = sorted(latencies)
    return {"p50_ms": s.percentile(ordered, 50) * 1000, "p99_ms": s.percentile(ordered, 99) * 1000}


def db_counters(url: str, name: str) -> dict:
    # Backends flush their statistics at exit or within ~1 s; wait so the numbers are complete.
    time.sleep(1.1)
    row = s.db_query(
        url,
        "SELECT xact_commit, sessions, tup_inserted, tup_updated, tup_fetched, (SELECT last_seq FROM "
        "audit_auditchainhead WHERE id = 1) FROM pg_stat_database WHERE datname = %s",
        (name,),
    )[0]
    return dict(zip(("commits", "sessions", "inserted", "updated", "fetched", "audit_seq"), row, strict=True))


def per_request(before: dict, after: dict, n: int) -> str:
    if n == 0:
        return "n/a"
    d = {k: (after[k] - before[k]) / n for k in before}
    # our own counter query adds one commit and one session per reading
    return (
        f"per answer: {d['audit_seq']:.2f} audit entries, {d['commits'] - 1 / n:.2f} commits, "
        f"{d['sessions'] - 1 / n:.2f} new PostgreSQL connections, {d['inserted']:.1f} rows inserted, "
        f"{d['updated']:.1f} updated"
    )


def pgbench(db_name: str, script: str, *, clients: int, seconds: int, tmp: Path, label: str) -> float:
    path = tmp / f"{label}.sql"
    path.write_text(script)
    cmd = ["pgbench", "-h", "127.0.0.1", "-U", "postgres", "-n", "-c", str(clients), "-j", "2", "-T", str(seconds)]
    done = subprocess.run([*cmd, "-f", str(path), db_name], capture_output=True, text=True, timeout=seconds + 60)
    if done.returncode != 0:
        raise RuntimeError(f"pgbench failed:\n{done.stdout}\n{done.stderr}")
    found = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", done.stdout)
    if not found:
        raise RuntimeError(f"no tps in pgbench output:\n{done.stdout}")
    return float(found.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="ihospital_bench", help="database created and dropped by this run")
    parser.add_argument("--redis-db", type=int, default=13)
    parser.add_argument("--patients", type=int, default=250)
    parser.add_argument("--concurrency", type=int, default=32, help="keep-alive clients in (a) and (b)")
    parser.add_argument("--healthz-requests", type=int, default=3000)
    parser.add_argument("--big-capacity", type=int, default=200, help="session of (b); 1–200")
    parser.add_argument("--flash-clients", type=int, default=200)
    parser.add_argument("--flash-capacity", type=int, default=30)
    parser.add_argument("--sold-out-seconds", type=float, default=5.0)
    parser.add_argument("--pgbench-clients", type=int, default=8)
    parser.add_argument("--pgbench-seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn processes")
    parser.add_argument("--conn-max-age", type=int, default=None, help="DB_CONN_MAX_AGE for the server (unset: app default)")
    parser.add_argument("--keep", action="store_true", help="keep the database (debugging); still stops the server")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    needed = max(args.flash_clients, args.big_capacity) + 20
    if args.patients < needed:
        parser.error(f"--patients must be ≥ {needed}")

    started = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="ihospital-bench-"))
    huey_name = f"ihospital_bench_{os.getpid()}"
    redis_url = f"redis://127.0.0.1:6379/{args.redis_db}"
    db_url = s.db_create(args.db)
    extra = {} if args.conn_max_age is None else {"DB_CONN_MAX_AGE": args.conn_max_age}
    env = s.bench_env(
        database_url=db_url,
        redis_url=redis_url,
        var_dir=tmp / "var",
        secret_key=secrets.token_urlsafe(48)[:64],
        huey_name=huey_name,
        **extra,
    )
    server = None
    loop = s.new_event_loop()
    results: dict = {"args": {k: str(v) for k, v in vars(args).items()}}
    try:
        # --- 0. prepare --------------------------------------------------------------------------
        print(f"[0] migrate {args.db} …", flush=True)
        s.run(["uv", "run", "ihospital", "manage", "migrate", "--no-input", "-v", "0"], env)
        print(f"[0] {args.patients} patients, 3 sessions, through the app's services …", flush=True)
        spec = {"patients": args.patients, "sessions": {"big": args.big_capacity, "flash": args.flash_capacity, "warm": 20}}
        data_file = tmp / "data.json"
        s.run(["uv", "run", "python", str(Path(__file__).with_name("_support.py")), "setup", str(data_file), json.dumps(spec)], env, timeout=300)
        data = json.loads(data_file.read_text())
        patients, sessions = data["patients"], data["sessions"]
        print(f"[0] start the server (workers={args.workers}) …", flush=True)
        server = s.server_start(env, workers=args.workers, log=tmp / "server.log")
        port = server.port
        pids = server.pids()
        asyncio.set_event_loop(loop)

        # --- a. trivial endpoint ------------------------------------------------------------------
        loop.run_until_complete(closed_loop(port, [s.get_request("/healthz")] * 300, args.concurrency))  # warm-up
        with s.CpuMeter(pids) as cpu_a:
            res, wall = loop.run_until_complete(
                closed_loop(port, [s.get_request("/healthz")] * args.healthz_requests, args.concurrency)
            )
        ok = sum(1 for st, _, _ in res if st == 200)
        a = {"n": len(res), "ok": ok, "rps": len(res) / wall, **latency_summary([r[1] for r in res]), "cpu": cpu_a.result}
        results["a"] = a
        print(f"[a] /healthz: {a['rps']:.0f} req/s, p50 {a['p50_ms']:.1f} ms, p99 {a['p99_ms']:.1f} ms, {ok}/{len(res)} 200")
        print(f"    {cpu_a.line()}")

        # --- b. uncontended booking ---------------------------------------------------------------
        warm = [booking_request(p, sessions["warm"]["id"]) for p in patients[-20:-10]]
        res, _ = loop.run_until_complete(closed_loop(port, warm, 2))
        warm_status = Counter(r[0] for r in res)
        if warm_status.get(201, 0) == 0:
            print(f"!! warm-up bookings failed: {warm_status} {res[0][2][:300]!r}")
        reqs = [booking_request(p, sessions["big"]["id"]) for p in patients[: args.big_capacity]]
        before = db_counters(db_url, args.db)
        with s.CpuMeter(pids) as cpu_b:
            res, wall = loop.run_until_complete(closed_loop(port, reqs, args.concurrency))
        after = db_counters(db_url, args.db)
        statuses = Counter(r[0] for r in res)
        codes = Counter(code_of(r[2]) for r in res if r[0] != 201)
        b = {
            "n": len(res),
            "created": statuses.get(201, 0),
            "statuses": dict(statuses),
            "codes": dict(codes),
            "rps": len(res) / wall,
            **latency_summary([r[1] for r in res]),
            "cpu": cpu_b.result,
            "db": per_request(before, after, len(res)),
        }
        results["b"] = b
        print(
            f"[b] booking: {b['rps']:.1f} req/s, p50 {b['p50_ms']:.1f} ms, p99 {b['p99_ms']:.1f} ms, "
            f"{b['created']}/{b['n']} 201 {dict(codes) or ''}"
        )
        print(f"    {cpu_b.line()}\n    {b['db']}")

        # --- c. flash crowd -----------------------------------------------------------------------
        flash = sessions["flash"]
        reqs = [booking_request(p, flash["id"]) for p in patients[: args.flash_clients]]
        before = db_counters(db_url, args.db)
        with s.CpuMeter(pids) as cpu_c:
            crowd = loop.run_until_complete(flash_crowd(port, reqs, args.sold_out_seconds))
        after = db_counters(db_url, args.db)
        first, retry, window = crowd["first"], crowd["retry"], crowd["window"]
        created = [f for f in first if f[0] == 201]
        first_codes = Counter(f[2] or str(f[0]) for f in first)
        in_window = [r for r in retry if r[3]]
        sold_out = [r for r in in_window if r[0] == 409 and r[2] == "appointment.slot_full"]
        other_retry = Counter(r[2] or str(r[0]) for r in retry if not (r[0] == 409 and r[2] == "appointment.slot_full"))
        sold_out_at = max((f[3] for f in created), default=float("nan"))
        wave_wall = window["start"] - window["release"]
        rows = s.db_query(
            db_url,
            """
            SELECT
              (SELECT count(*) FROM appointments_appointment WHERE schedule_id = %(pk)s AND status = ANY(%(active)s)),
              (SELECT count(*) FROM (SELECT a.slot_id FROM appointments_appointment a
                   WHERE a.schedule_id = %(pk)s AND a.status = ANY(%(active)s)
                   GROUP BY a.slot_id HAVING count(*) > 1) d),
              (SELECT count(*) FROM appointments_appointment a JOIN scheduling_slot sl ON sl.id = a.slot_id
                   WHERE a.schedule_id = %(pk)s AND a.status = ANY(%(active)s)
                     AND (sl.status = 'free' OR sl.schedule_id <> a.schedule_id)),
              (SELECT count(*) FROM scheduling_slot WHERE schedule_id = %(pk)s AND status <> 'free')
            """,
            {"pk": flash["pk"], "active": ACTIVE},
        )[0]
        active, dup_slots, orphan, taken_slots = rows
        oversell = max(0, active - flash["capacity"]) + dup_slots
        c = {
            "clients": len(first),
            "created": len(created),
            "first_wave_codes": dict(first_codes),
            **latency_summary([f[1] for f in first]),
            "sold_out_after_ms": sold_out_at * 1000,
            "first_wave_s": wave_wall,
            "db_active": active,
            "db_duplicate_slot_holds": dup_slots,
            "db_appointment_on_free_or_foreign_slot": orphan,
            "db_slots_taken": taken_slots,
            "oversell": oversell,
            "retry_window_s": args.sold_out_seconds,
            "sold_out_answers": len(sold_out),
            "sold_out_rps": len(sold_out) / args.sold_out_seconds,
            "retry_p50_ms": latency_summary([r[1] for r in in_window])["p50_ms"],
            "retry_p99_ms": latency_summary([r[1] for r in in_window])["p99_ms"],
            "retry_other": dict(other_retry),
            "cpu": cpu_c.result,
            "db": per_request(before, after, len(first) + len(retry)),
        }
        results["c"] = c
        print(
            f"[c] flash crowd: {c['created']} × 201 of {c['clients']} (capacity {flash['capacity']}), sold out "
            f"{c['sold_out_after_ms']:.0f} ms after release; first wave p50 {c['p50_ms']:.0f} ms, "
            f"p99 {c['p99_ms']:.0f} ms; {dict(first_codes)}"
        )
        print(
            f"    DB: {active} active bookings, {taken_slots} slots taken, {dup_slots} slots held twice, "
            f"{orphan} bookings on a free/foreign slot → oversell {oversell}"
        )
        print(
            f"    sold-out retries: {c['sold_out_rps']:.1f} slot_full/s over {args.sold_out_seconds:.0f} s "
            f"(p50 {c['retry_p50_ms']:.0f} ms, p99 {c['retry_p99_ms']:.0f} ms) {dict(other_retry) or ''}"
        )
        print(f"    {cpu_c.line()}\n    {c['db']}")

        server.stop()
        server = None

        # --- d. pgbench on the hot rows -----------------------------------------------------------
        slot_pk = s.db_query(
            db_url, "SELECT id FROM scheduling_slot WHERE schedule_id = %s AND status = 'free' ORDER BY number LIMIT 1",
            (sessions["warm"]["pk"],),
        )[0][0]
        # The statement Django sends for _take_slot's compare-and-set (Slot.objects.filter(pk=…, status=FREE,
        # schedule__status=OPEN).update(status=HELD)), followed by a release so every transaction writes.
        cas = (
            "BEGIN;\n"
            'UPDATE "scheduling_slot" SET "status" = \'held\' WHERE "scheduling_slot"."id" IN (SELECT U0."id" '
            'FROM "scheduling_slot" U0 INNER JOIN "scheduling_schedule" U1 ON (U0."schedule_id" = U1."id") '
            f"WHERE (U0.\"id\" = {slot_pk} AND U0.\"status\" = 'free' AND U1.\"status\" = 'open'));\n"
            f"UPDATE \"scheduling_slot\" SET \"status\" = 'free' WHERE \"scheduling_slot\".\"id\" = {slot_pk};\n"
            "COMMIT;\n"
        )
        head = "UPDATE audit_auditchainhead SET last_seq = last_seq + 1 WHERE id = 1;\n"
        d = {}
        for label, script in (("audit_head", head), ("slot_cas", cas)):
            d[label] = pgbench(args.db, script, clients=args.pgbench_clients, seconds=args.pgbench_seconds, tmp=tmp, label=label)
            print(f"[d] pgbench -c {args.pgbench_clients} -j 2 -T {args.pgbench_seconds} {label}: {d[label]:.0f} tps")
        results["d"] = d

        # --- table and targets --------------------------------------------------------------------
        ratios = {
            "b/a": b["rps"] / a["rps"],
            "sold-out/a": c["sold_out_rps"] / a["rps"],
            "booking/d": b["rps"] / d["audit_head"],
        }
        results["ratios"] = ratios
        print()
        print(f"{'measure':<44} {'value':>12}")
        print("-" * 57)
        for label, value in (
            ("(a) GET /healthz req/s", f"{a['rps']:.0f}"),
            ("(a) p50 / p99 ms", f"{a['p50_ms']:.1f} / {a['p99_ms']:.1f}"),
            ("(b) booking req/s", f"{b['rps']:.1f}"),
            ("(b) p50 / p99 ms", f"{b['p50_ms']:.0f} / {b['p99_ms']:.0f}"),
            ("(b) 201 answers", f"{b['created']}/{b['n']}"),
            ("(c) 201 answers (capacity)", f"{c['created']} ({flash['capacity']})"),
            ("(c) first wave p50 / p99 ms", f"{c['p50_ms']:.0f} / {c['p99_ms']:.0f}"),
            ("(c) sold-out answers/s", f"{c['sold_out_rps']:.1f}"),
            ("(c) oversell (DB)", f"{oversell}"),
            (f"(d) pgbench audit head tps (-c {args.pgbench_clients})", f"{d['audit_head']:.0f}"),
            (f"(d) pgbench slot CAS tps (-c {args.pgbench_clients})", f"{d['slot_cas']:.0f}"),
        ):
            print(f"{label:<44} {value:>12}")
        print()
        checks = [
            ("b/a  booking / trivial throughput", ratios["b/a"], f"≥ {TARGETS['b/a']}", ratios["b/a"] >= TARGETS["b/a"]),
            (
                "sold-out/a  slot_full answers/s / trivial",
                ratios["sold-out/a"],
                f"≥ {TARGETS['sold-out/a']}",
                ratios["sold-out/a"] >= TARGETS["sold-out/a"],
            ),
            (
                "booking/d  (b) booking req/s / audit-head tps",
                ratios["booking/d"],
                f"≥ {TARGETS['booking/d']}",
                ratios["booking/d"] >= TARGETS["booking/d"],
            ),
            ("oversell", oversell, "= 0", oversell == 0 and c["created"] <= flash["capacity"]),
        ]
        for label, value, target, ok in checks:
            shown = f"{value:.3f}" if isinstance(value, float) else str(value)
            print(f"{label:<46} {shown:>8}  target {target:<6} {'PASS' if ok else 'MISS'}")
        results["checks"] = {label: {"value": value, "pass": ok} for label, value, _, ok in checks}
        print(
            f"\nmachine: {os.cpu_count()} CPUs, PostgreSQL {s.pg_version()}; server workers={args.workers}; "
            f"the load generator shares the CPUs. Run took {time.monotonic() - started:.0f} s."
        )
        if args.json:
            args.json.write_text(json.dumps(results, indent=2, default=str))
        return 0
    finally:
        if server is not None:
            server.stop()
        loop.close()
        removed = s.redis_cleanup(redis_url, huey_name)
        if not args.keep:
            s.db_drop(args.db)
        print(f"[cleanup] server stopped, {removed} Redis keys removed, database {'kept' if args.keep else 'dropped'}; "
              f"logs in {tmp}")


if __name__ == "__main__":
    sys.exit(main())
