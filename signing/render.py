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


def page_count(pdf: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def render_parts(template: str, context: dict, lines, *, part_lines: int) -> bytes:
    """A document with any number of table lines, rendered `part_lines` at a time and joined
    into one PDF, so that memory stays that of one part whatever the length (WeasyPrint lays a
    whole document out at once: a 100,000-line register would hold 4,000 pages of boxes).

    Each part is its own HTML document: the first carries the header and title, the last the
    signature; a part after the first starts on a new page, goes on with the page numbers
    (`page_offset`) and numbers its lines on from the part before (`first_line`)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    iterator = iter(lines)
    part = _take(iterator, part_lines)
    pages = 0
    first_line = 1
    while True:
        following = _take(iterator, part_lines) if len(part) == part_lines else []
        html = render_html(
            template,
            {
                **context,
                "rows": [[str(first_line + n), *line] for n, line in enumerate(part)],
                "continuation": pages > 0,
                "more_follows": bool(following),
                "page_offset": pages + 1,
            },
        )
        pdf = render_pdf(html)
        reader = PdfReader(io.BytesIO(pdf))
        writer.append(reader)
        pages += len(reader.pages)
        first_line += len(part)
        if not following:
            break
        part = following
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _take(iterator, count: int) -> list:
    part = []
    for line in iterator:
        part.append(line)
        if len(part) == count:
            break
    return part


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
