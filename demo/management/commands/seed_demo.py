from django.core.management import call_command
from django.core.management.base import BaseCommand

from demo import catalogue, dossiers, people
from portal.models import User


class Command(BaseCommand):
    help = (
        "Create or refresh the demo agencies, one demo user per role and the demo procedure "
        "catalogue (idempotent)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--without-catalogue",
            action="store_true",
            help="Only agencies and users (the catalogue renders its form PDFs on first load)",
        )

    def handle(self, *args, without_catalogue: bool = False, **options):
        logins = people.seed()
        call_command("make_demo_pki", stdout=self.stdout)
        people.leader_tokens(stdout=self.stdout)
        if not without_catalogue:
            admin = User.objects.get(email=people.SUPERUSER_EMAIL)
            added = catalogue.seed(actor=admin)
            self.stdout.write(f"Procedure catalogue: {added} demo procedures published.")
            count = dossiers.seed()
            dossiers.sign_one_result(pin=people.DEMO_TOKEN_PIN)
            dossiers.hand_back_resolved()
            if count:
                self.stdout.write(f"Demo dossiers: {count} for {dossiers.CITIZEN}.")
            taken_in = dossiers.seed_desk_intake()
            if taken_in:
                self.stdout.write(f"Paper dossiers taken in at the desk: {taken_in}.")
            # The statistics' counts (beat refreshes them every few minutes; `make run` has no
            # beat: `manage.py stats_rebuild` brings them up to date).
            call_command("stats_rebuild", stdout=self.stdout)
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready. Demo logins (password: {people.DEMO_PASSWORD}):")
        )
        for email, role in logins:
            self.stdout.write(f"  {email:<30} {role}")
        self.stdout.write(f"Leaders' signing-token PIN (demo): {people.DEMO_TOKEN_PIN}")
        self.stdout.write(
            f"Staff second factor (demo): authenticator secret {people.DEMO_TOTP_SECRET}, or "
            "print the current code with `python manage.py demo_totp EMAIL`"
        )
