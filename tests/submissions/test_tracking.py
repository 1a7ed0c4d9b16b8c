"""Public tracking (selectors.dossier_track): the code plus the applicant's citizen ID or phone.
Anything else, including a draft, looks like an unknown code."""

import pytest

from submissions import selectors, services
from submissions.models import Dossier, State
from tests.factories import CitizenFactory, DossierFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def dossier():
    citizen = CitizenFactory(citizen_id="001090123456", phone="0912345678")
    return DossierFactory(applicant=citizen, submitted=True)


def track(code, secret):
    return selectors.dossier_track(code=code, secret=secret)


def test_found_by_citizen_id(dossier, django_assert_num_queries):
    with django_assert_num_queries(2):  # the dossier, then its events
        found = track(dossier.code, "001090123456")
        assert found == dossier
        assert [e.action for e in found.events.all()] == ["submit"]
    assert found.version == dossier.version and found.agency == dossier.agency


@pytest.mark.parametrize(
    "secret",
    ["0912345678", "+84912345678", "84912345678", "0912 345 678", "+84 912-345-678"],
)
def test_found_by_phone_in_either_form(dossier, secret):
    assert track(dossier.code, secret) == dossier


def test_a_phone_stored_in_international_form_matches_the_national_one():
    citizen = CitizenFactory(phone="+84987654321")
    dossier = DossierFactory(applicant=citizen, submitted=True)
    assert dossier.applicant_phone == "+84987654321"
    assert track(dossier.code, "0987654321") == dossier
    assert track(dossier.code, "+84987654321") == dossier


@pytest.mark.parametrize(
    "secret",
    [
        "001090123457",  # another citizen ID
        "0912345679",  # another phone
        "912345678",  # the phone without its leading 0
        "345678",  # the end of the phone
        "00109012345",  # the citizen ID cut short
        "",
    ],
)
def test_a_wrong_pair_is_not_found(dossier, secret):
    assert track(dossier.code, secret) is None


def test_another_dossiers_secret_does_not_open_this_one(dossier):
    other = DossierFactory(submitted=True)
    assert track(dossier.code, other.applicant_citizen_id) is None
    assert track(dossier.code, other.applicant_phone) is None
    assert track(other.code, other.applicant_citizen_id) == other


def test_an_unknown_code_is_not_found(dossier):
    assert track(dossier.code + "1", "001090123456") is None
    assert track(dossier.code.lower(), "001090123456") is None
    assert track("", "001090123456") is None


def test_the_applicants_details_on_the_dossier_count_not_the_profile(dossier):
    """The dossier keeps the ID and phone given when filing; a later profile change does not
    change who can track it."""
    applicant = dossier.applicant
    applicant.phone = "0900000000"
    applicant.save()
    assert track(dossier.code, "0912345678") == dossier
    assert track(dossier.code, "0900000000") is None


def test_empty_details_match_nothing():
    dossier = DossierFactory(submitted=True)
    Dossier.objects.filter(pk=dossier.pk).update(applicant_citizen_id="", applicant_phone="")
    assert track(dossier.code, "") is None
    assert track(dossier.code, "+84") is None
    assert track(dossier.code, "0") is None


def test_drafts_are_never_found():
    draft = DossierFactory(complete=True)
    assert draft.code is None
    assert track("", draft.applicant_citizen_id) is None
    # Even a draft that somehow carries a code (the workflow never gives it one).
    Dossier.objects.filter(pk=draft.pk).update(code="000.00.12.H26-260101-0001")
    assert track("000.00.12.H26-260101-0001", draft.applicant_citizen_id) is None
    assert track("000.00.12.H26-260101-0001", draft.applicant_phone) is None


def test_closed_dossiers_are_still_tracked(dossier):
    services.dossier_withdraw(dossier=dossier, actor=dossier.applicant, reason="Nộp nhầm")
    found = track(dossier.code, "0912345678")
    assert found == dossier and found.state == State.WITHDRAWN
    assert [e.action for e in found.events.all()] == ["submit", "withdraw"]
