"""Personal data taken out of text before it is published: email addresses, phone numbers,
citizen ID (and old 9-digit identity card) numbers, and the names the caller knows belong to the
sender. What is left is what the public page shows (feedback.services.feedback_publish)."""

import re

MASK = "***"

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# Vietnamese phone numbers as people write them: 0912 345 678, 0912.345.678, +84 912345678.
_PHONE = re.compile(r"(?<![\w])(?:\+?84|0)(?:[\s.\-]?\d){8,10}(?!\d)")
# A run of 9 to 12 digits anywhere (citizen ID 12, identity card 9, and anything like them).
_ID_NUMBER = re.compile(r"(?<!\d)\d{9,12}(?!\d)")


def mask(text: str, *, names: tuple[str, ...] = ()) -> str:
    """`text` with personal data replaced by ***; `names` (the sender's) are masked wherever they
    appear, in any letter case."""
    if not text:
        return ""
    text = _EMAIL.sub(MASK, text)
    text = _PHONE.sub(MASK, text)
    text = _ID_NUMBER.sub(MASK, text)
    for name in sorted(
        {n.strip() for n in names if n and len(n.strip()) >= 3}, key=len, reverse=True
    ):
        text = re.sub(re.escape(name), MASK, text, flags=re.IGNORECASE)
    return text
