"""Liveness of the parts a request or a task needs: the database and the Celery broker."""

import ipaddress
import time

import redis
from django.conf import settings
from django.db import connection


def _timed(check) -> dict:
    started = time.perf_counter()
    try:
        detail = check()
    except Exception as exc:  # any failure means "down"; the class name says which kind
        # Only the kind of failure: the message may name hosts and users.
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1), **(detail or {})}


def _database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"engine": connection.vendor}


def _broker() -> dict:
    if not settings.REDIS_URL:
        return {"mode": "eager"}  # tasks run in-process: there is no broker to lose
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    finally:
        client.close()
    return {"mode": "redis"}


CHECKS = {"database": _database, "broker": _broker}


def check(name: str) -> dict:
    return _timed(CHECKS[name])


def run_checks() -> dict:
    checks = {name: check(name) for name in CHECKS}
    down = [name for name, result in checks.items() if not result["ok"]]
    return {"status": "down" if down else "ok", "down": down, "checks": checks}


def may_see_detail(request) -> bool:
    """The internal network (HEALTH_DETAIL_NETWORKS: loopback by default; add the monitoring
    host's) and signed-in staff see which check failed and what it runs on."""
    from portal.ratelimit import client_ip

    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and (user.is_staff or user.agency_id):
        return True
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net) for net in settings.HEALTH_DETAIL_NETWORKS)
