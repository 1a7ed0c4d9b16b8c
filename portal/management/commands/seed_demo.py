from django.core.management import call_command
from django.core.management.base import BaseCommand

from portal import demo
from portal.models import User
from procedures import seed as procedures_seed


class Command(BaseCommand):
    help = (
        "Create or refresh the demo agencies, one demo user per role and the demo procedure "
        "catalogue (idempotent)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--without-catalogue",
            action="store_true",
            help="Only agencies and users (the catalogue renders ~35 form PDFs on first load)",
        )

    def handle(self, *args, without_catalogue: bool = False, **options):
        logins = demo.seed()
        call_command("make_demo_pki", stdout=self.stdout)
        if not without_catalogue:
            admin = User.objects.get(email=demo.SUPERUSER_EMAIL)
            added = procedures_seed.seed(actor=admin)
            self.stdout.write(f"Procedure catalogue: {added} demo procedures published.")
            from submissions import demo as submissions_demo

            dossiers = submissions_demo.seed()
            submissions_demo.hand_back_resolved()
            if dossiers:
                self.stdout.write(f"Demo dossiers: {dossiers} for {submissions_demo.CITIZEN}.")
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready. Demo logins (password: {demo.DEMO_PASSWORD}):")
        )
        for email, role in logins:
            self.stdout.write(f"  {email:<28} {role}")
