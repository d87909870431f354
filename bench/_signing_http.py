"""The HTTP phase of bench/signing.py: the cost of signing a medical record inside the whole HTTP request,
on a served app (PostgreSQL + Redis), beside a trivial request and the bare signature. See signing.py's
docstring for what is measured; bench/README.md for what a run creates and removes.

Its data is made in the bench server's environment, in a subprocess:

    uv run python bench/_signing_http.py setup OUT.json '{"records": 210, "algorithms": ["ecdsa-p256-sha256"]}'

One doctor with a certificate from the built-in CA for each algorithm and the signing PIN 246810; per
algorithm ``records`` finished consultations of as many patients, each with its medical record's draft
written and ready to sign (chief complaint, history, examination, two diagnoses, advice: a real record's
size) through the records services; and a signed-in session of the doctor. The patients, bookings and
consultations are bulk ORM rows (a shortcut: the booking flow is not what is measured); the records, the
certificates and the PIN go through the app's services. Nothing here is imported by the application.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
_PIN = "246810"
CONTENT = {
    "chief_complaint": "咳嗽、咽痛三天，伴低热一天。",
    "present_illness": (
        "三天前受凉后出现咽痛，伴干咳，无痰，昨日起低热，最高 37.8℃，无胸闷气促。自服连花清瘟胶囊，症状缓解不明显。"
    ),
    "past_history": "原发性高血压 5 年，服用氨氯地平片 5mg qd，血压控制可。否认糖尿病、冠心病史。",
    "allergy_history": "青霉素过敏（皮疹）。",
    "examination_notes": "视频下见咽部充血，扁桃体 I 度肿大，无脓点；精神可，说话连贯，无明显呼吸困难。",
    "diagnoses": ["J06.9", "I10"],
    "treatment_advice": "多饮水，注意休息；对乙酰氨基酚片 0.5g 发热时口服，间隔不少于 4 小时；继续原降压方案。",
    "follow_up_advice": "三天无好转、体温超过 38.5℃ 或出现胸闷气促，请及时到线下发热门诊就诊。",
}


WARM_UP = 10  # records signed per algorithm before the measured ones (the first requests of a new process)
ICD_PATH = "/staff/icd10/?q="  # signed in, answered at once with no results: the session and auth cost


# --- the phase (runs in bench/signing.py's process) -------------------------------------------------


def measure_http(args) -> dict:
    """Set up the database, then per algorithm serve the app and time the requests (see the docstring)."""
    import _support as s

    from ihospital.integrations.ca.base import ALGORITHMS

    tmp = Path(tempfile.mkdtemp(prefix="ihospital-bench-signing-http-"))
    huey_name = f"ihospital_bench_sign_{os.getpid()}"
    redis_url = f"redis://127.0.0.1:6379/{args.redis_db}"
    background = s.background_load()
    db_url = s.db_create(args.db, connection_limit=20)
    env = s.bench_env(
        database_url=db_url,
        redis_url=redis_url,
        var_dir=tmp / "var",
        secret_key=secrets.token_urlsafe(48)[:64],
        huey_name=huey_name,
        CA_SANDBOX_LATENCY_SECONDS="0",  # the built-in CA answers at once: the app's own cost is measured
    )
    results: dict = {"records_per_algorithm": args.http_records, "background_cores_busy": round(background, 2)}
    try:
        print(f"\nHTTP: migrate {args.db}, {args.http_records} + {WARM_UP} records per algorithm …", flush=True)
        s.run(["uv", "run", "ihospital", "manage", "migrate", "--no-input", "-v", "0"], env, timeout=600)
        spec = {"records": args.http_records + WARM_UP, "algorithms": list(ALGORITHMS)}
        data_file = tmp / "data.json"
        s.run(["uv", "run", "python", __file__, "setup", str(data_file), json.dumps(spec)], env, timeout=1200)
        data = json.loads(data_file.read_text())
        for algorithm in ALGORITHMS:
            log = tmp / f"server-{algorithm}.log"
            server = s.server_start({**env, "SIGNATURE_ALGORITHM": algorithm}, workers=1, log=log, port=args.port)
            try:
                results[algorithm] = _requests(s, server, data, algorithm, args.http_trivial)
            finally:
                server.stop()
            document = s.db_query(
                db_url,
                "SELECT document FROM signatures_signature WHERE algorithm = %s AND document_type = 'medical_record' "
                "ORDER BY id LIMIT 1",
                (algorithm,),
            )[0][0]
            results[algorithm].update(_bare(algorithm, document.encode()))
        _report(results, background)
        return results
    finally:
        removed = s.redis_cleanup(redis_url, huey_name)
        if not args.keep:
            s.db_drop(args.db)
        print(
            f"HTTP cleanup: servers stopped, {removed} Redis keys removed, {args.db} "
            f"{'kept' if args.keep else 'dropped'}; logs in {tmp}"
        )


def _requests(s, server, data: dict, algorithm: str, trivial: int) -> dict:
    """One keep-alive client, one request at a time: trivial, signed-in light, then every record's signing."""
    csrf = secrets.token_hex(16)  # 32 characters: Django's unmasked CSRF secret, in the cookie and the header
    signed_in = {"Cookie": f"sessionid={data['doctor_session']}; csrftoken={csrf}", "X-CSRFToken": csrf}
    records = data["records"][algorithm]
    signings = [
        s.post_json_request(f"/staff/records/{r['record']}/sign/", {"revision": r["revision"], "pin": _PIN}, signed_in)
        for r in records
    ]
    kinds = {
        "healthz": [s.get_request("/healthz")] * trivial,
        "signed_in_get": [s.get_request(ICD_PATH, signed_in)] * trivial,
        "sign": signings[WARM_UP:],
    }
    loop = s.new_event_loop()
    try:
        conn = loop.run_until_complete(s.Conn.open(server.port))
        for raw in [*kinds["healthz"][:50], *kinds["signed_in_get"][:50], *signings[:WARM_UP]]:
            _check(*loop.run_until_complete(conn.request(raw)), raw)
        out = {}
        for name, raws in kinds.items():
            with s.CpuMeter(server.pids()) as meter:
                latencies = loop.run_until_complete(_one_at_a_time(conn, raws))
            out[name] = _summary(s, latencies, meter)
        conn.close()
        return out
    finally:
        loop.close()


async def _one_at_a_time(conn, raws: list[bytes]) -> list[float]:
    latencies = []
    for raw in raws:
        started = time.perf_counter()
        status, body = await conn.request(raw)
        latencies.append(time.perf_counter() - started)
        _check(status, body, raw)
    return latencies


def _check(status: int, body: bytes, raw: bytes) -> None:
    """Every answer is what the request should get: 200, and a signing's version is signed."""
    signing = b"/sign/" in raw.split(b"\r\n", 1)[0]
    if status != 200 or (signing and json.loads(body)["version"]["status"] != "signed"):
        raise RuntimeError(f"{raw.split(b' ', 2)[1].decode()} answered {status}: {body[:300]!r}")


def _summary(s, latencies: list[float], meter) -> dict:
    ordered = sorted(latencies)
    per = meter.per_answer_ms(len(latencies))
    return {
        "n": len(latencies),
        "p50_ms": round(s.percentile(ordered, 50) * 1000, 2),
        "p99_ms": round(s.percentile(ordered, 99) * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
        "server_cpu_ms": round(per["server"], 2),
        "postgres_cpu_ms": round(per["postgres"], 2),
        "machine_cores_busy": round(meter.result["machine"], 2),
    }


def _bare(algorithm: str, document: bytes) -> dict:
    """p50/p99 per call in this process: the signature alone, and the PIN unlock (scrypt) + signature."""
    import _support as s
    from django.conf import settings

    from ihospital.integrations.ca import algorithms, keystore

    key = algorithms.generate_private_key(algorithm)
    handle = keystore.wrap(der=algorithms.private_key_der(key), algorithm=algorithm, serial=1, wrap="pin", pin=_PIN)

    def unlock_and_sign() -> bytes:
        return algorithms.sign(
            algorithm, algorithms.load_private_key(algorithm, keystore.unwrap(handle, pin=_PIN)), document
        )

    out = {"document_bytes": len(document), "scrypt_n": settings.CA_KEY_SCRYPT_N}
    for name, work, count in (
        ("bare_sign", lambda: algorithms.sign(algorithm, key, document), 2000),
        ("unlock_and_sign", unlock_and_sign, 40),
    ):
        for _ in range(min(20, count)):
            work()
        wall, cpu = [], []
        for _ in range(count):
            started, started_cpu = time.perf_counter(), time.thread_time()
            work()
            cpu.append(time.thread_time() - started_cpu)
            wall.append(time.perf_counter() - started)
        wall.sort()
        cpu.sort()
        out[name] = {
            "n": count,
            "p50_ms": round(s.percentile(wall, 50) * 1000, 3),
            "p99_ms": round(s.percentile(wall, 99) * 1000, 3),
            "cpu_p50_ms": round(s.percentile(cpu, 50) * 1000, 3),
        }
    return out


def _report(results: dict, background: float) -> None:
    from ihospital.integrations.ca.base import ALGORITHMS

    print(
        f"HTTP, one uvicorn worker, PostgreSQL + Redis, one request at a time; {background:.2f} cores busy with "
        "other work before the run"
    )
    print(f"{'algorithm':<20}{'request':<34}{'n':>6}{'p50 ms':>9}{'p99 ms':>9}{'server CPU':>12}{'pg CPU':>8}")
    labels = {
        "healthz": "GET /healthz (trivial)",
        "signed_in_get": f"GET {ICD_PATH}",
        "sign": "POST /staff/records/<id>/sign/",
        "bare_sign": "bare signature (in memory)",
        "unlock_and_sign": "PIN unlock + signature",
    }
    for algorithm in ALGORITHMS:
        row = results[algorithm]
        for name, label in labels.items():
            r = row[name]
            if "server_cpu_ms" in r:
                cpu = f"{r['server_cpu_ms']:>10.1f}ms{r['postgres_cpu_ms']:>6.1f}ms"
            else:
                cpu = f"{r['cpu_p50_ms']:>10.2f}ms  (CPU p50, this process)"
            print(f"{algorithm:<20}{label:<34}{r['n']:>6}{r['p50_ms']:>9.2f}{r['p99_ms']:>9.2f}{cpu}")
    print("(server/pg CPU: per request, of the server's processes and all of PostgreSQL's, during that phase)")


# --- the data (runs in a subprocess with the server's environment) ---------------------------------


def setup(out: Path, spec: dict) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings

    from ihospital.audit.services import Actor
    from ihospital.signatures import services as signatures

    system = Actor.system("bench")
    doctor = _doctor(system)
    data: dict = {"doctor_session": _session(doctor), "records": {}}
    for n, algorithm in enumerate(spec["algorithms"]):
        settings.SIGNATURE_ALGORITHM = algorithm  # this process only: the server is started per algorithm
        signatures.ca_setup(actor=system, algorithm=algorithm)
        signatures.signing_pin_set(holder=doctor, current_pin=None, new_pin=_PIN, actor=system)
        data["records"][algorithm] = _records(doctor, n, spec["records"])
    out.write_text(json.dumps(data))


def _doctor(system):
    from ihospital.accounts import services as accounts
    from ihospital.scheduling.models import Department, DoctorProfile

    doctor = accounts.staff_account_create(
        data=accounts.StaffAccountInput(
            username="bench_sign_doctor",
            role="doctor",
            full_name="压测医生",
            password=secrets.token_urlsafe(16),
            title="主任医师",
            practice_certificate_no="110320100009998",
        ),
        actor=system,
    )
    department, _ = Department.objects.get_or_create(
        code="bench-respiratory", defaults={"name_zh": "呼吸内科", "name_en": "Respiratory medicine"}
    )
    DoctorProfile.objects.create(user=doctor).departments.add(department)
    return doctor


def _records(doctor, run: int, count: int) -> list[dict]:
    """``count`` finished consultations of ``doctor``, each with its record's draft written."""
    from ihospital.audit.services import Actor
    from ihospital.records.services import RecordContent, record_draft_save, record_open

    actor = Actor.of(doctor)
    made = []
    for consultation in _consultations(doctor, run, count):
        draft = record_open(doctor=doctor, consultation=consultation, actor=actor)
        version = record_draft_save(
            doctor=doctor, version=draft, content=RecordContent(**CONTENT), revision=draft.revision, actor=actor
        )
        made.append({"record": str(version.record.public_id), "revision": version.revision})
    return made


def _consultations(doctor, run: int, count: int) -> list:
    import _support as s
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from ihospital.accounts.models import User, VisitPerson
    from ihospital.appointments.models import Appointment
    from ihospital.audit.services import Actor
    from ihospital.consultations.models import Consultation
    from ihospital.core.time import now
    from ihospital.scheduling.models import Slot
    from ihospital.scheduling.services import ScheduleInput, schedule_create

    profile = doctor.doctor_profile
    department = profile.departments.get()
    moment = now()
    slots: list = []
    for n in range(-(-count // 200)):
        schedule = schedule_create(
            data=ScheduleInput(
                doctor=profile,
                department=department,
                date=moment.date() + timedelta(days=1 + run * 10 + n // 3),
                period=("morning", "afternoon", "evening")[n % 3],
                category="video",
                capacity=min(200, count - 200 * n),
                fee_fen=3000,
            ),
            actor=Actor.system("bench"),
        )
        slots += Slot.objects.filter(schedule=schedule).select_related("schedule").order_by("starts_at")
    with transaction.atomic():
        users = User.objects.bulk_create(
            User(
                username=f"bench_sign{run}_p{i:04d}",
                role="patient",
                phone=f"13{run}{i:08d}",
                full_name=f"患者{i}",
                password=make_password(None),
            )
            for i in range(count)
        )
        people = VisitPerson.objects.bulk_create(
            VisitPerson(
                account=user,
                relationship="self",
                name=f"患者{'甲乙丙丁'[run % 4]}" + str(i).translate(s._CHINESE_DIGITS),  # letters only
                id_number=s._resident_id((run * 400 + i) % 1000),
                birth_date=moment.date().replace(year=1980),
                sex="female",
                phone=user.phone,
            )
            for i, user in enumerate(users)
        )
        appointments = Appointment.objects.bulk_create(
            Appointment(
                account=user,
                visit_person=person,
                schedule=slot.schedule,
                slot=slot,
                status=Appointment.Status.COMPLETED,
                complaint="咳嗽、咽痛三天",
                prior_visit_date=moment.date() - timedelta(days=60),
                prior_hospital="苏州市立医院",
                prior_diagnosis="原发性高血压",
                fee_fen=3000,
                hold_expires_at=moment,
                prior_diagnosis_confirmed=True,
                reviewed_by=doctor,
                paid_at=moment,
                reviewed_at=moment,
            )
            for user, person, slot in zip(users, people, slots, strict=True)
        )
        return Consultation.objects.bulk_create(
            Consultation(
                appointment=appointment,
                doctor=doctor,
                patient=user,
                status=Consultation.Status.COMPLETED,
                queue_token=secrets.token_hex(6),
                checked_in_at=moment - timedelta(minutes=40),
                called_at=moment - timedelta(minutes=30),
                started_at=moment - timedelta(minutes=30),
                ended_at=moment - timedelta(minutes=20),
            )
            for user, appointment in zip(users, appointments, strict=True)
        )


def _session(user) -> str:
    """A signed-in session of ``user`` in the configured session store, as signing in would leave."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


if __name__ == "__main__":
    if sys.argv[1:2] != ["setup"]:
        sys.exit(__doc__)
    setup(Path(sys.argv[2]), json.loads(sys.argv[3]))
