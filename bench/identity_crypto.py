"""What encrypting identities at rest costs a patient's sign-in (issue 10.4).

    uv run python bench/identity_crypto.py              # ~1 minute, SQLite in a throw-away folder
    uv run python bench/identity_crypto.py --sign-ins 300 --json out.json

Measures, in one process on a throw-away embedded database (IHOSPITAL_VAR_DIR in a temporary folder,
removed at the end):

1. the unit costs: AES-256-GCM encrypt and decrypt of a phone number, the HMAC-SHA256 blind index;
2. which of them one sign-in performs (the app's crypto functions counted during a real
   ``sms_code_send`` + ``patient_sign_in``), for a new patient and a returning one;
3. the sign-in itself, end to end through the services (median and p95), so the crypto share can be
   read against it;
4. loading the signed-in user, as every authenticated request does (one decrypt), against the same
   query with the phone column deferred.

Nothing here asserts; results go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup(var_dir: str) -> None:
    os.environ.update(
        IHOSPITAL_VAR_DIR=var_dir,
        DJANGO_SETTINGS_MODULE="config.settings",
        SMS_RESEND_INTERVAL_SECONDS="0",
        SMS_MAX_PER_HOUR="100000",
        LOG_LEVEL="WARNING",
    )
    for name in ("DATABASE_URL", "REDIS_URL"):
        os.environ.pop(name, None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def per_op_us(function, repeat: int) -> float:
    """Median over 5 rounds of the mean microseconds per call."""
    rounds = []
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(repeat):
            function()
        rounds.append((time.perf_counter() - started) / repeat * 1e6)
    return statistics.median(rounds)


def unit_costs() -> dict[str, float]:
    from ihospital.core import crypto

    token = crypto.encrypt("13800000001", kind=crypto.PHONE)
    return {
        "encrypt_us": per_op_us(lambda: crypto.encrypt("13800000001", kind=crypto.PHONE), 20000),
        "decrypt_us": per_op_us(lambda: crypto.decrypt(token, kind=crypto.PHONE), 20000),
        "blind_index_us": per_op_us(lambda: crypto.blind_index(crypto.PHONE, "13800000001"), 20000),
    }


class Counted:
    """Counts calls of the crypto functions the fields use, while inside the ``with`` block."""

    NAMES = ("encrypt", "decrypt", "blind_index")

    def __enter__(self) -> Counter:
        from ihospital.core import crypto

        self.counts: Counter = Counter()
        self.originals = {name: getattr(crypto, name) for name in self.NAMES}
        for name, original in self.originals.items():
            setattr(crypto, name, self._counting(name, original))
        return self.counts

    def _counting(self, name, original):
        def call(*args, **kwargs):
            self.counts[name] += 1
            return original(*args, **kwargs)

        return call

    def __exit__(self, *exc) -> None:
        from ihospital.core import crypto

        for name, original in self.originals.items():
            setattr(crypto, name, original)


def sign_in(phone: str):
    """One sign-in as the app does it: a code sent through the outbox, then checked."""
    from django.conf import settings
    from django.db import transaction

    from ihospital.accounts import services
    from ihospital.audit.services import Actor
    from ihospital.core.outbox import OutboxMessage

    visitor = Actor(ip="127.0.0.1", user_agent="bench")
    with transaction.atomic():
        services.sms_code_send(phone=phone, actor=visitor)
    text = OutboxMessage.objects.filter(topic="sms.send").order_by("-id").values_list("payload", flat=True)[0]["text"]
    code = re.search(r"\b(\d{6})\b", text).group(1)
    consent = services.ConsentGiven(
        notice_version=settings.PRIVACY_NOTICE_VERSION, privacy_notice=True, health_data=True
    )
    return services.patient_sign_in(phone=phone, code=code, actor=visitor, consent=consent)


def timed_sign_ins(phones: list[str]) -> dict[str, float]:
    samples = []
    for phone in phones:
        started = time.perf_counter()
        sign_in(phone)
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {"median_ms": statistics.median(samples), "p95_ms": samples[int(len(samples) * 0.95) - 1]}


def user_load(user_pk: int) -> dict[str, float]:
    from ihospital.accounts.models import User

    return {
        "user_load_us": per_op_us(lambda: User.objects.get(pk=user_pk), 2000),
        "user_load_phone_deferred_us": per_op_us(lambda: User.objects.defer("phone").get(pk=user_pk), 2000),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sign-ins", type=int, default=200, help="sign-ins timed, new and returning each")
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    args = parser.parse_args()
    var_dir = tempfile.mkdtemp(prefix="ihospital-bench-crypto-")
    try:
        setup(var_dir)
        results: dict[str, object] = {"unit": unit_costs()}
        with Counted() as new_counts:
            user = sign_in("13900000000")
        with Counted() as returning_counts:
            sign_in("13900000000")
        results["ops_new_patient"] = dict(new_counts)
        results["ops_returning_patient"] = dict(returning_counts)
        phones = [f"139{n:08d}" for n in range(1, args.sign_ins + 1)]
        results["sign_in_new"] = timed_sign_ins(phones)
        results["sign_in_returning"] = timed_sign_ins(phones)
        results["request_user_load"] = user_load(user.pk)
        unit = results["unit"]
        assert isinstance(unit, dict)
        cost = {
            label: sum(unit[f"{name}_us"] * count for name, count in counts.items())
            for label, counts in (("new", new_counts), ("returning", returning_counts))
        }
        results["crypto_us_per_sign_in"] = cost
        print(json.dumps(results, indent=2))
        if args.json:
            args.json.write_text(json.dumps(results, indent=2))
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
