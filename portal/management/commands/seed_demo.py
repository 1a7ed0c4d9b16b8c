from django.core.management.base import BaseCommand

from portal import demo


class Command(BaseCommand):
    help = "Create or refresh the demo agencies and one demo user per role (idempotent)."

    def handle(self, *args, **options):
        logins = demo.seed()
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready. Demo logins (password: {demo.DEMO_PASSWORD}):")
        )
        for email, role in logins:
            self.stdout.write(f"  {email:<28} {role}")
