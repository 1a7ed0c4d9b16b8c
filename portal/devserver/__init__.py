"""Development mode kept to this machine (issue 18, finding 4): with PORTAL_ENV unset the portal
runs with DEBUG, the public development secret key, the payment simulator's public secret and a
signing-key encryption key derived from that secret — fit for a laptop, never for a network.
So in development the portal serves loopback only: `runserver` refuses another address, gunicorn
refuses to bind one (gunicorn.conf.py), and a request from elsewhere gets a 403 that says why
(portal.middleware.DevelopmentLoopbackMiddleware) — unless PORTAL_DEV_ALLOW_REMOTE=true says
it is meant (a demo on a private network)."""

import ipaddress

LOOPBACK_NAMES = {"localhost", "ip6-localhost"}


def is_loopback(host: str) -> bool:
    host = host.strip().strip("[]")
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


REFUSAL = (
    "dvc-portal is in development mode (PORTAL_ENV is not 'production'): DEBUG is on and its "
    "secret key, payment simulator secret and signing-key encryption key are the public "
    "development ones, so it serves this machine only (127.0.0.1, ::1, localhost). To serve a "
    "network, set PORTAL_ENV=production with real secrets (README, 'Running it for real'); for "
    "a throw-away demo on a private network, set PORTAL_DEV_ALLOW_REMOTE=true."
)
