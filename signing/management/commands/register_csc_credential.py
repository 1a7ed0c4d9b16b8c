from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from portal.models import User
from signing import certificates, csc, images
from signing.models import PersonalCertificate


class Command(BaseCommand):
    help = (
        "Register a leader's credential at a remote signing service (CSC API v2) as the leader's "
        "personal certificate: asks the service (info, credentials/list, credentials/info) for "
        "the certificate chain and registers it with the service URL and the credential ID. "
        "The key stays at the service; the leader signs with the credential's PIN."
    )

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument(
            "--service-url", required=True, help="e.g. https://rs.example.vn/csc/v2"
        )
        parser.add_argument(
            "--credential-id", default="", help="Default: the user's only credential"
        )
        parser.add_argument(
            "--user-id", default="", help="credentials/list's userID (default: the e-mail)"
        )

    def handle(self, *args, email, service_url, credential_id, user_id, **options):
        user = User.objects.filter(email=email).first()
        if user is None:
            raise CommandError(f"No user {email}")
        try:
            client = csc.Client(service_url)
            info = client.info()
            self.stdout.write(f"  {info.get('name', '?')} (CSC {info.get('specs', '?')})")
            if not credential_id:
                ids = client.credentials_list(user_id=user_id or email)
                if len(ids) != 1:
                    raise CommandError(f"Choose one with --credential-id: {ids}")
                credential_id = ids[0]
            credential = client.credentials_info(credential_id)
        except csc.CscError as exc:
            raise CommandError(f"The service answered: {exc}") from None
        if not {csc.ECDSA_SHA256, csc.RSA_SHA256, csc.RSA} & set(credential.key_algos):
            raise CommandError(f"Unsupported key algorithms {credential.key_algos}")
        try:
            certificate_pem, chain_pem = certificates.pem_chain(credential.certificates_der)
            certificates.personal_certificate_register(
                user=user,
                certificate_pem=certificate_pem,
                chain_pem=chain_pem,
                backend=PersonalCertificate.Backend.CSC,
                csc_service_url=service_url,
                csc_credential_id=credential_id,
                signature_png=images.signature_png(user.full_name),
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(f"  credential {credential_id} registered for {email}")
