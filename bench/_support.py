"""Helpers for the benchmarks in bench/: a throw-away PostgreSQL database, the server as a subprocess,
data made through the app's own services, a tiny keep-alive HTTP/1.1 client and CPU accounting.

Loopback only. Nothing here is imported by the application or the test suite.

    uv run python bench/_support.py setup OUT.json   (run by booking.py with the bench environment)
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
CLK_TCK = os.sysconf("SC_CLK_TCK")


# --- the database ----------------------------------------------------------------------------------


_CHINESE_DIGITS = str.maketrans("0123456789", "零一二三四五六七八九")


def _admin():
    import psycopg

    return psycopg.connect(PG_ADMIN_URL, autocommit=True)


def db_drop(name: str) -> None:
    """Drop the bench database and its role (both named ``name``)."""
    with _admin() as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'DROP ROLE IF EXISTS "{name}"')


def db_create(name: str, *, connection_limit: int) -> str:
    """A database owned by a role of the same name, as an application would use (not a superuser).
    The role's CONNECTION LIMIT keeps a flash crowd from taking every connection of a PostgreSQL
    server that other people on this machine use too (superusers are exempt from such limits)."""
    db_drop(name)
    with _admin() as conn:
        conn.execute(f'CREATE ROLE "{name}" LOGIN CONNECTION LIMIT {int(connection_limit)}')
        conn.execute(f'CREATE DATABASE "{name}" OWNER "{name}"')
    return f"postgres://{name}@127.0.0.1:5432/{name}"


def db_query(url: str, sql: str, params=()) -> list[tuple]:
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
        return conn.execute(sql, params).fetchall()


def pg_settings() -> dict:
    names = ("server_version", "max_connections", "synchronous_commit", "fsync", "shared_buffers", "ssl")
    with _admin() as conn:
        return {n: conn.execute(f"SHOW {n}").fetchone()[0] for n in names}


def redis_cleanup(redis_url: str, marker: str) -> int:
    """Delete only the keys this run made (huey's queue/schedule named ``marker``); never FLUSHDB."""
    import redis

    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"*{marker}*", count=500))
    if keys:
        client.delete(*keys)
    return len(keys)


# --- environment and processes ---------------------------------------------------------------------


def bench_env(*, database_url: str, redis_url: str, var_dir: Path, secret_key: str, huey_name: str, **extra) -> dict:
    """Production-like settings (DEBUG off, `check --deploy` passes) pointing at the bench stores."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "IHOSPITAL_"))}
    for name in ("DEBUG", "DATABASE_URL", "REDIS_URL", "SECRET_KEY", "AUDIT_CHAIN_KEY", "DB_CONN_MAX_AGE"):
        env.pop(name, None)
    env.update(
        DEBUG="0",
        SECRET_KEY=secret_key,
        ALLOWED_HOSTS=HOST,
        SESSION_COOKIE_SECURE="1",
        CSRF_COOKIE_SECURE="1",
        SECURE_HSTS_SECONDS="60",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        HUEY_NAME=huey_name,
        LOG_LEVEL="WARNING",  # upper case: config/settings.py hands it to logging as is
        IHOSPITAL_VAR_DIR=str(var_dir),
        PYTHONUNBUFFERED="1",
    )
    # A shared database refuses identity keys generated into ./var/ (ihospital.E006): the run's own, given
    # to the server and to every command of the run alike.
    env.setdefault("FIELD_ENCRYPTION_KEYS", "bench:" + base64.b64encode(secrets.token_bytes(32)).decode())
    env.setdefault("BLIND_INDEX_KEY", secrets.token_urlsafe(48))
    env.update({k: str(v) for k, v in extra.items()})
    return env


def run(cmd: list[str], env: dict, *, timeout: float = 120) -> subprocess.CompletedProcess:
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)  # noqa: S603
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


@dataclass
class Server:
    proc: subprocess.Popen
    port: int
    log: Path

    def stop(self) -> None:
        """SIGTERM to the process group this run started (uv, python, uvicorn), then SIGKILL if needed."""
        if self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)
        except ProcessLookupError:
            pass

    def pids(self) -> list[int]:
        return process_tree(self.proc.pid)


def server_start(
    env: dict, *, workers: int, log: Path, timeout: float = 60, uv_args: tuple = (), port: int | None = None
) -> Server:
    """``ihospital serve`` on ``port`` (default: any free one), once it answers /healthz."""
    port = port or free_port()
    cmd = ["uv", "run", *uv_args, "ihospital", "serve", "--host", HOST, "--port", str(port), "--no-worker"]
    cmd += ["--workers", str(workers)]
    out = log.open("w")
    proc = subprocess.Popen(  # noqa: S603  (a fixed command line)
        cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
    )
    server = Server(proc, port, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        try:
            status, _ = asyncio.run(_probe(port))
            if status == 200:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"server did not answer /healthz in {timeout}s:\n{log.read_text()[-3000:]}")


async def _probe(port: int):
    conn = await Conn.open(port)
    try:
        return await conn.request(get_request("/healthz"))
    finally:
        conn.close()


# --- trying a configuration change without editing the application --------------------------------
# `booking.py --try whitenoise-last --try pool=8` serves with config.settings plus these changes, from a
# settings module generated into the run's temporary directory. Code changes can't be tried this way.

TRY_SETTINGS = """\"\"\"Generated by bench/booking.py --try: config.settings with the changes under trial.\"\"\"
import json
import os

from config.settings import *  # noqa: F403
from config.settings import DATABASES, MIDDLEWARE

TRIES = json.loads(os.environ["IHOSPITAL_BENCH_TRY"])
if "whitenoise-last" in TRIES:
    # WhiteNoise is the only sync-only middleware; innermost, every middleware above it runs in sync mode
    # instead of hopping between the event loop and a thread around each of them.
    MIDDLEWARE = [m for m in MIDDLEWARE if "whitenoise" not in m] + ["whitenoise.middleware.WhiteNoiseMiddleware"]
if "pool" in TRIES:
    # Django 5.1+ psycopg pool: a bounded set of connections per process, reused across requests.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {"min_size": 2, "max_size": TRIES["pool"], "timeout": 30}
"""

TRY_CHOICES = ("whitenoise-last", "pool=N")


def try_settings(tries: list[str], directory: Path) -> tuple[dict, tuple]:
    """(extra server environment, extra `uv run` arguments) for the --try options."""
    if not tries:
        return {}, ()
    parsed: dict = {}
    for item in tries:
        name, _, value = item.partition("=")
        if name == "whitenoise-last" and not value:
            parsed[name] = True
        elif name == "pool" and value.isdigit():
            parsed[name] = int(value)
        else:
            raise SystemExit(f"--try {item}: expected one of {', '.join(TRY_CHOICES)}")
    (directory / "bench_try_settings.py").write_text(TRY_SETTINGS)
    env = {
        "PYTHONPATH": str(directory),
        "DJANGO_SETTINGS_MODULE": "bench_try_settings",
        "IHOSPITAL_BENCH_TRY": json.dumps(parsed),
    }
    return env, (("--with", "psycopg-pool") if "pool" in parsed else ())


# --- CPU accounting --------------------------------------------------------------------------------


def process_tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            continue
    return total / CLK_TCK


def _stat(pid: int) -> list[str]:
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()


def postgres_cpu_seconds() -> float:
    """CPU of every PostgreSQL process, including backends that exited: the postmaster's own time, the
    time of the children it has reaped (cutime/cstime) and that of the live ones. All databases count."""
    comm: dict[int, tuple[str, int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm") as f:
                    name = f.read().strip()
                comm[int(entry)] = (name, int(_stat(int(entry))[1]))
            except (OSError, IndexError, ValueError):
                continue
    total = 0
    for pid, (name, ppid) in comm.items():
        if name != "postgres":
            continue
        try:
            fields = _stat(pid)
        except (OSError, IndexError):
            continue
        total += int(fields[11]) + int(fields[12])
        if comm.get(ppid, ("",))[0] != "postgres":  # the postmaster
            total += int(fields[13]) + int(fields[14])
    return total / CLK_TCK


def system_cpu() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def background_load(seconds: float = 1.0) -> float:
    """Cores busy on the machine while this run does nothing (other people's work)."""
    busy0, total0 = system_cpu()
    time.sleep(seconds)
    busy1, total1 = system_cpu()
    return (busy1 - busy0) / max(1, total1 - total0) * (os.cpu_count() or 1)


@dataclass
class CpuMeter:
    """Cores used during a phase by the server tree, PostgreSQL, this load generator, and the machine."""

    server_pids: list[int]
    start: dict = field(default_factory=dict)
    result: dict = field(default_factory=dict)

    def __enter__(self):
        self._wall = time.monotonic()
        self.start = {
            "server": cpu_seconds(self.server_pids),
            "postgres": postgres_cpu_seconds(),
            "client": time.process_time(),
            "system": system_cpu(),
        }
        return self

    def __exit__(self, *exc):
        wall = time.monotonic() - self._wall
        busy0, total0 = self.start["system"]
        busy1, total1 = system_cpu()
        r = {
            "wall": wall,
            "server": (cpu_seconds(self.server_pids) - self.start["server"]) / wall,
            "postgres": (postgres_cpu_seconds() - self.start["postgres"]) / wall,
            "client": (time.process_time() - self.start["client"]) / wall,
            "machine": (busy1 - busy0) / max(1, total1 - total0) * (os.cpu_count() or 1),
        }
        r["other"] = max(0.0, r["machine"] - r["server"] - r["postgres"] - r["client"])
        self.result = r
        return False

    def per_answer_ms(self, answers: int) -> dict:
        r = self.result
        return {k: r[k] * r["wall"] / answers * 1000 for k in ("server", "postgres", "client")} if answers else {}

    def line(self) -> str:
        r = self.result
        return (
            f"CPU (cores): server {r['server']:.2f}, postgres {r['postgres']:.2f}, load generator {r['client']:.2f}, "
            f"others {r['other']:.2f}; machine {r['machine']:.2f} of {os.cpu_count()}"
        )


class ActivitySampler:
    """Samples pg_stat_activity of one database every ``interval`` s during a phase (an asyncio task on a
    superuser connection, outside the bench role's connection limit): what the server's backends are doing.
    Buckets: running, waiting on a lock, idle in transaction (the database waits for Python while the
    transaction's locks stay held), other waits."""

    def __init__(self, db_name: str, interval: float = 0.05):
        self.db_name, self.interval = db_name, interval
        self.samples: list[Counter] = []
        self._task = None

    async def __aenter__(self):
        import psycopg

        self._conn = await psycopg.AsyncConnection.connect(PG_ADMIN_URL, autocommit=True)
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(self._run())
        return self

    async def _run(self):
        sql = (
            "SELECT state, wait_event_type, wait_event FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
        )
        while not self._stop.is_set():
            rows = await (await self._conn.execute(sql, (self.db_name,))).fetchall()
            counts: Counter = Counter()
            for state, wait_type, wait_event in rows:
                if state == "active":
                    counts["lock wait" if wait_type == "Lock" else f"active {wait_event or 'on CPU'}"] += 1
                elif state and state.startswith("idle in transaction"):
                    counts["idle in transaction"] += 1
                else:
                    counts[state or "?"] += 1
            self.samples.append(counts)
            try:
                await asyncio.wait_for(self._stop.wait(), self.interval)
            except TimeoutError:
                pass

    async def __aexit__(self, *exc):
        self._stop.set()
        await self._task
        await self._conn.close()
        return False

    def summary(self) -> dict:
        """Mean number of backends in each bucket over the samples."""
        total: Counter = Counter()
        for sample in self.samples:
            total.update(sample)
        n = max(1, len(self.samples))
        return {k: round(v / n, 2) for k, v in total.most_common()}


# --- a minimal keep-alive HTTP/1.1 client ----------------------------------------------------------
# httpx costs ~0.3–0.5 ms of CPU per request; on 2 cores shared with the server that would be measured
# as server slowness. This client pre-builds each request's bytes and parses only what it needs.


def get_request(path: str, headers: dict | None = None) -> bytes:
    lines = [f"GET {path} HTTP/1.1", f"Host: {HOST}"] + [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def post_json_request(path: str, body: dict, headers: dict | None = None) -> bytes:
    payload = json.dumps(body, ensure_ascii=False).encode()
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {HOST}",
        "Content-Type: application/json",
        f"Content-Length: {len(payload)}",
    ] + [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


class Conn:
    def __init__(self, port: int, reader, writer):
        self.port, self.reader, self.writer = port, reader, writer

    @classmethod
    async def open(cls, port: int) -> Conn:
        reader, writer = await asyncio.open_connection(HOST, port, limit=1 << 20)
        return cls(port, reader, writer)

    def close(self) -> None:
        self.writer.close()

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        if self.writer.is_closing() or self.reader.at_eof():
            await self._reopen()
        self.writer.write(raw)
        status_line = await self._status_line()
        if not status_line:
            # uvicorn closes a keep-alive connection idle for 5 s; a request written into that race was
            # never read, so it is sent again once on a fresh connection.
            await self._reopen()
            self.writer.write(raw)
            status_line = await self._status_line()
            if not status_line:
                raise ConnectionError("server closed the connection")
        status = int(status_line.split(b" ", 2)[1])
        length, chunked, close = await self._headers()
        body = await self._body(length, chunked)
        if close or (length is None and not chunked):
            self.writer.close()
        return status, body

    async def _status_line(self) -> bytes:
        try:
            return await self.reader.readline()
        except ConnectionResetError:
            return b""

    async def _headers(self) -> tuple[int | None, bool, bool]:
        length, chunked, close = None, False, False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b"\n", b""):
                return length, chunked, close
            name, _, value = line.partition(b":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value
            elif name == b"connection":
                close = b"close" in value

    async def _body(self, length: int | None, chunked: bool) -> bytes:
        reader = self.reader
        if not chunked:
            return await reader.readexactly(length) if length is not None else await reader.read()
        parts = []
        while size := int((await reader.readline()).split(b";")[0], 16):
            parts.append(await reader.readexactly(size))
            await reader.readline()
        await reader.readline()
        return b"".join(parts)

    async def _reopen(self) -> None:
        self.writer.close()
        self.reader, self.writer = await asyncio.open_connection(HOST, self.port, limit=1 << 20)


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list (p in 0..100)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), int(-(-p * len(sorted_values) // 100))))
    return sorted_values[rank - 1]


def new_event_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop

        return uvloop.new_event_loop()
    except ImportError:  # pragma: no cover
        return asyncio.new_event_loop()


# --- data, made through the app's services (runs inside Django, in a subprocess) -------------------


def _resident_id(sequence: int) -> str:
    from datetime import date

    from ihospital.accounts.idcard import check_character

    first17 = f"320505{date(1980, 5, 5):%Y%m%d}{sequence:03d}"
    return first17 + check_character(first17)


def setup_data(out: Path, *, patients: int, schedules: dict[str, int]) -> None:
    """A doctor with one online video schedule per entry of ``schedules`` (name → capacity), starting
    tomorrow; ``patients`` patient accounts, each with one visit person and a Bearer token."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from django.conf import settings

    from ihospital.accounts import services as accounts
    from ihospital.accounts.models import User
    from ihospital.audit.services import Actor
    from ihospital.core.time import now
    from ihospital.scheduling.models import Department, DoctorProfile
    from ihospital.scheduling.services import ScheduleInput, schedule_create

    system = Actor.system("bench")
    doctor_user = accounts.staff_account_create(
        data=accounts.StaffAccountInput(
            username="bench_doctor",
            role="doctor",
            full_name="压测医生",
            password=secrets.token_urlsafe(16),
            title="主任医师",
            practice_certificate_no="110320100009999",
        ),
        actor=system,
    )
    department, _ = Department.objects.get_or_create(
        code="bench-cardiology", defaults={"name_zh": "心血管内科", "name_en": "Cardiology"}
    )
    profile, _ = DoctorProfile.objects.get_or_create(user=doctor_user)
    profile.departments.add(department)

    local = (now() + timedelta(days=1)).astimezone(ZoneInfo(settings.TIME_ZONE))
    made_schedules = {}
    for (name, capacity), period in zip(schedules.items(), ("morning", "afternoon", "evening"), strict=False):
        schedule = schedule_create(
            data=ScheduleInput(
                doctor=profile,
                department=department,
                date=local.date(),
                period=period,
                category="video",
                capacity=capacity,
                fee_fen=3000,
                starts_at_time=local.time().replace(microsecond=0),
            ),
            actor=system,
        )
        made_schedules[name] = {"id": str(schedule.public_id), "pk": schedule.pk, "capacity": capacity}

    people = []
    for i in range(patients):
        user = User(username=f"bench_p{i:04d}", role="patient", phone=f"139{i:08d}", full_name=f"患者{i}")
        user.set_unusable_password()
        user.save()
        person = accounts.visit_person_create(
            account=user,
            data=accounts.VisitPersonInput(
                relationship="self",
                name="患者" + str(i).translate(_CHINESE_DIGITS),  # names are letters only
                id_number=_resident_id(i),
                phone=user.phone,
            ),
            actor=Actor.of(user),
        )
        secret, _token = accounts.api_token_issue(user=user, actor=Actor.of(user))
        people.append({"token": secret, "visit_person_id": str(person.public_id)})
    out.write_text(json.dumps({"schedules": made_schedules, "patients": people}))


if __name__ == "__main__":
    if sys.argv[1:2] == ["setup"]:
        spec = json.loads(sys.argv[3])
        setup_data(Path(sys.argv[2]), patients=spec["patients"], schedules=spec["schedules"])
    else:
        sys.exit(__doc__)
