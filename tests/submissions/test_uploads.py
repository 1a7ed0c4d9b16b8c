"""Uploaded files: what `submissions.uploads.inspect` accepts and refuses, and what
`services.dossier_add_files` stores (all of a call's files, or none, and nothing else changed)."""

import hashlib
import re
import resource
import struct
import time
import unicodedata
import zlib
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from django.utils.translation import gettext

from submissions import services, uploads
from submissions.models import Dossier
from tests.factories import (
    PDF_BYTES,
    CitizenFactory,
    DossierFactory,
    RequiredDocumentFactory,
    jpeg_bytes,
    png_bytes,
)

pytestmark = pytest.mark.django_db


MB = 1024 * 1024
WRONG_TYPE = (
    "{name} is not a {types} file. Its content was checked, not its name: renaming a file does "
    "not change its type."
)
DAMAGED_IMAGE = "{name} is not a readable image (it may be damaged)."
CUT_PDF = "{name} is not a complete PDF file (it may be damaged or cut short)."

# --- files --------------------------------------------------------------------------------------

WINDOWS_EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"\x00" * 48
    + (b"This program cannot be run in DOS mode.\r\r\n$" + b"\x00" * 200)
)
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 200
ZIP = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 20 + b"word/document.xml" + b"\x00" * 50
HTML = b"<!DOCTYPE html><html><body><script>fetch('/x?c='+document.cookie)</script></body></html>"


def pdf_of_size(size: int) -> bytes:
    """A PDF (header first, %%EOF last) of exactly `size` bytes."""
    head, tail = PDF_BYTES.removesuffix(b"%%EOF\n"), b"\n%%EOF\n"
    padding = size - len(head) - len(tail) - 1
    assert padding >= 0
    return head + b"%" + b"0" * padding + tail


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def grey_png(width: int, height: int) -> bytes:
    """A valid 1-bit greyscale PNG, written by hand: IHDR, one IDAT of zero rows, IEND. Every
    row compresses to almost nothing, so a huge image is small on disk (a decompression bomb)."""
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte "none", then the packed pixels
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", idat)
        + _chunk(b"IEND", b"")
    )


def damaged_png() -> bytes:
    """A real PNG with one byte of its image data flipped (its CRC no longer matches)."""
    data = bytearray(png_bytes(16, 16))
    idat = data.index(b"IDAT")
    data[idat + 8] ^= 0xFF
    return bytes(data)


def upload(name: str, data: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, data, content_type)


def refusal(file) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        uploads.inspect(file)
    return caught.value.messages


# --- the dossier side ---------------------------------------------------------------------------


@pytest.fixture
def dossier():
    """A complete draft: answers and one PDF in its one required document."""
    return DossierFactory(complete=True)


def slot(dossier) -> int:
    return dossier.version.documents.get(required=True).pk


def add(dossier, *files, requirement_id=None):
    return services.dossier_add_files(
        dossier=dossier,
        actor=dossier.applicant,
        requirement_id=requirement_id or slot(dossier),
        files=list(files),
    )


def files_on_disk(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(path for path in root.rglob("*") if path.is_file())


def snapshot(dossier) -> tuple:
    fresh = Dossier.objects.get(pk=dossier.pk)
    files = list(
        fresh.files.order_by("pk").values_list("pk", "name", "file", "sha256", "removed_at")
    )
    return fresh.state, fresh.answers, fresh.updated_at, files


def assert_refused(settings, dossier, files, messages: list[str]) -> None:
    """The call fails with exactly `messages`; the dossier and the disk are as they were."""
    before, on_disk = snapshot(dossier), files_on_disk(settings)
    with pytest.raises(ValidationError) as caught:
        add(dossier, *files)
    assert caught.value.messages == messages
    assert snapshot(dossier) == before
    assert files_on_disk(settings) == on_disk


# --- accepted files -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "content_type", "stored_name"),
    [
        ("don-de-nghi.pdf", PDF_BYTES, "application/pdf", "don-de-nghi.pdf"),
        ("anh-chup.jpg", jpeg_bytes(), "image/jpeg", "anh-chup.jpg"),
        ("ban-scan.png", png_bytes(), "image/png", "ban-scan.png"),
        # The extension comes from the content, whatever the name says.
        ("anh-chup.PNG", jpeg_bytes(), "image/jpeg", "anh-chup.jpg"),
        ("ban-scan.jpeg", png_bytes(), "image/png", "ban-scan.png"),
        ("don", PDF_BYTES, "application/pdf", "don.pdf"),
    ],
)
def test_accepted_types_are_read_from_the_content(name, data, content_type, stored_name):
    file = upload(name, data, "text/plain")  # what the browser claims is ignored
    info = uploads.inspect(file)
    assert info.content_type == content_type
    assert info.name == stored_name
    assert info.size == len(data)
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    assert file.read() == data  # rewound for whoever stores it next


def test_sha256_covers_every_chunk_of_a_large_file():
    data = pdf_of_size(300 * 1024)  # several 64 KiB chunks
    data = data[:100_000] + b"different middle" + data[100_016:]
    info = uploads.inspect(upload("lon.pdf", data))
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    assert info.size == 300 * 1024


def test_a_pdf_header_within_the_first_kilobyte_is_accepted(english):
    # PDF readers look for the header anywhere in the first 1024 bytes (ISO 32000-1, annex H).
    within = b"\x00" * 1019 + PDF_BYTES  # "%PDF-" ends at byte 1024
    assert uploads.inspect(upload("quet.pdf", within)).content_type == "application/pdf"
    beyond = b"\x00" * 1020 + PDF_BYTES
    assert refusal(upload("quet.pdf", beyond)) == [
        WRONG_TYPE.format(name="quet.pdf", types="PDF, JPEG, PNG")
    ]


def test_a_file_of_exactly_the_limit_is_accepted(settings):
    settings.UPLOAD_MAX_FILE_MB = 1
    assert uploads.inspect(upload("vua.pdf", pdf_of_size(MB))).size == MB


# --- refused files ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("giay.pdf", WINDOWS_EXE),
        ("anh.png", ELF),
        ("ho-so.pdf", ZIP),
        ("anh.png", HTML),
        ("anh.jpg", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"),
    ],
    ids=["windows-exe-as-pdf", "elf-as-png", "zip-as-pdf", "html-as-png", "gif-as-jpg"],
)
def test_other_types_are_refused_whatever_their_name(english, name, data):
    claimed = "application/pdf" if name.endswith(".pdf") else "image/png"
    assert refusal(upload(name, data, claimed)) == [
        WRONG_TYPE.format(name=name, types="PDF, JPEG, PNG")
    ]


def test_an_empty_file_is_refused(english):
    assert refusal(upload("trong.pdf", b"")) == ["trong.pdf is empty."]


def test_a_file_over_the_limit_is_refused(english, settings):
    settings.UPLOAD_MAX_FILE_MB = 1
    assert refusal(upload("qua-lon.pdf", pdf_of_size(MB + 1))) == [
        "qua-lon.pdf is 1.0 MB; a file may be at most 1 MB."
    ]
    assert refusal(upload("qua-lon.pdf", pdf_of_size(3 * MB + MB // 2))) == [
        "qua-lon.pdf is 3.5 MB; a file may be at most 1 MB."
    ]


def test_a_truncated_pdf_is_refused(english):
    cut = PDF_BYTES.replace(b"%%EOF", b"")
    assert refusal(upload("bi-cat.pdf", cut)) == [CUT_PDF.format(name="bi-cat.pdf")]
    # %%EOF near the start, then much more: the end of the file is what counts.
    cut_later = PDF_BYTES + b"%" + b"0" * 5000 + b"\n"
    assert refusal(upload("bi-cat.pdf", cut_later)) == [CUT_PDF.format(name="bi-cat.pdf")]


@pytest.mark.parametrize(
    "data",
    [damaged_png(), png_bytes(16, 16)[:-30], png_bytes(16, 16)[:40], jpeg_bytes(16, 16)[:60]],
    ids=["flipped-byte", "no-end", "header-only", "cut-jpeg"],
)
def test_a_damaged_image_is_refused(english, data):
    assert refusal(upload("hong.png", data)) == [DAMAGED_IMAGE.format(name="hong.png")]


def test_a_decompression_bomb_is_refused_before_it_is_decoded(english):
    bomb = grey_png(30_000, 30_000)  # 900 megapixels: 900 MB once decoded as greyscale
    assert len(bomb) < 200 * 1024
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    started = time.monotonic()
    messages = refusal(upload("bom.png", bomb))
    elapsed = time.monotonic() - started
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before
    assert messages == ["bom.png is an image too large to open safely."]
    # Decoding would take seconds and hundreds of MB; reading the header takes neither.
    assert elapsed < 2
    assert grown_kib < 100 * 1024


def test_an_image_over_the_portals_pixel_limit_is_refused(english, settings):
    settings.UPLOAD_MAX_IMAGE_PIXELS = 1_000_000
    assert uploads.inspect(upload("vua.png", grey_png(1000, 1000))).content_type == "image/png"
    assert refusal(upload("to.png", grey_png(1001, 1000))) == [
        "to.png is an image of 1001 × 1000 pixels, more than this portal accepts. Scan or "
        "photograph it at a lower resolution."
    ]


def test_only_the_allowed_types_are_accepted(english, settings):
    settings.UPLOAD_ALLOWED_TYPES = ["application/pdf"]
    assert refusal(upload("anh.png", png_bytes(), "image/png")) == [
        WRONG_TYPE.format(name="anh.png", types="PDF")
    ]
    assert refusal(upload("anh.jpg", jpeg_bytes(), "image/jpeg")) == [
        WRONG_TYPE.format(name="anh.jpg", types="PDF")
    ]
    assert uploads.inspect(upload("don.pdf", PDF_BYTES)).content_type == "application/pdf"


@pytest.mark.parametrize(
    ("make", "msgid"),
    [
        (lambda: upload("trong.pdf", b""), "%(name)s is empty."),
        (
            lambda: upload("trong.pdf", WINDOWS_EXE),
            "%(name)s is not a %(types)s file. Its content was checked, not its name: renaming "
            "a file does not change its type.",
        ),
        (
            lambda: upload("trong.pdf", PDF_BYTES.replace(b"%%EOF", b"")),
            "%(name)s is not a complete PDF file (it may be damaged or cut short).",
        ),
    ],
    ids=["empty", "wrong-type", "cut-pdf"],
)
def test_messages_are_in_the_active_language(make, msgid):
    params = {"name": "trong.pdf", "types": "PDF, JPEG, PNG"}
    with translation.override("en"):
        assert refusal(make()) == [msgid % params]
    # Vietnamese is the default language: the message is whatever the Vietnamese catalogue
    # says (the English text until the translation is written), with the file's name in it.
    assert translation.get_language() == "vi"
    with translation.override("vi"):
        vietnamese = gettext(msgid) % params
    assert refusal(make()) == [vietnamese]
    assert "trong.pdf" in vietnamese


# --- names and where files are stored -----------------------------------------------------------

NFD_NAME = unicodedata.normalize("NFD", "Giấy khai sinh bản sao.pdf")


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\win.pdf", "win.pdf"),
        ("/abs/path/don.pdf", "don.pdf"),
        ("C:\\Users\\an\\Desktop\\don.pdf", "don.pdf"),
        ("a\x00b\x1fc\x7fd.pdf", "a b c d.pdf"),
        ("line\r\nbreak.pdf", "line break.pdf"),
        ("c1\x9bcontrol.pdf", "c1 control.pdf"),
        ("bill\u202efdp.exe", "bill fdp.pdf"),  # right-to-left override, shown reversed
        ('a<b>c:"d|e?f*.pdf', "a b c d e f.pdf"),
        ("...hidden.pdf", "hidden.pdf"),
        ("..", "file.pdf"),
        ("", "file.pdf"),
        ("x" * 300 + ".pdf", "x" * 100 + ".pdf"),
        (NFD_NAME, unicodedata.normalize("NFC", "Giấy khai sinh bản sao.pdf")),
    ],
    ids=[
        "dot-dot-slash",
        "dot-dot-backslash",
        "absolute",
        "windows-path",
        "c0-controls",
        "newline",
        "c1-control",
        "rtl-override",
        "reserved",
        "leading-dots",
        "only-dots",
        "empty",
        "300-chars",
        "nfd-vietnamese",
    ],
)
def test_stored_names_are_clean_and_paths_are_random(settings, dossier, raw, clean):
    # A ContentFile keeps the name as given (an UploadedFile already drops "/" folders): the
    # portal's own cleaning is what is tested.
    (record,) = add(dossier, ContentFile(PDF_BYTES, name=raw))
    record.refresh_from_db()
    assert record.name == clean
    assert len(record.name) <= 104
    assert not any(unicodedata.category(ch) in ("Cc", "Cf") for ch in record.name)
    folder = (Path(settings.MEDIA_ROOT) / "dossiers" / str(dossier.public_id)).resolve()
    stored = Path(record.file.path).resolve()
    assert stored.parent == folder
    assert re.fullmatch(r"[0-9a-f]{32}\.pdf", stored.name)
    assert record.file.name == f"dossiers/{dossier.public_id}/{stored.name}"
    assert stored.read_bytes() == PDF_BYTES


def test_the_same_name_twice_gets_two_stored_files(dossier):
    first, second = add(
        dossier, upload("don.pdf", PDF_BYTES), upload("don.pdf", PDF_BYTES + b"%second\n")
    )
    assert first.name == second.name == "don.pdf"
    assert first.file.name != second.file.name
    assert Path(first.file.path).read_bytes() == PDF_BYTES
    assert Path(second.file.path).read_bytes() == PDF_BYTES + b"%second\n"


# --- dossier_add_files --------------------------------------------------------------------------


def test_added_files_are_described_and_stored(dossier):
    before = Dossier.objects.get(pk=dossier.pk).updated_at
    png, jpeg = png_bytes(8, 8), jpeg_bytes(8, 8)
    stored = add(dossier, upload("mat-truoc.png", png), upload("mat-sau.jpg", jpeg))
    assert [(f.name, f.content_type, f.size, f.sha256) for f in stored] == [
        ("mat-truoc.png", "image/png", len(png), hashlib.sha256(png).hexdigest()),
        ("mat-sau.jpg", "image/jpeg", len(jpeg), hashlib.sha256(jpeg).hexdigest()),
    ]
    for record in stored:
        assert record.pk is not None
        assert record.requirement_id == slot(dossier)
        assert record.uploaded_by == dossier.applicant
        assert record.round == 0 and record.removed_at is None
        assert hashlib.sha256(Path(record.file.path).read_bytes()).hexdigest() == record.sha256
    assert dossier.files.filter(removed_at__isnull=True).count() == 3
    assert Dossier.objects.get(pk=dossier.pk).updated_at > before


@pytest.mark.parametrize(
    ("name", "make", "message"),
    [
        (
            "giay.pdf",
            lambda: WINDOWS_EXE,
            WRONG_TYPE.format(name="giay.pdf", types="PDF, JPEG, PNG"),
        ),
        ("anh.png", lambda: HTML, WRONG_TYPE.format(name="anh.png", types="PDF, JPEG, PNG")),
        ("trong.pdf", lambda: b"", "trong.pdf is empty."),
        ("cut.pdf", lambda: PDF_BYTES[:-7], CUT_PDF.format(name="cut.pdf")),
        ("hong.png", damaged_png, DAMAGED_IMAGE.format(name="hong.png")),
        (
            "bom.png",
            lambda: grey_png(30_000, 30_000),
            "bom.png is an image too large to open safely.",
        ),
        ("lon.pdf", lambda: pdf_of_size(MB + 1), "lon.pdf is 1.0 MB; a file may be at most 1 MB."),
        ("../../etc/x.pdf", lambda: b"", "x.pdf is empty."),
    ],
    ids=["exe", "html", "empty", "cut-pdf", "damaged-png", "bomb", "too-large", "traversal"],
)
def test_a_refused_file_changes_nothing(english, settings, dossier, name, make, message):
    settings.UPLOAD_MAX_FILE_MB = 1
    assert_refused(settings, dossier, [upload(name, make())], [message])


def test_one_bad_file_among_several_stores_none(english, settings, dossier):
    good = [upload("mot.pdf", PDF_BYTES), upload("hai.png", png_bytes())]
    bad = upload("ba.pdf", WINDOWS_EXE, "application/pdf")
    assert_refused(
        settings,
        dossier,
        [good[0], bad, good[1]],
        [WRONG_TYPE.format(name="ba.pdf", types="PDF, JPEG, PNG")],
    )


def test_every_bad_file_is_named(english, settings, dossier):
    assert_refused(
        settings,
        dossier,
        [upload("trong.pdf", b""), upload("mot.pdf", PDF_BYTES), upload("hong.png", damaged_png())],
        ["trong.pdf is empty.", DAMAGED_IMAGE.format(name="hong.png")],
    )


def test_the_dossier_total_is_limited(english, settings, dossier):
    settings.UPLOAD_MAX_DOSSIER_MB = 1
    existing = dossier.files.get().size  # the complete dossier's PDF
    (first,) = add(dossier, upload("mot.pdf", pdf_of_size(600 * 1024)))
    total = existing + 600 * 1024 + 500 * 1024
    assert_refused(
        settings,
        dossier,
        [upload("hai.pdf", pdf_of_size(500 * 1024))],
        [
            f"These files would bring the dossier to {total / MB:.1f} MB; a dossier may hold at "
            "most 1 MB. Remove a file or send smaller scans."
        ],
    )
    # Together in one call, two files that each fit are refused the same way.
    services.dossier_remove_file(dossier=dossier, actor=dossier.applicant, file_id=first.pk)
    assert_refused(
        settings,
        dossier,
        [upload("mot.pdf", pdf_of_size(600 * 1024)), upload("hai.pdf", pdf_of_size(500 * 1024))],
        [
            f"These files would bring the dossier to {total / MB:.1f} MB; a dossier may hold at "
            "most 1 MB. Remove a file or send smaller scans."
        ],
    )
    # Up to the limit exactly is fine.
    (last,) = add(dossier, upload("vua.pdf", pdf_of_size(MB - existing)))
    assert last.size + existing == MB


def test_only_the_applicant_may_add_files(settings, dossier):
    before, on_disk = snapshot(dossier), files_on_disk(settings)
    with pytest.raises(PermissionDenied):
        services.dossier_add_files(
            dossier=dossier,
            actor=CitizenFactory(),
            requirement_id=slot(dossier),
            files=[upload("don.pdf", PDF_BYTES)],
        )
    assert snapshot(dossier) == before
    assert files_on_disk(settings) == on_disk


def test_files_go_to_a_document_of_the_dossiers_own_version(english, settings, dossier):
    elsewhere = RequiredDocumentFactory()  # a document of another procedure
    before = snapshot(dossier)
    with pytest.raises(ValidationError) as caught:
        add(dossier, upload("don.pdf", PDF_BYTES), requirement_id=elsewhere.pk)
    assert caught.value.messages == ["Choose which document these files are for."]
    with pytest.raises(ValidationError) as caught:
        add(dossier)
    assert caught.value.messages == ["Choose at least one file."]
    assert snapshot(dossier) == before


def test_a_submitted_dossier_takes_no_files(english, settings):
    dossier = DossierFactory(submitted=True)
    assert_refused(
        settings,
        dossier,
        [upload("don.pdf", PDF_BYTES)],
        ["This dossier can no longer be changed (it is now: Submitted)."],
    )
