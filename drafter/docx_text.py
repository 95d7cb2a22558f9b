"""Read a .docx back as normalised text and structure: one line per paragraph ("[style] text"),
table rows as "| a | b |", and one line per section with its page setup. Used by the snapshot
tests and to compare two drafts."""

from __future__ import annotations

import io
from typing import Iterator

from docx import Document
from docx.document import Document as DocumentObject
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph


def open_docx(data: bytes) -> DocumentObject:
    return Document(io.BytesIO(data))


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
