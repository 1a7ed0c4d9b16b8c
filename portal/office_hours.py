"""Office hours written as "HH:MM-HH:MM" blocks (settings.OFFICE_HOURS, Agency.office_hours),
parsed once: for portal.workdays and the agency's validator alike, with no model behind them."""

import datetime as dt
from functools import lru_cache
from itertools import pairwise


def _parse_time(text: str) -> dt.time:
    hours, minutes = text.strip().split(":")
    return dt.time(int(hours), int(minutes))


@lru_cache(maxsize=8)
def _blocks(spec: tuple[str, ...]) -> tuple[tuple[dt.time, dt.time], ...]:
    blocks = []
    for item in spec:
        start, end = (_parse_time(part) for part in item.split("-"))
        if end <= start:
            raise ValueError(f"OFFICE_HOURS block {item!r} ends before it starts")
        blocks.append((start, end))
    blocks.sort()
    for (_, end), (start, _) in pairwise(blocks):
        if start < end:
            raise ValueError("OFFICE_HOURS blocks overlap")
    return tuple(blocks)
