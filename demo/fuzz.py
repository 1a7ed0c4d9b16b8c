"""What the API fuzzer (`make fuzz-api`, tests/api/test_contract.py) works on: the demo data
(agencies, a user per role, the catalogue, one dossier in every state), an API token for each
identity it calls the API as, and the stored values that make a request valid beyond what the
schema can state (scripts/fuzz_hooks.py puts them in the cases meant to be valid). Idempotent,
like the demo seed it builds on."""

import io

from django.core.management import call_command
from django.db import transaction
from rest_framework.authtoken.models import Token

from demo import catalogue, dossiers, people
from portal.models import User
from procedures.models import ProcedureVersion

# The identities the fuzzer calls the API as, besides anonymous: the demo citizen (their own
# dossiers) and the demo desk officer (the back office).
IDENTITIES = {"citizen": dossiers.CITIZEN, "desk": dossiers.DESK}


def seed() -> dict:
    """Seed the demo data; return {"tokens": {identity: key}, "procedures": [service codes
    open to online filing], "login": {"email", "password"}} (the demo citizen's)."""
    people.seed()
    call_command("make_demo_pki", verbosity=0)
    people.leader_tokens(stdout=io.StringIO())  # the demo agencies require both signatures
    admin = User.objects.get(email=people.SUPERUSER_EMAIL)
    catalogue.seed(actor=admin)
    dossiers.seed()
    dossiers.hand_back_resolved()
    return {
        "tokens": tokens(),
        "procedures": online_procedures(),
        "login": {"email": dossiers.CITIZEN, "password": people.DEMO_PASSWORD},
    }


@transaction.atomic
def tokens() -> dict[str, str]:
    keys = {}
    for identity, email in IDENTITIES.items():
        token, _created = Token.objects.get_or_create(user=User.objects.get(email=email))
        keys[identity] = token.key
    return keys


def online_procedures() -> list[str]:
    """The service codes a draft can be started for (published, level 3 or 4)."""
    versions = ProcedureVersion.objects.filter(
        status=ProcedureVersion.Status.PUBLISHED, service_level__gte=3
    ).select_related("procedure__agency")
    return sorted(version.procedure.service_code for version in versions)
