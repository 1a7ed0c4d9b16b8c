"""The Celery app. Its settings are the CELERY_* names in portal/settings.py.

Without REDIS_URL the app runs every task in-process (the quickstart); with it, tasks go through
Redis to workers listening on the queues `default`, `documents` (PDF rendering and signing) and
`notifications` (email), so that slow PDF work cannot starve email.
"""

import gc
import os

from celery import Celery
from celery.signals import worker_process_init, worker_ready
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
