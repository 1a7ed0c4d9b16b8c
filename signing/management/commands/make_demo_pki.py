import secrets
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from portal.models import Agency
from signing import certificates, images, pki


class Command(BaseCommand):
    help = (
        "Make the demo PKI: a root CA (kept in --dir) and a signing certificate for each agency "
        "that has none in force, imported like an agency's own PKCS#12; with SIGNING_DEMO_PKI_URL, "
        "the certificates point to the demo CRL and OCSP responder there. DEMO — not for "
        "production."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dir", default=str(settings.SIGNING_DEMO_PKI_DIR))
        parser.add_argument("--agency", action="append", help="Agency code (default: all)")

    def handle(self, *args, dir: str, agency: list[str] | None, **options):
        root_key, root_cert, root_path = pki.load_or_make_root(Path(dir))
        agencies = Agency.objects.filter(is_active=True)
        if agency:
            agencies = agencies.filter(code__in=agency)
        for item in agencies:
            current = certificates.certificate_for_signing(item)
            if current is not None:
                if not current.seal_image:
                    certificates.seal_image_set(current, images.seal_png(item.name))
                continue
            key, cert = pki.issue_signing_certificate(
                root_key,
                root_cert,
                common_name=item.name,
                organisation=item.name,
                email=f"signing.{item.code.lower()}@demo.dvc.vn",
                base_url=settings.SIGNING_DEMO_PKI_URL,
            )
            passphrase = secrets.token_urlsafe(12)
            row = certificates.certificate_import(
                agency=item,
                data=pki.to_pkcs12(key, cert, [root_cert], passphrase),
                passphrase=passphrase,
                name=f"{item.short_name or item.name} ({pki.DEMO})",
            )
            certificates.seal_image_set(row, images.seal_png(item.name))
            self.stdout.write(f"  certificate for {item.code} {item.name}")
        self.stdout.write(f"Demo root CA for verifiers: {root_path}")
