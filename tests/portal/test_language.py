"""The language switch is a plain link (so that public pages carry no CSRF token)."""

import pytest
from django.conf import settings
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def switch(client, code, next_url="/"):
    return client.get(reverse("switch_language", args=[code]), {"next": next_url})


def test_switch_sets_the_cookie_and_returns_to_the_page(client):
    response = switch(client, "en", "/procedures/?q=van+bang")
    assert response.status_code == 302
    assert response.url == "/procedures/?q=van+bang"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert '<html lang="en">' in client.get("/").content.decode()
    switch(client, "vi")
    assert '<html lang="vi">' in client.get("/").content.decode()


def test_switch_ignores_an_outside_next_and_an_unknown_language(client):
    response = switch(client, "en", "https://evil.example/")
    assert response.url == "/"
    response = switch(client, "fr")
    assert response.status_code == 302
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_switch_is_saved_on_the_account(client):
    user = UserFactory(language="vi")
    client.force_login(user)
    switch(client, "en")
    user.refresh_from_db()
    assert user.language == "en"


def test_switch_refuses_post(client):
    assert client.post(reverse("switch_language", args=["en"])).status_code == 405


def test_anonymous_pages_carry_no_csrf_token(client):
    html = client.get("/").content.decode()
    assert "csrfmiddlewaretoken" not in html
