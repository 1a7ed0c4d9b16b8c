from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = (
        "Print the current second-factor code of a demo staff account's authenticator app (the "
        "demo secret of seed_demo). Refused in production."
    )

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email: str, **options):
        # It reads any account's secret: a development convenience that must never run live.
        if settings.PRODUCTION:
            raise CommandError("demo_totp is refused in production (PORTAL_ENV=production)")
        device = (
            TOTPDevice.objects.filter(user__email__iexact=email, confirmed=True)
            .order_by("-pk")
            .first()
        )
        if device is None:
            raise CommandError(f"{email} has no authenticator app: run seed_demo first")
        code = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
        self.stdout.write(f"{code:0{device.digits}d}")
