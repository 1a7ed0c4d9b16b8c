"""The Celery app. Its settings are the CELERY_* names in portal/settings.py.

Without REDIS_URL the app runs every task in-process (the quickstart); with it, tasks go through
Redis to workers listening on the queues `default`, `documents` (PDF rendering and signing) and
`notifications` (email), so that slow PDF work cannot starve email.
"""

import gc
import os

from celery import Celery
from celery.signals import task_postrun, task_prerun, worker_process_init, worker_ready
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = [Queue(name) for name in ("default", "documents", "notifications")]
app.autodiscover_tasks()


@worker_process_init.connect
@worker_ready.connect
def _freeze_startup_objects(**kwargs):
    """Move everything loaded at start-up (Django, Celery, WeasyPrint, fonts) out of the garbage
    collector's reach: rendering allocates heavily, and each full collection would otherwise
    walk the whole start-up heap again."""
    gc.collect()
    gc.freeze()


@task_prerun.connect
@task_postrun.connect
def _close_old_connections(sender=None, **kwargs):
    """Around each task in a worker, what Django does around each request: close the
    connections that are past CONN_MAX_AGE or broken, keep the rest (CELERY_DB_REUSE_MAX stops
    Celery's Django fix-up from closing them all every time). A task run eagerly, inside the
    caller's request or transaction, leaves the caller's connection alone."""
    if getattr(getattr(sender, "request", None), "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()
