"""What a reviewer checks in the Kon Tum 2024 draft: texts, their order, numbering and the appendix."""

from __future__ import annotations

import re

import pytest
from docx.table import Table
from docx.text.paragraph import Paragraph

from drafter import pipeline
from drafter.docx_text import blocks, cell_text, open_docx
from structure import body_paragraphs

AREAS = [
    "Cải cách thể chế",
    "Cải cách thủ tục hành chính",
    "Cải cách tổ chức bộ máy hành chính nhà nước",
    "Cải cách chế độ công vụ",
    "Cải cách tài chính công",
    "Xây dựng và phát triển Chính quyền điện tử, Chính quyền số",
    "Công tác chỉ đạo, điều hành và tuyên truyền cải cách hành chính",
]


@pytest.fixture(scope="module")
def paras(doc) -> list[Paragraph]:
    """Non-empty body paragraphs before the appendix (outside tables)."""
    return body_paragraphs(doc)


@pytest.fixture(scope="module")
def texts(paras) -> list[str]:
    return [p.text for p in paras]


def test_header_block(doc):
    h = doc.tables[0]
    assert cell_text(h.cell(0, 0)) == "ỦY BAN NHÂN DÂN / TỈNH KON TUM"
    assert cell_text(h.cell(0, 1)) == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM / Độc lập - Tự do - Hạnh phúc"
    assert re.fullmatch(r"Số:\s+/KH-UBND", cell_text(h.cell(1, 0)))
    assert re.fullmatch(r"Kon Tum, ngày\s+tháng\s+năm 2023", cell_text(h.cell(1, 1)))


def test_title_and_trich_yeu(texts):
    assert texts[0] == "KẾ HOẠCH"
    assert texts[1] == "Cải cách hành chính nhà nước trên địa bàn tỉnh Kon Tum năm 2024"


def test_legal_bases_in_order_then_enacting_sentence(texts):
    bases = [t for t in texts if t.startswith("Căn cứ ")]
    assert len(bases) >= 3 and all(t.endswith(";") for t in bases)
    first = texts.index(bases[0])
    assert texts[first:first + len(bases)] == bases  # consecutive, right after the title
    assert bases[0].startswith("Căn cứ Nghị quyết số 76/NQ-CP ngày 15 tháng 7 năm 2021 của Chính phủ")
    assert any("Chỉ thị số 23/CT-TTg ngày 02 tháng 9 năm 2021 của Thủ tướng Chính phủ" in t for t in bases)
    assert bases[-1].startswith("Căn cứ Kế hoạch số 3993/KH-UBND ngày 05 tháng 11 năm 2021 của Ủy ban nhân dân tỉnh")
    enacting = texts[first + len(bases)]
    assert enacting.startswith("Ủy ban nhân dân tỉnh Kon Tum ban hành Kế hoạch") and enacting.endswith("như sau:")
    assert "2024" in enacting


def test_no_instrument_signed_after_drafting_date(texts):
    joined = "\n".join(texts)
    assert "282/QĐ-TTg" not in joined and "118/2025/NĐ-CP" not in joined and "/2025/" not in joined


def test_sections_in_order(paras):
    muc = [p.text for p in paras if p.style.name == "KH Muc"]
    assert muc == ["I. MỤC TIÊU, YÊU CẦU", "II. NHIỆM VỤ, GIẢI PHÁP", "III. TỔ CHỨC THỰC HIỆN", "IV. KINH PHÍ"]


def _section(paras, start: str, end: str | None) -> list[Paragraph]:
    texts = [p.text for p in paras]
    i = texts.index(start)
    j = texts.index(end) if end else len(texts)
    return paras[i + 1:j]


def test_seven_task_areas_numbered(paras):
    sec = _section(paras, "II. NHIỆM VỤ, GIẢI PHÁP", "III. TỔ CHỨC THỰC HIỆN")
    heads = [p.text for p in sec if p.style.name == "KH Khoan"]
    assert heads == [f"{i}. {t}" for i, t in enumerate(AREAS, 1)]
    # each area has tasks, written as "- …" bullets
    idx = [k for k, p in enumerate(sec) if p.style.name == "KH Khoan"] + [len(sec)]
    for a, b in zip(idx, idx[1:]):
        tasks = [p.text for p in sec[a + 1:b] if p.text.startswith("- ")]
        assert len(tasks) >= 3, sec[a].text
    assert any(p.text.startswith("(Có Phụ lục") and "2024" in p.text for p in sec)


def test_year_bound_tasks_carry_the_right_year(texts, kontum_2024):
    joined = "\n".join(texts)
    assert re.search(r"Kế hoạch cải cách hành chính[^\n]*năm 2025", joined)
    assert "Kế hoạch đào tạo, bồi dưỡng cán bộ, công chức, viên chức năm 2024" in joined
    # No stale year: outside citation dates, 2023 appears only where a target compares with the year before.
    def stale(p):
        return "năm 2023" in re.sub(r"ngày \d+ tháng \d+ năm \d{4}", "", p.text)
    ids = [p.source.id for p in kontum_2024.context.body if stale(p)]
    assert ids == ["t-giam-chi"], ids
    assert "so với mức hỗ trợ từ ngân sách nhà nước năm 2023" in "\n".join(texts)


def test_targets_each_followed_by_responsible_agencies(paras):
    sec = _section(paras, "b) Các chỉ tiêu cụ thể:", "2. Yêu cầu")
    assert len(sec) >= 30
    for k, p in enumerate(sec):
        if p.style.name == "KH Body" and p.text.startswith("- "):
            nxt = sec[k + 1]
            assert nxt.style.name == "KH Note", p.text
            assert nxt.runs and all(r.italic is not False for r in nxt.runs)


def test_general_aims_and_requirements(texts):
    assert "1. Mục tiêu" in texts and "a) Mục tiêu chung" in texts and "2. Yêu cầu" in texts


def test_responsibilities_name_each_agency(paras):
    sec = _section(paras, "III. TỔ CHỨC THỰC HIỆN", "IV. KINH PHÍ")
    heads = [p.text for p in sec if re.match(r"^\d+\. ", p.text)]
    numbers = [int(h.split(".")[0]) for h in heads]
    assert numbers == list(range(1, len(numbers) + 1))
    joined = "\n".join(heads)
    for agency in ("Sở Nội vụ", "Sở Tư pháp", "Văn phòng Ủy ban nhân dân tỉnh", "Sở Tài chính",
                   "Sở Thông tin và Truyền thông", "Sở Khoa học và Công nghệ", "Sở Kế hoạch và Đầu tư",
                   "Sở Giáo dục và Đào tạo", "Sở Y tế", "Sở Văn hóa, Thể thao và Du lịch"):
        assert agency in joined, agency
    # Each lead agency answers for named components of the PAR INDEX (Chỉ số cải cách hành chính).
    blocks: dict[str, str] = {}
    head = None
    for p in sec:
        if re.match(r"^\d+\. ", p.text):
            head = p.text
            blocks[head] = ""
        elif head:
            blocks[head] += p.text + "\n"
    for agency, component in (("Sở Nội vụ", "Công tác chỉ đạo, điều hành cải cách hành chính"),
                              ("Sở Tư pháp", "Xây dựng và tổ chức thực hiện văn bản quy phạm pháp luật tại tỉnh"),
                              ("Văn phòng Ủy ban nhân dân tỉnh", "Cải cách thủ tục hành chính"),
                              ("Sở Tài chính", "Cải cách tài chính công"),
                              ("Sở Thông tin và Truyền thông", "Xây dựng Chính quyền điện tử, Chính quyền số"),
                              ("Sở Kế hoạch và Đầu tư", "Tác động của cải cách hành chính")):
        text = next(v for k, v in blocks.items() if k.endswith(agency))
        assert "Chỉ số Cải cách hành chính" in text and f"“{component}" in text, agency


def test_funding_section_and_closing_mark(paras):
    sec = _section(paras, "IV. KINH PHÍ", None)
    assert sec and "Kinh phí" in sec[0].text
    assert sec[-1].text.endswith("./.")


def test_signature_block(doc):
    sig = [t for t in doc.tables if cell_text(t.cell(0, 0)).startswith("Nơi nhận:")][0]
    left = [p.text for p in sig.cell(0, 0).paragraphs if p.text.strip()]
    assert left[0] == "Nơi nhận:"
    assert all(line.startswith("- ") and line.endswith(";") for line in left[1:-1])
    assert left[1] == "- Bộ Nội vụ (b/c);"
    assert re.fullmatch(r"- Lưu: VT, [^ ]+\.", left[-1])
    right = [p.text for p in sig.cell(0, 1).paragraphs if p.text.strip()]
    assert right[0] == "TM. ỦY BAN NHÂN DÂN" and right[1] == "CHỦ TỊCH" and len(right) == 3


def test_appendix_heading_and_table(doc):
    after = []
    seen = False
    for b in blocks(doc):
        if isinstance(b, Paragraph) and b.text == "Phụ lục":
            seen = True
        if seen:
            after.append(b)
    heads = [b.text for b in after if isinstance(b, Paragraph) and b.text.strip()]
    assert heads[0] == "Phụ lục"
    assert heads[1] == "NHIỆM VỤ CẢI CÁCH HÀNH CHÍNH NĂM 2024"
    assert heads[2].startswith("(Kèm theo Kế hoạch số") and "/KH-UBND" in heads[2]
    assert heads[2].endswith("của Ủy ban nhân dân tỉnh Kon Tum)")
    table = [b for b in after if isinstance(b, Table)][0]
    assert [cell_text(c) for c in table.rows[0].cells] == [
        "TT", "Nhiệm vụ", "Sản phẩm", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời gian hoàn thành"]
    rows = [[cell_text(c) for c in r.cells] for r in table.rows[1:]]
    areas = [r for r in rows if r[1] == r[2]]  # area headings span the row
    assert [r[0] for r in areas] == ["I", "II", "III", "IV", "V", "VI", "VII"]
    assert [r[1] for r in areas] == [a.upper() for a in AREAS]
    numbers = [int(r[0]) for r in rows if r[0].isdigit()]
    assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) >= 30
    for r in rows:
        if r[0].isdigit():
            assert r[1] and r[3], r  # a task and a lead agency in every task row


def test_date_option_fills_day_and_month_nd30(data):
    for day, expect in (("2023-12-05", "ngày 05 tháng 12 năm 2023"), ("2024-01-09", "ngày 09 tháng 01 năm 2024"),
                        ("2023-03-15", "ngày 15 tháng 3 năm 2023")):
        import datetime as dt

        d = dt.date.fromisoformat(day)
        ctx = pipeline.plan_context(data, "Kon Tum", 2024, date=d)
        assert ctx.date_line == f"Kon Tum, {expect}"


def test_vietnamese_text_is_nfc(kontum_2024):
    import unicodedata

    for p in kontum_2024.context.body:
        assert unicodedata.is_normalized("NFC", p.text)
