"""Structure checks shared by the per-province tests: what every draft must have, whatever the data."""

from __future__ import annotations

import re

from docx.table import Table
from docx.text.paragraph import Paragraph

from drafter.docx_text import blocks, cell_text, open_docx

MUC = ["I. MỤC TIÊU, YÊU CẦU", "II. NHIỆM VỤ, GIẢI PHÁP", "III. TỔ CHỨC THỰC HIỆN", "IV. KINH PHÍ"]


def body_paragraphs(doc) -> list[Paragraph]:
    """Non-empty paragraphs outside tables, before the appendix: the plan's body as a reader sees it."""
    out = []
    for b in blocks(doc):
        if isinstance(b, Paragraph) and b.text.strip():
            if b.text == "Phụ lục":
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
    paras = body_paragraphs(doc)
    texts = [p.text for p in paras]
    assert texts[0] == "KẾ HOẠCH"
    assert texts[1].endswith(f"{profile.official_name} năm {ctx.year}")
    assert texts[2].startswith(("Căn cứ ", "Thực hiện "))
    assert [p.text for p in paras if p.style.name == "KH Muc"] == MUC
    areas = [p.text for p in paras if p.style.name == "KH Khoan"][2:9]
    assert [a.split(".")[0] for a in areas] == [str(i) for i in range(1, 8)]
    assert texts[-1].endswith("./.")
    sig = [t for t in doc.tables if cell_text(t.cell(0, 0)).startswith("Nơi nhận:")]
    assert len(sig) == 1
    assert cell_text(sig[0].cell(0, 1)).startswith("TM. ỦY BAN NHÂN DÂN")
    table = doc.tables[-1]
    rows = [[cell_text(c) for c in r.cells] for r in table.rows[1:]]
    assert [r[0] for r in rows if r[1] == r[2]] == ["I", "II", "III", "IV", "V", "VI", "VII"]
    numbers = [int(r[0]) for r in rows if r[0].isdigit()]
    assert numbers == list(range(1, len(numbers) + 1)) and numbers
    for p in ctx.preamble:
        # a legal basis is introduced with "Căn cứ", a guidance letter with "Thực hiện" (seed 004)
        verb = "Thực hiện " if re.match(r"Thực hiện (Công văn|Văn bản|Hướng dẫn) ", p.text) else "Căn cứ "
        assert p.text.startswith(verb) and p.text.endswith(";")


def all_text(draft) -> str:
    doc = open_docx(draft.docx)
    out = []
    for b in blocks(doc):
        if isinstance(b, Paragraph):
            out.append(b.text)
        else:
            out += [cell_text(c) for r in b.rows for c in r.cells]
    return "\n".join(out)
