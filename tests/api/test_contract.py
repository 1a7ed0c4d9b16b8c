"""The API keeps its contract under fuzzing, in CI (issue 13): a short `make fuzz-api`.

scripts/fuzz_api.py runs schemathesis against the portal served by gunicorn (as in production,
with the limits `make fuzz-api` raises), with every check and all four phases, as anonymous,
the demo citizen and the demo desk officer; here on the test database's demo data, with a few
examples per operation (`make fuzz-api` runs 50). Any server error, any answer its schema
does not declare, anything forbidden accepted or allowed refused fails the test, with
schemathesis's report (and a curl line to reproduce each failure) as the message."""

import pytest

from demo import fuzz as fuzz_data
from scripts.fuzz_api import IDENTITIES, SERVER_ENVIRONMENT, fuzz
from tests.integration import processes

# gunicorn, and schemathesis in its own process.
pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

EXAMPLES = 6
SEED = 20261206


@pytest.fixture
def served(settings, tmp_path):
    """gunicorn on the test database (its rows committed: transaction=True), with the test's
    media and demo PKI; yields its base URL."""
    port = processes.free_port()
    environment = processes.base_env(
        **SERVER_ENVIRONMENT,
        DATABASE_URL=processes.test_database_url(),
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        SIGNING_DEMO_PKI_DIR=str(settings.SIGNING_DEMO_PKI_DIR),
        SIGNING_TRUST_ROOTS=",".join(settings.SIGNING_TRUST_ROOTS),
        GUNICORN_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="2",
        SITE_URL=f"http://127.0.0.1:{port}",
    )
    log = tmp_path / "web.log"
    with processes.running(processes.compose_command("web"), environment, log) as web:
        base = f"http://127.0.0.1:{port}"
        processes.wait_for_http(f"{base}/healthz", web, log)
        yield base


def _servable_login(seeded) -> None:
    """The tests hash passwords with a fast hasher gunicorn (production settings) does not
    know: the login the fuzzer uses gets the production default's hash."""
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    from portal.models import User

    hasher = PBKDF2PasswordHasher()
    login = seeded["login"]
    password = hasher.encode(login["password"], hasher.salt())
    User.objects.filter(email=login["email"]).update(password=password)


def _tail(output: str) -> str:
    return output[-12_000:]


def test_the_api_keeps_its_contract_for_every_caller(served):
    seeded = fuzz_data.seed()
    assert seeded["procedures"] and set(seeded["tokens"]) == {"citizen", "desk"}
    _servable_login(seeded)
    results = fuzz(served, seeded, examples=EXAMPLES, seed=SEED, echo=lambda *_: None)
    assert set(results) == set(IDENTITIES)
    for identity, (code, output) in results.items():
        assert code == 0, f"as {identity}:\n{_tail(output)}"
        # Every operation, every phase that has something to run.
        assert "33 selected / 33 total" in output, _tail(output)
        for phase in ("Coverage", "Fuzzing", "Stateful"):
            assert f"✅  {phase}" in output, (identity, phase, _tail(output))


def test_the_fuzzer_fails_on_a_server_error(live_server, monkeypatch):
    """The run above could pass by checking nothing: with one operation broken (in a live
    server in this process, where it can be broken), it fails."""
    from procedures.api import FieldListApi

    def broken(self, request, *args, **kwargs):
        raise RuntimeError("broken on purpose")

    monkeypatch.setattr(FieldListApi, "get", broken)
    results = fuzz(
        live_server.url,
        {},
        examples=2,
        seed=SEED,
        identities=("anonymous",),
        phases=("coverage",),
        operations=("GET /api/v1/fields/",),
        echo=lambda *_: None,
    )
    code, output = results["anonymous"]
    assert code != 0
    assert "Server error" in output, _tail(output)
    assert "GET /api/v1/fields/" in output
