"""Signatures and verifications per second for each algorithm, on one core.

    uv run python bench/signing.py                 # ~30 s
    uv run python bench/signing.py --seconds 5 --json signing.json
    uv run python bench/signing.py --http --http-records 200   # + the signing request, ~3 min

For ECDSA P-256/SHA-256 (cryptography) and SM2/SM3 (tongsuopy), with the process pinned to one CPU:

1. sign: ``algorithms.sign`` of a 1 KiB canonical document (a record's size), key already in memory;
2. verify: ``algorithms.verify`` of that signature;
3. verify + chain: the signature and the certificate's own signature by the CA (what ``signature_verify``
   does per signature, without the database);
4. unlock + sign: open the PIN-encrypted key (scrypt, N = CA_KEY_SCRYPT_N) and sign, as each signing does.

With ``--service`` it also measures, in process on a throw-away SQLite database in a temporary folder
(not on one pinned core: the whole stack, as a request would run it):

5. ``services.document_sign`` end to end: checks, PIN unlock at the built-in CA (its simulated latency set
   to 0), signing, checking the returned signature, the Signature row and its audit entry;
6. ``GET /api/staff/v1/signatures/{id}/verification`` through Django's whole request stack (test client:
   middleware, session authentication, the check, the failed-check audit path not taken), per request.

With ``--http`` it also measures the cost of signing a medical record inside the whole HTTP request, on a
served app (PostgreSQL + Redis, as bench/booking.py; see bench/README.md for what it creates and removes):

7. a throw-away database (``--db``) migrated; one doctor with a certificate for each algorithm and the PIN
   set; per algorithm ``--http-records`` (+ a warm-up) finished consultations whose records' drafts are
   written (~1 KiB of Chinese text, two diagnoses) through the records services (bench/_signing_http.py
   holds this phase);
8. per algorithm, ``ihospital serve --workers 1`` on 127.0.0.1:``--port`` (DEBUG off, production settings,
   ``SIGNATURE_ALGORITHM`` set, the built-in CA's simulated latency 0, the production scrypt cost), and
   one keep-alive client sending one request at a time: ``GET /healthz`` (trivial: no session, no
   database), ``GET /staff/icd10/?q=`` (a signed-in doctor's lightest request: session, CSRF cookie,
   authentication, the session saved), then ``POST /staff/records/<id>/sign/`` with the PIN for each record
   (session, CSRF, the access check, the claim, the PIN unlock and signature at the CA, the checks, the
   Signature row, the version marked signed, audit entries, the HIS filing queued). Each answer is
   checked (200, the version signed). Latency p50/p99 by the wall clock, and the CPU the server and
   PostgreSQL spent per request;
9. beside them, per call in this process: the bare signature (``algorithms.sign`` of one of the signed
   records' canonical documents, key in memory) and the PIN unlock + signature, p50/p99.

Rates are per second of this process's CPU time (``time.process_time``), so a busy shared machine does
not count other processes' time against us; the wall-clock rate is lower by the share of the core we got.
The goals (issue 12): ECDSA ≥ 5,000 signatures/s per core, SM2 ≥ 500/s per core. Nothing here asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
SCRATCH = tempfile.mkdtemp(prefix="ihospital-bench-signing-")
os.environ["IHOSPITAL_VAR_DIR"] = SCRATCH  # never the real var/: a fresh SQLite database and secret
os.environ.pop("DATABASE_URL", None)
# One client asks many times a second: the APIs' per-user/address limits would answer 429 instead.
os.environ["API_RATE_LIMIT_USER"] = os.environ["API_RATE_LIMIT_ADDRESS"] = "1000000/min"


def rate(work: Callable[[], object], seconds: float) -> float:
    """Calls per second of ``work`` over about ``seconds`` of wall clock (after a short warm-up), counted
    against this process's CPU time: on a shared machine the wall clock also counts the time other
    processes held the core, CPU time only ours, so this is what one core of our own would do."""
    for _ in range(20):
        work()
    count, start, cpu_start = 0, time.perf_counter(), time.process_time()
    deadline = start + seconds
    while True:
        for _ in range(50):
            work()
        count += 50
        if time.perf_counter() >= deadline:
            return count / max(time.process_time() - cpu_start, 1e-9)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=3.0, help="time per measurement (default 3)")
    parser.add_argument("--cpu", type=int, default=0, help="the CPU to pin to (default 0)")
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    parser.add_argument("--service", action="store_true", help="also the signing service and the verification request")
    parser.add_argument("--http", action="store_true", help="also a record's signing request on a served app")
    parser.add_argument("--http-records", type=int, default=200, help="records signed per algorithm (1–1000)")
    parser.add_argument("--http-trivial", type=int, default=500, help="trivial requests per kind (default 500)")
    parser.add_argument("--port", type=int, default=0, help="the server's port (default: any free one)")
    parser.add_argument("--db", default="ihospital_bench_sign", help="database (and role) created and dropped")
    parser.add_argument("--redis-db", type=int, default=14)
    parser.add_argument("--keep", action="store_true", help="keep the --http database (debugging)")
    args = parser.parse_args()
    args.http_records = max(1, min(args.http_records, 1000))
    args.http_trivial = max(1, min(args.http_trivial, 5000))
    try:
        run(args)
    finally:
        shutil.rmtree(SCRATCH, ignore_errors=True)


def run(args: argparse.Namespace) -> None:

    import django

    django.setup()
    from django.conf import settings

    from ihospital.core.time import now
    from ihospital.integrations.ca import algorithms, keystore
    from ihospital.integrations.ca.base import ALGORITHMS
    from ihospital.signatures.canonical import canonical_bytes

    os.sched_setaffinity(0, {args.cpu})
    document = canonical_bytes({"chief_complaint": "头痛三天，伴恶心", "notes": "检" * 320, "codes": ["G44.2"]})
    results: dict[str, dict[str, float]] = {}
    print(f"one core (CPU {args.cpu}), {len(document)}-byte document, {args.seconds:g} s per measurement")
    print(f"{'algorithm':<20}{'sign/s':>10}{'verify/s':>10}{'+chain/s':>10}{'unlock+sign/s':>15}")
    for algorithm in ALGORITHMS:
        root_key = algorithms.generate_private_key(algorithm)
        key = algorithms.generate_private_key(algorithm)
        spec = algorithms.CertificateSpec(
            serial=12345,
            subject={"common_name": "bench", "organization_name": "bench"},
            spki_der=algorithms.public_key_der(key),
            not_before=now(),
            not_after=now() + timedelta(days=1),
            is_ca=False,
        )
        root_name = {"common_name": "bench root", "organization_name": "bench"}
        leaf = algorithms.read_certificate(
            algorithms.build_certificate(algorithm=algorithm, spec=spec, issuer_name=root_name, issuer_key=root_key)
        )
        root_spki = algorithms.public_key_der(root_key)
        signature = algorithms.sign(algorithm, key, document)
        handle = keystore.wrap(
            der=algorithms.private_key_der(key), algorithm=algorithm, serial=leaf.serial, wrap="pin", pin="246810"
        )

        def chain_and_signature(algorithm=algorithm, leaf=leaf, root_spki=root_spki, signature=signature) -> bool:
            return algorithms.verify(algorithm, leaf.spki_der, signature, document) and algorithms.verify(
                leaf.signature_algorithm, root_spki, leaf.signature, leaf.tbs_der
            )

        def unlock_and_sign(algorithm=algorithm, handle=handle) -> bytes:
            opened = algorithms.load_private_key(algorithm, keystore.unwrap(handle, pin="246810"))
            return algorithms.sign(algorithm, opened, document)

        row = {
            "sign_per_s": rate(
                lambda algorithm=algorithm, key=key: algorithms.sign(algorithm, key, document), args.seconds
            ),
            "verify_per_s": rate(
                lambda algorithm=algorithm, leaf=leaf, signature=signature: algorithms.verify(
                    algorithm, leaf.spki_der, signature, document
                ),
                args.seconds,
            ),
            "verify_with_chain_per_s": rate(chain_and_signature, args.seconds),
            "unlock_and_sign_per_s": rate(unlock_and_sign, max(args.seconds, 1.0)),
        }
        results[algorithm] = row
        print(
            f"{algorithm:<20}{row['sign_per_s']:>10,.0f}{row['verify_per_s']:>10,.0f}"
            f"{row['verify_with_chain_per_s']:>10,.0f}{row['unlock_and_sign_per_s']:>15,.1f}"
        )
    print(f"unlock: scrypt N={settings.CA_KEY_SCRYPT_N}, r=8, p=1 (CA_KEY_SCRYPT_N)")
    service: dict[str, dict[str, float]] = {}
    os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
    if args.service:
        service = measure_service(args.seconds)
    http: dict = {}
    if args.http:
        from _signing_http import measure_http

        http = measure_http(args)
    if args.json:
        numbers = {"document_bytes": len(document), "results": results, "service": service, "http": http}
        args.json.write_text(json.dumps(numbers, indent=2))


def measure_service(seconds: float) -> dict[str, dict[str, float]]:
    """document_sign and the verification request, per algorithm, on a fresh database (see the docstring)."""
    import uuid

    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    from ihospital.audit.services import Actor
    from ihospital.core.testing.personas import make_user
    from ihospital.integrations.ca.base import ALGORITHMS
    from ihospital.signatures import services

    setup_test_environment()  # the test client's 'testserver' host is allowed
    call_command("migrate", verbosity=0)
    settings.CA_SANDBOX_LATENCY_SECONDS = 0
    doctor = make_user("bench_doctor", "doctor")
    nurse = make_user("bench_nurse", "nurse")
    client = Client()
    client.force_login(nurse)
    payload = {"chief_complaint": "头痛三天，伴恶心", "notes": "检" * 320, "codes": ["G44.2"]}
    out: dict[str, dict[str, float]] = {}
    print(f"{'service (whole stack)':<24}{'document_sign ms':>18}{'verify request ms':>19}")
    for algorithm in ALGORITHMS:
        settings.SIGNATURE_ALGORITHM = algorithm
        services.credential_issue(holder=doctor, actor=Actor.system("bench"), algorithm=algorithm)
        services.signing_pin_set(holder=doctor, current_pin=None, new_pin="246810", actor=Actor.system("bench"))

        def sign_once() -> object:
            return services.document_sign(
                signer=doctor,
                document_type="bench",
                document_id=uuid.uuid4(),
                payload=payload,
                pin="246810",
                actor=Actor.system("bench"),
            )

        signature = sign_once()
        url = f"/api/staff/v1/signatures/{signature.public_id}/verification"
        assert client.get(url).json()["valid"] is True
        sign_rate = rate(sign_once, seconds)

        def verify_once(url: str = url) -> None:
            if client.get(url).status_code != 200:
                raise RuntimeError("the verification request did not answer 200")

        verify_rate = rate(verify_once, seconds)
        out[algorithm] = {"document_sign_ms": 1000 / sign_rate, "verify_request_ms": 1000 / verify_rate}
        print(f"{algorithm:<24}{1000 / sign_rate:>18.1f}{1000 / verify_rate:>19.1f}")
    return out


if __name__ == "__main__":
    main()
