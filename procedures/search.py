"""Accent-insensitive search text for Vietnamese ("cap ban sao van bang" finds "Cấp bản sao văn
bằng"): the same folding is applied to what is stored and to what is searched, so it works on
SQLite and PostgreSQL alike; PostgreSQL adds trigram similarity for one-letter typos."""

import re
import unicodedata

MAX_QUERY_LENGTH = 200
_KEEP = re.compile(r"[^a-z0-9.]+")


def fold(text: str) -> str:
    """Lower case, no diacritics, đ → d, only letters, digits and dots, single spaces."""
    text = unicodedata.normalize("NFD", text or "").replace("đ", "d").replace("Đ", "D")
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn").lower()
    return " ".join(_KEEP.sub(" ", text).split())


def terms(query: str) -> list[str]:
    """The folded words of a user's query, bounded so that no query is too costly."""
    words = fold((query or "")[: MAX_QUERY_LENGTH * 2]).split()
    seen, result = set(), []
    for word in words:
        word = word.strip(".")
        if word and word not in seen:
            seen.add(word)
            result.append(word)
    return result[:12]
