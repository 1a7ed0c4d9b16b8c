"""HTML → PDF with WeasyPrint, fetching nothing but the site's own static files.

Text a citizen typed ends up in these documents; even if markup slipped through escaping, the
URL fetcher below refuses every URL except `/static/…` files found by the static-files finders
and `qr:` codes made here — no http(s), no file://, no media, no data: URLs.
"""

import functools
import io
import mimetypes
from urllib.parse import unquote, urlparse

import qrcode
from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

from signing import runner

BASE_URL = "https://documents.invalid/"  # a base that resolves nowhere: relative URLs stay ours


class Refused(ValueError):
    pass


@functools.cache
def font_config():
    """One FontConfiguration per process: the first render loads the fonts; later ones reuse."""
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


def qr_png(text: str) -> bytes:
    image = qrcode.make(
        text, box_size=4, border=1, error_correction=qrcode.constants.ERROR_CORRECT_M
    )
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _fetch(url: str) -> tuple[bytes, str]:
    if url.startswith("qr:"):
        return qr_png(unquote(url[3:])), "image/png"
    parsed = urlparse(url)
    if f"{parsed.scheme}://{parsed.netloc}/" == BASE_URL and parsed.path.startswith(
        settings.STATIC_URL
    ):
        relative = unquote(parsed.path[len(settings.STATIC_URL) :])
        if ".." not in relative.split("/"):
            path = finders.find(relative)
            if path:
                with open(path, "rb") as handle:
                    mime = mimetypes.guess_type(path)[0] or "application/octet-stream"
                    return handle.read(), mime
    raise Refused(f"document renderer refuses {url[:200]!r}")


@functools.cache
def url_fetcher():
    """WeasyPrint's fetcher, narrowed to `_fetch`: anything else is refused (WeasyPrint logs a
    warning and leaves the resource out; the document still renders)."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            body, mime = _fetch(url)
            return URLFetcherResponse(url, body, {"Content-Type": mime})

    return StaticOnlyFetcher(allowed_protocols=())


def render_html(template: str, context: dict) -> str:
    return render_to_string(template, context)


def render_pdf(html: str) -> bytes:
    return runner.run(_render_pdf, html)


def _render_pdf(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html, base_url=BASE_URL, url_fetcher=url_fetcher()).write_pdf(
        font_config=font_config(), attachments=[]
    )


# The signature areas a document template marks with these ids (templates/documents/base.html).
SIGNATURE_AREAS = ("sig-personal", "sig-org")
PX_TO_PT = 0.75  # CSS pixels (1/96 in) to PDF points (1/72 in)


def render_pdf_with_areas(html: str, ids=SIGNATURE_AREAS) -> tuple[bytes, dict]:
    """The PDF and where the elements with these ids landed, read from WeasyPrint's layout (no
    coordinates hard-coded, so a template may move them): {id: (page index, (x1, y1, x2, y2))}
    in PDF points from the page's lower left corner, the corners of the element's border box."""
    return runner.run(_render_pdf_with_areas, html, tuple(ids))


def _render_pdf_with_areas(html: str, ids: tuple[str, ...]) -> tuple[bytes, dict]:
    from weasyprint import HTML

    document = HTML(string=html, base_url=BASE_URL, url_fetcher=url_fetcher()).render(
        font_config=font_config()
    )
    areas = {}
    for index, page in enumerate(document.pages):
        for name, (x1, y1, x2, y2) in page.anchors.items():
            if name in ids and name not in areas:
                height = page.height
                areas[name] = (
                    index,
                    (
                        x1 * PX_TO_PT,
                        (height - y2) * PX_TO_PT,
                        x2 * PX_TO_PT,
                        (height - y1) * PX_TO_PT,
                    ),
                )
    return document.write_pdf(attachments=[]), areas
