"""Amounts in Vietnamese words, as receipts write them ("Bằng chữ: …").

The reading accountants use on receipts and invoices: groups of three digits named đơn vị,
nghìn, triệu, tỷ (and nghìn tỷ, triệu tỷ above); a group after the first is read in full with
its hundreds ("không trăm") and a "linh" for a zero ten; "mười" for ten, "mốt" for a one after
twenty and up, "lăm" for a five after ten and up, "tư" not used (bốn). E.g. 1 005 000 →
"Một triệu không trăm linh năm nghìn đồng".
"""

DIGITS = ["không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"]
GROUPS = ["", "nghìn", "triệu", "tỷ", "nghìn tỷ", "triệu tỷ"]


def _three(number: int, *, full: bool) -> list[str]:
    """One group of three digits; `full` reads the hundreds and a zero ten of an inner group."""
    hundreds, tens, units = number // 100, number // 10 % 10, number % 10
    words = []
    if full or hundreds:
        words += [DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units and words:
            words.append("linh")
    elif tens == 1:
        words.append("mười")
    else:
        words += [DIGITS[tens], "mươi"]
    if units == 1 and tens >= 2:
        words.append("mốt")
    elif units == 5 and tens >= 1:
        words.append("lăm")
    elif units:
        words.append(DIGITS[units])
    return words


def number_in_words(number: int) -> str:
    if number < 0:
        raise ValueError("a negative amount")
    if number == 0:
        return "không"
    groups = []
    while number:
        groups.append(number % 1000)
        number //= 1000
    if len(groups) > len(GROUPS):
        raise ValueError("too large")
    words: list[str] = []
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            continue
        words += _three(group, full=bool(words))
        if GROUPS[index]:
            words.append(GROUPS[index])
    return " ".join(words)


def amount_in_words(amount: int) -> str:
    """ "Một trăm linh năm nghìn đồng": capitalised, with the currency."""
    text = number_in_words(int(amount))
    return f"{text[0].upper()}{text[1:]} đồng"
