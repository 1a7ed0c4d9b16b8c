"""The local national eID provider (eid_provider/) as a real process for the tests, and a
person's side of its pages driven with `requests`.

`eid_provider` (session): the provider on a free port with its own data directory, started
once, waited for through its discovery document, stopped at the end. `eid` (per test): the
portal's eID sign-in turned on against it."""

import html
import os
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]
CLIENT_ID = "dvc-portal-test"
CLIENT_SECRET = "test-eid-client-secret-0123456789"
PASSWORD = "VNeID-Demo@2026"  # eid_provider.people.DEMO_PASSWORD
# The demo people (eid_provider/people.py).
AN = "001090012345"  # Nguyễn Văn An, the portal's demo citizen
MAI = "001195003456"  # Trần Thị Mai
KHOA = "079203001234"  # Lê Minh Khoa
BINH_LEVEL_1 = "036088000777"  # Phạm Văn Bình, level 1


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Provider:
    url: str
    process: subprocess.Popen
    log: Path

    @property
    def issuer(self) -> str:
        return f"{self.url}/o"

    def sign_in(
        self,
        authorize_url: str,
        citizen_id: str,
        password: str = PASSWORD,
        *,
        browser: requests.Session | None = None,
    ) -> str:
        """A person at the provider: follows the authorization request, signs in on its login
        page if asked, and returns where the provider sends them back (the portal's callback
        with code and state). `browser` keeps the provider's session between calls."""
        browser = browser or requests.Session()
        response = browser.get(authorize_url, allow_redirects=False, timeout=10)
        for _ in range(8):
            if response.is_redirect:
                location = urljoin(response.url, response.headers["Location"])
                if not location.startswith(self.url + "/"):
                    return location
                response = browser.get(location, allow_redirects=False, timeout=10)
                continue
            assert response.status_code == 200, (response.status_code, response.text[:500])
            if 'id="login-form"' not in response.text:
                raise AssertionError(f"not the login page: {response.text[:500]}")
            if 'class="errors"' in response.text:
                raise AssertionError("the provider refused the credentials")
            next_value = re.search(r'name="next" value="([^"]*)"', response.text).group(1)
            response = browser.post(
                response.url,
                data={
                    "csrfmiddlewaretoken": browser.cookies.get("eid_provider_csrftoken"),
                    "username": citizen_id,
                    "password": password,
                    "next": html.unescape(next_value),
                },
                headers={"Referer": response.url},
                allow_redirects=False,
                timeout=10,
            )
        raise AssertionError("the provider did not send the person back")


def callback_path(location: str) -> str:
    """The portal's callback, as the Django test client asks for it."""
    parts = urlsplit(location)
    return f"{parts.path}?{parts.query}"


def query(url: str) -> dict:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


@pytest.fixture(scope="session")
def eid_provider(tmp_path_factory):
    port = _free_port()
    data = tmp_path_factory.mktemp("eid-provider")
    log = data / "provider.log"
    portals = ["http://testserver", "http://127.0.0.1:8000", "http://localhost:8000"]
    command = [
        sys.executable,
        "-m",
        "eid_provider",
        "serve",
        "--port",
        str(port),
        "--data-dir",
        str(data / "data"),
        "--client-id",
        CLIENT_ID,
        "--client-secret",
        CLIENT_SECRET,
    ]
    for portal in portals:
        command += [
            "--redirect-uri",
            f"{portal}/account/eid/callback/",
            "--post-logout-redirect-uri",
            f"{portal}/",
        ]
    env = {**os.environ, "PORTAL_ENV": "development"}
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            answer = requests.get(f"{url}/o/.well-known/openid-configuration", timeout=2)
            if answer.status_code == 200 and answer.json()["issuer"] == f"{url}/o":
                break
        except requests.RequestException:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"the eID provider did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)
    yield Provider(url=url, process=process, log=log)
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture
def eid(eid_provider, settings):
    """The portal's eID sign-in on, against the local provider (endpoints by discovery)."""
    settings.EID_OIDC_ISSUER = eid_provider.issuer
    settings.EID_OIDC_CLIENT_ID = CLIENT_ID
    settings.EID_OIDC_CLIENT_SECRET = CLIENT_SECRET
    for name in ("AUTHORIZATION", "TOKEN", "USER", "JWKS", "END_SESSION"):
        setattr(settings, f"EID_OIDC_{name}_ENDPOINT", "")
    settings.EID_OIDC_SCOPES = "openid profile"
    settings.EID_OIDC_MIN_LEVEL = 2
    return eid_provider
