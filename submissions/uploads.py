"""Checking an uploaded file before it is stored: its size, its real type (read from its
content, never from its name), a clean display name, and images that would exhaust memory when
decoded (decompression bombs)."""

import hashlib
import re
import unicodedata
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MB = 1024 * 1024

_SIGNATURES = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
)
EXTENSIONS = {content_type: ext for _sig, content_type, ext in _SIGNATURES}
TYPE_LABELS = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')


@dataclass(frozen=True)
class Inspected:
    name: str
    content_type: str
    size: int
    sha256: str


def allowed_types_label() -> str:
    return ", ".join(TYPE_LABELS.get(t, t) for t in settings.UPLOAD_ALLOWED_TYPES)


def _visible(text: str) -> str:
    """C1 controls and invisible format characters are as unsafe in a name as C0 controls:
    U+202E (right-to-left override) makes "scan<U+202E>gnp.pdf" look like "scanfdp.png"."""
    return "".join(" " if unicodedata.category(ch) in ("Cc", "Cf") else ch for ch in text)


def clean_name(raw: str, extension: str) -> str:
    """The name to show: no folders (either slash), no control or reserved characters, no
    leading dots, at most 100 characters, and the extension of the type actually found."""
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[/\\]", name)[-1]
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = _UNSAFE.sub(" ", _visible(stem))
    stem = re.sub(r"\s+", " ", stem).strip(" .")[:100].strip(" .")
    return f"{stem or 'file'}.{extension}"


def shown_name(raw: str) -> str:
    """The name the user picked, cleaned like `clean_name` but with its own extension, for
    messages: "giay.pdf is empty" names the file; "giay is empty" may name two."""
    name = re.split(r"[/\\]", unicodedata.normalize("NFC", raw or ""))[-1]
    name = re.sub(r"\s+", " ", _UNSAFE.sub(" ", _visible(name))).strip()
    return name[:110] or "file"


def _sniff(head: bytes) -> str | None:
    for signature, content_type, _ext in _SIGNATURES:
        if head.startswith(signature):
            return content_type
    # PDF readers accept the header anywhere in the first kilobyte (ISO 32000-1, annex H).
    if b"%PDF-" in head[:1024]:
        return "application/pdf"
    return None


def _check_pdf(upload, name: str) -> None:
    upload.seek(max(upload.size - 2048, 0))
    if b"%%EOF" not in upload.read():
        raise ValidationError(
            _("%(name)s is not a complete PDF file (it may be damaged or cut short).")
            % {"name": name}
        )


def _check_image(upload, name: str) -> None:
    from PIL import Image

    upload.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # Opening reads only the header: the size is known before anything is decoded.
            with Image.open(upload) as image:
                width, height = image.size
                if width * height > settings.UPLOAD_MAX_IMAGE_PIXELS:
                    raise ValidationError(
                        _(
                            "%(name)s is an image of %(width)s × %(height)s pixels, more than "
                            "this portal accepts. Scan or photograph it at a lower resolution."
                        )
                        % {"name": name, "width": width, "height": height}
                    )
                image.verify()
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ValidationError(
            _("%(name)s is an image too large to open safely.") % {"name": name}
        ) from exc
    except Exception as exc:  # Pillow raises many kinds for a damaged file
        raise ValidationError(
            _("%(name)s is not a readable image (it may be damaged).") % {"name": name}
        ) from exc


def inspect(upload) -> Inspected:
    """Raise ValidationError with a message naming the file, or describe the file to store."""
    shown = shown_name(upload.name)
    if not upload.size:
        raise ValidationError(_("%(name)s is empty.") % {"name": shown})
    limit = settings.UPLOAD_MAX_FILE_MB * MB
    if upload.size > limit:
        raise ValidationError(
            _("%(name)s is %(size).1f MB; a file may be at most %(limit)s MB.")
            % {"name": shown, "size": upload.size / MB, "limit": settings.UPLOAD_MAX_FILE_MB}
        )
    upload.seek(0)
    content_type = _sniff(upload.read(1024))
    if content_type is None or content_type not in settings.UPLOAD_ALLOWED_TYPES:
        raise ValidationError(
            _(
                "%(name)s is not a %(types)s file. Its content was checked, not its name: "
                "renaming a file does not change its type."
            )
            % {"name": shown, "types": allowed_types_label()}
        )
    if content_type == "application/pdf":
        _check_pdf(upload, shown)
    else:
        _check_image(upload, shown)
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return Inspected(
        name=clean_name(upload.name, EXTENSIONS[content_type]),
        content_type=content_type,
        size=upload.size,
        sha256=digest.hexdigest(),
    )
