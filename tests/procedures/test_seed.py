"""The demo catalogue that `manage.py seed_demo` publishes. Seeding renders every blank form with
WeasyPrint, so each test seeds once and checks as much as it can."""

import io

import pytest
from django.core.management import call_command

from demo import people as demo
from portal.models import User
from procedures import services
from procedures.models import Procedure, ProcedureVersion, RequiredDocument

pytestmark = pytest.mark.django_db

Status = ProcedureVersion.Status


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def counts() -> tuple[int, ...]:
    return (
        Procedure.objects.count(),
        ProcedureVersion.objects.count(),
        ProcedureVersion.objects.filter(status=Status.PUBLISHED).count(),
        RequiredDocument.objects.count(),
    )


def test_the_demo_catalogue(client):
    seed()
    published = ProcedureVersion.objects.filter(status=Status.PUBLISHED).select_related(
        "procedure__agency"
    )
    # The procedures whose codes could be checked or are not known to be wrong (see the README).
    assert published.count() >= 15
    # Every agency that resolves procedures publishes some (the city's People's Committee, above
    # the department and the ward, resolves none of the demo's).
    assert {v.procedure.agency.code for v in published} == {
        code
        for code, _name, _short, level, _parent in demo.AGENCIES
        if level != "province_committee"
    }
    # everything imported was published: no drafts, no archive
    assert ProcedureVersion.objects.count() == published.count()
    assert {v.service_level for v in published} == {1, 2, 3, 4}
    assert len([v for v in published if v.service_level >= 3 and v.form_schema]) >= 8
    for version in published:  # each passes the rules of its level
        assert services.publication_errors(version) == [], version

    forms = RequiredDocument.objects.filter(needs_template=True, version__service_level__gte=2)
    assert forms.exists()
    for document in forms:
        assert document.template, document
        with document.template.open("rb") as handle:
            assert handle.read(5) == b"%PDF-", document.template.name

    version = published.filter(service_level=4).first()
    response = client.get(f"/procedures/{version.procedure.service_code}/")
    assert response.status_code == 200
    assert version.name in response.content.decode()
    assert client.get("/api/v1/procedures/").json()["count"] == published.count()


def test_seeding_twice_changes_nothing():
    seed()
    first = counts()
    files = sorted(RequiredDocument.objects.values_list("template", flat=True))
    # an agency's own work in progress is left alone by the next seed
    version = ProcedureVersion.objects.filter(status=Status.PUBLISHED).first()
    admin = User.objects.get(email=demo.SUPERUSER_EMAIL)
    draft = services.procedure_version_new_draft(version=version, actor=admin)
    draft.name = "Tên do Sở sửa"
    draft.save()

    seed()
    assert counts() == (first[0], first[1] + 1, first[2], first[3] + draft.documents.count())
    assert (
        sorted(RequiredDocument.objects.exclude(version=draft).values_list("template", flat=True))
        == files
    )
    draft.refresh_from_db()
    assert (draft.status, draft.name) == (Status.DRAFT, "Tên do Sở sửa")
    version.refresh_from_db()
    assert version.status == Status.PUBLISHED
