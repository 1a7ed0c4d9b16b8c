"""Desk intake (tiếp nhận trực tiếp): a dossier brought to the one-stop desk in person or
received by post, registered and accepted by the desk officer in one step (issue 14).

The desk records who filed it (no account needed: the applicant tracks it by its code and their
citizen ID), the procedure, each component received (its form, sheets and sets) with its scans,
checked by content like a citizen's uploads; the dossier is then accepted as any other
(`office.services.dossier_accept`: the due time, the receipt Mẫu 01). The same intake sent twice
(a double click, a retry) makes one dossier."""

import re
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from office import selectors
from office import services as workflow
from portal.citizen_id import validate_citizen_id, validate_citizen_id_abroad
from procedures import windows
from procedures.models import ProcedureVersion
from submissions import lifecycle
from submissions.filers import check_for_whom
from submissions.models import (
    DocumentKind,
    Dossier,
    EventAction,
    IdType,
    IntakeChannel,
    IntakeComponent,
    ResultDelivery,
    State,
)
from submissions.services import _next_code, delivery_problems, store_files

# The channels a desk takes a dossier in from; online dossiers come through the portal.
DESK_CHANNELS = (IntakeChannel.IN_PERSON, IntakeChannel.POST, IntakeChannel.PUBLIC_POST)


@dataclass
class Received:
    """One component as received: its requirement, form, sheets, sets and scans."""

    requirement_id: int
    form: str
    sheets: int = 1
    sets: int = 1
    files: list = field(default_factory=list)


def _receiving_centre(actor, version: ProcedureVersion) -> int | None:
    """The desk taking the dossier in: the resolving agency's own (None), or that of the
    service centre receiving for it (its id: the dossier is then handed over, liên thông).
    Anyone else is refused."""
    agency = version.procedure.agency
    if selectors.is_desk_of(actor, agency.pk):
        return None
    if agency.service_centre_id and selectors.is_desk_of(actor, agency.service_centre_id):
        return agency.service_centre_id
    raise PermissionDenied


# A passport number: letters and digits (a Vietnamese passport is one letter and seven digits;
# other countries' differ).
PASSPORT = re.compile(r"[A-Z0-9]{5,20}")


def _text(values: dict, name: str, limit: int) -> str:
    return (values.get(name) or "").strip()[:limit]


def _check_applicant(applicant: dict, applicant_type: str = "") -> dict:
    """The filer, and whom they file for (who files for whom, issue 14): themself; a pupil as
    parent or guardian, or someone as authorised representative (the subject's name, and ID
    number if they have one); an organisation (its name, a valid enterprise or tax code, its
    address). A filer without a Vietnamese ID gives a passport number and nationality."""
    errors: dict[str, list] = {}
    details = {
        "applicant_name": _text(applicant, "name", 150),
        "applicant_phone": _text(applicant, "phone", 16),
        "applicant_email": _text(applicant, "email", 254),
        "applicant_address": _text(applicant, "address", 255),
        "applicant_id_type": applicant.get("id_type") or IdType.CITIZEN_ID,
    }
    if not details["applicant_name"]:
        errors["name"] = [_("Enter the applicant's full name.")]
    number = _text(applicant, "citizen_id", 40).upper().replace(" ", "")
    if details["applicant_id_type"] == IdType.PASSPORT:
        details["applicant_nationality"] = _text(applicant, "nationality", 80)
        if not PASSPORT.fullmatch(number):
            errors["citizen_id"] = [_("A passport number is 5 to 20 letters and digits.")]
        if not details["applicant_nationality"]:
            errors["nationality"] = [_("Give the nationality shown in the passport.")]
    elif details["applicant_id_type"] in (IdType.CITIZEN_ID, IdType.CITIZEN_ID_ABROAD):
        validate = (
            validate_citizen_id_abroad
            if details["applicant_id_type"] == IdType.CITIZEN_ID_ABROAD
            else validate_citizen_id
        )
        try:
            validate(number)
        except ValidationError as exc:
            errors["citizen_id"] = exc.messages
    else:
        errors["id_type"] = [_("Choose the identity document.")]
    details["applicant_citizen_id"] = number[:20]
    for_whom, problems = check_for_whom(applicant, applicant_type=applicant_type)
    details.update(for_whom)
    errors.update(problems)
    if errors:
        raise ValidationError(errors)
    return details


def _check_components(version: ProcedureVersion, components: list[Received], channel: str) -> None:
    documents = {d.pk: d for d in version.documents.all() if d.applies_to(channel)}
    errors = {}
    given = set()
    for item in components:
        document = documents.get(item.requirement_id)
        if document is None:
            raise ValidationError({"components": [_("Choose a document of this procedure.")]})
        given.add(document.pk)
        if item.form not in IntakeComponent.Form.values:
            errors[f"form_{document.pk}"] = [_("Choose the form this component was given in.")]
        if not 1 <= item.sheets <= 999 or not 1 <= item.sets <= 99:
            errors[f"sheets_{document.pk}"] = [_("Give the number of sheets and sets.")]
        if not item.files:
            errors[f"files_{document.pk}"] = [_("Scan this component and attach the scan.")]
    missing = [
        d.name
        for d in documents.values()
        if d.required and not d.exemption_evidence and d.pk not in given
    ]
    if missing:
        errors["components"] = [
            _("A required component was not received: %(name)s.") % {"name": name}
            for name in missing
        ]
    if errors:
        raise ValidationError(errors)


def dossier_intake(
    *,
    actor,
    version: ProcedureVersion,
    channel: str,
    applicant: dict,
    components: list[Received],
    intake_key: str,
    result_delivery: str = ResultDelivery.DESK,
    delivery_address: str = "",
) -> tuple[Dossier, bool]:
    """Register and accept a paper dossier; returns (dossier, created). Every problem is
    raised before anything is stored, by field (`name`, `citizen_id`, `channel`, `components`,
    `form_<id>`, `sheets_<id>`, `files_<id>`)."""
    centre_id = _receiving_centre(actor, version)
    client_ref = f"intake:{intake_key}"[:64]
    # Only the desk's own intakes (no account): a citizen's API key may look the same.
    existing = Dossier.objects.filter(
        agency_id=version.procedure.agency_id, client_ref=client_ref, applicant__isnull=True
    )
    if intake_key and existing.exists():
        return existing.get(), False
    if version.status != ProcedureVersion.Status.PUBLISHED:
        raise ValidationError({"procedure": [_("This procedure is not published.")]})
    refusal = windows.window_refusal(version.procedure)
    if refusal is not None:  # outside its filing windows, at the desk as online
        raise ValidationError({"procedure": refusal.messages})
    if channel not in DESK_CHANNELS:
        raise ValidationError({"channel": [_("Choose how the dossier reached the desk.")]})
    problems = {}
    details = {}
    try:
        details = _check_applicant(applicant, version.applicant_type)
    except ValidationError as exc:
        problems.update(exc.message_dict)
    try:
        _check_components(version, components, channel)
    except ValidationError as exc:
        problems.update(exc.message_dict)
    delivery_address = (
        delivery_address or applicant.get("org_address") or applicant.get("address") or ""
    ).strip()
    problems.update(
        delivery_problems(version=version, delivery=result_delivery, address=delivery_address)
    )
    if result_delivery == ResultDelivery.ONLINE:  # nobody could download it: no account
        problems["result_delivery"] = [
            _("A dossier taken in at the desk gets its result at the desk or by post.")
        ]
    if problems:  # every problem at once, so the desk corrects them in one go
        raise ValidationError(problems)
    stored = []
    try:
        with transaction.atomic():
            dossier = Dossier(
                version=version,
                agency_id=version.procedure.agency_id,
                receiving_agency_id=centre_id,
                applicant=None,
                channel=channel,
                state=State.SUBMITTED,
                submitted_at=timezone.now(),
                client_ref=client_ref if intake_key else "",
                result_delivery=result_delivery,
                delivery_address=delivery_address[:255],
                **details,
            )
            dossier.code = _next_code(dossier)
            dossier.save()
            for item in components:
                try:
                    stored += store_files(
                        dossier=dossier,
                        actor=actor,
                        requirement_id=item.requirement_id,
                        files=item.files,
                    )
                except ValidationError as exc:  # named by the component
                    raise ValidationError({f"files_{item.requirement_id}": exc.messages}) from exc
                IntakeComponent.objects.create(
                    dossier=dossier,
                    requirement_id=item.requirement_id,
                    form=item.form,
                    sheets=item.sheets,
                    sets=item.sets,
                )
            lifecycle.record(
                dossier,
                actor=actor,
                action=EventAction.SUBMIT,
                from_state=State.DRAFT,
                note=str(IntakeChannel(channel).label),
            )
            dossier = workflow.dossier_accept(dossier=dossier, actor=actor)
    except IntegrityError:
        # The same intake, sent at the same moment, won the race: it is the one dossier.
        for record in stored:
            record.file.storage.delete(record.file.name)
        if intake_key and existing.exists():
            return existing.get(), False
        raise
    except BaseException:
        for record in stored:  # the rows rolled back: the files go too
            record.file.storage.delete(record.file.name)
        raise
    return dossier, True


@transaction.atomic
def component_certify(*, dossier: Dossier, actor, component_id: int):
    """Chứng thực bản sao điện tử từ bản chính: the desk officer, having compared the scan with
    the original received, certifies it as an electronic copy. The certificate is a document
    signed with the agency's certificate (rendered by the worker, verifiable at /verify/) naming
    the component and each scan's SHA-256, so the copy can be checked against it. Once per
    component; a component without a scan cannot be certified."""
    from office import slips

    dossier = lifecycle.lock(dossier)
    if not selectors.is_desk_of(actor, dossier.front_agency_id):  # the desk that received it
        raise PermissionDenied
    component = dossier.components.select_related("requirement").filter(pk=component_id).first()
    if component is None:
        raise ValidationError(_("This dossier has no such component."), code="gone")
    if component.form != IntakeComponent.Form.ORIGINAL:
        raise ValidationError(
            _("Only a component whose original was shown at the desk can be certified."),
            code="not_original",
        )
    if component.certified_at is not None:
        raise ValidationError(
            _("This component is already certified (code %(code)s).")
            % {"code": component.certificate_code},
            code="not_editable",
        )
    scans = list(
        dossier.files.filter(requirement=component.requirement, removed_at__isnull=True).order_by(
            "pk"
        )
    )
    if not scans:
        raise ValidationError(_("Scan this component before certifying it."), code="no_scan")
    document = slips.issue(
        dossier,
        DocumentKind.CERTIFIED_COPY,
        actor=actor,
        revision=component.pk,
        extra={"component": component, "scans": scans, "actor": actor},
        agency=dossier.front_agency,  # the body whose desk compared it with the original
    )
    component.certified_at = timezone.now()
    component.certified_by = actor
    component.certificate_code = document.verification_code
    component.save(update_fields=["certified_at", "certified_by", "certificate_code"])
    return document
