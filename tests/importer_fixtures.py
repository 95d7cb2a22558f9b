"""Word files built from the seed plans (tests/seeds/), for the importer's tests.

The seeds are plain-text extractions: paragraphs are wrapped over several lines, table cells are separated
by lines holding only "|", and 002 marks bold and italic with ** and *. This builder puts back the Word
structure the originals had: the header as a 2-column table, the body as paragraphs, the signature as a
2-column table (Nơi nhận | signer) and the appendix as a real table with merged cells (a target or task cell
merged down over the rows that share it, a cell merged across columns). Variants add what real files hold:
a heading broken by a line break, NBSP and NFD text, Word list numbering in place of typed numbers, a
tracked change and a comment.

The builder works in two steps: seed text → a small document model (`P`, `C`, `T`), variants transform the
model, and `render` writes it with python-docx (tables and tracked changes as raw WordprocessingML)."""

from __future__ import annotations

import copy
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph

SEEDS = Path(__file__).parent / "seeds"
SEED_FILES = {"000": "000_692516d682196bb2.txt", "002": "002_139ed843f50230c5.txt",
              "004": "004_748a90e32df3280a.txt"}


def seed_text(seed: str) -> str:
    return (SEEDS / SEED_FILES[seed]).read_text(encoding="utf-8")


# -- the document model ------------------------------------------------------------------------------------

@dataclass
class R:
    text: str  # "\n" becomes a line break (w:br)
    bold: bool = False
    italic: bool = False
    change: str | None = None  # "ins" or "del": a tracked change


@dataclass
class P:
    runs: list[R]
    num: tuple[int, int] | None = None  # (numId, ilvl): a Word list paragraph
    comment: str | None = None  # a Word comment anchored on the paragraph's first run

    @property
    def text(self) -> str:
        return "".join(r.text for r in self.runs if r.change != "del")


def para(text: str, bold: bool = False, italic: bool = False) -> P:
    return P([R(text, bold, italic)])


@dataclass
class C:
    paras: list[P]
    span: int = 1
    vmerge: str | None = None  # "restart" or "continue"


@dataclass
class T:
    rows: list[list[C]]
    ncols: int


@dataclass
class Doc:
    blocks: list[P | T]
    numbering: list[str] = field(default_factory=list)  # extra w:abstractNum / w:num XML for numbering.xml


# -- seed text → paragraphs --------------------------------------------------------------------------------

_LABEL = re.compile(r"^(?:[IVX]+\.|\d{1,2}(?:\.\d{1,2})+\.?(?=\s|$|[A-ZĐ])|\d{1,2}\.(?=\s|$|[A-ZĐ])|[a-zđ]\)|[-+](?=\s|[A-ZĐ\d])|-$"
                    r"|\(Kèm theo"
                    r"|Nơi nhận)")
_MARKER_ONLY = re.compile(r"^(?:[IVX]+\.|\d{1,2}(?:\.\d{1,2})*\.|[-+])$")


def _lower(line: str) -> bool:
    return bool(line) and line[0].islower()


def join_wrapped(lines: list[str]) -> list[str]:
    """Rejoin lines wrapped by the text extraction into paragraphs (see the rules inline)."""
    out: list[str] = []
    for i, raw in enumerate(lines):
        line = raw.strip()
        if not line:
            continue
        if not out:
            out.append(line)
            continue
        prev_para, prev_line = out[-1], lines[i - 1].strip()
        nxt = next((x.strip() for x in lines[i + 1:] if x.strip()), "")
        new = False
        if _MARKER_ONLY.match(prev_para):
            new = False  # "IV." / "1.2." / "-" on a line of its own: the text follows
        elif line in ("PHỤ LỤC",) or prev_para == "PHỤ LỤC" or prev_para == "KẾ HOẠCH":
            new = True
        elif prev_para.isupper() and not line.isupper():  # after a title in capitals
            new = True
        elif _LABEL.match(line):
            # "- 2030." after "… giai đoạn 2021": a wrapped range, not a bullet
            new = not (re.match(r"^-\s*\d", line) and re.search(r"\d$", prev_line))
        elif re.search(r"[.:;!?…]$|\./\.$", prev_line) and not _lower(line):
            new = True
        elif (len(line) <= 25 and not _lower(line) and _lower(nxt)
              and (prev_line.endswith(",") or (_LABEL.match(prev_para) and not prev_para.startswith(("-", "+"))))):
            new = True  # "Chủ" / "trì, phối hợp …" after a heading: a new paragraph whose first line is short
        if new:
            out.append(line)
        else:
            out[-1] = f"{out[-1]} {line}"
    return out


def _header_cell(lines: list[str]) -> list[P]:
    """Header lines are real lines; only "CỘNG HÒA XÃ / HỘI …" and "…, ngày 30 / tháng 12 năm 2020" wrap."""
    out: list[str] = []
    for line in (x.strip() for x in lines):
        if not line:
            continue
        if out and ((out[-1].startswith("CỘNG HÒA") and "VIỆT NAM" not in out[-1])
                    or ("ngày" in out[-1] and not re.search(r"năm \d{4}", out[-1]))):
            out[-1] += " " + line
        else:
            out.append(line)
    return [para(x, bold=x.isupper()) for x in out] or [para("")]


def _cells(lines: list[str]) -> list[list[str]]:
    """Split seed lines at the lines holding only "|" (cell separators)."""
    cells: list[list[str]] = [[]]
    for line in lines:
        if line.strip() == "|":
            cells.append([])
        else:
            cells[-1].append(line)
    return cells


def _cell(lines: list[str], **kw) -> C:
    texts = join_wrapped(lines)
    return C([para(t) for t in texts] or [para("")], **kw)


# -- seeds 000 and 004: cell-separated extractions ---------------------------------------------------------

def _front_and_body(seed: str) -> tuple[list[list[str]], list[str], list[str], list[str], list[str], list[list[str]]]:
    """(header cells, body lines, Nơi nhận lines, signer lines, appendix title lines, appendix cells)."""
    segs = _cells(seed_text(seed).splitlines())
    header, big, signer, rest = segs[:4], segs[4], segs[5], segs[6:]
    cut = next(i for i, x in enumerate(big) if x.strip().startswith("Nơi nhận"))
    body, recipients = big[:cut], big[cut:]
    first = rest[0]
    kem = next(i for i, x in enumerate(first) if "(Kèm theo" in x)
    end = next(i for i in range(kem, len(first)) if first[i].rstrip().endswith(")"))
    titles, cells = first[:end + 1], [first[end + 1:]] + rest[1:]
    return header, body, recipients, signer, titles, cells


def _front(header: list[list[str]]) -> T:
    c = [C(_header_cell(x)) for x in header]
    return T([[c[0], c[1]], [c[2], c[3]]], 2)


def _body_paras(lines: list[str]) -> list[P]:
    out = []
    for text in join_wrapped(lines):
        heading = text == "KẾ HOẠCH" or (text.isupper() and len(text) < 120)
        out.append(para(text, bold=heading or bool(re.match(r"^[IVX]+\. ", text))))
    return out


def _signature(recipients: list[str], signer: list[str]) -> T:
    left = [para(recipients[0].strip(), bold=True, italic=True)] + [para(x.strip()) for x in recipients[1:] if x.strip()]
    right = [para(x.strip(), bold=x.strip().isupper()) for x in signer if x.strip()]
    return T([[C(left), C(right)]], 2)


def _mark_restarts(t: T) -> T:
    """Set vMerge="restart" on the cell each run of continuing cells merges into."""
    def at(row: list[C], col: int) -> C | None:
        pos = 0
        for c in row:
            if pos == col:
                return c
            pos += c.span
        return None

    for r, row in enumerate(t.rows):
        pos = 0
        for c in row:
            if c.vmerge == "continue":
                for up in range(r - 1, -1, -1):
                    origin = at(t.rows[up], pos)
                    if origin is not None and origin.vmerge != "continue":
                        origin.vmerge = "restart"
                        break
            pos += c.span
    return t


# Seed 000's appendix: 9 columns; each numbered row has 8 cells after its TT, or 7 when its target cell is
# merged with the row above. These rows are followed by rows of their own without a TT (numbers of cells
# after the TT, row by row: 8 = target present, 7 = merged target; a following row of 7 has its TT and
# target merged above, one of 8 starts with an empty TT).
_ROWS_000 = {3: [7, 8], 21: [8, 7], 25: [8, 7, 7, 7], 27: [8, 7], 28: [8, 7], 46: [8]}


def _appendix_000(cells: list[list[str]]) -> T:
    texts = [" ".join(" ".join(c).split()) for c in cells]
    header, data = cells[:9], cells[9:]
    rows: list[list[C]] = [[C([para(" ".join(" ".join(h).split()), bold=True)]) for h in header]]
    i, expect, area = 0, 1, 1
    roman = ["I", "II", "III", "IV", "V", "VI", "VII"]
    while i < len(data):
        t = texts[9 + i]
        if area <= len(roman) and t == roman[area - 1]:
            rows.append([C([para(t, bold=True)]), C([para(texts[9 + i + 1], bold=True)], span=8)])
            i, area = i + 2, area + 1
            continue
        assert t == str(expect), (t, expect)
        j = i + 1
        while j < len(data) and texts[9 + j] != str(expect + 1) and not (
                area <= len(roman) and texts[9 + j] == roman[area - 1] and j + 1 < len(data)):
            j += 1
        group = data[i + 1:j]
        widths = _ROWS_000.get(expect) or [len(group)]
        assert sum(widths) <= len(group), (expect, widths, len(group))
        k = 0
        for n, w in enumerate(widths):
            part = group[k:k + w]
            k += w
            if n == 0:
                tt = C([para(t)])
                cells_ = [_cell(x) for x in part]
                rows.append([tt] + ([C([para("")], vmerge="continue")] + cells_ if w == 7 else cells_))
            elif w == 7:
                rows.append([C([para("")], vmerge="continue"), C([para("")], vmerge="continue")] + [_cell(x) for x in part])
            else:
                rows.append([_cell(part[0]), C([para("")], vmerge="continue")] + [_cell(x) for x in part[1:]])
        i, expect = j, expect + 1
    return _mark_restarts(T(rows, 9))


# Seed 004's appendix: 7 columns (Nhiệm vụ | Nhiệm vụ cụ thể | Sản phẩm | chủ trì | phối hợp | thời gian |
# kinh phí). The extraction shows no Sản phẩm cell: the detail cell spans it. Cells are placed by what they
# hold; a row that starts after its first columns continues the cells above (vertical merge).
_T, _D, _L, _CO, _Y, _F = range(6)


def _kind_004(text: str) -> str:
    if re.match(r"^[IVX]+\. ", text):
        return "area"
    if text.startswith("Kinh phí"):
        return "funding"
    if re.match(r"^(Quý|Năm \d|Thường xuyên|Hàng năm|Theo quy định|Theo hướng dẫn)", text):
        return "time"
    if re.match(r"^(Sở|Các|Cơ quan|Văn phòng|VP |UBND|Hội đồng|Đài|Ban)", text):
        return "agency"
    if re.match(r"^\d+\.\d", text):
        return "detail"
    if re.match(r"^\d+\. ", text):
        return "task"
    return "text"


def _appendix_004(cells: list[list[str]]) -> T:
    header, data = cells[:7], cells[7:]
    rows: list[list[C]] = [[C([para(" ".join(" ".join(h).split()), bold=True)]) for h in header]]
    current: dict[int, list[str]] = {}
    pending_area: list[str] | None = None

    def flush() -> None:
        nonlocal current
        if not current:
            return
        first = min(current)
        row: list[C] = []
        for col in range(6):
            span = 2 if col == _D else 1
            if col < first and rows[-1][0].span < 6:  # not under an area row: continue the cell above
                row.append(C([para("")], span=span, vmerge="continue"))
            elif col in current:
                row.append(_cell(current[col], span=span))
            else:
                row.append(C([para("")], span=span))
        rows.append(row)
        current = {}

    for lines in data:
        text = " ".join(" ".join(lines).split())
        kind = _kind_004(text)
        if kind == "area":
            flush()
            pending_area = lines
            rows.append([C([para(text, bold=True)], span=7)])
            continue
        if not text:
            if pending_area is not None and len(rows[-1]) == 1:  # "II. … | |": the area row has an empty cell
                rows[-1] = [C(rows[-1][0].paras, span=6), C([para("")])]
            continue
        pending_area = None
        pos = max(current) + 1 if current else 0
        col = {"task": _T, "detail": _D, "time": _Y, "funding": _F}.get(kind)
        if kind == "agency":
            col = _L if pos <= _L else _CO
        if kind == "text":  # unnumbered: a task right under an area row, else a detail
            col = _T if pos == 0 and rows[-1][0].span >= 6 else _D
        if col < pos:
            flush()
            if kind == "agency":
                col = _L
        current[col] = lines
    flush()
    return _mark_restarts(T(rows, 7))


# -- seed 002: paragraphs separated by blank lines, ** and * for bold and italic ---------------------------

_MARK = re.compile(r"\*\*(.+?)\*\*|\*(.+?)\*")


def _marked(text: str) -> P:
    """A seed-002 line with its extraction marks as real bold and italic runs."""
    m = re.match(r"^\*\* (.*)\*$", text)
    if m:  # "** Sở Nội vụ chủ trì …*": the responsibility line, "* …" in italics
        return para("* " + m.group(1), italic=True)
    runs, pos = [], 0
    for m in _MARK.finditer(text):
        if m.start() > pos:
            runs.append(R(text[pos:m.start()]))
        runs.append(R(m.group(1), bold=True) if m.group(1) else R(m.group(2), italic=True))
        pos = m.end()
    if pos < len(text):
        runs.append(R(text[pos:]))
    return P(runs or [R("")])


def _doc_002() -> Doc:
    chunks = [c.strip("\n") for c in re.split(r"\n\s*\n", seed_text("002"))]
    joined: list[str] = []
    for c in chunks:
        if not c.strip():
            continue
        if joined and _lower(c.strip()) and not _LABEL.match(c.strip()):  # split by a page break
            joined[-1] += " " + c.strip()
        else:
            joined.append(c)
    number, place = joined[0].strip(), joined[1].strip()
    blocks: list[P | T] = [T([[C([para(number)]), C([para(place, italic=True)])]], 2)]
    k = 2
    while not joined[k].startswith("Nơi nhận"):
        text = joined[k].strip()
        bold = text == "KẾ HOẠCH" or bool(re.match(r"^[IVX]+\. ", text)) or k == 3
        p = _marked(text)
        if bold:
            for r in p.runs:
                r.bold = True
        blocks.append(p)
        k += 1
    left = [para("Nơi nhận:", bold=True, italic=True)] + [para(x.strip()) for x in joined[k + 1].splitlines()]
    right = [para(x.replace("*", "").strip(), bold=True) for x in joined[k + 2].splitlines()]
    blocks.append(T([[C(left), C(right)]], 2))
    return Doc(blocks)


def _doc_cells(seed: str) -> Doc:
    header, body, recipients, signer, titles, cells = _front_and_body(seed)
    blocks: list[P | T] = [_front(header)]
    blocks += _body_paras(body)
    blocks.append(_signature(recipients, signer))
    blocks += [para(t, bold=not t.startswith("("), italic=t.startswith("(")) for t in join_wrapped(titles)]
    blocks.append(_appendix_000(cells) if seed == "000" else _appendix_004(cells))
    return Doc(blocks)


def seed_doc(seed: str) -> Doc:
    """The document model of a seed plan, as its Word original was laid out."""
    return _doc_002() if seed == "002" else _doc_cells(seed)


# -- variants ----------------------------------------------------------------------------------------------

def paragraphs(doc: Doc):
    """Every paragraph of the model, body and cells."""
    for b in doc.blocks:
        if isinstance(b, P):
            yield b
        else:
            for row in b.rows:
                for c in row:
                    yield from c.paras


def with_number(doc: Doc, number: str) -> Doc:
    """The header's "Số:" cell holding `number` (seed 000 has it blank)."""
    doc = copy.deepcopy(doc)
    cell = doc.blocks[0].rows[-1][0]
    cell.paras = [para(f"Số: {number}")]
    return doc


def heading_breaks(doc: Doc) -> Doc:
    """Section headings as Word users type them: "IV." then a line break then "KINH PHÍ"; and one heading whose
    number is a paragraph of its own."""
    doc = copy.deepcopy(doc)
    out: list[P | T] = []
    done_split = False
    for b in doc.blocks:
        if isinstance(b, P) and re.match(r"^([IVX]+\.) (.+)$", b.text) and b.text.split(" ", 1)[1].isupper():
            label, rest = b.text.split(" ", 1)
            if not done_split and label == "V.":  # the number alone in its paragraph
                out += [para(label, bold=True), para(rest, bold=True)]
                done_split = True
                continue
            words = rest.split(" ")
            mid = max(1, len(words) // 2)
            b = P([R(f"{label}\n" if len(words) < 3 else f"{label} {' '.join(words[:mid])}\n", bold=True),
                   R(rest if len(words) < 3 else " ".join(words[mid:]), bold=True)])
        out.append(b)
    doc.blocks = out
    return doc


def nbsp_nfd(doc: Doc) -> Doc:
    """Every text decomposed (NFD), and no-break spaces where Word users put them: after numbers and labels,
    inside the signer's name and the filing line."""
    doc = copy.deepcopy(doc)
    for p in paragraphs(doc):
        for r in p.runs:
            t = re.sub(r"^([IVX]+\.|\d+\.|[a-zđ]\)|-) ", "\\1\u00a0", r.text)
            t = re.sub(r"(Số:|Lưu:|số|ngày|tháng|năm) ", "\\1\u00a0", t)
            if re.fullmatch(r"[A-ZĐ][a-zà-ỹđ]+(?: [A-ZĐ][a-zà-ỹđ]+){1,3}", t):  # a person's name
                t = t.replace(" ", "\u00a0")
            r.text = unicodedata.normalize("NFD", t)
    return doc


def no_tables(doc: Doc, signer_first: bool = False) -> Doc:
    """The header and the signature typed as paragraphs, as some provinces lay them out (tabs, no table):
    the Nơi nhận list then the signer, or the signer first."""
    doc = copy.deepcopy(doc)
    out: list[P | T] = []
    for k, b in enumerate(doc.blocks):
        if isinstance(b, T) and k == 0:
            out += [p for row in b.rows for c in row for p in c.paras if p.text]
        elif isinstance(b, T) and len(b.rows) == 1 and b.rows[0][0].paras[0].text.startswith("Nơi nhận"):
            left, right = b.rows[0][0].paras, b.rows[0][1].paras
            out += right + left if signer_first else left + right
        else:
            out.append(b)
    doc.blocks = out
    return doc


# Word list numbering for the body: I. / 1. / 1.1. / a) in one multi-level list, bullets "-" and "+" in another
_NUMBERING = [
    """<w:abstractNum xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" w:abstractNumId="90">
  <w:multiLevelType w:val="multilevel"/>
  <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="upperRoman"/><w:lvlText w:val="%1."/></w:lvl>
  <w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%2."/></w:lvl>
  <w:lvl w:ilvl="2"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%2.%3."/></w:lvl>
  <w:lvl w:ilvl="3"><w:start w:val="1"/><w:numFmt w:val="lowerLetter"/><w:lvlText w:val="%4)"/></w:lvl>
</w:abstractNum>""",
    """<w:abstractNum xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" w:abstractNumId="91">
  <w:multiLevelType w:val="hybridMultilevel"/>
  <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="bullet"/><w:lvlText w:val="-"/></w:lvl>
  <w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="bullet"/><w:lvlText w:val="+"/></w:lvl>
</w:abstractNum>""",
    """<w:num xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" w:numId="90">
  <w:abstractNumId w:val="90"/></w:num>""",
    """<w:num xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" w:numId="91">
  <w:abstractNumId w:val="91"/></w:num>""",
]


def word_numbering(doc: Doc) -> Doc:
    """Body paragraphs numbered by Word: the typed "I. ", "1. ", "1.1. ", "a) ", "- ", "+ " removed from the
    text and given to numbering.xml instead (the appendix table keeps its typed numbers)."""
    doc = copy.deepcopy(doc)
    doc.numbering = list(_NUMBERING)
    started = False
    for b in doc.blocks:
        if not isinstance(b, P):
            if started and len(b.rows) == 1:  # the signature table: the body has ended
                break
            continue
        m = re.match(r"^(?:(?P<r>[IVX]+\.)|(?P<n2>\d+\.\d+\.)|(?P<n>\d+\.)|(?P<l>[a-zđ]\))|(?P<b>[-+]))\s+", b.text)
        if not m:
            continue
        if m.group("r"):
            started = True
        if not started:
            continue
        num = (90, 0) if m.group("r") else (90, 2) if m.group("n2") else (90, 1) if m.group("n") else \
            (90, 3) if m.group("l") else (91, 0 if m.group("b") == "-" else 1)
        cut = m.end()
        first = b.runs[0]
        assert len(first.text) >= cut, "the label must sit in the first run"
        first.text = first.text[cut:]
        b.num = num
    return doc


def tracked(doc: Doc) -> Doc:
    """A reviewed file: the number typed over (old one deleted, new one inserted), a deleted paragraph, a
    deleted filing unit, an inserted word in the signer's name, and a comment on the enacting sentence."""
    doc = copy.deepcopy(doc)
    for p in paragraphs(doc):
        t = p.text
        m = re.match(r"^Số: (\d+)(/.*)$", t)
        if m:
            p.runs = [R("Số: "), R(str(int(m.group(1)) - 1), change="del"), R(m.group(1), change="ins"), R(m.group(2))]
        elif t.startswith("- Lưu:"):
            head, tail = t.rsplit(" ", 1)
            p.runs = [R(head), R(" VP9,", change="del"), R(" " + tail)]
        elif t == "Trần Lê Đoài":
            p.runs = [R("Trần Lê", bold=True), R(" Đoài", bold=True, change="ins")]
        elif "như sau:" in t and p.comment is None:
            p.comment = "Kiểm tra lại số hiệu văn bản trước khi ký"
    body = [b for b in doc.blocks]
    idx = next(i for i, b in enumerate(body) if isinstance(b, P) and b.text.startswith("II. "))
    doc.blocks.insert(idx, P([R("- Nội dung đã xóa khi góp ý: không được đọc.", change="del")]))
    return doc


def misnumbered(doc: Doc) -> Doc:
    """The third section numbered like the second ("II." twice), as a hurried edit leaves it."""
    doc = copy.deepcopy(doc)
    for p in paragraphs(doc):
        if p.text.startswith("III. "):
            p.runs = [R("II. " + p.text[5:], bold=True)]
            break
    return doc


def lettered(doc: Doc) -> Doc:
    """Seed 002 with the bullets of its section II.6 lettered a) … f), "f)" as seed 001 letters after "e)"
    (Vietnamese lettering has no f: g) follows e))."""
    doc = copy.deepcopy(doc)
    letters = iter("a b c d đ e f".split())
    inside = False
    for p in paragraphs(doc):
        if p.text.startswith("6. Xây dựng Chính quyền điện tử"):
            inside = True
            continue
        if inside:
            if not p.text.startswith("- "):
                break
            letter = next(letters, None)
            if letter is None:
                break
            p.runs = [R(f"{letter}) " + p.text[2:])]
    return doc


# -- writing the .docx -------------------------------------------------------------------------------------

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_DATE = "2021-12-20T08:00:00Z"


def render(doc: Doc) -> bytes:
    """The model as a .docx (fixed core properties, so the bytes depend on the model only)."""
    d = Document()
    d.core_properties.author = "drafter tests"
    if doc.numbering:
        from lxml import etree
        numbering = d.part.numbering_part.element
        first_num = numbering.find(qn("w:num"))
        for xml in doc.numbering:
            el = etree.fromstring(xml)
            if el.tag == qn("w:abstractNum") and first_num is not None:
                first_num.addprevious(el)
            else:
                numbering.append(el)
    body = d.element.body
    comments: list[tuple[object, str]] = []
    ids = iter(range(100, 10_000))
    for b in doc.blocks:
        if isinstance(b, P):
            p = d.add_paragraph()
            _fill(p, b, comments, ids)
        else:
            tbl = _table(b, d, comments, ids)
            body.sectPr.addprevious(tbl) if body.sectPr is not None else body.append(tbl)
    for run, text in comments:
        d.add_comment(run, text=text, author="Chuyên viên", initials="CV")
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def _fill(p: Paragraph, model: P, comments: list, ids) -> None:
    if model.num:
        ppr = p._p.get_or_add_pPr()
        numpr = OxmlElement("w:numPr")
        for tag, val in (("w:ilvl", model.num[1]), ("w:numId", model.num[0])):
            el = OxmlElement(tag)
            el.set(qn("w:val"), str(val))
            numpr.append(el)
        ppr.append(numpr)
    first = None
    for r in model.runs:
        run = p.add_run(r.text)
        run.bold = r.bold or None
        run.italic = r.italic or None
        if r.change:
            wrap = OxmlElement(f"w:{r.change}")
            wrap.set(qn("w:id"), str(next(ids)))
            wrap.set(qn("w:author"), "Chuyên viên")
            wrap.set(qn("w:date"), _DATE)
            run._r.addprevious(wrap)
            wrap.append(run._r)
            if r.change == "del":
                for t in run._r.findall(qn("w:t")):
                    t.tag = qn("w:delText")
        elif first is None:
            first = run
    if model.comment and first is not None:
        comments.append((first, model.comment))


def _table(t: T, d, comments: list, ids):
    tbl = OxmlElement("w:tbl")
    tblpr = OxmlElement("w:tblPr")
    style = OxmlElement("w:tblStyle")
    style.set(qn("w:val"), "TableGrid")
    width = OxmlElement("w:tblW")
    width.set(qn("w:w"), "0")
    width.set(qn("w:type"), "auto")
    tblpr.append(style)
    tblpr.append(width)
    tbl.append(tblpr)
    grid = OxmlElement("w:tblGrid")
    for _ in range(t.ncols):
        col = OxmlElement("w:gridCol")
        col.set(qn("w:w"), str(9000 // t.ncols))
        grid.append(col)
    tbl.append(grid)
    for row in t.rows:
        tr = OxmlElement("w:tr")
        for c in row:
            tc = OxmlElement("w:tc")
            tcpr = OxmlElement("w:tcPr")
            tcw = OxmlElement("w:tcW")
            tcw.set(qn("w:w"), str(9000 // t.ncols * c.span))
            tcw.set(qn("w:type"), "dxa")
            tcpr.append(tcw)
            if c.span > 1:
                span = OxmlElement("w:gridSpan")
                span.set(qn("w:val"), str(c.span))
                tcpr.append(span)
            if c.vmerge:
                vm = OxmlElement("w:vMerge")
                if c.vmerge == "restart":
                    vm.set(qn("w:val"), "restart")
                tcpr.append(vm)
            tc.append(tcpr)
            for pm in c.paras or [para("")]:
                p_el = OxmlElement("w:p")
                tc.append(p_el)
                _fill(Paragraph(p_el, d._body), pm, comments, ids)
            tr.append(tc)
        tbl.append(tr)
    return tbl


# -- the fixtures ------------------------------------------------------------------------------------------

VARIANTS = {
    "plain": lambda d: d,
    "heading-breaks": heading_breaks,
    "nbsp-nfd": nbsp_nfd,
    "word-numbering": word_numbering,
    "tracked": tracked,
    "misnumbered": misnumbered,
    "lettered": lettered,
    "no-tables": no_tables,
    "signer-first": lambda d: no_tables(d, signer_first=True),
}

_CACHE: dict[tuple[str, str], bytes] = {}


def fixture(seed: str, variant: str = "plain") -> bytes:
    """The .docx of a seed plan (000, 002, 004), plain or as a variant (see VARIANTS)."""
    key = (seed, variant)
    if key not in _CACHE:
        _CACHE[key] = render(VARIANTS[variant](seed_doc(seed)))
    return _CACHE[key]


def write_all(folder: Path) -> list[Path]:
    """Write every fixture to `folder` (to open them in Word): python tests/importer_fixtures.py OUT_DIR"""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for seed in ("000", "002", "004"):
        for variant in VARIANTS:
            path = folder / f"seed-{seed}-{variant}.docx"
            path.write_bytes(fixture(seed, variant))
            out.append(path)
    return out


if __name__ == "__main__":  # pragma: no cover
    import sys

    for p in write_all(Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/importer-fixtures")):
        print(p)
