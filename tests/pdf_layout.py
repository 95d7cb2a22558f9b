"""Page-layout checks on a draft converted to PDF: what the .docx says (headings, signature block,
appendix rows) matched against the text of each page as `pdftotext -layout` prints it.

Pure functions over strings, so they are tested on synthetic pages (tests/test_layout.py) as well as
used on the real drafts. Page numbers in messages are the PDF's pages, counted from 1 (the printed
page number restarts at 1 in the appendix).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from docx.oxml.ns import qn

from drafter.docx_text import open_docx

#: Paragraph styles of the template (tools/build_template.py) that head what follows them. "KH Diem"
#: counts only as a lead-in point such as "a) Mục tiêu chung" or "b) Các chỉ tiêu cụ thể:" (no full stop
#: or semicolon at its end); "KH Title" covers "KẾ HOẠCH" and the appendix's titles.
HEADING_STYLES = ("KH Muc", "KH Khoan", "KH Title")
LEAD_IN_STYLES = ("KH Diem",)

_PAGE_NUMBER = re.compile(r"^\s*\d{1,3}\s*$")  # the header: the page number alone
_CHUNK_GAP = re.compile(r"\s{2,}")  # -layout separates columns by two or more spaces
_ROMAN = re.compile(r"^[IVXLC]+$")


def norm(text: str) -> str:
    """NFC, one space between words, no spaces at the ends."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def short(text: str, n: int = 70) -> str:
    text = norm(text)
    return text if len(text) <= n else text[: n - 1] + "…"


# --------------------------------------------------------------------------- the PDF's pages


@dataclass(frozen=True)
class Page:
    number: int  # the PDF's page, from 1
    lines: tuple[str, ...]  # non-blank lines, right-stripped, without the page-number header


def split_pages(layout_text: str) -> list[Page]:
    """`pdftotext -layout` output → pages. The page number that the header prints centred at the top
    (every page but a section's first) is dropped: it is the first non-blank line of the page and holds
    nothing but 1–3 digits (no line of the body or of an appendix row is a bare number). Blank lines
    are dropped too."""
    chunks = unicodedata.normalize("NFC", layout_text).split("\f")
    if chunks and not chunks[-1].strip():
        chunks.pop()  # pdftotext ends every page with a form feed, the last one too
    pages = []
    for i, chunk in enumerate(chunks, start=1):
        lines = [line.rstrip() for line in chunk.splitlines() if line.strip()]
        if lines and _PAGE_NUMBER.match(lines[0]):
            lines = lines[1:]
        pages.append(Page(i, tuple(lines)))
    return pages


def pdf_pages(pdf: Path) -> list[Page]:
    out = subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", str(pdf), "-"], check=True, capture_output=True,
                         timeout=120)
    return split_pages(out.stdout.decode("utf-8"))


def tools_missing() -> list[str]:
    missing = [] if (shutil.which("soffice") or shutil.which("libreoffice")) else ["soffice (LibreOffice)"]
    return missing + [t + " (poppler-utils)" for t in ("pdftotext",) if shutil.which(t) is None]


def convert_to_pdf(docx_files: list[Path], out_dir: Path, profile_dir: Path, timeout: float) -> None:
    """One soffice run per group of files (soffice converts many files in one start-up); the groups run
    in parallel, one per core (at most four), each with its own profile so they do not wait on a lock."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice is not None
    if not docx_files:
        return
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    n = max(1, min(cores, 4, len(docx_files)))
    groups = [docx_files[i::n] for i in range(n)]
    procs = []
    profile_dir.mkdir(parents=True, exist_ok=True)
    for i, group in enumerate(groups):
        cmd = [soffice, "--headless", "--norestore", f"-env:UserInstallation={(profile_dir / f'p{i}').as_uri()}",
               "--convert-to", "pdf", "--outdir", str(out_dir), *map(str, group)]
        log = (profile_dir / f"p{i}.log").open("wb")  # a file, not a pipe: nothing blocks on a full buffer
        procs.append((subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT), log))
    try:
        for i, (p, log) in enumerate(procs):
            p.wait(timeout=timeout)
            log.close()
            if p.returncode != 0:
                tail = (profile_dir / f"p{i}.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"soffice exited with {p.returncode}: {tail}")
    finally:
        for p, log in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
            log.close()


# --------------------------------------------------------------------------- what the .docx says


@dataclass
class Facts:
    """What the layout checks look for, read from the draft itself."""
    headings: list[str] = field(default_factory=list)
    noi_nhan_label: str = "Nơi nhận:"
    recipients: list[str] = field(default_factory=list)  # "- …" lines, the last one "- Lưu: …"
    signature: list[str] = field(default_factory=list)  # authority, (deputy), title, name
    appendix_title: str = ""
    header_cells: list[str] = field(default_factory=list)
    has_tt: bool = False
    rows: list[tuple[str | None, str, bool]] = field(default_factory=list)  # (TT, first text cell, is an area row)


_W_P, _W_T, _W_TBL, _W_TR, _W_TC = (qn(f"w:{t}") for t in ("p", "t", "tbl", "tr", "tc"))
_W_SPACES = {qn("w:tab"), qn("w:br"), qn("w:cr")}


def _text(p) -> str:
    """A <w:p>'s text, normalised (lxml directly: python-docx's objects make reading 97 drafts slow)."""
    return norm("".join(el.text or "" if el.tag == _W_T else " " for el in p.iter(_W_T, *_W_SPACES)))


def _cell_lines(tc) -> list[str]:
    return [t for t in (_text(p) for p in tc.iter(_W_P)) if t]


def _row_cells(tr) -> list[str]:
    """The row's cells once each: a merged cell (gridSpan) is one <w:tc>, which python-docx's
    row.cells would repeat for every grid column it spans."""
    return [" ".join(_cell_lines(tc)) for tc in tr.findall(_W_TC)]


def facts(docx: bytes) -> Facts:
    doc = open_docx(docx)
    names = {s.get(qn("w:styleId")): s.find(qn("w:name")).get(qn("w:val"))
             for s in doc.styles.element.findall(qn("w:style")) if s.find(qn("w:name")) is not None}
    f = Facts()
    seen_sig = False
    tables = []
    for el in doc.element.body.iterchildren():
        if el.tag == _W_P:
            text = _text(el)
            if not text:
                continue
            if seen_sig and not f.appendix_title:
                f.appendix_title = text
            ids = el.xpath("./w:pPr/w:pStyle/@w:val")
            style = names.get(ids[0], ids[0]) if ids else ""
            if style in HEADING_STYLES or (style in LEAD_IN_STYLES and not text.endswith((".", ";"))):
                f.headings.append(text)
        elif el.tag == _W_TBL:
            tables.append(el)
            first_row = el.find(_W_TR)
            cells = first_row.findall(_W_TC) if first_row is not None else []
            left = _cell_lines(cells[0]) if cells else []
            if not seen_sig and left and left[0].startswith("Nơi nhận") and len(cells) > 1:
                seen_sig = True
                f.noi_nhan_label = left[0]
                f.recipients = left[1:]
                f.signature = _cell_lines(cells[1])
    rows = tables[-1].findall(_W_TR)
    f.header_cells = _row_cells(rows[0])
    f.has_tt = bool(f.header_cells) and f.header_cells[0] == "TT"
    for tr in rows[1:]:
        cells = _row_cells(tr)
        if f.has_tt:
            tt = cells[0]
            f.rows.append((tt, next((c for c in cells[1:] if c), ""), bool(_ROMAN.match(tt))))
        else:
            f.rows.append((None, next((c for c in cells if c), ""), len(cells) == 1))
    return f


# --------------------------------------------------------------------------- checks


@dataclass(frozen=True)
class Fault:
    check: str
    page: int
    text: str

    def __str__(self) -> str:
        return f"[{self.check}] page {self.page}: {self.text}"


def _ends_with_heading(lines: tuple[str, ...], headings: list[str]) -> str | None:
    """The heading that the page's last line(s) are, or the start of, if any: the last k lines,
    joined, equal a heading, or its beginning (a heading broken over the page; two words at least)."""
    for k in range(1, min(len(lines), 4) + 1):
        tail = norm(" ".join(lines[-k:]))
        for h in headings:
            if tail == h:
                return h
            if h.startswith(tail + " ") and len(tail.split()) >= 2:
                return h
    return None


def check_headings(pages: list[Page], f: Facts) -> list[Fault]:
    """No page ends with a heading (or the first lines of one): its text must start on the same page."""
    faults = []
    headings = sorted(set(f.headings), key=len, reverse=True)
    for page in pages[:-1]:  # the last page ends the document
        if not page.lines:
            continue
        h = _ends_with_heading(page.lines, headings)
        if h is not None:
            faults.append(Fault("heading", page.number, f"page ends with the heading “{short(h)}”"))
    return faults


def _is_sig_line(line: str, sig_text: str) -> bool:
    """A line of the signature table: each column chunk is a piece of the Nơi nhận list or the
    signature (a chunk that joins the two columns with a single space is tried split in two)."""
    for chunk in _CHUNK_GAP.split(line.strip()):
        chunk = norm(chunk)
        if not chunk or chunk in sig_text:
            continue
        words = chunk.split(" ")
        if not any(" ".join(words[:i]) in sig_text and " ".join(words[i:]) in sig_text for i in range(1, len(words))):
            return False
    return True


def _find(pages: list[Page], pred, start: tuple[int, int] = (0, 0)) -> tuple[int, int] | None:
    """(page index, line index) of the first line from `start` on for which pred(normalised line)."""
    for pi in range(start[0], len(pages)):
        for li, line in enumerate(pages[pi].lines):
            if (pi, li) >= start and pred(norm(line)):
                return pi, li
    return None


def _find_last(pages: list[Page], pred, start: tuple[int, int]) -> tuple[int, int] | None:
    """Like _find, the last such line instead of the first."""
    hit = None
    while (nxt := _find(pages, pred, start)) is not None:
        hit, start = nxt, (nxt[0], nxt[1] + 1)
    return hit


def check_signature(pages: list[Page], f: Facts) -> list[Fault]:
    """The signature block's first line ("Nơi nhận:" and the authority) and its last lines (the signer's
    name and "- Lưu: …") on one page; and no page holds only recipients/signature lines, or nothing."""
    faults = []
    label = _find(pages, lambda s: s.startswith(f.noi_nhan_label))
    if label is None:
        return [Fault("signature", 0, f"“{f.noi_nhan_label}” not found on any page")]
    authority, name = f.signature[0], f.signature[-1]
    last = f.recipients[-1] if f.recipients else f.noi_nhan_label
    # the first line's parts where they first occur, the last lines' where they last occur (from the
    # label on); a long recipient wraps, but its first 30 characters are on its first line
    wanted = {"“" + f.noi_nhan_label + "”": (_find, lambda s: s.startswith(f.noi_nhan_label)),
              "the authority “" + authority + "”": (_find, lambda s: authority in s),
              "the signer “" + name + "”": (_find_last, lambda s: name in s),
              "the last recipient “" + short(last, 40) + "”": (_find_last, lambda s: norm(last[:30]) in s)}
    where = {what: find(pages, pred, label) for what, (find, pred) in wanted.items()}
    found = {what: pos for what, pos in where.items() if pos is not None}
    for what, pos in where.items():
        if pos is None:
            faults.append(Fault("signature", pages[label[0]].number, f"{what} not found after “{f.noi_nhan_label}”"))
    if len({pos[0] for pos in found.values()}) > 1:
        split = ", ".join(f"{what} on page {pages[pos[0]].number}" for what, pos in found.items())
        faults.append(Fault("signature", pages[label[0]].number, f"signature block split over pages: {split}"))
    sig_text = norm(" ".join([f.noi_nhan_label, *f.recipients, *f.signature]))
    for page in pages:
        if not page.lines:
            faults.append(Fault("recipients-only", page.number, "blank page"))
        elif all(_is_sig_line(line, sig_text) for line in page.lines):
            faults.append(Fault("recipients-only", page.number,
                                f"page holds only signature-block lines: “{short(page.lines[0], 50)}” … "
                                f"“{short(page.lines[-1], 50)}”"))
    return faults


def _starts_row(line: str, tt: str | None, text: str) -> bool:
    """A row's first line: its TT, then the first words of its first text cell (three, or all of a
    shorter text); without a TT column, the first four words of the first cell."""
    words = norm(line).split(" ")
    if tt is not None:
        if not words or words[0] != tt:
            return False
        words = words[1:]
        need = text.split(" ")[:3]
    else:
        need = text.split(" ")[:4]
    return bool(need) and words[: len(need)] == need


def check_appendix(pages: list[Page], f: Facts) -> list[Fault]:
    """Every appendix row on one page: from a row's first line (its TT and first words) to the next
    row's, no line of it is on a later page; the repeated header row and the page number do not count.
    (A row taller than a page would have to break; no row of the shipped data comes near that.)
    A row whose first line is not its TT and first words (a TT wrapped in a narrow column) is reported;
    an area row (I, II …) that is the last row on its page is reported as a heading ending a page."""
    start = _find(pages, lambda s: s == f.appendix_title)
    if start is None:
        return [Fault("appendix", 0, f"appendix title “{short(f.appendix_title)}” not found")]
    app = pages[start[0]:]
    header_words = set(norm(" ".join(f.header_cells)).split(" "))
    header_first = norm(f.header_cells[0]).split(" ")[0] if f.header_cells else ""

    def is_header(line: str) -> bool:
        return set(norm(line).split(" ")) <= header_words

    # The header row's lines on the first page: from its first line to the first row. It repeats at the
    # top of every later page (tblHeader) in as many lines; a page's first lines are skipped as the
    # header only if the first begins with the header's first word, and no more of them than that.
    first = app[0].lines
    top = next((j for j, line in enumerate(first) if is_header(line) and norm(line).split(" ")[0] == header_first),
               None)
    if top is None:
        return [Fault("appendix", app[0].number, "the appendix table's header row not found")]
    height = 1
    while top + height < len(first) and is_header(first[top + height]) and not (
            f.rows and _starts_row(first[top + height], f.rows[0][0], f.rows[0][1])):
        height += 1
    stream: list[tuple[int, str]] = []  # the table's lines, in order, as (page number, line)
    for i, page in enumerate(app):
        lines = first[top + height:] if i == 0 else page.lines
        if i > 0 and lines and norm(lines[0]).split(" ")[0] == header_first:
            n = 0
            while n < min(height, len(lines)) and is_header(lines[n]):
                n += 1
            lines = lines[n:]
        stream.extend((page.number, line) for line in lines)

    faults = []
    anchors: list[int] = []
    pos = 0
    for tt, text, _area in f.rows:
        label = f"TT {tt}" if tt is not None else "row"
        hit = next((j for j in range(pos, len(stream)) if _starts_row(stream[j][1], tt, text)), None)
        if hit is None:
            # its first words elsewhere on a line: the row is there, but does not begin as it should
            lead = " ".join(text.split(" ")[:3])
            hit = next((j for j in range(pos, len(stream)) if lead and lead in norm(stream[j][1])), None)
            where = stream[hit] if hit is not None else (stream[pos][0] if pos < len(stream) else app[-1].number, "")
            faults.append(Fault("appendix-tt", where[0],
                                f"{label} “{short(text, 40)}”: no line starts with its TT and first words"
                                + (f" (its first words are on “{short(where[1], 60)}”)" if hit is not None
                                   else " (row not found)")))
        anchors.append(-1 if hit is None else hit)
        pos = pos if hit is None else hit + 1
    for i, (tt, text, area) in enumerate(f.rows):
        a = anchors[i]
        if a < 0:
            continue
        nxt = next((b for b in anchors[i + 1:] if b >= 0), len(stream))
        page0 = stream[a][0]
        label = f"TT {tt}" if tt is not None else "row"
        spill = [(p, line) for p, line in stream[a + 1:nxt] if p != page0]
        if spill:
            faults.append(Fault("appendix-row", page0,
                                f"{label} “{short(text, 45)}” breaks: continues on page {spill[0][0]} "
                                f"with “{short(spill[0][1], 45)}”"))
        if area and nxt < len(stream) and stream[nxt][0] != page0 and nxt == a + 1:
            faults.append(Fault("heading", page0, f"page ends with the appendix area row “{label} {short(text, 45)}”"))
    return faults


def check_all(pages: list[Page], f: Facts) -> list[Fault]:
    return check_headings(pages, f) + check_signature(pages, f) + check_appendix(pages, f)


def report(case: str, faults: list[Fault]) -> str:
    return f"{case}: {len(faults)} layout fault(s)\n" + "\n".join(f"  {case} {x}" for x in faults)
