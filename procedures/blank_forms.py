"""Printable blank application forms, drawn from a version's online form schema (used for the
demo catalogue and for agencies that have no form file of their own yet)."""

from django.core.files.base import ContentFile
from django.template.loader import render_to_string
from django.utils.text import slugify

from procedures.models import ProcedureVersion, RequiredDocument
from procedures.search import fold


def _refuse_fetch(url: str, *args, **kwargs):
    raise ValueError(f"blank forms load nothing ({url})")


def render_pdf(version: ProcedureVersion, document: RequiredDocument) -> bytes:
    from weasyprint import HTML

    html = render_to_string("documents/blank_form.html", {"version": version, "document": document})
    return HTML(string=html, url_fetcher=_refuse_fetch).write_pdf()


def attach_missing_templates(version: ProcedureVersion) -> int:
    """Give each document that needs a form and has none a generated PDF; returns how many."""
    made = 0
    for document in version.documents.filter(needs_template=True, template=""):
        name = f"mau-{slugify(fold(document.name))[:60] or 'don'}.pdf"
        document.template.save(name, ContentFile(render_pdf(version, document)), save=True)
        made += 1
    return made
