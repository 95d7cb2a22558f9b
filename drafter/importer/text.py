"""Text rules for reading a plan: normalisation (NFC, odd spaces), numbering labels (I., 1., 1.1., a), -),
dates written either way ("15/7/2021", "ngày 15 tháng 7 năm 2021"), instruments cited by kind and number,
and target figures."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from .model import Figure, Instrument

# -- normalisation -----------------------------------------------------------------------------------------

_SPACE = dict.fromkeys(map(ord, "\u00a0\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f"
                                "\u3000\t\x0b\x0c\r"), " ")
_DROP = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_OTHER = {ord("\u00d0"): "Đ", ord("\u2011"): "-", ord("\u2010"): "-"}  # Ð (eth) for Đ: old font conversions
_TABLE = {**_SPACE, **_DROP, **_OTHER}


def clean_lines(raw: str) -> tuple[str, ...]:
    """NFC text, odd spaces made plain, split at line breaks; each line's spaces collapsed, empty lines dropped."""
    text = unicodedata.normalize("NFC", raw).translate(_TABLE)
    return tuple(line for line in (" ".join(part.split()) for part in text.split("\n")) if line)


def clean(raw: str) -> str:
    return " ".join(clean_lines(raw))


def fold(text: str) -> str:
    """For comparing: upper case, no diacritics (Đ kept apart as D), single spaces."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).upper().split())


# -- numbering labels --------------------------------------------------------------------------------------

VIET_LETTERS = "a b c d đ e g h i k l m n o p q r s t u v x y".split()

_LABEL = re.compile(r"""^(?:
      (?P<roman>[IVXL]{1,7})\s*[.:]\s*(?=\S|$)
    | (?P<num>\d{1,2}(?:\.\d{1,2})+)\.?(?=\s|$|[^\d\s.%,/])
    | (?P<num1>\d{1,2})\s*[.)](?![\d/])
    | (?P<letter>[a-zđ])\s*\)
    | (?P<bullet>[-–—+•·▪●○◦►➢])
    | (?P<star>\*)
    )\s*""", re.X)


def split_label(text: str) -> tuple[str | None, str | None, str]:
    """(kind, label, rest): kind is muc, khoan, diem, bullet, star or None for unnumbered text. The label is
    as written, trimmed ("IV.", "1.1.", "3.1", "a)", "-")."""
    m = _LABEL.match(text)
    if not m:
        return None, None, text
    rest = text[m.end():]
    label = re.sub(r"\s+", "", text[:m.end()])
    if m.group("roman"):
        if roman_value(m.group("roman")) is None:
            return None, None, text
        return "muc", label, rest
    if m.group("num") or m.group("num1"):
        return "khoan", label, rest
    if m.group("letter"):
        return "diem", m.group("letter") + ")", rest
    if m.group("bullet"):
        b = m.group("bullet")
        return "bullet", "-" if b in "–—" else b, rest
    return "star", "*", rest


_ROMAN_RE = re.compile(r"^(?=[IVXL])(L?X{0,3})(IX|IV|V?I{0,3})$")
_ROMAN_VALUE = {"I": 1, "V": 5, "X": 10, "L": 50}


def roman_value(s: str) -> int | None:
    """The value of a well-formed Roman numeral (I … LXXXIX), else None."""
    s = s.strip().rstrip(".").upper()
    if not s or not _ROMAN_RE.match(s):
        return None
    total = 0
    for a, b in zip(s, s[1:] + " "):
        v = _ROMAN_VALUE[a]
        total += -v if b != " " and _ROMAN_VALUE[b] > v else v
    return total


def khoan_parts(label: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", label))


# -- dates -------------------------------------------------------------------------------------------------

_DATE_NUM = re.compile(r"(?<![\d/])(\d{1,2})\s*/\s*(\d{1,2})\s*/\s*(\d{4})(?![\d/])")
_DATE_WORDS = re.compile(r"(?:ngày\s+)?(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})", re.I)


def make_date(d: str | int | None, m: str | int | None, y: str | int | None) -> dt.date | None:
    try:
        return dt.date(int(y), int(m), int(d))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def first_date(text: str) -> tuple[dt.date | None, re.Match | None]:
    """The first date written in `text`, either way, and its match."""
    found = [m for m in (_DATE_WORDS.search(text), _DATE_NUM.search(text)) if m]
    for m in sorted(found, key=lambda x: x.start()):
        date = make_date(*m.groups())
        if date:
            return date, m
    return None, None


# Place and date line: "Nam Định, ngày 30 tháng 12 năm 2020", "Kon Tum, ngày   tháng   năm 2022",
# "Hà Nội, ngày 30/12/2020". The place is the capitalised words before the comma ("UBND" before it is not).
_UPPER = "A-ZĐÁÀẢÃẠĂẮẰẲẴẶÂẤẦẨẪẬÉÈẺẼẸÊẾỀỂỄỆÍÌỈĨỊÓÒỎÕỌÔỐỒỔỖỘƠỚỜỞỠỢÚÙỦŨỤƯỨỪỬỮỰÝỲỶỸỴ"
_WORD = rf"[{_UPPER}][a-zà-ỹđ]+"
PLACE_DATE = re.compile(rf"(?P<place>(?:{_WORD}\s+){{0,4}}{_WORD})\s*,\s*ngày\s*[.…_ ]*(?:"
                        r"(?P<d>\d{1,2})?[.…_ ]*tháng\s*[.…_ ]*(?P<m>\d{1,2})?[.…_ ]*năm\s*(?P<y>\d{4})"
                        r"|(?P<d2>\d{1,2})\s*/\s*(?P<m2>\d{1,2})\s*/\s*(?P<y2>\d{4}))")
# "Số: 117/KH-UBND", "Số:      /KH-UBND"
NUMBER_LINE = re.compile(r"\bSố\s*:?\s*(?P<n>\d{1,6})?\s*(?:/\s*(?P<yr>\d{4})\s*)?/\s*(?P<sym>[A-ZĐ]{1,5})"
                         r"\s*-\s*(?P<org>[A-ZĐ][A-Za-zĐđ]{1,10})")
# "(Kèm theo Kế hoạch số: 225/KH-UBND ngày 24 tháng 12 năm 2021 …)"
ATTACHED_TO = re.compile(r"Kèm\s+theo\s+(?P<kind>Kế\s+hoạch|Quyết\s+định)\s*(?:số)?\s*:?\s*(?P<n>\d{1,6})?\s*"
                         r"/\s*(?P<sym>[A-ZĐ]{1,5})\s*-\s*(?P<org>[A-ZĐ][A-Za-zĐđ]{1,10})", re.I)


# -- instruments -------------------------------------------------------------------------------------------

KINDS = ("Nghị quyết liên tịch", "Thông tư liên tịch", "Nghị quyết", "Nghị định", "Chỉ thị", "Quyết định",
         "Kế hoạch", "Công văn", "Văn bản", "Thông tư", "Đề án", "Báo cáo", "Hướng dẫn", "Thông báo kết luận",
         "Thông báo", "Chương trình", "Tờ trình", "Công điện", "Kết luận", "Quy định", "Pháp lệnh")
_KIND = "|".join(k.replace(" ", r"\s+") for k in KINDS)
# 76/NQ-CP, 05-ĐA/TU, 02/2017/TT- VPCP, 1291/QĐ-TTg, 18-NQ/TW, 6459/BNV-CCHC
_NUMBER = r"\d{1,5}(?:/\d{4})?(?:[/-]\s?[A-ZĐ][A-Za-zĐđ]{0,9})+"
INSTRUMENT = re.compile(rf"(?P<kind>{_KIND})\s+(?:số\s*:?\s*)*(?P<num>{_NUMBER})"
                        rf"|Luật\s+(?P<ltitle>[A-ZĐa-zđ][^,;()\d]{{2,100}}?)\s+(?:số\s+(?P<lnum>\d+/\d{{4}}/QH\d+)\s+)?"
                        rf"năm\s+(?P<lyear>\d{{4}})")
_ISSUER = re.compile(r"\s*,?\s*của\s+(?P<issuer>[^,;:.()]{2,80}?)"
                     r"(?=\s+(?:về|ban\s+hành|quy\s+định|phê\s+duyệt|hướng\s+dẫn|sửa\s+đổi|triển\s+khai|thực\s+hiện|"
                     r"ngày|tại|đã|trong|đến|để|nhằm|theo|với|cho|gồm|là|có)\b|\s*[,;:.(]|\s+và\s|\s*$|\s+\d)")
_TAIL_DATE = re.compile(r"\s*,?\s*(?:ngày\s+)?(?P<date>\d{1,2}\s*/\s*\d{1,2}\s*/\s*\d{4}|"
                        r"\d{1,2}\s+tháng\s+\d{1,2}\s+năm\s+\d{4})", re.I)
_TITLE = re.compile(r"\s*,?\s*(?P<title>(?:về|ban\s+hành|quy\s+định|phê\s+duyệt|hướng\s+dẫn|sửa\s+đổi)\b.*)$",
                    re.S)
_LOOKBACK_ISSUER = re.compile(r"của\s+(?P<issuer>[^,;:.()]{2,60}?)\s+tại\s*$")
_LOCAL_CODE = re.compile(r"UBND|HĐND|(?:^|[-/])TU$|/TU\b|(?:^|[/-])(?:S[A-ZĐ]{1,6}|VP|BCĐ|TTHCC)(?:$|[-/])")


def find_instruments(text: str, with_titles: bool = True) -> list[tuple[Instrument, int, int]]:
    """Every instrument cited in `text`, with where its citation starts and ends. A citation runs to the
    separator (";", " và ", ",") before the next citation, or to the end of its sentence."""
    matches = list(INSTRUMENT.finditer(text))
    out = []
    for k, m in enumerate(matches):
        stop = matches[k + 1].start() if k + 1 < len(matches) else len(text)
        end = _clause_end(text, m.end(), stop)
        out.append((_instrument(text, m, end, with_titles), m.start(), end))
    return out


def _clause_end(text: str, start: int, stop: int) -> int:
    gap = text[start:stop]
    if stop < len(text):  # another citation follows: end at the last separator before it
        cut = gap.rfind(";")
        if cut < 0 and not re.search(r"\b(?:của|theo)\s*$", gap):  # "… của Nghị định số …" nests
            cut = max(gap.rfind(" và "), gap.rfind(","))
        return start + cut if cut >= 0 else stop
    sentence = re.search(r";|\.(?=\s+[A-ZĐÀ-Ỹ]|\s*$)", gap)
    return start + sentence.start() if sentence else stop


def _instrument(text: str, m: re.Match, end: int, with_titles: bool) -> Instrument:
    written = text[m.start():end].strip(" ,;")
    if m.group("ltitle"):  # a law cited by its name and year: the citation is just that
        written = m.group(0)
        year = int(m.group("lyear"))
        return Instrument(written, "Luật", m.group("lnum"), None, "Quốc hội", clean(m.group("ltitle")), year, False)
    kind = " ".join(m.group("kind").split())
    kind = kind[0].upper() + kind[1:]
    number = re.sub(r"\s+", "", m.group("num"))
    rest = text[m.end():end]
    date = issuer = title = None
    pos = 0
    for _ in range(2):  # date and issuer come in either order: "ngày … của …" or "của … ngày …"
        dm = _TAIL_DATE.match(rest, pos)
        if dm and date is None:
            date, _ = first_date(dm.group("date"))
            pos = dm.end()
            continue
        im = _ISSUER.match(rest, pos)
        if im and issuer is None:
            issuer = im.group("issuer").strip()
            pos = im.end()
    if issuer is None:  # "hướng dẫn của Bộ Nội vụ tại Công văn số …"
        lb = _LOOKBACK_ISSUER.search(text[max(0, m.start() - 80):m.start()])
        issuer = lb.group("issuer").strip() if lb else None
    if with_titles:
        tm = _TITLE.match(rest[pos:])
        title = clean(tm.group("title")).rstrip(" ,;.") if tm else None
    year = date.year if date else None
    if year is None:
        ym = re.search(r"/(\d{4})/", number)
        year = int(ym.group(1)) if ym else None
    local = bool(_LOCAL_CODE.search(number.split("/", 1)[-1] if "/" in number else number)) or bool(
        issuer and re.search(r"\btỉnh\b|Tỉnh ủy|Tỉnh uỷ|^Sở\b|^UBND", issuer))
    return Instrument(written, kind, number, date, issuer, title or None, year, local)


# -- target figures ----------------------------------------------------------------------------------------

_QUAL = r"(?:(?P<q>tối\s+thiểu|tối\s+đa|ít\s+nhất|đạt(?:\s+từ)?|trên|dưới|từ|lên|giảm(?:\s+từ)?|tăng(?:\s+thêm)?|đến)\s+)?"
_PERCENT = re.compile(_QUAL + r"(?P<v>\d{1,3}(?:[.,]\d+)?)\s?%", re.I)
_FRACTION = re.compile(_QUAL + r"(?<![\d/])(?P<f>\d{1,2}/\d{1,2})(?![\d/])", re.I)


def figures(text: str) -> tuple[Figure, ...]:
    """Percentages ("tối thiểu 80%", "100%") and fractions ("1/3") stated in a target, in order."""
    found: list[tuple[int, Figure]] = []
    for m in _PERCENT.finditer(text):
        found.append((m.start(), Figure(" ".join(m.group(0).split()), float(m.group("v").replace(",", ".")))))
    for m in _FRACTION.finditer(text):
        found.append((m.start(), Figure(" ".join(m.group(0).split()), None)))
    return tuple(f for _, f in sorted(found, key=lambda x: x[0]))
