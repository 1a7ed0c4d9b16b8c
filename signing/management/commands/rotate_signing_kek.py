from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from signing import keys
from signing.models import SigningCertificate


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored signing key from SIGNING_KEK_OLD to SIGNING_KEK. Set both, run "
        "this, then drop SIGNING_KEK_OLD. All or nothing; keys already under the new KEK are "
        "skipped."
    )

    def handle(self, *args, **options):
        if not settings.SIGNING_KEK_OLD or not settings.SIGNING_KEK:
            raise CommandError(
                "Set SIGNING_KEK_OLD (the current key) and SIGNING_KEK (the new one)."
            )
        old, new = keys._decode(settings.SIGNING_KEK_OLD), keys._decode(settings.SIGNING_KEK)
        old_id, new_id = keys.fingerprint(old), keys.fingerprint(new)
        moved = 0
        with transaction.atomic():
            for row in SigningCertificate.objects.select_for_update().exclude(kek_id=new_id):
                if row.kek_id != old_id:
                    raise CommandError(
                        f"Certificate {row.pk} is under neither key (KEK id {row.kek_id}); "
                        "nothing was changed."
                    )
                bound = bytes.fromhex(row.sha256)
                plain = keys.decrypt(bytes(row.encrypted_key), bound_to=bound, kek=old)
                row.encrypted_key = keys.encrypt(plain, bound_to=bound, kek=new)
                row.kek_id = new_id
                row.save(update_fields=["encrypted_key", "kek_id"])
                moved += 1
        self.stdout.write(f"Re-encrypted {moved} key(s) under KEK {new_id}.")
