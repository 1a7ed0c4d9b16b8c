"""What the API fuzzer (`make fuzz-api`, tests/api/test_contract.py) works on: the demo data
(agencies, a user per role, the catalogue, one dossier in every state) and an API token for
each identity it calls the API as. Idempotent, like the demo seed it builds on."""

from django.core.management import call_command
from django.db import transaction
from rest_framework.authtoken.models import Token

from demo import catalogue, dossiers, people
from portal.models import User

# The identities the fuzzer calls the API as, besides anonymous: the demo citizen (their own
# dossiers) and the demo desk officer (the back office).
IDENTITIES = {"citizen": dossiers.CITIZEN, "desk": dossiers.DESK}


def seed(*, with_catalogue: bool = True) -> dict[str, str]:
    """Seed the demo data and return {identity: API token}."""
    people.seed()
    call_command("make_demo_pki", verbosity=0)
    if with_catalogue:
        admin = User.objects.get(email=people.SUPERUSER_EMAIL)
        catalogue.seed(actor=admin)
        dossiers.seed()
        dossiers.hand_back_resolved()
    return tokens()


@transaction.atomic
def tokens() -> dict[str, str]:
    keys = {}
    for identity, email in IDENTITIES.items():
        token, _created = Token.objects.get_or_create(user=User.objects.get(email=email))
        keys[identity] = token.key
    return keys
