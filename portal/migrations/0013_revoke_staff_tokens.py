"""Staff API tokens issued before the second factor was required (issue 18) are revoked: a staff
token now stands for a password and a current code (portal.second_factor.token_refusal), and
one issued on the password alone would stand for less. Staff ask for a new one with a code."""

from django.db import migrations
from django.db.models import Q


def revoke(apps, schema_editor):
    Token = apps.get_model("authtoken", "Token")
    staff = (
        Q(user__is_superuser=True)
        | Q(user__is_staff=True)
        | Q(user__agency__isnull=False, user__roles__isnull=False)
    )
    Token.objects.filter(pk__in=Token.objects.filter(staff).values("pk")).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0012_staffsecurityevent"),
        ("authtoken", "0004_alter_tokenproxy_options"),
    ]

    operations = [migrations.RunPython(revoke, migrations.RunPython.noop, elidable=True)]
