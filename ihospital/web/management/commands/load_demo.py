"""Load the demo hospital, idempotently: running it twice changes nothing the second time."""

from datetime import date, timedelta

from django.core.management.base import BaseCommand
from django.db import transaction

from ihospital.accounts import services as accounts
from ihospital.accounts.models import User, VisitPerson
from ihospital.audit.services import Actor
from ihospital.core.errors import DomainError
from ihospital.scheduling.models import Department, DoctorFee, DoctorProfile
from ihospital.scheduling.services import SessionInput, schedule_create
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
        self._print_logins()

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
        if existing:
            return existing
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
            self._sessions(index, username, profile, departments[codes[0]], fee)

    def _sessions(self, index, username, profile, department, fee) -> None:
        today = date.today()
        for offset, period, category, capacity in demo.sessions_for(index, username):
            data = SessionInput(
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
            user, _ = User.objects.get_or_create(phone=phone, defaults={"username": username, "role": "patient"})
            if username == "alice":
                for person in demo.alice_visit_persons(date.today()):
                    if not VisitPerson.objects.filter(account=user, id_number=person["id_number"]).exists():
                        accounts.visit_person_create(
                            account=user, data=accounts.VisitPersonInput(**person), actor=LOADER
                        )

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
        for username, name, role in [("dr_bob", "王建国", "doctor"), ("dr_erin", "李晓梅", "doctor")] + [
            (u, n, r) for u, n, r, _ in demo.OTHER_STAFF
        ]:
            out(f"  {username:<10} {role:<15} {name}")
        out("  (18 more doctors: dr_zhang_wei, dr_liu_yang, … — see the back office)")
        out("\nAPI docs: /api/patient/v1/docs  /api/staff/v1/docs    Back office: /admin/\n")
