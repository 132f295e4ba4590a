"""Open-class values read by pattern: times, prices, phone numbers, postcodes, stars, durations, counts.

Each reader takes the lower-cased text and returns ``(start, end, canonical value)`` spans. Canonical
forms: times ``HH:MM``; prices ``"5 pounds"`` / ``"7.50 pounds"``; phones digits only (``+44`` read as
``0``); postcodes letters and digits (``cb21uf``); stars a digit; durations ``"105 minutes"``; trainIDs
``TR1234``; references upper case; people and nights digits.
"""

from __future__ import annotations

import re

from coalm_env.domains.tod.understanding.synonyms import NUMBER_WORDS

__all__ = ["times", "prices", "bare_amounts", "fee_amounts", "phones", "postcodes", "stars", "durations", "train_ids", "references", "counts",
           "number_value", "Span", "AMBIGUOUS_HOUR"]

Span = tuple[int, int, str]
#: marks a time read from a 12-hour form without am/pm (``"seven o'clock"``): it may be the other half-day
AMBIGUOUS_HOUR = "~"

_NUM = "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
_N = rf"(?:\d+(?:\.\d+)?|{_NUM})"
_HOUR_WORDS = {w: v for w, v in NUMBER_WORDS.items() if 1 <= v <= 12}
_HW = "|".join(sorted(_HOUR_WORDS, key=len, reverse=True))
_MINUTE_WORDS = {"oh five": 5, "ten": 10, "fifteen": 15, "twenty": 20, "twenty five": 25, "thirty": 30,
                 "forty": 40, "forty five": 45, "fifty": 50, "fifty five": 55}
_MW = "|".join(sorted(_MINUTE_WORDS, key=len, reverse=True))
_AMPM = r"\s*(a\.?\s?m\b\.?|p\.?\s?m\b\.?|in the (?:morning|afternoon|evening)|at night|tonight)?"


def number_value(word: str) -> float | None:
    """``"7"`` -> 7, ``"7.50"`` -> 7.5, ``"seven"`` -> 7; else ``None``."""
    if word in NUMBER_WORDS:
        return float(NUMBER_WORDS[word])
    try:
        return float(word)
    except ValueError:
        return None


def _clock(hour: int, minute: int, marker: str | None) -> str | None:
    if hour > 24 or minute > 59:
        return None
    marker = (marker or "").replace(".", "").replace(" ", "")
    if marker.startswith("p") or any(w in marker for w in ("afternoon", "evening", "night")):
        hour = hour + 12 if hour < 12 else hour
    elif marker.startswith("a") or "morning" in marker:
        hour = 0 if hour == 12 else hour
    elif hour <= 12:
        return f"{hour % 24:02d}:{minute:02d}{AMBIGUOUS_HOUR}" if hour else f"00:{minute:02d}"
    return f"{hour % 24:02d}:{minute:02d}"


_DIGIT_TIME = re.compile(rf"(?<![\d.:£$])(\d{{1,2}})(?:\s?[:.]\s?(\d{{2}}))?(?:\s*o'?\s?clock)?{_AMPM}(?![\d])")
_SPOKEN = re.compile(
    rf"\b(?:(half|quarter|(?:{_MW}|\d{{1,2}})(?: minutes?)?) (past|after|to|before) ({_HW}|\d{{1,2}})"
    rf"|({_HW})(?: ({_MW}|o'?\s?clock))?){_AMPM}(?=\W|$)")
_MONEY_AFTER = re.compile(r"\s?(?:pounds?|gbp|quid|pence|p\b|per\b|each\b)")
#: a 24-hour time written as four digits (or two pairs) right after a time word: "at 0700", "after 1600"
_CUED_DIGITS = re.compile(r"\b(?:at|after|before|by|until|from|around|leaves|departs|arrives)\s+"
                          r"([01]\d|2[0-3])\s?([0-5]\d)(?![\w:.,]\d|\w)")
_NAMED = {"noon": "12:00", "midday": "12:00", "midnight": "00:00", "mid day": "12:00"}
_NAMED_RE = re.compile(r"\b(noon|midday|mid day|midnight)\b")


def times(low: str) -> list[Span]:
    """Clock times; a 12-hour time without am/pm carries :data:`AMBIGUOUS_HOUR` after ``HH:MM``."""
    out: list[Span] = []
    for m in _DIGIT_TIME.finditer(low):
        if m.group(2) is None and not m.group(3) and "clock" not in m.group(0):
            continue  # a bare number is not a time
        if _MONEY_AFTER.match(low, m.end()) or low[max(0, m.start() - 2):m.start()].strip().endswith("£"):
            continue  # "5.00 gbp", "£ 7.50"
        value = _clock(int(m.group(1)), int(m.group(2) or 0), m.group(3))
        if value:
            out.append((m.start(), m.end(), value))
    for m in _SPOKEN.finditer(low):
        value = _spoken(m)
        if value and not any(s <= m.start() < e for s, e, _ in out):
            out.append((m.start(), m.end(), value))
    for m in _CUED_DIGITS.finditer(low):  # "leaves at 0524", "after 1600", "leaves at 09 21"
        if not any(s <= m.start(1) < e for s, e, _ in out) and not _MONEY_AFTER.match(low, m.end()):
            out.append((m.start(1), m.end(), f"{m.group(1)}:{m.group(2)}"))
    out += [(m.start(), m.end(), _NAMED[m.group(1)]) for m in _NAMED_RE.finditer(low)]
    return sorted(out)


def _spoken(m: re.Match[str]) -> str | None:
    """Groups: 1 amount, 2 past/to, 3 hour (``"half past seven"``); 4 hour, 5 minutes or o'clock
    (``"seven thirty"``, ``"seven o'clock"``); 6 am/pm."""
    if m.group(2):
        amount = m.group(1).removesuffix(" minutes").removesuffix(" minute")
        minutes = {"half": 30, "quarter": 15}.get(amount) or _MINUTE_WORDS.get(amount)
        minutes = int(amount) if minutes is None and amount.isdigit() else minutes
        hour = int(m.group(3)) if m.group(3).isdigit() else _HOUR_WORDS[m.group(3)]
        if minutes is None or minutes >= 60 or not 1 <= hour <= 12:
            return None
        if m.group(2) in ("to", "before"):
            hour, minutes = (hour - 1) or 12, 60 - minutes
        return _clock(hour, minutes, m.group(6))
    if not m.group(5):
        return None  # "seven" alone is a number, not a time
    minutes = 0 if "clock" in m.group(5) else _MINUTE_WORDS[m.group(5)]
    return _clock(_HOUR_WORDS[m.group(4)], minutes, m.group(6))


#: misspelt "GBP" after an amount in MultiWOZ wizard turns ("50.5 GDP", "241.92 GNP", "14.08 GBO", "33 GB")
_GBP_TYPO = r"(?<=\d )(?:gb[po]?|gdp|gnp)\b"
_PRICE = re.compile(
    rf"(?:£|gbp ?)\s?(\d+(?:[.,]\d{{1,2}})?)|(?<![\w.])({_N})(?:\s?(?:pounds?|quid|gbp|£|{_GBP_TYPO})|(?<=\d)p\b)"
    rf"(?:\s?(?:and )?(\d{{1,2}}|{_NUM})(?:\s?(?:pence|p)\b)?)?")


def prices(low: str) -> list[Span]:
    """Amounts of money (``£5``, ``5.00 gbp``, ``seven pounds fifty``) as ``"N pounds"``."""
    out: list[Span] = []
    for m in _PRICE.finditer(low):
        amount = number_value((m.group(1) or m.group(2)).replace(",", "."))
        if amount is None:
            continue
        if m.group(3):
            pence = number_value(m.group(3))
            if pence is None or pence >= 100:
                continue
            amount += pence / 100
        out.append((m.start(), m.end(), format_pounds(amount)))
    return out


_BARE_AMOUNT = re.compile(r"(?:fee|cost|costs|price|admission|entry|charge|charges|is|are|of)\s*(?:is\s*)?:?\s*"
                         r"(\d{1,3}\.\d{2})(?![\d:])(?!\s?(?:am|pm|a\.m|p\.m|o'?clock))")


def bare_amounts(low: str) -> list[Span]:
    """Amounts said without a currency after a fee word (``"the entrance fee is 2.50"``)."""
    return [(m.start(1), m.end(1), format_pounds(float(m.group(1)))) for m in _BARE_AMOUNT.finditer(low)]


_FEE_AMOUNT = re.compile(r"\b(?:fee|cost|costs|price|total|paying|pay|charge)\s*(?:will be|would be|is|of|comes to|:)?"
                         r"\s*(\d{1,4}\.\d{1,2})(?![\d:])(?!\s?(?:am|pm|a\.m|p\.m|o'?clock))")


def fee_amounts(low: str) -> list[Span]:
    """Amounts said without a currency right after a price word (``"the total fee of 600.79"``,
    ``"the price is 89.5"``, ``"you will be paying 35.20"``)."""
    return [(m.start(1), m.end(1), format_pounds(float(m.group(1)))) for m in _FEE_AMOUNT.finditer(low)]


def format_pounds(amount: float) -> str:
    """``5.0`` -> ``"5 pounds"``, ``7.5`` -> ``"7.50 pounds"`` (the database spelling)."""
    return f"{int(round(amount))} pounds" if abs(amount - round(amount)) < 1e-9 else f"{amount:.2f} pounds"


_PHONE = re.compile(r"(?<![\w])(\+?\s?44\s?(?:\(0\))?\s?|0)\s?\(?\d[\d\s().-]{7,16}\d(?!\d)")


def phones(low: str) -> list[Span]:
    """Phone numbers (10-11 digits with any spacing; ``+44`` read as a leading ``0``)."""
    out: list[Span] = []
    for m in _PHONE.finditer(low):
        text = m.group(0)
        digits = re.sub(r"\D", "", text)
        if text.lstrip().startswith("+") or digits.startswith("44") and len(digits) >= 12:
            digits = "0" + digits[2:].removeprefix("0")
        if 10 <= len(digits) <= 11:
            out.append((m.start(), m.end(), digits))
    return out


_POSTCODE = re.compile(r"\b([a-z]\.?\s?[a-z]?\.?\s?\d{1,2}[a-z]?)[\s.,-]{0,3}(\d\s?[a-z]\.?\s?[a-z])\b")


def postcodes(low: str) -> list[Span]:
    """UK postcodes with any spacing and dots (``CB2 1UF``, ``cb21uf``, ``c.b 2, 1u.f``)."""
    out: list[Span] = []
    for m in _POSTCODE.finditer(low):
        value = re.sub(r"[^a-z0-9]", "", m.group(0))
        if re.fullmatch(r"[a-z]{1,2}\d{1,2}[a-z]?\d[a-z]{2}", value) and not value.startswith(("tr", "am", "pm")):
            out.append((m.start(), m.end(), value))
    return out


_STARS = re.compile(
    rf"\b({_N})[\s-]?stars?\b|\bstars?\s?(?:rating\s)?(?:(?:of|is|are|:)\s?)?({_N})\b(?!\s?(?:pounds|minutes|people|nights))"
    rf"|\brated\s({_N})\b|\b({_N})\s?(?:out of five|/\s?5)\b")


def stars(low: str) -> list[Span]:
    """Star ratings (``4-star``, ``four stars``, ``a star of 4``, ``its stars is 0``, ``rated 4``) as a digit."""
    out: list[Span] = []
    for m in _STARS.finditer(low):
        value = number_value(next(g for g in m.groups() if g))
        if value is not None and 0 <= value <= 5 and value == int(value):
            out.append((m.start(), m.end(), str(int(value))))
    return out


_DURATION = re.compile(
    rf"\b(?:({_N}|an?|one)\s?(?:hours?|hrs?|h)\b(?:\s?(?:and\s)?(a half|({_N})\s?(?:minutes?|mins?)\b))?"
    rf"|half an hour|({_N})\s?(?:minutes?|mins?)\b)")


def durations(low: str) -> list[Span]:
    """Travel times (``105 minutes``, ``1 hour 45 minutes``, ``an hour and a half``) as ``"N minutes"``."""
    out: list[Span] = []
    for m in _DURATION.finditer(low):
        if m.group(0) == "half an hour":
            minutes = 30.0
        elif m.group(4):
            minutes = number_value(m.group(4)) or 0.0
        else:
            hours = 1.0 if m.group(1) in ("a", "an") else number_value(m.group(1)) or 0.0
            rest = 30.0 if m.group(2) == "a half" else number_value(m.group(3)) if m.group(3) else 0.0
            minutes = hours * 60 + (rest or 0.0)
        if minutes > 0:
            out.append((m.start(), m.end(), f"{int(round(minutes))} minutes"))
    return out


_TRAIN_ID = re.compile(r"\btr\s?-?(\d{4})\b")
_REFERENCE = re.compile(r"(?<![a-z0-9])(?=[a-z0-9]*\d)(?=[a-z0-9]*[a-z])[a-z0-9]{8}(?![a-z0-9])")


def train_ids(low: str) -> list[Span]:
    """Train ids (``TR1234``, ``tr 1234``)."""
    return [(m.start(), m.end(), f"TR{m.group(1)}") for m in _TRAIN_ID.finditer(low)]


#: a code introduced as a reference may be letters only ("Your reference number is LZLUDTVI") or 6-10 long
_INTRODUCED_REFERENCE = re.compile(
    r"\b(?:ref(?:erence)?|confirmation|reservation|booking)(?: (?:number|code|no|id))?(?: (?:is|of|will be))?(?: now)?"
    r"\s*[:#.]?\s*(?:is\s*)?:?\s*([a-z0-9]{6,10})(?![a-z0-9])")
_NOT_CODE = frozenset({"number", "numbers", "confirmed", "complete", "successful", "available", "required"})


def references(low: str) -> list[Span]:
    """Booking references: 8 letters/digits with at least one of each (any letter case), or a 6-10 character
    code introduced as a reference."""
    out = [(m.start(), m.end(), m.group(0).upper()) for m in _REFERENCE.finditer(low)]
    for m in _INTRODUCED_REFERENCE.finditer(low):
        code = m.group(1)
        if code not in _NOT_CODE and not any(s <= m.start(1) < e for s, e, _ in out) and (
                len(code) == 8 or any(c.isdigit() for c in code)):
            out.append((m.start(1), m.end(1), code.upper()))
    return sorted(out)


_PEOPLE = re.compile(
    rf"\b(?:for|party of|table for|group of|booking for|reservation for)\s({_N}|\d+)\b(?!\s?(?:nights?|days?|"
    rf"pm|am|:|o'clock|minutes|pounds|stars?))|\b({_N}|\d+)\s(?:people|persons?|guests?|adults?|diners|of you|"
    rf"tickets?|seats?|passengers?|travell?ers|individuals)\b")
_STAY = re.compile(rf"\b({_N}|\d+)[\s-](?:nights?|days?)\b")


def counts(low: str, slot: str) -> list[Span]:
    """People (``for 4``, ``four people``) or nights (``3 nights``) as digits."""
    rx = _STAY if slot == "stay" else _PEOPLE
    out: list[Span] = []
    for m in rx.finditer(low):
        word = next(g for g in m.groups() if g)
        value = number_value(word)
        if value is not None and 0 < value <= 50 and value == int(value):
            out.append((m.start(), m.end(), str(int(value))))
    return out
