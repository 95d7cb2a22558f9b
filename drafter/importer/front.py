"""The parts of a plan around its body: the header (issuing body, number, place and date), the title, the
preamble (legal bases, split into one item per instrument) and the enacting sentence, the Nơi nhận list
and the signature block."""

from __future__ import annotations

import re

from .body import full_text, source_of
from .model import Header, Instrument, PreambleItem, Recipients, Signature, Source
from .text import NUMBER_LINE, PLACE_DATE, find_instruments, fold, make_date, split_label
from .wordfile import Para, TTable

_DASHES = re.compile(r"^[-–—_=.*…\s]{3,}$")


def is_title(p: Para) -> bool:
    """"KẾ HOẠCH" alone, or first in a paragraph (or a line) that goes on with the trích yếu in capitals."""
    first = p.lines[0] if p.lines else ""
    return fold(first) in ("KE HOACH", "K E H O A C H") or (first.isupper() and fold(first).startswith("KE HOACH "))


def title_kind(p: Para) -> tuple[str, str]:
    """(tên loại as written, what follows it on its first line)."""
    first = p.lines[0]
    if fold(first) in ("KE HOACH", "K E H O A C H"):
        return first, ""
    words = first.split()
    return " ".join(words[:2]), " ".join(words[2:])


# -- header ------------------------------------------------------------------------------------------------

def _chunks(front: list[Para | TTable]) -> list[tuple[str, Para]]:
    """Text to search for the number and the date: each table cell whole (a date line wraps inside its
    cell), each paragraph, and each pair of adjacent paragraphs."""
    out: list[tuple[str, Para]] = []
    paras: list[Para] = []
    for b in front:
        if isinstance(b, TTable):
            for row in b.rows:
                for c in row.cells:
                    ps = [p for p in c.paras if p.text]
                    if ps:
                        out.append((" ".join(p.text for p in ps), ps[0]))
        elif b.text:
            paras.append(b)
    out += [(p.text, p) for p in paras]
    out += [(f"{p.text} {q.text}", p) for p, q in zip(paras, paras[1:])]  # a date line wrapped by Enter
    return out


_MOTTO = re.compile(r"CỘNG\s+H[OÒ]À?|CỘNG\s+HOÀ|Độc\s+lập", re.I)


def _issuer_lines(front: list[Para | TTable]) -> tuple[str, ...]:
    """The issuing body's lines: the header table's first cell, or the paragraphs before the first rule
    line; where the Quốc hiệu shares a line (typed after a tab), only what comes before it."""
    if front and isinstance(front[0], TTable) and front[0].rows and front[0].rows[0].cells:
        lines = [ln for p in front[0].rows[0].cells[0].paras for ln in p.lines]
    else:
        lines = []
        for b in front:
            if isinstance(b, TTable) or _DASHES.match(b.text) or NUMBER_LINE.search(b.text):
                break
            for ln in b.lines:
                m = _MOTTO.search(ln)
                lines.append(ln[:m.start()].strip() if m else ln)
    return tuple(ln for ln in lines if ln and ln.isupper() and not _DASHES.match(ln) and not NUMBER_LINE.search(ln)
                 and not _MOTTO.search(ln))


def read_header(front: list[Para | TTable]) -> Header:
    issuer = _issuer_lines(front)
    province = None
    for line in issuer:
        m = re.search(r"\b(?:TỈNH|THÀNH PHỐ)\s+(.+)$", line)
        if m:
            province = m.group(1).strip()
    number = symbol = place = date = year = None
    number_source = date_source = None
    for text, p in _chunks(front):
        m = NUMBER_LINE.search(text)
        if m and number_source is None:
            symbol = m.group("sym")
            number = f"{m.group('n')}/{'' if not m.group('yr') else m.group('yr') + '/'}{symbol}-{m.group('org')}" \
                if m.group("n") else None
            number_source = source_of(p)
        d = PLACE_DATE.search(text)
        if d and date_source is None:
            place = d.group("place").strip()
            day, month, yr = (d.group("d"), d.group("m"), d.group("y")) if d.group("y") else (
                d.group("d2"), d.group("m2"), d.group("y2"))
            year = int(yr)
            date = make_date(day, month, yr)
            date_source = source_of(p)
    return Header(issuer, province or place, number, symbol, place, date, year, False, False,
                  number_source, date_source)


# -- title -------------------------------------------------------------------------------------------------

def split_title(title: Para, after: list[Para]) -> tuple[str, int]:
    """(the trích yếu, how many of the paragraphs `after` the title it took)."""
    rest = title_kind(title)[1]
    parts = ([rest] if rest else []) + list(title.lines[1:])
    taken = 0
    for p in after[:3]:
        if not p.text:
            taken += 1
            continue
        if _DASHES.match(p.text):
            taken += 1
            break
        if _starts_preamble(p) or enacting_split(full_text(p))[1] or re.match(r"^[IVX]+\s*\.", full_text(p)):
            break
        if parts and not p.text.isupper() and parts[-1].isupper():
            break  # a summary in capitals ends where ordinary text begins
        parts.append(p.text)
        taken += 1
    return " ".join(parts), taken


def plan_year(summary: str) -> int | None:
    years = re.findall(r"năm\s+(\d{4})", summary, re.I) or re.findall(r"\b(20\d\d)\b", summary)
    return int(years[-1]) if years else None


# -- preamble and enacting sentence ------------------------------------------------------------------------

_VERB = re.compile(r"^(Căn cứ|Thực hiện|Theo|Xét|Trên cơ sở|Triển khai)\b\s*:?\s*", re.I)
_ENACT = re.compile(r"(?:^|[,;.]\s*)(?P<e>(?:Ủy ban nhân dân|Uỷ ban nhân dân|UBND|Chủ tịch Ủy ban nhân dân|Chủ tịch UBND)"
                    r"\b[^;]{0,80}?\bban hành\b.*?(?:như sau|sau đây)\s*:?)\s*$", re.S | re.I)


def _starts_preamble(p: Para) -> bool:
    return bool(_VERB.match(p.text)) and bool(find_instruments(p.text, with_titles=False))


def enacting_split(text: str) -> tuple[str, str | None]:
    """(the text before the enacting sentence, the enacting sentence or None)."""
    m = _ENACT.search(text)
    if m:
        return text[:m.start("e")].rstrip(" ,;"), m.group("e").strip()
    if re.search(r"(như sau|sau đây)\s*:\s*$", text) and "ban hành" in text:
        return "", text
    return text, None


def read_preamble(paras: list[Para]) -> tuple[tuple[PreambleItem, ...], str | None, Source | None,
                                               list[tuple[Instrument, Source]]]:
    """The legal bases in order (a joined paragraph split at each instrument), the enacting sentence and
    where it is, and the instruments cited."""
    items: list[PreambleItem] = []
    enacting = enacting_source = None
    cited: list[tuple[Instrument, Source]] = []
    for p in paras:
        text = full_text(p)
        if not text:
            continue
        kind, _, unbulleted = split_label(text)
        if kind == "bullet":  # a basis typed (or numbered by Word) as "- Căn cứ …"
            text = unbulleted
        before, enact = enacting_split(text)
        if enact is not None:
            enacting, enacting_source = enact, source_of(p)
        if not before:
            continue
        vm = _VERB.match(before)
        verb = vm.group(1) if vm else None
        rest = before[vm.end():] if vm else before
        found = find_instruments(rest)
        src = source_of(p)
        if not found:
            items.append(PreambleItem(verb, None, rest.rstrip(" ,;."), src))
            continue
        pos = 0
        for inst, start, end in found:
            gap = rest[pos:start]
            inline = re.search(r"(Căn cứ|Thực hiện)\s*$", gap.strip(" ;,"), re.I)
            items.append(PreambleItem(inline.group(1) if inline else verb, inst, inst.text, src))
            cited.append((inst, src))
            pos = end
    return tuple(items), enacting, enacting_source, cited


# -- Nơi nhận and signature --------------------------------------------------------------------------------

_AUTHORITY = re.compile(r"^(TM\.|T\.M\.|TM\s)", re.I)
_DEPUTY = re.compile(r"^(KT\.|K\.T\.|TL\.|T\.L\.|TUQ\.|Q\.)", re.I)
_SIGNED_MARK = re.compile(r"^\(?\s*(đã ký|ký|ký tên|ký, ghi rõ|ký và đóng dấu)", re.I)


def read_recipients(lines: list[tuple[str, Para]]) -> Recipients:
    """The Nơi nhận list from its lines (the "Nơi nhận:" line first), each line without its dash."""
    out: list[str] = []
    filing = None
    source = source_of(lines[0][1]) if lines else None
    for line, _ in lines:
        if fold(line).startswith("NOI NHAN"):
            rest = line.split(":", 1)[1].strip() if ":" in line else ""
            if rest:
                out.append(rest.lstrip("-–+• ").strip())
            continue
        text = line.lstrip("-–+•* ").strip()
        if not text:
            continue
        if fold(text).startswith("LUU"):
            filing = text
        elif line.lstrip()[:1] in "-–+•" or not out or re.search(r"[;.,)]$", out[-1]):
            out.append(text)
        else:  # a recipient wrapped onto a second line
            out[-1] = f"{out[-1]} {text}"
    units: tuple[str, ...] = ()
    drafting = None
    if filing:
        body = filing.split(":", 1)[1] if ":" in filing else filing[3:]
        units = tuple(u.strip() for u in body.strip().rstrip(".").split(",") if u.strip())
        if units:
            drafting = re.sub(r"\s*\(.*?\)\s*$", "", units[-1]).strip() or None
    return Recipients(tuple(out), filing, units, drafting, source)


def read_signature(lines: list[tuple[str, Para]]) -> Signature:
    authority = deputy = title = name = None
    for line, _ in lines:
        if _AUTHORITY.match(line):
            authority = authority or line
        elif _DEPUTY.match(line):
            deputy = deputy or line
        elif _SIGNED_MARK.match(line) or _DASHES.match(line):
            continue
        elif line.isupper():
            title = title or line
        elif _is_name(line):
            name = line
    source = source_of(lines[0][1]) if lines else None
    return Signature(authority, deputy, title, name, source)


def _is_name(line: str) -> bool:
    words = line.split()
    return 2 <= len(words) <= 6 and not re.search(r"\d", line) and all(w[:1].isupper() for w in words)
