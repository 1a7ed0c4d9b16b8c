"""gunicorn settings, read from the environment (used by docker-compose and the tests)."""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "sync"  # sync beat gthread on these machines (see ../shared/BASELINES.md)
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# The app is imported once, in the master: a worker recycled by max_requests starts at once
# instead of importing Django again (about 0.8 s of CPU each time). Connections are opened
# lazily, in the workers.
preload_app = True


def on_starting(server):
    """Development mode (PORTAL_ENV unset) serves loopback only (portal/devserver): refuse to
    bind another address, before any worker starts."""
    if os.environ.get("PORTAL_ENV", "development") == "production":
        return
    if os.environ.get("PORTAL_DEV_ALLOW_REMOTE", "").lower() in {"1", "true", "yes", "on"}:
        return
    from portal.devserver import REFUSAL, is_loopback

    for address in server.cfg.bind:
        host = address.rsplit(":", 1)[0] if not address.startswith("unix:") else "localhost"
        if not is_loopback(host):
            raise SystemExit(f"Refused to bind {address}: {REFUSAL}")


def post_fork(server, worker):
    from django.db import connections

    connections.close_all()


def pre_fork(server, worker):
    # Keep the imported heap out of the workers' garbage collections: otherwise each
    # collection writes to every inherited page and copies it.
    import gc

    gc.collect()
    gc.freeze()
