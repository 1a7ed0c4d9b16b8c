"""The renderer fetches nothing but the site's own static files (and the QR codes it makes)."""

import http.server
import io
import re
import threading
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from signing import render
from signing.models import Document
from tests.signing.support import notice_context, run

HOSTILE = [
    '<img src="file:///etc/passwd">',
    '<img src="http://127.0.0.1:9/x.png">',
    '<link rel="attachment" href="file:///etc/passwd">',
]
PASSWD = Path("/etc/passwd").read_text().splitlines()[0]  # "root:x:0:0:root:/root:/bin/bash"


def tools(pdf: bytes, tmp_path: Path) -> dict[str, str]:
    """What poppler-utils see in the PDF: text, images, embedded files."""
    path = tmp_path / f"{uuid.uuid4().hex}.pdf"
    path.write_bytes(pdf)
    return {
        "text": run(["pdftotext", str(path), "-"]),
        "images": run(["pdfimages", "-list", str(path)]),
        "attachments": run(["pdfdetach", "-list", str(path)]),
    }


def image_count(listing: str) -> int:
    # `pdfimages -list`: two header lines, then one line per image.
    return len([line for line in listing.splitlines()[2:] if line.strip()])


def embedded_font_names(pdf: bytes) -> set[str]:
    """The full names (name ID 4) inside the font programs the PDF embeds."""
    from fontTools.ttLib import TTFont
    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    names = set()
    for page_ref in reader.root["/Pages"]["/Kids"]:
        fonts = page_ref.get_object()["/Resources"]["/Font"]
        for font in fonts.values():
            font = font.get_object()
            for descendant in font.get("/DescendantFonts", [font]):
                descriptor = descendant.get_object()["/FontDescriptor"]
                program = descriptor.get("/FontFile2") or descriptor.get("/FontFile3")
                names.add(TTFont(io.BytesIO(program.get_object().data))["name"].getDebugName(4))
    return names


def page(body: str, *, family: str | None = None, font_src: str = "") -> str:
    style = ""
    if family:
        # A family name not used before: WeasyPrint's font configuration lives for the process,
        # so a face registered by another render would hide a fetch that failed.
        style = (
            f"<style>@font-face {{ font-family: {family}; src: url({font_src}); }} "
            f"body {{ font-family: {family}; }}</style>"
        )
    head = f'<head><meta charset="utf-8">{style}</head>'
    return f'<!DOCTYPE html><html lang="vi">{head}<body>{body}</body></html>'


@pytest.fixture
def png_server(tmp_path):
    """A PNG on disk and on a local web server: what a fetcher that obeyed would embed."""
    png = render.qr_png("would be embedded")
    (tmp_path / "x.png").write_bytes(png)
    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(png)))
            self.end_headers()
            self.wfile.write(png)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {
        "file": (tmp_path / "x.png").as_uri(),
        "http": f"http://127.0.0.1:{server.server_address[1]}/x.png",
        "hits": hits,
    }
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def test_raw_html_with_local_and_remote_urls_renders_without_them(tmp_path, caplog, png_server):
    body = '<p>Giấy xác nhận</p><img src="qr:https://dvc.example.vn/verify/X/">'
    clean = tools(render.render_pdf(page(body)), tmp_path)
    loadable = [
        f'<img src="{png_server["file"]}">',
        f'<img src="{png_server["http"]}">',
        f'<link rel="attachment" href="{png_server["http"]}">',
    ]
    hostile_pdf = render.render_pdf(page(body + "".join(HOSTILE + loadable)))  # no exception
    hostile = tools(hostile_pdf, tmp_path)

    assert image_count(clean["images"]) == 1  # the QR code
    assert image_count(hostile["images"]) == image_count(clean["images"])
    assert hostile["attachments"].strip() == "0 embedded files"
    assert b"/EmbeddedFile" not in hostile_pdf
    assert PASSWD not in hostile["text"]
    assert "root:" not in hostile["text"]
    assert "Giấy xác nhận" in hostile["text"]
    refused = [r.getMessage() for r in caplog.records if "refuses" in r.getMessage()]
    assert any("file:///etc/passwd" in m for m in refused), refused
    assert any("http://127.0.0.1:9/x.png" in m for m in refused), refused
    assert png_server["hits"] == []  # not even asked


def test_the_png_server_would_be_seen(tmp_path, png_server):
    """The control for the test above: a fetcher that obeyed would add an image and a request."""
    import urllib.request

    from weasyprint import HTML

    pdf = HTML(string=page(f'<img src="{png_server["http"]}">')).write_pdf()
    assert image_count(tools(pdf, tmp_path)["images"]) == 1
    assert png_server["hits"] == ["/x.png"]
    with urllib.request.urlopen(png_server["file"]) as response:
        assert response.read().startswith(b"\x89PNG")


def test_the_same_checks_do_see_static_images_and_attachments(tmp_path):
    """The control for the test above: what the fetcher allows does show up in those counts."""
    body = (
        '<p>Có tệp đính kèm</p><img src="qr:abc"><img src="qr:def">'
        '<link rel="attachment" href="/static/css/site.css">'
    )
    seen = tools(render.render_pdf(page(body)), tmp_path)
    assert image_count(seen["images"]) == 2
    assert "1 embedded files" in seen["attachments"]
    assert "site.css" in seen["attachments"]


def test_static_fonts_are_fetched_and_embedded(tmp_path):
    family = f"Static{uuid.uuid4().hex[:8]}"
    pdf = render.render_pdf(
        page(
            "<p>Xin chào Việt Nam</p>",
            family=family,
            font_src="/static/fonts/LiberationSerif-Italic.ttf",
        )
    )
    assert embedded_font_names(pdf) == {"Liberation Serif Italic"}


def test_a_font_outside_static_is_not_fetched(tmp_path):
    family = f"Local{uuid.uuid4().hex[:8]}"
    system_font = next(Path("/usr/share/fonts").rglob("LiberationSerif-Italic.ttf"), None)
    assert system_font, "fonts-liberation2 is installed on these machines"
    pdf = render.render_pdf(
        page("<p>Xin chào Việt Nam</p>", family=family, font_src=system_font.as_uri())
    )
    assert "Liberation Serif Italic" not in embedded_font_names(pdf)


@pytest.mark.django_db
def test_a_document_whose_content_holds_those_tags_is_signed_without_them(
    demo_pki, agency, request_document, tmp_path
):
    context = notice_context()
    context["paragraphs"] = [*context["paragraphs"], *HOSTILE]
    context["recipient"] = HOSTILE[0]
    document = request_document(agency, context=context)
    plain = request_document(agency, kind="plain")
    assert document.status == plain.status == Document.Status.SIGNED, document.error

    pdf = document.pdf.read()
    seen, control = tools(pdf, tmp_path), tools(plain.pdf.read(), tmp_path)
    assert image_count(seen["images"]) == image_count(control["images"]) == 1  # the QR code
    assert seen["attachments"].strip() == "0 embedded files"
    assert b"/EmbeddedFile" not in pdf
    assert PASSWD not in seen["text"] and "root:x" not in seen["text"]
    # The markup was escaped: it is printed as text, not obeyed.
    assert "file:///etc/passwd" in re.sub(r"\s+", "", seen["text"])
    # The template's fonts came from /static/fonts/ (the fallback would be Noto).
    assert embedded_font_names(pdf) >= {"Liberation Serif", "Liberation Serif Bold"}
    assert all(name.startswith("Liberation Serif") for name in embedded_font_names(pdf))


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://127.0.0.1:9/x.png",
        "https://documents.invalid/media/documents/a.pdf",
        "https://documents.invalid/static/../portal/settings.py",
        "https://documents.invalid/static/fonts/%2e%2e/%2e%2e/portal/settings.py",
        "https://example.com/static/fonts/LiberationSerif-Regular.ttf",
        "data:text/plain;base64,cm9vdDp4OjA6MA==",
        "https://documents.invalid/static/fonts/no-such-font.ttf",
    ],
)
def test_the_fetcher_refuses_everything_but_static_files(url):
    with pytest.raises(render.Refused):
        render._fetch(url)


def test_the_fetcher_serves_static_files_and_qr_codes():
    font = "fonts/LiberationSerif-Regular.ttf"
    body, mime = render._fetch(f"https://documents.invalid/static/{font}")
    assert body == (Path(settings.BASE_DIR) / "static" / font).read_bytes()
    assert mime == "font/ttf"
    body, mime = render._fetch("qr:https%3A//dvc.example.vn/verify/ABC/")
    assert mime == "image/png" and body.startswith(b"\x89PNG")
