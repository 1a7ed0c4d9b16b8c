"""The web and worker commands of docker-compose.yml, run for real against PostgreSQL and Redis."""

import json
import re
import time
import uuid

import pytest
from django.conf import settings

from portal.celery import app as celery_app
from portal.tasks import ping_task
from tests.factories import UserFactory
from tests.integration import processes

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def redis_url():
    assert settings.REDIS_URL, "integration tests need REDIS_URL (run them with `make test`)"
    assert settings.DATABASES["default"]["ENGINE"].endswith("postgresql"), "needs PostgreSQL"
    return settings.REDIS_URL


def test_compose_file_names_the_commands_the_tests_run():
    assert processes.compose_command("web")[1:] == [
        "portal.wsgi:application",
        "--config",
        "gunicorn.conf.py",
    ]
    worker = processes.compose_command("worker")
    assert worker[1:5] == ["-A", "portal", "worker", "-Q"]
    assert set(worker[5].split(",")) == {"default", "documents", "notifications"}
    assert processes.compose_command("beat")[1:4] == ["-A", "portal", "beat"]
    assert set(processes.yaml.safe_load(
        (processes.ROOT / "docker-compose.yml").read_text())["services"]
    ) >= {"postgres", "redis", "web", "worker", "beat", "nginx"}  # fmt: skip


def test_web_and_worker_round_trip(redis_url, tmp_path):
    user = UserFactory(email="reset.me@example.vn", full_name="Trần Văn Reset")
    mail_dir = tmp_path / "mail"
    env = processes.base_env(
        DATABASE_URL=processes.test_database_url(),
        REDIS_URL=redis_url,
        EMAIL_URL=f"filemail://{mail_dir}",
        GUNICORN_BIND=f"127.0.0.1:{(port := processes.free_port())}",
    )
    base = f"http://127.0.0.1:{port}"
    with (
        processes.running(processes.compose_command("worker"), env, tmp_path / "worker.log"),
        processes.running(processes.compose_command("web"), env, tmp_path / "web.log") as web,
    ):
        processes.wait_for_http(base + "/healthz", web, tmp_path / "web.log")

        # A task through Redis to the worker process and its result back.
        celery_app.conf.task_always_eager = False
        token = uuid.uuid4().hex
        result = ping_task.apply_async(args=[token]).get(timeout=60)
        assert result["token"] == token
        assert result["pid"] != __import__("os").getpid()
        assert result["database"] is True
        # Each worker process keeps its database session from task to task (CONN_MAX_AGE), not
        # a new PostgreSQL connection per task.
        answers = [ping_task.apply_async(args=[token]).get(timeout=60) for _ in range(6)]
        assert all(answer["database"] and answer["db_session"] for answer in answers), answers
        sessions = {}
        for answer in answers:
            sessions.setdefault(answer["pid"], set()).add(answer["db_session"])
        assert all(len(per_process) == 1 for per_process in sessions.values()), sessions

        # Requests through gunicorn: health, the Vietnamese home page, a static file.
        client = processes.Browser(base)
        status, body, _ = client.get("/healthz")
        health = json.loads(body)
        assert status == 200, body
        assert health["checks"]["database"]["engine"] == "postgresql"
        assert health["checks"]["broker"]["mode"] == "redis"
        status, body, _ = client.get("/")
        assert status == 200
        assert '<html lang="vi">' in body
        status, css, _ = client.get("/static/css/site.css")
        assert status == 200 and "--red" in css

        # A request that enqueues work: the password-reset email is sent by the worker.
        client.get("/account/password/reset/")
        status, _, _ = client.post("/account/password/reset/", {"email": user.email})
        assert status == 200  # redirected to the "check your email" page
        # The file backend creates the file before it writes the message: wait for the end.
        deadline, sent = time.monotonic() + 60, ""
        while time.monotonic() < deadline and "-" * 79 not in sent:
            time.sleep(0.3)
            sent = "".join(p.read_text() for p in mail_dir.glob("*.log"))
        assert "To: reset.me@example.vn" in sent
        link = re.search(rf"{re.escape(base)}/account/password/reset/[\w-]+/[\w-]+/", sent)
        assert link, sent
        status, body, _ = client.get(link.group(0)[len(base) :])
        assert status == 200
        assert 'name="new_password1"' in body


def test_healthz_names_the_database_when_it_is_down(redis_url, tmp_path):
    port = processes.free_port()
    env = processes.base_env(
        DATABASE_URL="postgres://postgres@127.0.0.1:1/unreachable",
        REDIS_URL=redis_url,
        GUNICORN_BIND=f"127.0.0.1:{port}",
    )
    with processes.running(processes.compose_command("web"), env, tmp_path / "web.log") as web:
        processes.wait_for_http(f"http://127.0.0.1:{port}/healthz", web, tmp_path / "web.log")
        status, body, _ = processes.Browser(f"http://127.0.0.1:{port}").get("/healthz")
    assert status == 503
    health = json.loads(body)
    assert health["down"] == ["database"]
    assert health["checks"]["broker"]["ok"] is True
    assert "127.0.0.1" not in body  # the failure is named, not its connection details
