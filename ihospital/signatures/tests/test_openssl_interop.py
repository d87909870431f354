"""Interop: a signed document exported by ``manage verify_signature --export`` (document, signature,
certificate, chain) is verified by the ``openssl`` command line, for both algorithms. For SM2 the default
distinguishing ID 1234567812345678 is passed explicitly, as a relying party outside this system would."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from django.core.management import call_command

from ihospital.signatures.tests.conftest import sign

pytestmark = pytest.mark.skipif(not shutil.which("openssl"), reason="needs the openssl command line")


def openssl(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, check=False)


def _verify_document(algorithm: str, folder, document: str = "document.json") -> subprocess.CompletedProcess:
    options = ["-digest", "sha256"]
    if algorithm == "sm2-sm3":
        options = ["-digest", "sm3", "-pkeyopt", "distid:1234567812345678"]
    return openssl(
        "pkeyutl",
        "-verify",
        "-rawin",
        *options,
        "-pubin",
        "-inkey",
        "public.pem",
        "-in",
        document,
        "-sigfile",
        "signature.der",
        cwd=folder,
    )


def test_openssl_verifies_an_exported_signature_its_digest_and_its_chain(ready, algorithm, tmp_path):
    signature = sign(ready, payload={"chief_complaint": "咳嗽一周", "items": [{"code": "J20.9", "days": 7}]})
    call_command("verify_signature", str(signature.public_id), "--export", str(tmp_path))
    assert (
        tmp_path / "document.json"
    ).read_bytes() == '{"chief_complaint":"咳嗽一周","items":[{"code":"J20.9","days":7}]}'.encode()

    extracted = openssl("x509", "-in", "certificate.pem", "-pubkey", "-noout", "-out", "public.pem", cwd=tmp_path)
    assert extracted.returncode == 0, extracted.stderr
    verified = _verify_document(algorithm, tmp_path)
    assert verified.returncode == 0 and "Signature Verified Successfully" in verified.stdout, verified.stderr

    digest = openssl("dgst", "-sm3" if algorithm == "sm2-sm3" else "-sha256", "-r", "document.json", cwd=tmp_path)
    assert digest.stdout.split()[0] == signature.digest

    chain_options = ["-vfyopt", "distid:1234567812345678"] if algorithm == "sm2-sm3" else []
    chain = openssl("verify", *chain_options, "-CAfile", "chain.pem", "certificate.pem", cwd=tmp_path)
    assert chain.returncode == 0 and "certificate.pem: OK" in chain.stdout, chain.stderr


def test_openssl_refuses_a_document_changed_by_one_byte(ready, algorithm, tmp_path):
    signature = sign(ready)
    call_command("verify_signature", str(signature.public_id), "--export", str(tmp_path))
    openssl("x509", "-in", "certificate.pem", "-pubkey", "-noout", "-out", "public.pem", cwd=tmp_path)
    document = bytearray((tmp_path / "document.json").read_bytes())
    document[2] ^= 0x01
    (tmp_path / "changed.json").write_bytes(bytes(document))
    assert _verify_document(algorithm, tmp_path, "changed.json").returncode != 0


def test_sm2_needs_the_distinguishing_id_it_was_signed_with(ready, algorithm, tmp_path):
    """The SM2 signature covers Z, which is computed from the ID: another ID does not verify."""
    if algorithm != "sm2-sm3":
        pytest.skip("SM2 only")
    signature = sign(ready)
    call_command("verify_signature", str(signature.public_id), "--export", str(tmp_path))
    openssl("x509", "-in", "certificate.pem", "-pubkey", "-noout", "-out", "public.pem", cwd=tmp_path)
    other_id = openssl(
        "pkeyutl",
        "-verify",
        "-rawin",
        "-digest",
        "sm3",
        "-pkeyopt",
        "distid:ALICE123@YAHOO.COM",
        "-pubin",
        "-inkey",
        "public.pem",
        "-in",
        "document.json",
        "-sigfile",
        "signature.der",
        cwd=tmp_path,
    )
    assert other_id.returncode != 0
