from django.contrib.contenttypes.models import ContentType


def result_signed(sender, document, **kwargs) -> None:
    """A dossier's signed result exists: resolve the dossier (in the worker that signed it)."""
    from submissions.models import Dossier

    if document.kind != "result" or document.owner_id is None:
        return
    if document.owner_type_id != ContentType.objects.get_for_model(Dossier).pk:
        return
    from submissions.tasks import resolve_dossier_task

    resolve_dossier_task.delay(document.owner_id, document.pk)
