"""Structure checks shared by the per-province tests: what every draft must have, whatever the data."""

from __future__ import annotations

import re

from docx.table import Table
from docx.text.paragraph import Paragraph

from drafter.docx_text import blocks, cell_text, open_docx

MUC = ["I. MỤC TIÊU, YÊU CẦU", "II. NHIỆM VỤ, GIẢI PHÁP", "III. TỔ CHỨC THỰC HIỆN", "IV. KINH PHÍ"]


def body_paragraphs(doc, appendix_head: str = "Phụ lục") -> list[Paragraph]:
    """Non-empty paragraphs outside tables, before the appendix: the plan's body as a reader sees it."""
    out = []
    for b in blocks(doc):
        if isinstance(b, Paragraph) and b.text.strip():
            if b.text == appendix_head:
                break
            out.append(b)
    return out


def assert_structure(draft, profile) -> None:
    doc = open_docx(draft.docx)
    ctx = draft.context
    header = doc.tables[0]
    assert cell_text(header.cell(0, 0)) == f"ỦY BAN NHÂN DÂN / {profile.official_name.upper()}"
    assert cell_text(header.cell(1, 1)).startswith(f"{profile.place}, ngày")
    assert cell_text(header.cell(1, 1)).endswith(f"năm {ctx.as_of.year}")
    paras = body_paragraphs(doc, ctx.labels["phu_luc"])
    texts = [p.text for p in paras]
    assert texts[0] == "KẾ HOẠCH"
    assert texts[1].endswith(f"{profile.official_name} năm {ctx.year}")
    assert texts[2].startswith(("Căn cứ ", "Thực hiện "))
    muc = [p.text for p in paras if p.style.name == "KH Muc"]
    if profile.layer.shape.sections is None and not profile.layer.shape.headings:
        assert muc == MUC  # the national shape (seed 002)
    roman = ["I", "II", "III", "IV", "V", "VI", "VII"]
    assert [t.split(".")[0] for t in muc] == roman[:len(muc)] and len(muc) >= 3
    # the seven task areas, numbered 1–7, under the section that holds them
    khoan = [p.text for p in paras if p.style.name == "KH Khoan"]
    starts = [i for i in range(len(khoan)) if khoan[i].startswith("1. Cải cách thể chế")]
    assert any([k.split(".")[0] for k in khoan[i:i + 7]] == [str(n) for n in range(1, 8)] for i in starts)
    assert texts[-1].endswith("./.")
    sig = [t for t in doc.tables if cell_text(t.cell(0, 0)).startswith("Nơi nhận:")]
    assert len(sig) == 1
    assert cell_text(sig[0].cell(0, 1)).startswith("TM. ỦY BAN NHÂN DÂN")
    table = doc.tables[-1]
    assert [cell_text(c) for c in table.rows[0].cells] == [c.label for c in ctx.columns]
    rows = [[cell_text(c) for c in r.cells] for r in table.rows[1:]]
    roman = ["I", "II", "III", "IV", "V", "VI", "VII"]
    if ctx.columns[0].key == "tt":
        assert [r[0] for r in rows if r[1] == r[2]] == roman
        numbers = [int(r[0]) for r in rows if r[0].isdigit()]
        assert numbers == list(range(1, len(numbers) + 1)) and numbers
    else:  # no TT column (seed 004): each area row spans the table and leads with its numeral
        heads = [r[0].split(".")[0] for r in rows if len(set(r)) == 1]
        assert heads == roman and len(rows) > 7
    for p in ctx.preamble:
        # one paragraph per basis ending ";", or all of them in one ending "," (seeds 000, 004)
        assert p.text.startswith(("Căn cứ ", "Thực hiện ")) and p.text.endswith((";", ","))


def all_text(draft) -> str:
    doc = open_docx(draft.docx)
    out = []
    for b in blocks(doc):
        if isinstance(b, Paragraph):
            out.append(b.text)
        else:
            out += [cell_text(c) for r in b.rows for c in r.cells]
    return "\n".join(out)
