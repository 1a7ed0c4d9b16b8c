import hashlib
import secrets
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal.models import User
from signing import certificates, images, pki, softhsm
from signing.models import PersonalCertificate

KEY_LABEL = "signing"


class Command(BaseCommand):
    help = (
        "For the demo and the tests: a SoftHSM2 token for a leader, a key pair generated on the "
        "token (never leaving it), a certificate in the leader's full name from the demo CA, "
        "registered as the leader's personal certificate with a demo signature image (pointing to "
        "the demo CRL and OCSP responder at SIGNING_DEMO_PKI_URL, when set). With "
        "--backend csc, the key is made instead in the local CSC simulator (its SoftHSM2 token) "
        "as a credential with this PIN, and registered with the simulator's URL and the "
        "credential ID. DEMO — not for production."
    )

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--pin", required=True, help="The token's user PIN")
        parser.add_argument("--dir", default=str(settings.SIGNING_DEMO_PKI_DIR))
        parser.add_argument(
            "--backend", choices=[b.value for b in PersonalCertificate.Backend], default="pkcs11"
        )

    def handle(self, *args, email: str, pin: str, dir: str, **options):
        user = User.objects.filter(email=email).select_related("agency").first()
        if user is None:
            raise CommandError(f"No user {email}")
        if certificates.personal_certificate_for(user) is not None:
            self.stdout.write(f"  {email} has a personal certificate in force")
            return
        if options["backend"] == PersonalCertificate.Backend.CSC:
            return self._csc(user, pin=pin, dir=dir)
        # A new token each time (a database made afresh forgets the earlier ones' certificates).
        label = f"dvc-{hashlib.sha256(email.encode()).hexdigest()[:8]}-{secrets.token_hex(4)}"
        softhsm.init_token(label, pin=pin)
        key_id = hashlib.sha256(label.encode()).digest()[:8]
        public_key = softhsm.generate_key(label, pin=pin, key_label=KEY_LABEL, key_id=key_id)
        root_key, root_cert, _path = pki.load_or_make_root(Path(dir))
        organisation = user.agency.name if user.agency else "dvc-portal"
        _none, cert = pki.issue_signing_certificate(
            root_key,
            root_cert,
            common_name=user.full_name,
            organisation=organisation,
            email=email,
            public_key=public_key,
            base_url=settings.SIGNING_DEMO_PKI_URL,
        )
        certificates.personal_certificate_register(
            user=user,
            certificate_pem=pki.pem(cert).decode(),
            chain_pem=pki.pem(root_cert).decode(),
            backend=PersonalCertificate.Backend.PKCS11,
            token_label=label,
            key_label=KEY_LABEL,
            key_id=key_id.hex(),
            signature_png=images.signature_png(user.full_name),
        )
        self.stdout.write(f"  token {label} and personal certificate for {email}")

    def _csc(self, user, *, pin: str, dir: str):
        from signing import csc_simulator

        if not settings.CSC_SIMULATOR:
            raise CommandError(
                "The CSC simulator is off (CSC_SIMULATOR): see register_csc_credential"
            )
        root_key, root_cert, _path = pki.load_or_make_root(Path(dir))
        organisation = user.agency.name if user.agency else "dvc-portal"

        def certify(public_key):
            _none, cert = pki.issue_signing_certificate(
                root_key,
                root_cert,
                common_name=user.full_name,
                organisation=organisation,
                email=user.email,
                public_key=public_key,
                base_url=settings.SIGNING_DEMO_PKI_URL,
            )
            return [cert, root_cert]

        credential_id, chain = csc_simulator.credential_create(
            user_id=user.email, pin=pin, certify=certify
        )
        certificate_pem, chain_pem = certificates.pem_chain(chain)
        certificates.personal_certificate_register(
            user=user,
            certificate_pem=certificate_pem,
            chain_pem=chain_pem,
            backend=PersonalCertificate.Backend.CSC,
            csc_service_url=settings.CSC_SIMULATOR_URL,
            csc_credential_id=credential_id,
            signature_png=images.signature_png(user.full_name),
        )
        self.stdout.write(
            f"  CSC credential {credential_id} and personal certificate for {user.email}"
        )
