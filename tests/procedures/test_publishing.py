"""Publishing rules per service level, who may publish, and versioning."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from procedures import selectors, services
from procedures.models import Channel, ProcedureVersion
from tests.factories import (
    TEMPLATE_PDF,
    ChannelFactory,
    OfficerFactory,
    ProcedureVersionFactory,
    RequiredDocumentFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

Status = ProcedureVersion.Status


def publish(version, actor):
    return services.procedure_version_publish(version=version, actor=actor)


def refused(version, actor) -> list[str]:
    """The messages of a refused publication; the version must still be a draft."""
    with pytest.raises(ValidationError) as caught:
        publish(version, actor)
    version.refresh_from_db()
    assert version.status == Status.DRAFT
    assert version.published_at is None
    return caught.value.messages


# --- the rules per level -------------------------------------------------------------------------


@pytest.mark.parametrize("level", [1, 2, 3, 4])
def test_a_complete_version_of_each_level_publishes(agency, agency_admin, level):
    version = ProcedureVersionFactory(
        procedure__agency=agency, service_level=level, level3=level >= 3
    )
    assert services.publication_errors(version) == []
    published = publish(version, agency_admin)
    version.refresh_from_db()
    assert version.status == Status.PUBLISHED
    assert published.status == Status.PUBLISHED
    assert version.published_at is not None
    assert version.effective_date == timezone.localdate()  # none given: today


def test_level_1_needs_a_channel(agency, agency_admin, english):
    version = ProcedureVersionFactory(procedure__agency=agency, channels=[])
    assert refused(version, agency_admin) == [
        "List at least one channel (in person, online or by post)."
    ]


def test_level_1_needs_a_time_limit_on_each_channel(agency, agency_admin, english):
    version = ProcedureVersionFactory(
        procedure__agency=agency, channels=[{}, {"kind": Channel.Kind.POST, "time_amount": None}]
    )
    assert refused(version, agency_admin) == ["The by post channel has no time limit."]


def test_a_zero_time_limit_is_no_time_limit(agency, agency_admin):
    version = ProcedureVersionFactory(procedure__agency=agency, channels=[{"time_amount": 0}])
    assert len(refused(version, agency_admin)) == 1


def test_a_same_day_channel_needs_no_amount(agency, agency_admin):
    version = ProcedureVersionFactory(procedure__agency=agency, channels=[{"same_day": True}])
    publish(version, agency_admin)
    version.refresh_from_db()
    assert version.status == Status.PUBLISHED


def test_level_1_does_not_need_form_templates(agency, agency_admin):
    version = ProcedureVersionFactory(
        procedure__agency=agency, documents=[{"needs_template": True}]
    )
    publish(version, agency_admin)
    assert ProcedureVersion.objects.get(pk=version.pk).status == Status.PUBLISHED


def test_level_2_needs_the_template_of_each_form(agency, agency_admin, english):
    version = ProcedureVersionFactory(
        procedure__agency=agency,
        level2=True,
        documents=[
            {"name": "Đơn đề nghị", "with_template": True},
            {"name": "Tờ khai", "needs_template": True},
            {"name": "Bản sao căn cước"},
        ],
    )
    assert refused(version, agency_admin) == [
        "Upload the form template of “Tờ khai”: its form is offered for download."
    ]
    document = version.documents.get(name="Tờ khai")
    document.template.save("to-khai.pdf", ContentFile(TEMPLATE_PDF))
    publish(version, agency_admin)
    assert ProcedureVersion.objects.get(pk=version.pk).status == Status.PUBLISHED


def test_level_3_needs_an_online_channel(agency, agency_admin, english):
    version = ProcedureVersionFactory(procedure__agency=agency, level3=True, channels=[{}])
    assert refused(version, agency_admin) == [
        "An online public service (fully or partly): add an online channel."
    ]


def test_level_3_needs_an_online_form(agency, agency_admin, english):
    version = ProcedureVersionFactory(
        procedure__agency=agency, service_level=3, form_schema=[], channels=[{"online": True}]
    )
    assert refused(version, agency_admin) == [
        "An online public service (fully or partly): define the online form."
    ]


def test_level_3_needs_a_valid_online_form(agency, agency_admin, english):
    version = ProcedureVersionFactory(
        procedure__agency=agency,
        service_level=3,
        form_schema=[{"name": "Ho ten", "label": "Họ tên", "type": "text"}],
        channels=[{"online": True}],
    )
    messages = refused(version, agency_admin)
    assert len(messages) == 1
    assert messages[0].startswith("Field 1: the name must start with a letter")


def test_level_2_needs_no_online_channel_nor_form(agency, agency_admin):
    version = ProcedureVersionFactory(procedure__agency=agency, level2=True, channels=[{}])
    assert services.publication_errors(version) == []


def test_level_4_needs_a_stated_fee_on_the_online_channel(agency, agency_admin, english):
    version = ProcedureVersionFactory(
        procedure__agency=agency,
        level4=True,
        # the in-person fee is stated, the online one is not: still refused
        channels=[{"fee_vnd": 9000}, {"online": True, "fee_vnd": None}],
    )
    assert refused(version, agency_admin) == [
        "A fully online public service: state the fee of the online channel (0 when free)."
    ]
    Channel.objects.filter(version=version, kind=Channel.Kind.ONLINE).update(fee_vnd=0)
    publish(version, agency_admin)  # free (0) is a stated fee
    assert ProcedureVersion.objects.get(pk=version.pk).status == Status.PUBLISHED


def test_level_3_does_not_need_a_fee(agency, agency_admin):
    version = ProcedureVersionFactory(
        procedure__agency=agency, level3=True, channels=[{}, {"online": True, "fee_vnd": None}]
    )
    assert services.publication_errors(version) == []


def test_every_missing_piece_is_reported_at_once(agency, agency_admin, english):
    version = ProcedureVersionFactory(
        procedure__agency=agency,
        service_level=4,
        form_schema=[],
        channels=[],
        documents=[{"needs_template": True}],
    )
    assert len(refused(version, agency_admin)) == 5


def test_a_future_effective_date_is_refused(agency, agency_admin, english):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    version = ProcedureVersionFactory(procedure__agency=agency, effective_date=tomorrow)
    assert refused(version, agency_admin) == [
        "The effective date is in the future: publish the version on that day."
    ]
    version.refresh_from_db()
    assert version.effective_date == tomorrow


def test_a_past_effective_date_is_kept(agency, agency_admin):
    last_month = timezone.localdate() - dt.timedelta(days=31)
    version = ProcedureVersionFactory(procedure__agency=agency, effective_date=last_month)
    publish(version, agency_admin)
    version.refresh_from_db()
    assert version.effective_date == last_month


@pytest.mark.parametrize("state", ["published", "archived"])
def test_only_a_draft_can_be_published(agency, agency_admin, state):
    version = ProcedureVersionFactory(procedure__agency=agency, **{state: True})
    before = (version.status, version.published_at, version.archived_at)
    with pytest.raises(ValidationError) as caught:
        publish(version, agency_admin)
    assert caught.value.code == "not_draft"
    version.refresh_from_db()
    assert (version.status, version.published_at, version.archived_at) == before


# --- who may publish -----------------------------------------------------------------------------


@pytest.fixture
def outsiders(agency, other_agency):
    return {
        "admin of another agency": OfficerFactory(
            agency=other_agency, roles=["agency_admin"], is_staff=True
        ),
        "desk officer of the agency": OfficerFactory(agency=agency, roles=["desk"]),
        "leader of the agency": OfficerFactory(agency=agency, roles=["leader"], is_staff=True),
        "inactive admin of the agency": OfficerFactory(
            agency=agency, roles=["agency_admin"], is_active=False
        ),
        "citizen": UserFactory(),
        "staff without agency": UserFactory(is_staff=True),
    }


@pytest.mark.parametrize(
    "who",
    [
        "admin of another agency",
        "desk officer of the agency",
        "leader of the agency",
        "inactive admin of the agency",
        "citizen",
        "staff without agency",
    ],
)
def test_only_the_agencys_admin_may_publish(agency, outsiders, who):
    current = ProcedureVersionFactory(procedure__agency=agency, published=True)
    draft = ProcedureVersionFactory(procedure=current.procedure, number=2)
    with pytest.raises(PermissionDenied):
        publish(draft, outsiders[who])
    draft.refresh_from_db()
    current.refresh_from_db()
    assert draft.status == Status.DRAFT
    assert current.status == Status.PUBLISHED
    assert current.archived_at is None


def test_a_superuser_may_publish_for_any_agency(agency, superuser):
    version = ProcedureVersionFactory(procedure__agency=agency)
    publish(version, superuser)
    assert ProcedureVersion.objects.get(pk=version.pk).status == Status.PUBLISHED


def test_permission_is_checked_before_the_rules(agency, other_admin):
    """An outsider learns nothing about what is missing."""
    version = ProcedureVersionFactory(procedure__agency=agency, channels=[])
    with pytest.raises(PermissionDenied):
        publish(version, other_admin)


# --- versions ------------------------------------------------------------------------------------


def test_publishing_v2_archives_v1_and_v1_stays_readable(agency, agency_admin):
    v1 = ProcedureVersionFactory(
        procedure__agency=agency,
        published=True,
        name="Chuyển trường cho học sinh trung học phổ thông",
        channels=[{"time_amount": 40, "time_unit": Channel.TimeUnit.WORKING_HOURS}],
        documents=[{"name": "Đơn xin chuyển trường"}],
    )
    v2 = services.procedure_version_new_draft(version=v1, actor=agency_admin)
    v2.name = "Chuyển trường đối với học sinh trung học phổ thông"
    v2.save()
    v2.channels.update(time_amount=30)

    publish(v2, agency_admin)

    v1.refresh_from_db()
    v2.refresh_from_db()
    assert v1.status == Status.ARCHIVED
    assert v1.archived_at is not None
    assert v2.status == Status.PUBLISHED
    assert v2.archived_at is None
    assert (
        ProcedureVersion.objects.filter(procedure=v1.procedure, status=Status.PUBLISHED).count()
        == 1
    )

    public = selectors.procedure_get_public(code=v1.procedure.service_code)
    assert public.pk == v2.pk

    # A dossier filed under v1 still reads v1 as it was.
    filed = selectors.version_get_filed_under(pk=v1.pk)
    assert filed.pk == v1.pk
    assert filed.status == Status.ARCHIVED
    assert filed.name == "Chuyển trường cho học sinh trung học phổ thông"
    assert [c.time_amount for c in filed.channels.all()] == [40]
    assert [d.name for d in filed.documents.all()] == ["Đơn xin chuyển trường"]


def test_version_get_filed_under_unknown_id():
    assert selectors.version_get_filed_under(pk=987654) is None


def test_publishing_v3_archives_only_the_published_one(agency, agency_admin):
    v1 = ProcedureVersionFactory(procedure__agency=agency, archived=True)
    v2 = ProcedureVersionFactory(procedure=v1.procedure, number=2, published=True)
    v3 = ProcedureVersionFactory(procedure=v1.procedure, number=3)
    archived_at_v1 = v1.archived_at
    publish(v3, agency_admin)
    statuses = dict(
        ProcedureVersion.objects.filter(procedure=v1.procedure).values_list("number", "status")
    )
    assert statuses == {1: Status.ARCHIVED, 2: Status.ARCHIVED, 3: Status.PUBLISHED}
    v1.refresh_from_db()
    assert v1.archived_at == archived_at_v1
    v2.refresh_from_db()
    assert v2.archived_at is not None


def test_the_database_refuses_a_second_published_version(agency):
    v1 = ProcedureVersionFactory(procedure__agency=agency, published=True)
    v2 = ProcedureVersionFactory(procedure=v1.procedure, number=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        ProcedureVersion.objects.filter(pk=v2.pk).update(status=Status.PUBLISHED)
    with pytest.raises(IntegrityError), transaction.atomic():
        ProcedureVersionFactory(procedure=v1.procedure, number=3, published=True)
    assert ProcedureVersion.objects.filter(status=Status.PUBLISHED).count() == 1


def test_the_database_refuses_a_duplicate_version_number(agency):
    v1 = ProcedureVersionFactory(procedure__agency=agency)
    with pytest.raises(IntegrityError), transaction.atomic():
        ProcedureVersionFactory(procedure=v1.procedure, number=1)


def test_a_new_draft_copies_channels_and_documents(agency, agency_admin):
    v1 = ProcedureVersionFactory(procedure__agency=agency, published=True, level4=True)
    RequiredDocumentFactory(version=v1, name="Bản sao học bạ", copies=2, order=5)
    draft = services.procedure_version_new_draft(version=v1, actor=agency_admin)
    v1.refresh_from_db()
    assert draft.pk != v1.pk
    assert draft.number == 2
    assert draft.status == Status.DRAFT
    assert draft.created_by == agency_admin
    assert draft.published_at is None
    assert draft.effective_date is None
    assert draft.form_schema == v1.form_schema
    assert [(c.kind, c.time_amount, c.fee_vnd) for c in draft.channels.all()] == [
        (c.kind, c.time_amount, c.fee_vnd) for c in v1.channels.all()
    ]
    assert [(d.name, d.copies, d.template.name) for d in draft.documents.all()] == [
        (d.name, d.copies, d.template.name) for d in v1.documents.all()
    ]
    # the copy does not take the original's rows away
    assert v1.channels.count() == 2
    assert v1.documents.count() == 2
    assert v1.status == Status.PUBLISHED


def test_one_draft_at_a_time(agency, agency_admin):
    v1 = ProcedureVersionFactory(procedure__agency=agency, published=True)
    first = services.procedure_version_new_draft(version=v1, actor=agency_admin)
    again = services.procedure_version_new_draft(version=v1, actor=agency_admin)
    assert again.pk == first.pk
    assert ProcedureVersion.objects.filter(procedure=v1.procedure).count() == 2


def test_only_the_agencys_admin_may_start_a_draft(agency, other_admin):
    v1 = ProcedureVersionFactory(procedure__agency=agency, published=True)
    with pytest.raises(PermissionDenied):
        services.procedure_version_new_draft(version=v1, actor=other_admin)
    assert ProcedureVersion.objects.filter(procedure=v1.procedure).count() == 1


# --- the model refuses an invalid form schema ---------------------------------------------------


def test_full_clean_refuses_an_invalid_form_schema(agency):
    version = ProcedureVersionFactory(procedure__agency=agency, level3=True)
    version.form_schema = [{"name": "a", "label": "A", "type": "text", "colour": "red"}]
    with pytest.raises(ValidationError) as caught:
        version.full_clean()
    assert set(caught.value.message_dict) == {"form_schema"}
    version.refresh_from_db()
    assert version.form_schema == [
        {"name": "full_name", "label": "Họ và tên", "type": "text", "required": True}
    ]


def test_full_clean_refuses_a_schema_that_is_not_a_list(agency):
    version = ProcedureVersionFactory(procedure__agency=agency)
    version.form_schema = {"name": "a"}
    with pytest.raises(ValidationError) as caught:
        version.full_clean()
    assert "form_schema" in caught.value.message_dict


def test_full_clean_accepts_a_valid_version(agency):
    version = ProcedureVersionFactory(procedure__agency=agency, level3=True)
    version.full_clean()  # does not raise


def test_a_channel_without_time_limit_fails_clean(agency):
    channel = ChannelFactory(version=ProcedureVersionFactory(procedure__agency=agency))
    channel.time_amount = None
    with pytest.raises(ValidationError) as caught:
        channel.full_clean()
    assert "time_amount" in caught.value.message_dict
