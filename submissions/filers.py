"""Who files for whom (issue 14, item 4), one rule for the desk's intake (office.intake) and the
citizen's online form (submissions.forms): the filer (người nộp) may file for themself, for a
pupil as parent or guardian, for someone as their authorised representative (the subject's
name, and ID number if they have one), or for an organisation (its name, a valid enterprise or
tax code, its address, its legal representative)."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum.vn import mst

from portal.citizen_id import validate_citizen_id
from submissions.models import FilerRole

# The dossier's fields that say whom it is for, as the forms name them.
FOR_WHOM_FIELDS = (
    "filer_role", "subject_name", "subject_id_number", "subject_birth_date", "org_name",
    "org_tax_code", "org_address", "org_representative",
)  # fmt: skip
LIMITS = {
    "subject_name": 150, "subject_id_number": 12, "org_name": 255, "org_tax_code": 14,
    "org_address": 255, "org_representative": 150,
}  # fmt: skip
SUBJECT_ROLES = (FilerRole.PARENT, FilerRole.REPRESENTATIVE)


def _text(values: dict, name: str, *, compact: bool = False) -> str:
    """The value, its spaces tidied (or, `compact`, removed: a number typed in groups) before it
    is cut to the field's length."""
    words = str(values.get(name) or "").split()
    return ("" if compact else " ").join(words)[: LIMITS[name]]


def check_for_whom(
    values: dict, *, final: bool = True, applicant_type: str = ""
) -> tuple[dict, dict[str, list[str]]]:
    """(the dossier's for-whom fields, problems by field name) from `values` keyed by
    FOR_WHOM_FIELDS. The fields of another role are emptied; what is given is always checked,
    what is missing only when `final` (a draft may be incomplete). `applicant_type`: whom the
    procedure serves (ProcedureVersion.ApplicantType): an organisations-only procedure is filed
    for an organisation, an individuals-only one for a person."""
    role = values.get("filer_role") or FilerRole.SELF
    details = {name: "" for name in FOR_WHOM_FIELDS}
    details["subject_birth_date"] = None
    details["filer_role"] = role
    errors: dict[str, list[str]] = {}
    if role in SUBJECT_ROLES:
        details["subject_name"] = _text(values, "subject_name")
        details["subject_id_number"] = _text(values, "subject_id_number", compact=True)
        details["subject_birth_date"] = values.get("subject_birth_date") or None
        if final and not details["subject_name"]:
            errors["subject_name"] = [_("Give the full name of the person the dossier is for.")]
        if details["subject_id_number"]:
            try:
                validate_citizen_id(details["subject_id_number"])
            except ValidationError as exc:
                errors["subject_id_number"] = exc.messages
    elif role == FilerRole.ORGANISATION:
        for name in ("org_name", "org_tax_code", "org_address", "org_representative"):
            details[name] = _text(values, name)
        details["org_tax_code"] = _text(values, "org_tax_code", compact=True)
        if final and not details["org_name"]:
            errors["org_name"] = [_("Give the organisation's name.")]
        if (final or details["org_tax_code"]) and not mst.is_valid(details["org_tax_code"]):
            errors["org_tax_code"] = [
                _(
                    "This is not a valid enterprise or tax code: 10 digits (13 for a branch, "
                    "as 0123456789-001) whose last digit checks the others."
                )
            ]
        if final and not details["org_address"]:
            errors["org_address"] = [_("Give the organisation's address.")]
    elif role != FilerRole.SELF:
        errors["filer_role"] = [_("Choose for whom the dossier is filed.")]
    if "filer_role" not in errors:
        if applicant_type == "organization" and role != FilerRole.ORGANISATION:
            errors["filer_role"] = [
                _("This procedure is for organisations: file it for the organisation.")
            ]
        elif applicant_type == "individual" and role == FilerRole.ORGANISATION:
            errors["filer_role"] = [
                _("This procedure is for individuals: it is not filed for an organisation.")
            ]
    return details, errors
