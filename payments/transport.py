"""HTTP to the gateway (and, from the simulator, to the merchant's IPN endpoint). One place, so
that timeouts are uniform, only http(s) addresses are opened, and tests can route the calls."""

import json
import urllib.request
from urllib.parse import urlencode

TIMEOUT = 10


def _checked(url: str) -> str:
    if not url.startswith(("https://", "http://")):
        raise ValueError(f"not an HTTP address: {url!r}")
    return url


def post_json(url: str, body: dict) -> dict:
    request = urllib.request.Request(  # noqa: S310 (http or https only: _checked)
        _checked(url),
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Accept": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
        return json.loads(response.read().decode())


def get_json(url: str, params: dict) -> dict:
    address = f"{_checked(url)}?{urlencode(params)}"
    with urllib.request.urlopen(address, timeout=TIMEOUT) as response:  # noqa: S310
        return json.loads(response.read().decode())
