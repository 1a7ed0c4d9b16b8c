import pytest
from django.db import connection

pytestmark = pytest.mark.django_db

CLOSED_PORT = "redis://127.0.0.1:1/0"


def test_healthz_ok_on_the_test_database(client, settings):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["down"] == []
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["database"]["engine"] == connection.vendor
    assert body["checks"]["broker"]["ok"] is True
    assert body["checks"]["broker"]["mode"] == ("redis" if settings.REDIS_URL else "eager")


def test_healthz_reports_the_broker_down(client, settings):
    settings.REDIS_URL = CLOSED_PORT
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert "broker" in body["down"]
    assert "database" not in body["down"]
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["broker"]["error"] == "ConnectionError"
    # Only the kind of failure: no host, port or URL leaks into the answer.
    assert "127.0.0.1" not in response.content.decode()


@pytest.mark.parametrize("redis_url", ["", CLOSED_PORT])
def test_healthz_is_never_cached(client, settings, redis_url):
    settings.REDIS_URL = redis_url
    response = client.get("/healthz")
    cache_control = {part.strip() for part in response.headers["Cache-Control"].split(",")}
    assert {"no-cache", "no-store", "must-revalidate", "max-age=0"} <= cache_control
    assert "Expires" in response.headers


def test_healthz_without_redis_reports_eager_mode(client, settings):
    settings.REDIS_URL = ""
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200
    assert body["checks"]["broker"]["ok"] is True
    assert body["checks"]["broker"]["mode"] == "eager"


def test_healthz_answers_get_only(client):
    assert client.post("/healthz").status_code == 405
