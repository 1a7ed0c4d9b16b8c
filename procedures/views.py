from django.contrib.admin.views.decorators import staff_member_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from procedures import selectors, windows
from procedures.forms import CatalogueSearchForm

PAGE_SIZE = 20


def catalogue(request):
    form = CatalogueSearchForm(request.GET or None)
    versions = selectors.procedure_list_for(filters=form.filters())
    page = Paginator(versions, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "procedures/catalogue.html",
        {"form": form, "page": page, "query_string": query.urlencode()},
    )


def detail(request, code: str):
    version = selectors.procedure_get_public(code=code)
    if version is None:
        if selectors.published_versions().filter(procedure__code=code).exists():
            return redirect(f"{reverse('procedures:catalogue')}?{urlencode({'q': code})}")
        raise Http404
    return render(
        request,
        "procedures/detail.html",
        {"version": version, "preview": False, "window": windows.window_state(version.procedure)},
    )


def template_download(request, code: str, document_id: int):
    version = selectors.procedure_get_public(code=code)
    if version is None or not version.offers_forms:
        raise Http404
    document = get_object_or_404(version.documents.all(), pk=document_id)
    if not document.template:
        raise Http404
    return FileResponse(
        document.template.open("rb"),
        as_attachment=True,
        filename=document.template.name.rsplit("/", 1)[-1],
    )


@staff_member_required
def preview(request, pk: int):
    version = selectors.version_get_for_preview(user=request.user, pk=pk)
    if version is None:
        raise Http404
    return render(
        request,
        "procedures/detail.html",
        {"version": version, "preview": True, "window": windows.window_state(version.procedure)},
    )


def file_online(request, code: str):
    """The "File online" button: filing lives in the dossiers app (login is asked there, and
    a new citizen registers and comes back to the same place)."""
    version = selectors.procedure_get_public(code=code)
    if version is None or not version.offers_online_filing:
        raise Http404
    return redirect("submissions:start", code)
