"""Satisfaction ratings of a dossier (feedback.services.rating_*): once per dossier, by its
applicant online or by the desk from the paper form, after the dossier is done; comments hidden
by the agency's leaders with a reason, the rating still counted."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation

from feedback import selectors, services
from feedback.models import Rating, RatingChannel, RatingLevel
from tests.factories import CitizenFactory, DossierFactory, OfficerFactory, RatingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def returned(agency):
    return DossierFactory(returned=True, version__procedure__agency=agency)


def _rate(dossier, actor=None, level=RatingLevel.SATISFIED, comment=""):
    return services.rating_give(
        dossier=dossier, actor=actor or dossier.applicant, level=level, comment=comment
    )


def test_the_applicant_rates_a_returned_dossier_once(returned):
    rating = _rate(returned, level=RatingLevel.VERY_SATISFIED, comment="  Nhanh, chu đáo.  ")
    rating.refresh_from_db()
    assert (rating.level, rating.comment, rating.channel) == (
        "very_satisfied",
        "Nhanh, chu đáo.",
        RatingChannel.ONLINE,
    )
    # Denormalised for counting.
    assert rating.agency_id == returned.agency_id
    assert rating.procedure_id == returned.version.procedure_id
    assert rating.recorded_by is None


def test_a_second_rating_is_refused_and_changes_nothing(returned):
    first = _rate(returned, level=RatingLevel.SATISFIED, comment="Tốt")
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        _rate(returned, level=RatingLevel.UNSATISFIED, comment="Đổi ý")
    assert "already been rated" in refused.value.messages[0]
    assert Rating.objects.filter(dossier=returned).count() == 1
    first.refresh_from_db()
    assert (first.level, first.comment) == ("satisfied", "Tốt")


def test_a_refused_dossier_can_be_rated_a_withdrawn_or_running_one_cannot(agency):
    refused = DossierFactory(refused=True, version__procedure__agency=agency)
    assert _rate(refused, level=RatingLevel.UNSATISFIED).level == "unsatisfied"
    for dossier in (
        DossierFactory(withdrawn=True, version__procedure__agency=agency),
        DossierFactory(processing=True, version__procedure__agency=agency),
    ):
        with translation.override("en"), pytest.raises(ValidationError) as refusal:
            _rate(dossier)
        assert "once its result is returned" in refusal.value.messages[0]
        assert not Rating.objects.filter(dossier=dossier).exists()


def test_someone_else_cannot_rate_the_dossier(returned):
    with pytest.raises(PermissionDenied):
        _rate(returned, actor=CitizenFactory())
    assert not Rating.objects.exists()


@pytest.mark.parametrize(
    ("level", "comment", "field"),
    [("excellent", "", "level"), ("", "", "level"), ("satisfied", "x" * 1001, "comment")],
)
def test_bad_input_is_refused_by_field(returned, level, comment, field):
    with pytest.raises(ValidationError) as refused:
        _rate(returned, level=level, comment=comment)
    assert list(refused.value.message_dict) == [field]
    assert not Rating.objects.exists()


def test_the_desk_records_a_paper_form(returned):
    desk = OfficerFactory(agency=returned.agency, roles=["desk"])
    rating = services.rating_record_paper(
        dossier=returned, actor=desk, level=RatingLevel.SATISFIED, comment="Ghi trên phiếu"
    )
    assert (rating.channel, rating.recorded_by, rating.level) == (
        RatingChannel.DESK,
        desk,
        "satisfied",
    )
    # The applicant cannot rate it again online.
    with pytest.raises(ValidationError):
        _rate(returned)


def test_only_a_desk_officer_of_the_agency_records_a_paper_form(returned, other_agency):
    specialist = OfficerFactory(agency=returned.agency, roles=["specialist"])
    stranger_desk = OfficerFactory(agency=other_agency, roles=["desk"])
    for actor in (specialist, stranger_desk, returned.applicant):
        with pytest.raises(PermissionDenied):
            services.rating_record_paper(dossier=returned, actor=actor, level=RatingLevel.SATISFIED)
    assert not Rating.objects.exists()


def test_a_leader_hides_a_comment_with_a_reason_and_it_still_counts(returned):
    rating = _rate(returned, level=RatingLevel.UNSATISFIED, comment="Lời lẽ xúc phạm")
    leader = OfficerFactory(agency=returned.agency, roles=["leader"])
    with pytest.raises(ValidationError) as no_reason:
        services.rating_hide(rating=rating, actor=leader, reason="  ")
    assert list(no_reason.value.message_dict) == ["reason"]
    services.rating_hide(rating=rating, actor=leader, reason="Ngôn từ không phù hợp")
    rating.refresh_from_db()
    assert rating.hidden_by == leader and rating.hidden_reason == "Ngôn từ không phù hợp"
    assert rating.comment == "Lời lẽ xúc phạm"  # kept, only hidden
    counts = selectors.rating_counts(
        agency_ids=[returned.agency_id],
        start=rating.created_at.replace(year=2000),
        end=rating.created_at.replace(year=2100),
    )
    assert counts == {"very_satisfied": 0, "satisfied": 0, "unsatisfied": 1, "total": 1}


def test_a_desk_officer_or_another_agencys_leader_cannot_hide(returned, other_agency):
    rating = RatingFactory(dossier=returned, comment="Chậm")
    for actor in (
        OfficerFactory(agency=returned.agency, roles=["desk"]),
        OfficerFactory(agency=other_agency, roles=["leader"]),
    ):
        with pytest.raises(PermissionDenied):
            services.rating_hide(rating=rating, actor=actor, reason="x")
    rating.refresh_from_db()
    assert rating.hidden_at is None


# --- pages --------------------------------------------------------------------------------------


def test_the_dossier_page_offers_the_box_and_then_shows_the_rating(client, returned):
    client.force_login(returned.applicant)
    page = client.get(reverse("submissions:detail", args=[returned.public_id]))
    html = page.content.decode()
    assert 'id="rating-box"' in html and 'name="level"' in html
    answer = client.post(
        reverse("feedback:rate_dossier", args=[returned.public_id]),
        {"level": "very_satisfied", "comment": "Cảm ơn"},
    )
    assert answer.status_code == 302
    html = client.get(reverse("submissions:detail", args=[returned.public_id])).content.decode()
    assert 'id="rating-given"' in html and 'name="level"' not in html
    assert "Rất hài lòng" in html and "Cảm ơn" in html


def test_a_second_rating_over_http_shows_the_message_in_place(client, returned):
    _rate(returned, level=RatingLevel.SATISFIED)
    client.force_login(returned.applicant)
    with translation.override("en"):
        answer = client.post(
            reverse("feedback:rate_dossier", args=[returned.public_id]),
            {"level": "unsatisfied"},
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert answer.status_code == 400
    assert "đã được đánh giá" in answer.content.decode() or "already been rated" in (
        answer.content.decode()
    )
    assert Rating.objects.get(dossier=returned).level == "satisfied"


def test_rating_someone_elses_dossier_over_http_is_404(client, returned):
    client.force_login(CitizenFactory())
    answer = client.post(
        reverse("feedback:rate_dossier", args=[returned.public_id]), {"level": "satisfied"}
    )
    assert answer.status_code == 404
    assert not Rating.objects.exists()


def test_the_desk_records_the_paper_form_from_the_office_page(client, returned):
    desk = OfficerFactory(agency=returned.agency, roles=["desk"])
    client.force_login(desk)
    page = client.get(reverse("office:dossier", args=[returned.public_id])).content.decode()
    assert 'id="paper-rating"' in page
    answer = client.post(
        reverse("feedback_office:paper_rating", args=[returned.public_id]),
        {"level": "unsatisfied", "comment": "Phải chờ lâu"},
    )
    assert answer.status_code == 302
    rating = Rating.objects.get(dossier=returned)
    assert (rating.channel, rating.recorded_by_id) == ("desk", desk.pk)


def test_another_agencys_desk_gets_404_for_the_paper_form(client, returned, other_agency):
    client.force_login(OfficerFactory(agency=other_agency, roles=["desk"]))
    answer = client.post(
        reverse("feedback_office:paper_rating", args=[returned.public_id]), {"level": "satisfied"}
    )
    assert answer.status_code == 404
    assert not Rating.objects.exists()


def test_the_ratings_page_is_the_leaders_and_hides_a_comment(client, returned, other_agency):
    rating = RatingFactory(dossier=returned, level="unsatisfied", comment="Thái độ kém")
    RatingFactory(
        dossier=DossierFactory(submitted=True, version__procedure__agency=other_agency),
        comment="Của sở khác",
    )
    client.force_login(OfficerFactory(agency=returned.agency, roles=["desk"]))
    assert client.get(reverse("feedback_office:ratings")).status_code == 404
    leader = OfficerFactory(agency=returned.agency, roles=["leader"])
    client.force_login(leader)
    html = client.get(reverse("feedback_office:ratings")).content.decode()
    assert "Thái độ kém" in html and "Của sở khác" not in html
    html = client.get(reverse("feedback_office:ratings"), {"level": "satisfied"}).content.decode()
    assert "Thái độ kém" not in html
    answer = client.post(
        reverse("feedback_office:hide", args=[rating.pk]), {"reason": "Xúc phạm cán bộ"}
    )
    assert answer.status_code == 302
    rating.refresh_from_db()
    assert rating.hidden_by == leader
    # Another agency's rating: 404.
    other = Rating.objects.exclude(pk=rating.pk).get()
    assert (
        client.post(reverse("feedback_office:hide", args=[other.pk]), {"reason": "x"}).status_code
        == 404
    )
