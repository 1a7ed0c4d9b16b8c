"""Charts drawn on the server as SVG (no script, no CDN): the geometry is computed here and
written out as markup by `bars_svg` and `percent_bars_svg` (every text escaped). Each chart has a
title and a description for screen readers, and the page shows the same figures in a table
beside it. Coordinates are written with a dot whatever the page's language; the figures a reader
sees follow it."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.text import Truncator
from django.utils.translation import gettext as _

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 8, 12, 40
# Colours that keep a contrast of at least 3:1 with white and with each other's neighbours.
SERIES_COLOURS = ["#1f4e79", "#6b8e23", "#b35900"]


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    label: str


def nice_max(value: int) -> int:
    """The axis' top: 1, 2 or 5 times a power of ten, at least the value (and at least 1)."""
    if value <= 0:
        return 1
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def grouped_bars(categories: list[str], series: list[tuple[str, list[int]]]) -> dict:
    """Vertical bars, one group per category, one bar per series."""
    top = nice_max(max((v for _name, values in series for v in values), default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    group_w = plot_w / max(len(categories), 1)
    bar_w = group_w * 0.8 / max(len(series), 1)
    bars = []
    for i, _category in enumerate(categories):
        for j, (name, values) in enumerate(series):
            value = values[i]
            height = plot_h * value / top
            bars.append(
                Bar(
                    x=round(LEFT + i * group_w + group_w * 0.1 + j * bar_w, 1),
                    y=round(TOP + plot_h - height, 1),
                    width=round(bar_w, 1),
                    height=round(height, 1),
                    colour=SERIES_COLOURS[j % len(SERIES_COLOURS)],
                    label=f"{name}: {value}",
                )
            )
    step = top // 5 if top >= 5 else 1  # the axis' top is 1, 2 or 5 × 10ⁿ: whole steps
    ticks = [
        {"y": round(TOP + plot_h - plot_h * value / top, 1), "value": value}
        for value in range(0, top + 1, step)
    ]
    labels = [
        {"x": round(LEFT + i * group_w + group_w / 2, 1), "text": text}
        for i, text in enumerate(categories)
    ]
    legend = [
        {"x": LEFT + k * 170, "colour": SERIES_COLOURS[k % len(SERIES_COLOURS)], "name": name}
        for k, (name, _values) in enumerate(series)
    ]
    return {
        "width": WIDTH,
        "height": HEIGHT + 24,
        "bars": bars,
        "ticks": ticks,
        "labels": labels,
        "legend": legend,
        "axis_x": LEFT,
        "axis_right": WIDTH - RIGHT,
        "baseline": TOP + plot_h,
        "label_y": TOP + plot_h + 16,
        "legend_y": HEIGHT + 8,
    }


def percent_bars(rows: list[tuple[str, float | None]]) -> dict:
    """Horizontal bars of percentages (None: nothing to measure, drawn as an empty row)."""
    row_h, label_w, plot_w = 28, 220, WIDTH - 220 - 56
    bars = []
    for i, (name, percent) in enumerate(rows):
        y = 8 + i * row_h
        width = plot_w * (percent or 0) / 100
        bars.append(
            {
                "name": name,
                "y": y,
                "text_y": y + 15,
                "x": label_w,
                "width": round(width, 1),
                "value_x": round(label_w + width + 6, 1),
                "percent": percent,
            }
        )
    return {"width": WIDTH, "height": 16 + len(rows) * row_h, "bars": bars, "label_w": label_w}


def _svg(chart: dict, *, id: str, title: str, description: str, body: SafeString) -> SafeString:
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-labelledby="{}-title {}-desc" '
        'xmlns="http://www.w3.org/2000/svg"><title id="{}-title">{}</title>'
        '<desc id="{}-desc">{}</desc>{}</svg>',
        chart["width"], chart["height"], id, id, id, title, id, description, body,
    )  # fmt: skip


def bars_svg(chart: dict, *, id: str, title: str, description: str) -> SafeString:
    """The markup of a `grouped_bars` chart."""
    x0, x1 = chart["axis_x"], chart["axis_right"]
    body = SafeString(
        format_html_join(
            "",
            '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#d0d0d0" stroke-width="1"/>'
            '<text x="{}" y="{}" dy="4" text-anchor="end" font-size="11" fill="#333">{}</text>',
            ((x0, x1, t["y"], t["y"], x0 - 6, t["y"], t["value"]) for t in chart["ticks"]),
        )
        + format_html_join(
            "",
            '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}</title></rect>',
            ((b.x, b.y, b.width, b.height, b.colour, b.label) for b in chart["bars"]),
        )
        + format_html(
            '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#333" stroke-width="1"/>',
            x0, x1, chart["baseline"], chart["baseline"],
        )
        + format_html_join(
            "",
            '<text x="{}" y="{}" text-anchor="middle" font-size="10" fill="#333">{}</text>',
            ((label["x"], chart["label_y"], label["text"]) for label in chart["labels"]),
        )
        + format_html_join(
            "",
            '<rect x="{}" y="{}" width="12" height="12" fill="{}"/>'
            '<text x="{}" y="{}" font-size="11" fill="#1a1a1a">{}</text>',
            (
                (i["x"], chart["legend_y"], i["colour"], i["x"] + 16, chart["legend_y"] + 10,
                 i["name"])
                for i in chart["legend"]
            ),
        )
    )  # fmt: skip
    return _svg(chart, id=id, title=title, description=description, body=body)


def percent_bars_svg(chart: dict, *, id: str, title: str, description: str) -> SafeString:
    """The markup of a `percent_bars` chart."""
    nothing = _("nothing resolved")

    def value(bar):
        return nothing if bar["percent"] is None else f"{number_format(bar['percent'], 1)} %"

    body = format_html_join(
        "",
        '<text x="{}" y="{}" text-anchor="end" font-size="12" fill="#1a1a1a">{}</text>'
        '<rect x="{}" y="{}" width="{}" height="20" fill="#1f4e79"/>'
        '<text x="{}" y="{}" font-size="12" fill="#1a1a1a">{}</text>',
        (
            (chart["label_w"] - 8, b["text_y"], Truncator(b["name"]).chars(34), b["x"], b["y"],
             b["width"], b["value_x"], b["text_y"], value(b))
            for b in chart["bars"]
        ),
    )  # fmt: skip
    return _svg(chart, id=id, title=title, description=description, body=body)
