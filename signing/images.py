"""Demo signature images (Decree 30/2020 Appendix I): a leader's signature, blue on a
transparent background, and an agency's seal, red, transparent, round. A real agency uploads the
scans of its own; these stand in for them in the demo and the tests."""

import functools
import hashlib
import io
import math

from django.contrib.staticfiles import finders
from PIL import Image, ImageDraw, ImageFont

BLUE = (16, 40, 160, 255)
RED = (210, 20, 20, 255)
SCALE = 8  # pixels per millimetre: ~200 dpi, sharp when printed


def _font(size: int, *, italic: bool = False, bold: bool = False):
    name = "LiberationSerif-" + (
        "BoldItalic" if italic and bold else "Italic" if italic else "Bold" if bold else "Regular"
    )
    return ImageFont.truetype(finders.find(f"fonts/{name}.ttf"), size)


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def signature_png(full_name: str) -> bytes:
    """A handwritten-looking signature of the name (60 × 24 mm): the given name in italics with
    a flourish under it."""
    width, height = 60 * SCALE, 24 * SCALE
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    given = full_name.split()[-1] if full_name.split() else full_name
    font = _font(13 * SCALE, italic=True, bold=True)
    box = draw.textbbox((0, 0), given, font=font)
    x = (width - (box[2] - box[0])) // 2 - box[0]
    draw.text((x, -box[1] + SCALE), given, font=font, fill=BLUE)
    points = [
        (width * (0.12 + 0.76 * t), height * (0.8 - 0.08 * math.sin(t * math.pi * 3)))
        for t in [i / 40 for i in range(41)]
    ]
    draw.line(points, fill=BLUE, width=int(0.5 * SCALE), joint="curve")
    return _png(image)


def seal_png(agency_name: str, *, diameter_mm: int = 36, governing_body: str = "") -> bytes:
    """A round red seal (`diameter_mm` across, its actual size): two rings, the agency's name
    around the top, a star in the middle."""
    size = diameter_mm * SCALE
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    ring = int(0.7 * SCALE)
    draw.ellipse((ring, ring, size - ring, size - ring), outline=RED, width=ring)
    inner = int(7 * SCALE)
    draw.ellipse((inner, inner, size - inner, size - inner), outline=RED, width=ring // 2)
    centre, radius = size / 2, size / 2 - 4.2 * SCALE
    text = (governing_body + " * " if governing_body else "") + agency_name.upper()
    font = _font(int(2.6 * SCALE), bold=True)
    span = min(300.0, 10.0 * len(text))  # degrees of arc the text takes
    for index, char in enumerate(text):
        angle = math.radians(-90 - span / 2 + span * (index + 0.5) / len(text))
        glyph = Image.new("RGBA", (4 * SCALE, 4 * SCALE), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text((2 * SCALE, 2 * SCALE), char, font=font, fill=RED, anchor="mm")
        glyph = glyph.rotate(-math.degrees(angle) - 90, resample=Image.BICUBIC)
        x = centre + radius * math.cos(angle) - 2 * SCALE
        y = centre + radius * math.sin(angle) - 2 * SCALE
        image.alpha_composite(glyph, (int(x), int(y)))
    star = [
        (
            centre + (5 if i % 2 == 0 else 2) * SCALE * math.cos(math.radians(-90 + 36 * i)),
            centre + (5 if i % 2 == 0 else 2) * SCALE * math.sin(math.radians(-90 + 36 * i)),
        )
        for i in range(10)
    ]
    draw.polygon(star, fill=RED)
    return _png(image)


def seal_with_text(
    seal: bytes | None, lines: list[str], *, changing: int = 1, diameter_mm: int = 36
) -> Image.Image:
    """The organisation's signature appearance (RGBA): its seal (or none) with `lines` (who
    signed, when) in black 6.5 pt over the seal's lower part, so that a printed copy shows them.
    Only the last `changing` lines (the time) are drawn per signature: the seal with the others
    is decoded, scaled and drawn once per process and kept (keyed by the seal's SHA-256), then
    copied. No PNG is made: pyHanko takes the image as it is."""
    size = diameter_mm * SCALE
    font = _seal_font()
    wrapped = [_wrap(line, font, size * 0.92) for line in lines]
    count = sum(len(parts) for parts in wrapped)
    first = size - _SEAL_LINE_HEIGHT * count - SCALE
    fixed = [part for parts in wrapped[: len(lines) - changing] for part in parts]
    digest = hashlib.sha256(seal).digest() if seal else b""
    key = (digest, size, tuple(fixed), first)
    base = _seal_bases.get(key)
    if base is None:
        if len(_seal_bases) >= 16:  # a few agencies' seals per worker: keep it bounded
            _seal_bases.clear()
        base = _seal_bases[key] = _seal_base(seal, size, fixed, first)
    image = base.copy()
    draw = ImageDraw.Draw(image)
    y = first + _SEAL_LINE_HEIGHT * len(fixed)
    for parts in wrapped[len(lines) - changing :]:
        for text in parts:
            draw.text((size / 2, y), text, font=font, fill=(0, 0, 0, 255), anchor="ma")
            y += _SEAL_LINE_HEIGHT
    return image


_SEAL_LINE_HEIGHT = int(2.7 * SCALE)


@functools.cache
def _seal_font():
    return _font(int(6.5 * 25.4 / 72 * SCALE))


def _wrap(line: str, font, width: float) -> list[str]:
    """`line` word-wrapped to `width` pixels."""
    wrapped, current = [], ""
    for word in line.split():
        trial = f"{current} {word}".strip()
        if current and _measure().textlength(trial, font=font) > width:
            wrapped.append(current)
            current = word
        else:
            current = trial
    wrapped.append(current)
    return wrapped


_seal_bases: dict = {}  # (seal's SHA-256, size, fixed lines, first line's y) -> image


@functools.cache
def _measure():
    return ImageDraw.Draw(Image.new("RGBA", (1, 1)))


def _seal_base(seal: bytes | None, size: int, fixed: list[str], y: int) -> Image.Image:
    """The seal scaled to `size` with the `fixed` lines drawn from `y` down."""
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    if seal:
        image.alpha_composite(Image.open(io.BytesIO(seal)).convert("RGBA").resize((size, size)))
    draw = ImageDraw.Draw(image)
    for text in fixed:
        draw.text((size / 2, y), text, font=_seal_font(), fill=(0, 0, 0, 255), anchor="ma")
        y += _SEAL_LINE_HEIGHT
    return image
