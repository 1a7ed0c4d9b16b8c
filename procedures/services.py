"""Writes to the catalogue: one function per use case."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from procedures import form_schema
from procedures.models import Channel, Procedure, ProcedureVersion, RequiredDocument, ResultTemplate


def can_manage(user, procedure: Procedure) -> bool:
    """Superusers manage every agency's procedures; agency administrators only their own."""
    if user.is_superuser:
        return True
    return (
        user.is_active and user.agency_id == procedure.agency_id and user.has_role("agency_admin")
    )


def publication_errors(version: ProcedureVersion) -> list[str]:
    """What keeps a version from being published at its service level (empty when ready)."""
    errors = []
    channels = list(version.channels.all())
    documents = list(version.documents.all())
    if not channels:
        errors.append(_("List at least one channel (in person, online or by post)."))
    for channel in channels:
        if channel.time_unit != Channel.TimeUnit.SAME_DAY and not channel.time_amount:
            errors.append(
                _("The %(channel)s channel has no time limit.")
                % {"channel": channel.get_kind_display().lower()}
            )
    if version.effective_date and version.effective_date > timezone.localdate():
        errors.append(_("The effective date is in the future: publish the version on that day."))
    if version.service_level >= 2:
        for document in documents:
            if document.needs_template and not document.template:
                errors.append(
                    _(
                        "Upload the form template of “%(document)s”: its form is offered for "
                        "download."
                    )
                    % {"document": document.name}
                )
    if version.service_level >= 3:
        if not any(c.kind == Channel.Kind.ONLINE for c in channels):
            errors.append(_("An online public service (fully or partly): add an online channel."))
        if not version.form_schema:
            errors.append(_("An online public service (fully or partly): define the online form."))
        errors += form_schema.schema_errors(version.form_schema)
    # A result template reads the version's form: it must still name only questions it has.
    for template in version.result_templates.all():
        try:
            template.full_clean()
        except ValidationError as exc:
            errors += [
                _("The result template “%(title)s”: %(problem)s")
                % {"title": template.title, "problem": problem}
                for problem in exc.messages
            ]
    if version.service_level >= 4 and not any(
        c.kind == Channel.Kind.ONLINE and c.fee_vnd is not None for c in channels
    ):
        errors.append(
            _("A fully online public service: state the fee of the online channel (0 when free).")
        )
    return errors


@transaction.atomic
def procedure_version_publish(*, version: ProcedureVersion, actor) -> ProcedureVersion:
    """Publish a draft; the version published before it is archived. Locks the procedure row so
    that two publications of one procedure cannot interleave."""
    procedure = Procedure.objects.select_for_update().get(pk=version.procedure_id)
    if not can_manage(actor, procedure):
        raise PermissionDenied
    version = ProcedureVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != ProcedureVersion.Status.DRAFT:
        raise ValidationError(_("Only a draft can be published."), code="not_draft")
    errors = publication_errors(version)
    if errors:
        raise ValidationError(errors, code="not_publishable")
    current = (
        procedure.versions.select_for_update()
        .filter(status=ProcedureVersion.Status.PUBLISHED)
        .first()
    )
    if current is not None:
        current.archive()
        current.save(update_fields=["status", "archived_at"])
    version.publish()
    version.save(update_fields=["status", "published_at", "effective_date"])
    return version


@transaction.atomic
def procedure_version_new_draft(*, version: ProcedureVersion, actor) -> ProcedureVersion:
    """A new draft copied from `version` (with its channels and documents), numbered after the
    newest one. If a draft exists already, that draft is returned instead: one draft at a time."""
    procedure = Procedure.objects.select_for_update().get(pk=version.procedure_id)
    if not can_manage(actor, procedure):
        raise PermissionDenied
    existing = procedure.versions.filter(status=ProcedureVersion.Status.DRAFT).first()
    if existing is not None:
        return existing
    return copy_version(version, created_by=actor)


def copy_version(version: ProcedureVersion, *, created_by=None) -> ProcedureVersion:
    """Copy a version, its channels, documents and result templates (the form templates are
    shared files)."""
    # A fresh instance: the caller's object must keep pointing at the version copied from.
    version = ProcedureVersion.objects.select_related("procedure").get(pk=version.pk)
    channels = list(version.channels.all())
    documents = list(version.documents.all())
    result_templates = list(version.result_templates.all())
    newest = version.procedure.versions.aggregate(n=Max("number"))["n"] or 0
    version.pk = None
    version._state.adding = True
    version.number = newest + 1
    version.status = ProcedureVersion.Status.DRAFT
    version.published_at = version.archived_at = version.effective_date = None
    version.created_by = created_by
    version.save()
    for item in (*channels, *documents, *result_templates):
        item.pk = None
        item._state.adding = True
        item.version = version
    Channel.objects.bulk_create(channels)
    RequiredDocument.objects.bulk_create(documents)
    ResultTemplate.objects.bulk_create(result_templates)
    return version
