"""Open a Word file given as bytes and read its body in reading order: paragraphs and tables. Text is what
Word shows with "No Markup": tracked insertions kept, deletions dropped, comments, drawings and text boxes
left out. List numbers that live in numbering.xml (w:numPr) are rebuilt ("1.", "a)", "-"). Table cells are
placed on the table's grid, so a cell merged across columns is read once and a vertically merged cell is
known as such. Anything that is not a readable .docx is refused with one error saying what to do."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from ..errors import UsageError
from .text import clean_lines

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"

MAX_FILE = 50 * 1024 * 1024  # a plan is well under 5 MB; more is not a plan (or a zip bomb)
MAX_UNZIPPED = 200 * 1024 * 1024
MAX_XML = 10 * 2**20  # the XML parts of a plan (document.xml of a 60-page plan: ~2 MB; 10 MB parse in ~3 s, ~250 MB)

_HINT = "give the plan as a .docx file (in Word: File › Save As › Word Document (*.docx))"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(frozen=True)
class Para:
    index: int  # reading order over all paragraphs, cell paragraphs included
    text: str  # normalised, line breaks joined by a space
    lines: tuple[str, ...]  # normalised, split at line breaks (w:br), empty lines dropped
    label: str | None  # the number Word's list numbering puts before it ("1.", "a)", "-")
    level: int | None  # its list level (w:ilvl) when numbered by Word
    bold: bool  # every run with text is bold (direct formatting)
    italic: bool
    where: str

    @property
    def full_lines(self) -> tuple[str, ...]:
        """The lines with Word's list number before the first ("- Bộ Nội vụ;" for a bulleted line)."""
        if self.label and self.lines:
            return (f"{self.label} {self.lines[0]}",) + self.lines[1:]
        return self.lines

    @property
    def full_text(self) -> str:
        return f"{self.label} {self.text}" if self.label and self.text else self.text


@dataclass(frozen=True)
class TCell:
    paras: tuple[Para, ...]
    col: int  # first grid column (0-based)
    span: int  # grid columns covered
    merged: bool  # continues a vertical merge from the row above

    @property
    def text(self) -> str:
        return "\n".join(p.full_text for p in self.paras if p.text)


@dataclass(frozen=True)
class TRow:
    cells: tuple[TCell, ...]


@dataclass(frozen=True)
class TTable:
    index: int  # 1-based, in document order
    rows: tuple[TRow, ...]
    ncols: int

    def paras(self) -> list[Para]:
        return [p for r in self.rows for c in r.cells for p in c.paras]


@dataclass(frozen=True)
class Body:
    blocks: tuple[Para | TTable, ...]
    insertions: int  # tracked changes found (insertions kept, deletions dropped)
    deletions: int
    comments: int  # comments anchored in the body (left out of the text)


def open_docx(data: bytes, name: str):
    """The python-docx Document in `data`, or a UsageError saying what the file is and what to do."""
    from docx import Document

    head = data[:8]
    if not data:
        raise UsageError("the file is empty (0 bytes), not a Word document", name, _HINT)
    if head == _OLE:  # an OLE compound file: a Word 97-2003 .doc, or a .docx encrypted with a password
        if _utf16(b"EncryptionInfo") in data:
            hint = "it is password-protected: in Word, File › Info › Protect Document › Encrypt with Password, " \
                   "clear the password, then File › Save As › Word Document (*.docx)"
        else:
            hint = "it is a Word 97-2003 .doc: in Word, File › Save As › Word Document (*.docx)"
        raise UsageError("a .doc or password-protected file: save it as .docx without a password", name, hint)
    if head.startswith(b"%PDF"):
        raise UsageError("a PDF file, not a .docx: reading PDF plans is not supported", name,
                         "open the signed plan's Word file, or convert the PDF to .docx in Word and check it")
    if head.startswith(b"{\\rtf"):
        raise UsageError("an RTF file, not a .docx", name, _HINT)
    if len(data) > MAX_FILE:
        raise UsageError(f"the file is {len(data) // 2**20} MB, too large for a plan", name, _HINT)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = set(z.namelist())
            if sum(i.file_size for i in z.infolist()) > MAX_UNZIPPED:
                raise UsageError("the file unpacks to more than 200 MB, too large for a plan", name, _HINT)
            # the XML is parsed into memory (~10× its size): a plan's text is well under a few MB
            if sum(i.file_size for i in z.infolist() if i.filename.endswith((".xml", ".rels"))) > MAX_XML:
                raise UsageError(f"its text (XML) unpacks to more than {MAX_XML // 2**20} MB, too large for a plan",
                                 name, _HINT)
            if "word/document.xml" not in names:
                raise UsageError(f"a zip archive but not a Word .docx ({_zip_kind(z, names)})", name, _HINT)
    except zipfile.BadZipFile:
        raise UsageError("not a .docx: the file is not a zip archive (damaged, or another kind of file)",
                         name, _HINT) from None
    try:
        return Document(io.BytesIO(data))
    except Exception as exc:  # python-docx, zipfile and lxml raise many kinds; any of them means unreadable
        reason = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        if "macroEnabled" in reason or "template" in reason:
            raise UsageError("a macro-enabled document or a template, not a .docx", name, _HINT) from None
        raise UsageError(f"a damaged .docx that cannot be read ({reason})", name,
                         "open it in Word, let Word repair it, and save it again as .docx") from None


def _utf16(b: bytes) -> bytes:
    return b.decode("ascii").encode("utf-16-le")


def _zip_kind(z: zipfile.ZipFile, names: set[str]) -> str:
    if "mimetype" in names:
        mime = z.read("mimetype")[:100].decode("ascii", "replace")
        if "opendocument.text" in mime:
            return "an OpenDocument .odt: save it as .docx"
        return mime
    if any(n.startswith("xl/") for n in names):
        return "an Excel workbook"
    if any(n.startswith("ppt/") for n in names):
        return "a PowerPoint file"
    return "no word/document.xml"


def read_body(doc) -> Body:
    """The body of `doc` as paragraphs and tables in reading order."""
    numbering = _Numbering(_part_xml(doc, "numbering"), doc.styles.element)
    body = doc.element.body
    counter = _Counter()
    blocks: list[Para | TTable] = []
    seen = {"p": 0, "tbl": 0}

    def walk(container) -> None:
        for el in container.iterchildren():
            if el.tag == W + "p":
                seen["p"] += 1
                blocks.append(_para(el, counter, numbering, f"paragraph {seen['p']}"))
            elif el.tag == W + "tbl":
                seen["tbl"] += 1
                blocks.append(_table(el, counter, numbering, seen["tbl"]))
            elif el.tag in (W + "sdt", W + "sdtContent", W + "customXml"):  # content controls around blocks
                walk(el)

    walk(body)
    return Body(tuple(blocks), insertions=sum(1 for _ in body.iter(W + "ins")),
                deletions=sum(1 for _ in body.iter(W + "del")),
                comments=sum(1 for _ in body.iter(W + "commentReference")))


def _part_xml(doc, kind: str):
    try:
        if kind == "numbering":
            from docx.opc.constants import RELATIONSHIP_TYPE as RT
            return doc.part.part_related_by(RT.NUMBERING).element
    except (KeyError, NotImplementedError):
        return None
    return None


class _Counter:
    def __init__(self) -> None:
        self.n = 0

    def next(self) -> int:
        self.n += 1
        return self.n - 1


# -- paragraphs --------------------------------------------------------------------------------------------

_SKIP = {W + "del", W + "moveFrom", W + "pPr", W + "rPr", W + "drawing", W + "pict", W + "object",
         MC + "AlternateContent", W + "footnoteReference", W + "endnoteReference", W + "commentReference",
         W + "tbl"}  # a table nested in a paragraph's run is read with its own cell


def _para(p, counter: _Counter, numbering: _Numbering, where: str) -> Para:
    pieces: list[tuple[str, bool, bool]] = []
    _collect(p, pieces)
    raw = "".join(t for t, _, _ in pieces)
    lines = clean_lines(raw)
    texty = [(b, i) for t, b, i in pieces if t.strip()]
    label, level = numbering.label(p) if lines or _has_num(p) else (None, None)
    return Para(counter.next(), " ".join(lines), lines, label, level,
                bold=bool(texty) and all(b for b, _ in texty), italic=bool(texty) and all(i for _, i in texty),
                where=where)


def _has_num(p) -> bool:
    return p.find(f"{W}pPr/{W}numPr") is not None


def _collect(el, out: list) -> None:
    """Text of `el` in document order, with each piece's bold/italic, skipping deleted and hidden parts."""
    for child in el:
        tag = child.tag
        if not isinstance(tag, str) or tag in _SKIP:
            continue
        if tag == W + "r":
            rpr = child.find(W + "rPr")
            b, i = _flag(rpr, "b"), _flag(rpr, "i")
            if rpr is not None and (_flag(rpr, "vanish") or _flag(rpr, "webHidden")):
                continue
            for part in child:
                ptag = part.tag
                if ptag == W + "t":
                    out.append((part.text or "", b, i))
                elif ptag == W + "tab":
                    out.append((" ", b, i))
                elif ptag in (W + "br", W + "cr"):
                    out.append(("\n", b, i))
                elif ptag == W + "noBreakHyphen":
                    out.append(("-", b, i))
        else:  # w:ins, w:hyperlink, w:smartTag, w:sdt, w:sdtContent, w:fldSimple, w:customXml, w:moveTo …
            _collect(child, out)


def _flag(rpr, name: str) -> bool:
    if rpr is None:
        return False
    el = rpr.find(W + name)
    return el is not None and el.get(W + "val", "true").lower() not in ("0", "false", "off", "none")


# -- tables ------------------------------------------------------------------------------------------------

def _table(tbl, counter: _Counter, numbering: _Numbering, t_index: int) -> TTable:
    grid = tbl.find(W + "tblGrid")
    ncols = len(grid.findall(W + "gridCol")) if grid is not None else 0
    rows: list[TRow] = []
    for r_i, tr in enumerate(tbl.iterchildren(W + "tr"), 1):
        trpr = tr.find(W + "trPr")
        col = _int(trpr, "gridBefore") if trpr is not None else 0
        cells: list[TCell] = []
        for c_i, tc in enumerate(_cells(tr), 1):
            tcpr = tc.find(W + "tcPr")
            span = max(1, _int(tcpr, "gridSpan") or 1) if tcpr is not None else 1
            vmerge = tcpr.find(W + "vMerge") if tcpr is not None else None
            hmerge = tcpr.find(W + "hMerge") if tcpr is not None else None
            if hmerge is not None and hmerge.get(W + "val", "continue") == "continue" and cells:
                # legacy horizontal merge: this cell widens the one before it
                last = cells[-1]
                cells[-1] = TCell(last.paras, last.col, last.span + span, last.merged)
                col += span
                continue
            merged = vmerge is not None and vmerge.get(W + "val", "continue") == "continue"
            paras: list[Para] = []
            for el in tc.iterchildren():
                if el.tag == W + "p":
                    paras.append(_para(el, counter, numbering, f"table {t_index}, row {r_i}, cell {c_i}"))
                elif el.tag == W + "tbl":  # a nested table: its paragraphs, in order, belong to this cell
                    for sub in el.iter(W + "p"):
                        paras.append(_para(sub, counter, numbering, f"table {t_index}, row {r_i}, cell {c_i}"))
            cells.append(TCell(tuple(paras), col, span, merged))
            col += span
        ncols = max(ncols, col)
        rows.append(TRow(tuple(cells)))
    return TTable(t_index, tuple(rows), ncols)


def _cells(tr):
    """The w:tc of a row, including those inside content controls and custom XML."""
    for el in tr.iterchildren():
        if el.tag == W + "tc":
            yield el
        elif el.tag in (W + "sdt", W + "customXml"):
            yield from el.iter(W + "tc")


def _int(parent, name: str) -> int:
    el = parent.find(W + name) if parent is not None else None
    try:
        return int(el.get(W + "val")) if el is not None else 0
    except (TypeError, ValueError):
        return 0


# -- list numbering ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Level:
    fmt: str  # decimal, upperRoman, lowerLetter, bullet, none …
    text: str  # lvlText: "%1.", "%1.%2.", "%3)", "-"
    start: int


class _Numbering:
    """Rebuilds the label Word draws before a numbered paragraph, counting as Word counts: one counter per
    list (abstract numbering) and level, deeper levels restarting when a higher level advances."""

    def __init__(self, numbering, styles) -> None:
        self.abstract: dict[str, dict[int, _Level]] = {}
        self.nums: dict[str, tuple[str, dict[int, int]]] = {}
        self.counters: dict[str, list[int | None]] = {}
        self.started: set[str] = set()
        if numbering is not None:
            for an in numbering.iterchildren(W + "abstractNum"):
                levels = {}
                for lvl in an.iterchildren(W + "lvl"):
                    levels[_int_attr(lvl, "ilvl")] = _Level(_val(lvl, "numFmt") or "decimal",
                                                            _val(lvl, "lvlText") or "", _val_int(lvl, "start", 1))
                self.abstract[an.get(W + "abstractNumId")] = levels
            for num in numbering.iterchildren(W + "num"):
                overrides = {}
                for ov in num.iterchildren(W + "lvlOverride"):
                    so = ov.find(W + "startOverride")
                    if so is not None:
                        overrides[_int_attr(ov, "ilvl")] = _int_attr(so, "val", 1)
                self.nums[num.get(W + "numId")] = (_val(num, "abstractNumId") or "", overrides)
        self.style_num: dict[str, tuple[str | None, int | None]] = {}
        self.style_base: dict[str, str] = {}
        if styles is not None:
            for st in styles.iterchildren(W + "style"):
                sid = st.get(W + "styleId")
                numpr = st.find(f"{W}pPr/{W}numPr")
                if numpr is not None:
                    self.style_num[sid] = (_val(numpr, "numId"), _val_int(numpr, "ilvl", 0))
                base = _val(st, "basedOn")
                if base:
                    self.style_base[sid] = base

    def label(self, p) -> tuple[str | None, int | None]:
        num_id, ilvl = self._num_pr(p)
        if not num_id or num_id == "0" or num_id not in self.nums:
            return None, None
        abstract_id, overrides = self.nums[num_id]
        levels = self.abstract.get(abstract_id)
        if not levels or ilvl not in levels:
            return None, None
        counters = self.counters.setdefault(abstract_id, [None] * 10)
        if num_id not in self.started:  # a list instance with startOverride restarts its numbering
            self.started.add(num_id)
            for lv, start in overrides.items():
                if 0 <= lv < 10:
                    counters[lv] = start - 1
        lvl = levels[ilvl]
        current = counters[ilvl]
        counters[ilvl] = lvl.start if current is None else current + 1
        for deeper in range(ilvl + 1, 10):
            counters[deeper] = None
        if lvl.fmt == "bullet":
            return _bullet(lvl.text), ilvl
        if lvl.fmt == "none" or not lvl.text:
            return None, ilvl
        out = lvl.text
        for k in range(9, -1, -1):  # %10 before %1
            if f"%{k + 1}" in out:
                lk = levels.get(k)
                n = counters[k] if counters[k] is not None else (lk.start if lk else 1)
                out = out.replace(f"%{k + 1}", _format(n, lk.fmt if lk else "decimal"))
        return out.strip() or None, ilvl

    def _num_pr(self, p) -> tuple[str | None, int]:
        numpr = p.find(f"{W}pPr/{W}numPr")
        if numpr is not None and _val(numpr, "numId") is not None:
            return _val(numpr, "numId"), _val_int(numpr, "ilvl", 0)
        style = p.find(f"{W}pPr/{W}pStyle")
        sid = style.get(W + "val") if style is not None else None
        for _ in range(20):  # basedOn chains are short; a loop in a damaged file must not hang
            if sid is None:
                break
            if sid in self.style_num:
                num_id, lvl = self.style_num[sid]
                ilvl = _val_int(numpr, "ilvl", lvl or 0) if numpr is not None else (lvl or 0)
                return num_id, ilvl
            sid = self.style_base.get(sid)
        return None, 0


def _val(el, child: str) -> str | None:
    c = el.find(W + child) if el is not None else None
    return c.get(W + "val") if c is not None else None


def _val_int(el, child: str, default: int) -> int:
    try:
        v = _val(el, child)
        return int(v) if v is not None else default
    except ValueError:
        return default


def _int_attr(el, name: str, default: int = 0) -> int:
    try:
        return int(el.get(W + name))
    except (TypeError, ValueError):
        return default


def _bullet(text: str) -> str:
    """Word's bullet glyph as a plan writes it: "-" and "+" stay, symbol-font dots become "•"."""
    t = text.strip()
    if t in ("-", "–", "—", "+", "*"):
        return "-" if t in ("–", "—") else t
    return "•"


_ROMAN = ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"), (40, "XL"),
          (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))


def roman(n: int) -> str:
    out = ""
    for value, letters in _ROMAN:
        while n >= value:
            out += letters
            n -= value
    return out


def _format(n: int, fmt: str) -> str:
    if fmt == "upperRoman":
        return roman(n)
    if fmt == "lowerRoman":
        return roman(n).lower()
    if fmt in ("upperLetter", "lowerLetter"):
        k = max(n, 1)
        s = chr(ord("a") + (k - 1) % 26) * ((k - 1) // 26 + 1)  # Word: a … z, aa … zz
        return s.upper() if fmt == "upperLetter" else s
    if fmt == "decimalZero":
        return f"{n:02d}"
    return str(n)

