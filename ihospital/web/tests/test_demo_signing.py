"""The demo is ready to sign: every doctor and pharmacist has a certificate and the printed signing PIN."""

from django.core.management import call_command

from ihospital.accounts.models import User
from ihospital.audit.services import Actor
from ihospital.signatures import selectors, services
from ihospital.signatures.models import SigningCredential
from ihospital.web.demo_data import DEMO_SIGNING_PIN


def test_demo_signers_sign_with_the_printed_pin(db, capsys):
    call_command("load_demo")
    out = capsys.readouterr().out
    assert f"signing PIN {DEMO_SIGNING_PIN}" in out
    signers = User.objects.filter(role__in=["doctor", "pharmacist"])
    assert SigningCredential.objects.filter(holder__in=signers, pin_set_at__isnull=False).count() == signers.count()
    assert selectors.credential_usable(selectors.credential_current(holder=None))  # the hospital seal
    for username in ("dr_bob", "carol"):
        signature = services.document_sign(
            signer=User.objects.get(username=username),
            document_type="demo",
            document_id="1b7d2f0c-9a51-4f39-a0d4-5a8b6c3d2e10",
            version=1 if username == "dr_bob" else 2,
            payload={"by": username},
            pin=DEMO_SIGNING_PIN,
            actor=Actor.system("test"),
        )
        assert selectors.signature_verify(signature=signature).valid
    call_command("load_demo")  # again: nothing new is issued, the PINs stay
    assert SigningCredential.objects.count() == signers.count() + 1


def test_demo_staff_have_full_names_even_an_account_made_before_the_loader(db):
    from ihospital.accounts.models import STAFF_ROLES
    from ihospital.core.testing.personas import make_user

    make_user("dr_bob", "doctor", full_name="", practice_certificate_no="110320100000001")  # no name yet
    call_command("load_demo")
    bob = User.objects.get(username="dr_bob")
    assert (bob.full_name, bob.title) == ("王建国", "主任医师")
    assert not User.objects.filter(role__in=STAFF_ROLES, full_name="").exists()
