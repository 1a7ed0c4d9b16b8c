"""Filters for the papers' Decree 30/2020/NĐ-CP layout (Appendix I)."""

import datetime as dt

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def decree_date(value) -> str:
    """ "ngày 05 tháng 02 năm 2026", "ngày 15 tháng 3 năm 2026": Decree 30/2020/NĐ-CP Appendix I
    (the date of issue): Arabic numerals, a 0 before a day under 10 and before months 1 and 2."""
    if not value:
        return "ngày … tháng … năm …"
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    month = f"{value.month:02d}" if value.month < 3 else str(value.month)
    return f"ngày {value.day:02d} tháng {month} năm {value.year}"


SHORT = 44  # characters of "label: value" that fit half a line of a slip


@register.filter
def two_short_to_a_line(facts) -> list[list]:
    """Facts ("label", "value") as lines: two short ones side by side, a long one alone."""
    lines, pending = [], None
    for label, value in facts or []:
        short = len(label) + len(str(value)) + 2 <= SHORT and "\n" not in str(value)
        if pending is not None:
            if short:
                lines.append([pending, (label, value)])
                pending = None
                continue
            lines.append([pending])
            pending = None
        if short:
            pending = (label, value)
        else:
            lines.append([(label, value)])
    if pending is not None:
        lines.append([pending])
    return lines
