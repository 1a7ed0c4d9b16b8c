"""Serving a dossier file to someone a view has already checked may see it."""

from urllib.parse import quote

from django.conf import settings
from django.http import FileResponse, HttpResponse


def file_response(record, *, attachment: bool) -> HttpResponse:
    """The file with headers that keep it inert: shown in the browser (PDF, images) at most,
    sandboxed, never cached by shared caches. Behind nginx, nginx sends the bytes
    (X-Accel-Redirect to the internal location of MEDIA_ROOT)."""
    if settings.MEDIA_X_ACCEL_PREFIX and settings.DOSSIER_STORAGE == "local":
        response = HttpResponse(content_type=record.content_type)
        response["X-Accel-Redirect"] = (
            f"{settings.MEDIA_X_ACCEL_PREFIX.rstrip('/')}/{record.file.name}"
        )
    else:
        response = FileResponse(record.file.open("rb"), content_type=record.content_type)
    disposition = "attachment" if attachment else "inline"
    response["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(record.name)}"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'"
    response["Cache-Control"] = "private, no-store"
    return response
