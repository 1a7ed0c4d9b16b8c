"""The result templates' placeholder language: text with `{{ name }}` blanks, nothing else.

An agency administrator writes the result of a procedure version (a decision, a certificate, a
confirmation, a reasoned refusal) as plain text with placeholders. What a placeholder may name
is fixed here: the dossier's fixed fields (FIXED), the answers of the version's online form
(`answers.<name>`), and the blanks the specialist fills in when proposing (`edit.<name>`,
declared on the template). No template tags, no filters, no HTML: a template that has any is
refused when it is saved, with the reason. Filling a template replaces each placeholder with
the value's text; the text then goes to the document's Django template as a plain string and
is autoescaped there, so a citizen's answer that looks like HTML prints as the characters typed.
"""

import re

from django.utils.translation import gettext as _

PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
NAME = re.compile(r"^(?:(answers|edit)\.)?[a-z_][a-z0-9_]*$")
# Anything Django would read as a tag or a comment, or a stray brace of a placeholder.
TAG = re.compile(r"\{%|%\}|\{#|#\}")
HTML = re.compile(r"<\s*/?\s*[a-zA-Z!][^>]*>")

# The fixed fields every template may use, with a sample for the admin's preview.
FIXED = {
    "applicant_name": "Nguyễn Văn An",
    "applicant_address": "12 Phố Điện Biên Phủ, phường Ba Đình, Hà Nội",
    "applicant_id": "001090012345",
    "subject_name": "Nguyễn Văn Bình",
    "organisation_name": "Công ty TNHH Giáo dục Ánh Dương",
    "dossier_code": "000.00.12.H26-261207-0001",
    "procedure_name": "Cấp bản sao văn bằng, chứng chỉ từ sổ gốc",
    "agency_name": "Sở Giáo dục và Đào tạo Hà Nội",
    "received_date": "07/12/2026",
    "today": "07/12/2026",
    "result_content": "Nội dung giải quyết do chuyên viên đề xuất.",
    "reasons": "Lý do do chuyên viên đề xuất.",
}
EDIT_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,39}$")


def placeholders(text: str) -> list[str]:
    return [match.group(1) for match in PLACEHOLDER.finditer(text or "")]


def allowed_names(*, answers: list[str], editable: list[str]) -> set[str]:
    return (
        set(FIXED) | {f"answers.{name}" for name in answers} | {f"edit.{name}" for name in editable}
    )


def problems(text: str, *, allowed: set[str]) -> list[str]:
    """Why `text` is not a valid template part (empty: it is)."""
    found = []
    if TAG.search(text or ""):
        found.append(
            _(
                "Template tags ({% … %}) and comments are not allowed: write text with {{ … }} "
                "placeholders only."
            )
        )
    tag = HTML.search(text or "")
    if tag:
        found.append(
            _("HTML is not allowed (%(tag)s): write plain text; the document sets the layout.")
            % {"tag": tag.group(0)[:40]}
        )
    for name in placeholders(text):
        if not NAME.match(name):
            found.append(
                _("{{ %(name)s }} is not a placeholder: filters and expressions are not allowed.")
                % {"name": name[:40]}
            )
        elif name not in allowed:
            found.append(
                _("Unknown placeholder {{ %(name)s }}. Use one of: %(names)s.")
                % {"name": name, "names": ", ".join(sorted(allowed))}
            )
    rest = PLACEHOLDER.sub("", text or "")
    if "{{" in rest or "}}" in rest:
        found.append(_("A placeholder is not closed: write {{ name }}."))
    return found


def fill(text: str, values: dict) -> str:
    """The text with each placeholder replaced by its value (plain text, never markup)."""
    return PLACEHOLDER.sub(lambda match: str(values.get(match.group(1), "")), text or "")


def parse_editable(text: str) -> tuple[list[tuple[str, str]], list[str]]:
    """The template's editable blanks, one per line as `name: label`; (blanks, problems)."""
    blanks, found = [], []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        name, _sep, label = line.partition(":")
        name, label = name.strip(), label.strip()
        if not EDIT_NAME.match(name) or not label:
            found.append(
                _(
                    "Write each blank as name: label, the name in small letters, digits and _ "
                    "(e.g. so_ban_sao: Số bản sao). Not understood: %(line)s"
                )
                % {"line": line.strip()[:60]}
            )
            continue
        blanks.append((name, label[:100]))
    return blanks, found


def legal_bases(version) -> list[str]:
    """The procedure's legal bases, one per line of its published record ("- Luật …")."""
    return [
        line.strip().lstrip("-–•+ ").strip().rstrip(";.")
        for line in (version.legal_basis or "").splitlines()
        if line.strip().lstrip("-–•+ ").strip()
    ]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def content(template, values: dict) -> dict:
    """The document content of a filled template (the document's context; placeholders
    replaced, everything else as written): the title, summary, competent person (by default the
    head's title and the agency's name), legal bases, the body's paragraphs (a decision's
    articles; another result is addressed to the applicant) and the recipients."""
    bases = _lines(template.bases) or [f"Căn cứ {basis}" for basis in legal_bases(template.version)]
    decision = template.kind == "decision"  # ResultTemplate.Kind.DECISION
    body = [fill(line, values) for line in _lines(template.body)]
    return {
        "title": fill(template.title, values).strip(),
        "summary": fill(template.summary, values).strip(),
        "competent": fill(template.competent, values).strip()
        or template.version.procedure.agency.competent_authority,
        "bases": [fill(line, values).rstrip(";,. ") for line in bases] if decision else [],
        "articles": body if decision else [],
        "paragraphs": [] if decision else body,
        "recipient": "" if decision else values.get("applicant_name", ""),
        "recipients": [fill(line, values).rstrip(";. ") for line in _lines(template.recipients)],
        "template": "documents/decision.html" if decision else "documents/result.html",
        # An annex in its own file, issued with the signed result (office.slips, ANNEX).
        "annex": {
            "title": fill(template.annex_title, values).strip(),
            "lines": [fill(line, values) for line in _lines(template.annex_body)],
        }
        if template.annex_title.strip()
        else None,
    }


def sample_values(template) -> dict:
    """What the admin's preview fills in: fixed samples, the questions' labels, the blanks'."""
    values = dict(FIXED)
    for spec in template.version.form_schema or []:
        if spec.get("name"):
            values[f"answers.{spec['name']}"] = f"[{spec.get('label') or spec['name']}]"
    for name, label in template.blanks():
        values[f"edit.{name}"] = f"[{label}]"
    return values
