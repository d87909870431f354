"""Load the demo hospital, idempotently: running it twice changes nothing the second time."""

from datetime import date, timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from ihospital.accounts import identity
from ihospital.accounts import services as accounts
from ihospital.accounts.models import User, VisitPerson
from ihospital.appointments.models import Appointment
from ihospital.appointments.services.his import his_match_enqueue
from ihospital.audit.services import Actor
from ihospital.core.errors import DomainError
from ihospital.core.time import now
from ihospital.fulfilment.demo import load_fulfilment_demo
from ihospital.labs.demo import load_lab_demo
from ihospital.labs.demo_reports import load_demo_reports
from ihospital.prescriptions.demo import load_prescription_demo
from ihospital.scheduling.models import Department, DoctorFee, DoctorProfile, Slot
from ihospital.scheduling.services import ScheduleInput, schedule_create
from ihospital.signatures import selectors as signature_selectors
from ihospital.signatures import services as signatures
from ihospital.web import demo_data as demo

LOADER = Actor.system("demo loader")


class Command(BaseCommand):
    help = "Create the demo departments, staff and patients (idempotent) and print the logins."

    def add_arguments(self, parser):
        parser.add_argument("--base-url", default="http://127.0.0.1:8000", help="where the demo is served")

    def handle(self, *args, **options):
        self.base_url = options["base_url"].rstrip("/")
        with transaction.atomic():
            departments = self._departments()
            self._doctors(departments)
            self._other_staff()
            self._patients()
            soon = self._consultation_soon()
        self._signing()  # outside the transaction: the CA is an outside system
        load_lab_demo(actor=LOADER)  # exam rooms and their bookable sessions (issue 14)
        load_prescription_demo(pin=demo.DEMO_SIGNING_PIN, actor=LOADER)  # one waiting for carol's review (issue 13)
        load_fulfilment_demo(pin=demo.DEMO_SIGNING_PIN, actor=LOADER)  # alice's released prescription (issue 13)
        self.stdout.write(load_demo_reports() + "\n")  # lab results: alice's reports from the HIS (HIS calls)
        self._print_logins()
        self.stdout.write(
            f"A video consultation for alice with dr_bob starts at {timezone.localtime(soon.slot.starts_at):%H:%M}; "
            f"its waiting room is open: {self.base_url}/p/appointments/{soon.public_id}/waiting-room/\n"
        )

    def _departments(self) -> dict[str, Department]:
        result = {}
        for order, (code, zh, en, description) in enumerate(demo.DEPARTMENTS):
            result[code], _ = Department.objects.get_or_create(
                code=code, defaults={"name_zh": zh, "name_en": en, "description": description, "sort_order": order}
            )
        for child, parent in demo.PARENTS.items():
            Department.objects.filter(code=child, parent__isnull=True).update(parent=result[parent])
        return result

    def _staff(self, username, name, role, title, certificate="") -> User:
        existing = User.objects.filter(username=username).first()
        user = existing or self._staff_create(username, name, role, title, certificate)
        if existing is not None:  # made before the loader named it: signed records print the name
            accounts.staff_name_fill(user=user, full_name=name, title=title, actor=LOADER)
        # Roles that sign in with an authenticator get one with a known key (codes at /dev/totp/), unless
        # the person set up their own meanwhile.
        if identity.second_factor_required(user) and identity.totp_device_of(user, confirmed=True) is None:
            identity.totp_device_install(user=user, key_hex=demo.totp_key(username), actor=LOADER)
        return user

    def _staff_create(self, username, name, role, title, certificate) -> User:
        return accounts.staff_account_create(
            data=accounts.StaffAccountInput(
                username=username,
                role=role,
                full_name=name,
                title=title,
                password=demo.DEMO_STAFF_PASSWORD,
                practice_certificate_no=certificate,
            ),
            actor=LOADER,
        )

    def _doctors(self, departments) -> None:
        for index, (username, name, title, codes, specialties) in enumerate(demo.DOCTORS, start=1):
            user = self._staff(username, name, "doctor", title, demo.certificate_no(index))
            profile, created = DoctorProfile.objects.get_or_create(user=user, defaults={"specialties": specialties})
            if created:
                profile.departments.set([departments[code] for code in codes])
            fee = demo.FEES_BY_TITLE[title]
            for category in ("video", "text", "onsite"):
                DoctorFee.objects.get_or_create(doctor=profile, category=category, defaults={"fee_fen": fee})
            self._schedules(index, username, profile, departments[codes[0]], fee)

    def _schedules(self, index, username, profile, department, fee) -> None:
        today = date.today()
        for offset, period, category, capacity in demo.schedules_for(index, username):
            data = ScheduleInput(
                doctor=profile,
                department=department,
                date=today + timedelta(days=offset),
                period=period,
                category=category,
                capacity=capacity,
                fee_fen=fee,
            )
            try:
                schedule_create(data=data, actor=LOADER)
            except DomainError:
                pass  # already there from an earlier run

    def _other_staff(self) -> None:
        for index, (username, name, role, title) in enumerate(demo.OTHER_STAFF, start=100):
            certificate = demo.certificate_no(index) if role in ("pharmacist", "nurse") else ""
            self._staff(username, name, role, title, certificate)

    def _patients(self) -> None:
        for username, phone in demo.PATIENTS:
            user, _ = User.objects.matching(phone=phone).get_or_create(
                defaults={"phone": phone, "username": username, "role": "patient"}
            )
            if username == "alice":
                for person in demo.alice_visit_persons(date.today()):
                    if not VisitPerson.objects.filter(account=user).matching(id_number=person["id_number"]).exists():
                        accounts.visit_person_create(
                            account=user, data=accounts.VisitPersonInput(**person), actor=LOADER
                        )
                # Matched in the HIS (建档) once the worker runs: the simulated HIS knows them, with years of
                # in-person visits to show under "My visits" and on the doctor's desk.
                for visit_person in VisitPerson.objects.filter(account=user, removed_at__isnull=True):
                    his_match_enqueue(person=visit_person)

    def _consultation_soon(self) -> Appointment:
        """Demo only: an accepted booking of alice's with dr_bob whose slot starts in 20 minutes, so the
        waiting room, the call and the video can be tried at once. Booking closes 30 minutes before a
        slot, so this one is written as if booked and accepted earlier: a free slot of today's session is
        moved to the near future. Reused while it has not started."""
        alice = User.objects.get(username="alice")
        ready = (
            Appointment.objects.filter(account=alice, status__in=["accepted", "waiting", "in_consultation"])
            .filter(slot__starts_at__gt=now() - timedelta(hours=1))
            .first()
        )
        if ready is not None:
            return ready
        bob = DoctorProfile.objects.get(user__username="dr_bob")
        slot = (
            Slot.objects.filter(schedule__doctor=bob, schedule__category="video", status="free")
            .filter(schedule__date__gte=date.today())
            .order_by("schedule__date", "starts_at")
            .first()
        )
        starts = now().replace(second=0, microsecond=0) + timedelta(minutes=20)
        ends = starts + timedelta(minutes=10)
        Slot.objects.filter(pk=slot.pk).update(starts_at=starts, ends_at=ends, status="booked")
        slot.refresh_from_db()
        return Appointment.objects.create(
            account=alice,
            visit_person=VisitPerson.objects.filter(account=alice).order_by("pk").first(),
            schedule=slot.schedule,
            slot=slot,
            status="accepted",
            complaint="高血压复诊：近两周早晨血压 150/95 左右，偶有头晕。",
            prior_visit_date=date.today() - timedelta(days=90),
            prior_hospital="本院心血管内科门诊",
            prior_diagnosis="原发性高血压 2 级",
            fee_fen=0,
            hold_expires_at=now(),
            prior_diagnosis_confirmed=True,
            reviewed_by=bob.user,
            reviewed_at=now(),
        )

    def _signing(self) -> None:
        """Certificates from the built-in CA for the seal and every doctor and pharmacist (ca_init), each
        signer's PIN set to the demo PIN so that newcomers can sign at once."""
        signatures.ca_setup(actor=LOADER)
        for user in User.objects.filter(role__in=["doctor", "pharmacist"], is_active=True):
            credential = signature_selectors.credential_current(holder=user)
            if credential is not None and credential.pin_set_at is None:
                signatures.signing_pin_set(holder=user, current_pin=None, new_pin=demo.DEMO_SIGNING_PIN, actor=LOADER)

    def _print_logins(self) -> None:
        out = self.stdout.write
        out(
            self.style.SUCCESS(
                f"Demo hospital ready: {Department.objects.count()} departments, "
                f"{User.objects.filter(role='doctor').count()} doctors."
            )
        )
        out(f"\nPatients — {self.base_url}/p/sign-in/ ; codes at {self.base_url}/dev/sms/ and in the console:")
        for username, phone in demo.PATIENTS:
            out(f"  {username:<10} {phone}")
        out(f"\nStaff — {self.base_url}/staff/sign-in/ ; password for all: {demo.DEMO_STAFF_PASSWORD}")
        out(f"  doctors, pharmacists and the back office then enter an authenticator code: {self.base_url}/dev/totp/")
        for username, name, role in [("dr_bob", "王建国", "doctor"), ("dr_erin", "李晓梅", "doctor")] + [
            (u, n, r) for u, n, r, _ in demo.OTHER_STAFF
        ]:
            out(f"  {username:<10} {role:<15} {name}")
        out("  (18 more doctors: dr_zhang_wei, dr_liu_yang, … — see the back office)")
        out(
            f"Doctors and pharmacists sign with the signing PIN {demo.DEMO_SIGNING_PIN} "
            f"(their certificates come from the built-in CA; change it at {self.base_url}/staff/signing-pin/)"
        )
        out("\nAPI docs: /api/patient/v1/docs  /api/staff/v1/docs    Back office: /admin/\n")
