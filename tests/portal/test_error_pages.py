"""Error pages in the site's shell, in the reader's language, with a way forward (issue 20,
item 3): not found, not allowed, an expired form (CSRF), a server error; JSON under /api/."""

import pytest
from django.test import Client, RequestFactory
from django.utils import translation

from portal.views import server_error
from tests.factories import CitizenFactory

pytestmark = pytest.mark.django_db


def test_a_missing_page_in_vietnamese_with_the_ways_forward(client):
    response = client.get("/khong-co-trang-nay/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Không tìm thấy trang" in html
    assert 'class="site-header"' in html  # the site's shell, not Django's bare page
    for path in ("/procedures/", "/dossiers/track/", 'href="/"'):
        assert path in html


def test_a_missing_page_in_english_for_an_english_reader(client):
    client.cookies["dvc_language"] = "en"
    html = client.get("/no-such-page/").content.decode()
    assert "Page not found" in html and 'lang="en"' in html


def test_someone_elses_dossier_is_the_same_not_found_page(client):
    from tests.factories import DossierFactory

    dossier = DossierFactory()
    client.force_login(CitizenFactory())
    response = client.get(f"/dossiers/{dossier.public_id}/")
    assert response.status_code == 404
    assert "Không tìm thấy trang" in response.content.decode()


def test_the_api_still_answers_json(client):
    response = client.get("/api/v1/no-such-endpoint/")
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("application/json")


def test_an_expired_form_says_what_to_do():
    client = Client(enforce_csrf_checks=True)
    response = client.post("/account/login/", {"username": "a@example.vn", "password": "x"})
    assert response.status_code == 403
    html = response.content.decode()
    assert "Biểu mẫu đã hết hạn" in html
    assert "tải lại trang" in html
    assert 'class="site-header"' in html


def test_a_server_error_page_and_its_json_under_the_api():
    request = RequestFactory().get("/dossiers/")
    with translation.override("vi"):
        response = server_error(request)
    assert response.status_code == 500
    html = response.content.decode()
    assert "Đã có lỗi" in html and 'href="/"' in html
    api = server_error(RequestFactory().get("/api/v1/dossiers/"))
    assert api.status_code == 500 and api.headers["Content-Type"] == "application/json"
