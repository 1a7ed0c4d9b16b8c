"""Any change to what the public catalogue shows invalidates its cached pages (on commit)."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from portal import caching
from portal.models import Agency
from procedures.models import Channel, Field, Procedure, ProcedureVersion, RequiredDocument

GENERATION = "catalogue"


def _changed(sender, **kwargs):
    transaction.on_commit(lambda: caching.bump(GENERATION))


def connect():
    for model in (Agency, Field, Procedure, ProcedureVersion, Channel, RequiredDocument):
        post_save.connect(_changed, sender=model, dispatch_uid=f"catalogue-{model.__name__}-save")
        post_delete.connect(
            _changed, sender=model, dispatch_uid=f"catalogue-{model.__name__}-delete"
        )
