"""Certificates from an outside CA (a PEM chain, a holder's certificate and key) are imported and sign."""

from __future__ import annotations

import secrets
import shutil
import subprocess
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from django.core.management import call_command
from django.core.management.base import CommandError

from ihospital.audit.services import Actor
from ihospital.core.errors import DomainError
from ihospital.core.time import now
from ihospital.integrations.ca import algorithms
from ihospital.signatures import selectors, services
from ihospital.signatures.models import Certificate, SigningCredential
from ihospital.signatures.tests.conftest import PIN, sign


class OutsideCa:
    """A provincial CA of its own: root → issuing CA → the holder's certificate."""

    def __init__(self, algorithm: str, name: str = "Province"):
        self.algorithm = algorithm
        self.root_key = algorithms.generate_private_key(algorithm)
        self.root_name = {"common_name": f"{name} Root CA", "organization_name": f"{name} CA"}
        self.root = self._certificate(self.root_name, self.root_key, None, self.root_key, is_ca=True)
        self.issuing_key = algorithms.generate_private_key(algorithm)
        self.issuing_name = {"common_name": f"{name} Issuing CA", "organization_name": f"{name} CA"}
        self.issuing = self._certificate(self.issuing_name, self.issuing_key, self.root_name, self.root_key, is_ca=True)

    def _certificate(self, subject, key, issuer_name, issuer_key, *, is_ca, days=365, start=None):
        spec = algorithms.CertificateSpec(
            serial=secrets.randbits(64) | 1,
            subject=subject,
            spki_der=algorithms.public_key_der(key),
            not_before=start or now() - timedelta(days=1),
            not_after=(start or now()) + timedelta(days=days),
            is_ca=is_ca,
        )
        return algorithms.build_certificate(
            algorithm=self.algorithm, spec=spec, issuer_name=issuer_name, issuer_key=issuer_key
        )

    def chain(self) -> str:
        return self.issuing + self.root

    def holder(self, common_name: str, **kwargs) -> tuple[str, bytes, object]:
        key = algorithms.generate_private_key(self.algorithm)
        subject = {"common_name": common_name, "organization_name": "Hospital"}
        pem = self._certificate(subject, key, self.issuing_name, self.issuing_key, is_ca=False, **kwargs)
        key_pem = (
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            if self.algorithm != "sm2-sm3"
            else _sm2_pem(key)
        )
        return pem, key_pem, key


def _sm2_pem(key) -> bytes:
    from tongsuopy.crypto import serialization as gm

    return key.private_bytes(gm.Encoding.PEM, gm.PrivateFormat.PKCS8, gm.NoEncryption())


def _import(ca: OutsideCa, holder, cert_pem="", key_pem=b"", seal=False):
    data = services.CertificateImport(chain_pem=ca.chain(), certificate_pem=cert_pem, key_pem=key_pem)
    return services.certificate_import(data=data, holder=holder, seal=seal, actor=Actor.system())


def test_an_imported_certificate_signs_after_its_pin_is_set_and_verifies_through_its_chain(db, dr_bob, algorithm):
    ca = OutsideCa(algorithm)
    cert_pem, key_pem, _key = ca.holder("Dr Bob")
    imported = _import(ca, dr_bob, cert_pem, key_pem)
    assert imported.kind == Certificate.Kind.PERSONAL
    assert imported.issued_by.subject == "O=Province CA, CN=Province Issuing CA"
    assert Certificate.objects.get(trusted=True).subject == "O=Province CA, CN=Province Root CA"
    with pytest.raises(DomainError) as refused:
        sign(dr_bob)
    assert refused.value.code == "signature.pin_not_set"
    services.signing_pin_set(holder=dr_bob, current_pin=None, new_pin=PIN, actor=Actor.of(dr_bob))
    signature = sign(dr_bob)
    result = selectors.signature_verify(signature=signature)
    assert result.valid, result.code
    assert len(result.chain) == 3


def test_the_chain_alone_can_be_imported_as_a_trust_anchor(db, algorithm):
    ca = OutsideCa(algorithm)
    root = _import(ca, None)
    assert root.trusted and root.kind == Certificate.Kind.AUTHORITY


@pytest.mark.parametrize(
    "problem",
    ["not_under_chain", "wrong_key", "expired", "a_ca_certificate", "no_root", "broken_link"],
)
def test_a_bad_import_is_refused_with_a_reason(db, dr_bob, algorithm, problem):
    ca = OutsideCa(algorithm)
    cert_pem, key_pem, _key = ca.holder("Dr Bob")
    chain = ca.chain()
    if problem == "not_under_chain":
        cert_pem, key_pem, _key = OutsideCa(algorithm, "Elsewhere").holder("Dr Bob")
    elif problem == "wrong_key":
        key_pem = ca.holder("someone else")[1]
    elif problem == "expired":
        cert_pem, key_pem, _key = ca.holder("Dr Bob", days=30, start=now() - timedelta(days=60))
    elif problem == "a_ca_certificate":
        cert_pem = ca.issuing
        key_pem = (
            _sm2_pem(ca.issuing_key)
            if algorithm == "sm2-sm3"
            else ca.issuing_key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    elif problem == "no_root":
        chain = ca.issuing
    elif problem == "broken_link":
        chain = ca.issuing + OutsideCa(algorithm).root  # same root name, another key
    data = services.CertificateImport(chain_pem=chain, certificate_pem=cert_pem, key_pem=key_pem)
    with pytest.raises(DomainError) as refused:
        services.certificate_import(data=data, holder=dr_bob, actor=Actor.system())
    assert refused.value.code == "signature.import_invalid"
    assert not SigningCredential.objects.exists()
    assert not Certificate.objects.exists()


def test_ca_import_command(db, dr_bob, algorithm, tmp_path, capsys):
    ca = OutsideCa(algorithm)
    cert_pem, key_pem, _key = ca.holder("Dr Bob")
    (tmp_path / "chain.pem").write_text(ca.chain())
    (tmp_path / "bob.pem").write_text(cert_pem)
    (tmp_path / "bob.key").write_bytes(key_pem)
    with pytest.raises(CommandError):
        call_command("ca_import", str(tmp_path / "chain.pem"), "--certificate", str(tmp_path / "bob.pem"))
    call_command(
        "ca_import",
        str(tmp_path / "chain.pem"),
        "--certificate",
        str(tmp_path / "bob.pem"),
        "--key",
        str(tmp_path / "bob.key"),
        "--user",
        "dr_bob",
    )
    assert "imported: O=Hospital, CN=Dr Bob" in capsys.readouterr().out
    assert SigningCredential.objects.get(holder=dr_bob).custody == "builtin"


@pytest.mark.skipif(not shutil.which("openssl"), reason="needs the openssl command line")
def test_a_chain_made_by_openssl_imports_and_signs(db, dr_bob, tmp_path, settings):
    """Certificates from another implementation (OpenSSL) are read and chained the same way."""
    settings.SIGNATURE_ALGORITHM = "ecdsa-p256-sha256"

    def run(*args):
        subprocess.run(["openssl", *args], cwd=tmp_path, check=True, capture_output=True)

    gen = ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out"]
    run(*gen, "root.key")
    run(
        "req",
        "-x509",
        "-new",
        "-key",
        "root.key",
        "-sha256",
        "-subj",
        "/O=Province CA/CN=Province Root",
        "-days",
        "3650",
        "-addext",
        "basicConstraints=critical,CA:true",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
        "-out",
        "root.pem",
    )
    run(*gen, "bob.key")
    run("req", "-new", "-key", "bob.key", "-sha256", "-subj", "/O=Hospital/CN=Dr Bob", "-out", "bob.csr")
    (tmp_path / "leaf.ext").write_text("basicConstraints=critical,CA:false\nkeyUsage=critical,digitalSignature\n")
    run(
        "x509",
        "-req",
        "-in",
        "bob.csr",
        "-CA",
        "root.pem",
        "-CAkey",
        "root.key",
        "-sha256",
        "-days",
        "365",
        "-extfile",
        "leaf.ext",
        "-out",
        "bob.pem",
    )
    data = services.CertificateImport(
        chain_pem=(tmp_path / "root.pem").read_text(),
        certificate_pem=(tmp_path / "bob.pem").read_text(),
        key_pem=(tmp_path / "bob.key").read_bytes(),
    )
    services.certificate_import(data=data, holder=dr_bob, actor=Actor.system())
    services.signing_pin_set(holder=dr_bob, current_pin=None, new_pin=PIN, actor=Actor.of(dr_bob))
    assert selectors.signature_verify(signature=sign(dr_bob)).valid
