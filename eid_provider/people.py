"""The demo people and the portal's client registration, made idempotently at every start."""

from django.contrib.auth.models import User
from django.db import transaction
from oauth2_provider.models import get_application_model

from eid_provider.models import Person

# Every demo person's password (printed on the login page: DEMO ONLY).
DEMO_PASSWORD = "VNeID-Demo@2026"  # noqa: S105
# citizen ID, full name, level of assurance. The first is the portal's demo citizen
# (congdan@demo.dvc.vn, demo/people.py); the last is at level 1, which public services refuse.
PEOPLE = [
    ("001090012345", "Nguyễn Văn An", "2"),
    ("001195003456", "Trần Thị Mai", "2"),
    ("079203001234", "Lê Minh Khoa", "2"),
    ("036088000777", "Phạm Văn Bình", "1"),
]


@transaction.atomic
def prepare(*, client_id, client_secret, redirect_uris, post_logout_redirect_uris) -> None:
    for number, name, level in PEOPLE:
        user, created = User.objects.get_or_create(username=number)
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        Person.objects.update_or_create(
            user=user, defaults={"full_name": name, "citizen_id": number, "level": level}
        )
    Application = get_application_model()
    app = Application.objects.filter(client_id=client_id).first() or Application(
        client_id=client_id
    )
    app.name = "Cổng dịch vụ công ngành Giáo dục (dvc-portal)"
    app.client_type = Application.CLIENT_CONFIDENTIAL
    app.authorization_grant_type = Application.GRANT_AUTHORIZATION_CODE
    app.algorithm = Application.RS256_ALGORITHM
    app.redirect_uris = " ".join(redirect_uris)
    app.post_logout_redirect_uris = " ".join(post_logout_redirect_uris)
    app.skip_authorization = True
    app.client_secret = client_secret  # hashed on save
    app.save()
