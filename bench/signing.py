"""Signatures and verifications per second for each algorithm, on one core.

    uv run python bench/signing.py                 # ~30 s
    uv run python bench/signing.py --seconds 5 --json signing.json

For ECDSA P-256/SHA-256 (cryptography) and SM2/SM3 (tongsuopy), with the process pinned to one CPU:

1. sign: ``algorithms.sign`` of a 1 KiB canonical document (a record's size), key already in memory;
2. verify: ``algorithms.verify`` of that signature;
3. verify + chain: the signature and the certificate's own signature by the CA (what ``signature_verify``
   does per signature, without the database);
4. unlock + sign: open the PIN-encrypted key (scrypt, N = CA_KEY_SCRYPT_N) and sign, as each signing does.

The goals (issue 12): ECDSA ≥ 5,000 signatures/s per core, SM2 ≥ 500/s per core. Nothing here asserts.
The cost of signing inside a whole HTTP request needs the medical record's signing page (issue 12, item 2).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def rate(work: Callable[[], object], seconds: float) -> float:
    """Calls per second of ``work`` over about ``seconds`` (after a short warm-up)."""
    for _ in range(20):
        work()
    count, start = 0, time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(50):
            work()
        count += 50
        elapsed = time.perf_counter() - start
        if time.perf_counter() >= deadline:
            return count / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=3.0, help="time per measurement (default 3)")
    parser.add_argument("--cpu", type=int, default=0, help="the CPU to pin to (default 0)")
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    args = parser.parse_args()

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
    if args.json:
        args.json.write_text(json.dumps({"document_bytes": len(document), "results": results}, indent=2))


if __name__ == "__main__":
    main()
