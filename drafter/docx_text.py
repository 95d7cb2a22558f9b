"""Read a .docx back as normalised text and structure: one line per paragraph ("[style] text"),
table rows as "| a | b |", and one line per section with its page setup. Used by the snapshot
tests and to compare two drafts."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Iterator

from docx import Document
from docx.document import Document as DocumentObject
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph


def open_docx(data: bytes) -> DocumentObject:
    return Document(io.BytesIO(data))


def read_docx(path: Path, where: str = "FILES") -> bytes:
    """The bytes of `path`, once they are known to open and read as a Word document; otherwise a
    clean error naming the file (random bytes, an empty file, a zip that is not a .docx …)."""
    from .errors import UsageError

    if path.exists() and not path.is_file():  # a FIFO or device: reading it may never end
        raise UsageError(f"{path} is not a regular file", where, "give a .docx file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}", where) from None
    if not data:
        raise UsageError(f"{path} is empty, not a Word .docx file", where, "give a .docx written by Word or drafter")
    try:
        _walk(open_docx(data))
    except Exception as exc:  # python-docx, zipfile and lxml raise many kinds; any of them means unreadable
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise UsageError(f"{path} is not a readable Word .docx file ({reason})", where,
                         "give a .docx written by Word or drafter (a .doc or a renamed file will not do)") from None
    return data


def _walk(doc: DocumentObject) -> None:
    """Read every paragraph (its style and text) and table cell, as `drafter diff` does."""
    for block in blocks(doc):
        if isinstance(block, Paragraph):
            block.style.name, block.text
        else:
            for row in block.rows:
                for cell in row.cells:
                    cell_text(cell)


def blocks(doc: DocumentObject) -> Iterator[Paragraph | Table]:
    """Body paragraphs and tables in document order."""
    for el in doc.element.body.iterchildren():
        if el.tag == qn("w:p"):
            yield Paragraph(el, doc)
        elif el.tag == qn("w:tbl"):
            yield Table(el, doc)


def cell_text(cell) -> str:
    return " / ".join(p.text for p in cell.paragraphs if p.text.strip())


def dump(doc: DocumentObject) -> list[str]:
    lines: list[str] = []
    for s_index, section in enumerate(doc.sections):
        pg = section._sectPr.find(qn("w:pgNumType"))
        start = pg.get(qn("w:start")) if pg is not None else None
        lines.append(f"# section {s_index + 1}: {section.orientation.name.lower()} "
                     f"{section.page_width.mm:.0f}x{section.page_height.mm:.0f} mm, margins "
                     f"{section.top_margin.mm:.0f}/{section.bottom_margin.mm:.0f}/{section.left_margin.mm:.0f}/"
                     f"{section.right_margin.mm:.0f}" + (f", numbering from {start}" if start else ""))
    for block in blocks(doc):
        if isinstance(block, Paragraph):
            if block.text.strip():
                lines.append(f"[{block.style.name}] {block.text}")
        else:
            for row in block.rows:
                seen: list[str] = []
                for cell in row.cells:  # merged cells repeat; show them once
                    text = cell_text(cell)
                    if not seen or seen[-1] != text:
                        seen.append(text)
                lines.append("| " + " | ".join(seen) + " |")
    return lines
