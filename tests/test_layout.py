"""Print layout of every reference draft: each province's plan for 2024 (63 units) and 2026 (34 units)
is converted to PDF by LibreOffice and its pages read with `pdftotext -layout`, then

- no page ends with a heading (KH Muc, KH Khoan, a lead-in "a) …"/"b) …:", a title, an appendix area row);
- the signature block's first line ("Nơi nhận:", "TM. ỦY BAN NHÂN DÂN") and last lines (the signer,
  "- Lưu: …") are on one page, and no page holds only recipients or signature lines (or nothing);
- every appendix row is on one page: its TT and first words start a line, and nothing of it follows on
  the next page.

The checks (tests/pdf_layout.py) are tested here too: on synthetic pages, and on a deliberately broken
draft that LibreOffice lays out with the others. Skipped where LibreOffice or poppler is missing, unless
DRAFTER_REQUIRE_LIBREOFFICE=1 (CI) makes that a failure. All drafts are converted once per module run,
by one soffice process per core, each given its share of the files.
"""

from __future__ import annotations

import copy
import io
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from docx.enum.text import WD_BREAK
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph

from drafter import pipeline, selection
from drafter.cli import slug
from drafter.docx_text import open_docx
from pdf_layout import (Facts, Page, check_all, check_appendix, check_headings, check_signature, convert_to_pdf,
                        facts, pdf_pages, report, split_pages, tools_missing)

ROOT = Path(__file__).resolve().parent.parent
YEARS = (2024, 2026)
REQUIRE = os.environ.get("DRAFTER_REQUIRE_LIBREOFFICE") == "1"
SOFFICE_TIMEOUT = 900  # seconds for each soffice process (all 98 drafts take 15–55 s on two cores)
BROKEN = "broken-kon-tum-2024"


def _cases() -> list[tuple[str, str, int]]:
    data = pipeline.load(ROOT)
    return [(f"{slug(p.name)}-{year}", p.name, year) for year in YEARS for p in selection.provinces_for(data, year)]


CASES = _cases()
BY_ID = {case: (name, year) for case, name, year in CASES}


# --------------------------------------------------------------------------- a deliberately broken draft


def break_draft(docx: bytes) -> bytes:
    """Kon Tum 2024 with each fault the checks look for: the heading "2. Yêu cầu" followed by a page
    break (and not kept with its text); 60 blank lines before "- Lưu" in Nơi nhận (taller than a page, so
    the block splits and the last recipient lands on a page of its own); and appendix row 2 grown taller
    than a page, its last words pushed onto the next one."""
    doc = open_docx(docx)
    heading = next(p for p in doc.paragraphs if p.style.name == "KH Khoan" and p.text == "2. Yêu cầu")
    heading.paragraph_format.keep_with_next = False
    following = Paragraph(heading._p.getnext(), heading._parent)
    following.insert_paragraph_before(style="KH Body").add_run().add_break(WD_BREAK.PAGE)
    sig = next(t for t in doc.tables if t.cell(0, 0).text.startswith("Nơi nhận"))
    luu = [p for p in sig.cell(0, 0).paragraphs if p.text.strip()][-1]
    for _ in range(60):
        luu._p.addprevious(_empty_like(luu._p))
    row = next(r for r in doc.tables[-1].rows if r.cells[0].text.strip() == "2")
    cell = row.cells[1]
    last = cell.paragraphs[-1]
    for _ in range(45):
        last._p.addnext(_empty_like(last._p))
    cell.add_paragraph("cuối nhiệm vụ hai", last.style)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _empty_like(p):
    """A copy of paragraph element `p` with its properties and no text."""
    new = copy.deepcopy(p)
    for child in list(new):
        if child.tag != qn("w:pPr"):
            new.remove(child)
    return new


# --------------------------------------------------------------------------- conversion, once per module


class Converted(dict):
    """case → (what the .docx says, the PDF's pages or None), or why there is no draft; a short repr for
    pytest's failure report."""

    def __repr__(self) -> str:
        return f"<{len(self)} drafts converted to PDF>"


@pytest.fixture(scope="module")
def converted(request, data, tmp_path_factory) -> Converted:
    missing = tools_missing()
    if missing:
        msg = f"{', '.join(missing)} not installed: the layout checks need LibreOffice and poppler-utils"
        if REQUIRE:
            pytest.fail(msg + " (DRAFTER_REQUIRE_LIBREOFFICE=1)", pytrace=False)
        pytest.skip(msg)
    # only the drafts of the tests that will run (all of them in CI; one with -k kon-tum-2024)
    wanted = {item.callspec.params["case"] for item in request.session.items
              if item.module is request.module and hasattr(item, "callspec") and "case" in item.callspec.params}
    wanted |= {BROKEN} if any(item.module is request.module and item.originalname == "test_checks_catch_a_broken_draft"
                              for item in request.session.items) else set()
    base = tmp_path_factory.mktemp("layout")
    t0 = time.perf_counter()
    files: dict[str, Path] = {}
    errors: dict[str, str] = {}
    for case in sorted(wanted):
        name, year = BY_ID.get(case, ("Kon Tum", 2024))
        try:
            docx = pipeline.draft(data, name, year).docx
        except Exception as exc:  # one province's error fails its own test, not the others'
            errors[case] = f"{type(exc).__name__}: {exc}"
            continue
        files[case] = base / f"{case}.docx"
        files[case].write_bytes(break_draft(docx) if case == BROKEN else docx)
    t1 = time.perf_counter()
    convert_to_pdf(list(files.values()), base / "pdf", base / "profiles", SOFFICE_TIMEOUT)
    t2 = time.perf_counter()

    def read(case: str) -> tuple[str, tuple[Facts, list[Page] | None] | str]:
        if case in errors:
            return case, f"{case}: drafter failed: {errors[case]}"
        pdf = base / "pdf" / files[case].with_suffix(".pdf").name
        return case, (facts(files[case].read_bytes()), pdf_pages(pdf) if pdf.is_file() else None)

    with ThreadPoolExecutor(max_workers=4) as pool:  # pdftotext runs in parallel
        out = Converted(pool.map(read, sorted(wanted)))
    print(f"\nlayout: {len(files)} drafts written in {t1 - t0:.1f} s, converted to PDF in {t2 - t1:.1f} s, "
          f"read in {time.perf_counter() - t2:.1f} s")
    return out


@pytest.mark.parametrize("case", [c for c, _, _ in CASES])
def test_layout(case, converted):
    assert not isinstance(converted[case], str), converted[case]
    f, pages = converted[case]
    assert pages is not None, f"{case}: LibreOffice wrote no PDF"
    faults = check_all(pages, f)
    assert not faults, report(case, faults)


def test_every_unit_of_both_years_is_checked():
    ids = [case for case, _, _ in CASES]
    assert sum(case.endswith("-2024") for case in ids) == 63
    assert sum(case.endswith("-2026") for case in ids) == 34
    assert len(set(ids)) == len(ids)


def test_checks_catch_a_broken_draft(converted):
    assert not isinstance(converted[BROKEN], str), converted[BROKEN]
    f, pages = converted[BROKEN]
    assert pages is not None
    faults = check_all(pages, f)
    kinds = {x.check for x in faults}
    for kind in ("heading", "signature", "recipients-only", "appendix-row"):
        assert kind in kinds, f"the broken draft's {kind} fault was not found:\n" + report(BROKEN, faults)
    assert any("2. Yêu cầu" in x.text for x in faults if x.check == "heading")
    assert any("TT 2 " in x.text for x in faults if x.check == "appendix-row")


# --------------------------------------------------------------------------- the checks, on synthetic pages

HEAD = ["TT", "Nhiệm vụ", "Sản phẩm", "Thời gian hoàn thành"]


def _facts(**kw) -> Facts:
    base = dict(headings=["I. MỤC TIÊU, YÊU CẦU", "1. Mục tiêu",
                          "1. Các sở, ban ngành, Ủy ban nhân dân các huyện, thành phố và các cơ quan, đơn vị "
                          "có liên quan",
                          "Phụ lục"],
                recipients=["- Bộ Nội vụ (b/c);", "- Ngân hàng Nhà nước chi nhánh tỉnh Kon Tum;", "- Lưu: VT, NC."],
                signature=["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", "Lê Ngọc Tuấn"], appendix_title="Phụ lục",
                header_cells=HEAD, has_tt=True,
                rows=[("I", "CẢI CÁCH THỂ CHẾ", True), ("1", "Ban hành Kế hoạch tổ chức thực hiện", False),
                      ("2", "Xây dựng, ban hành kịp thời văn bản", False)])
    base.update(kw)
    return Facts(**base)


def _pages(*texts: str) -> list[Page]:
    return split_pages("\f".join(texts) + "\f")


BODY = "     Căn cứ Nghị quyết số 76/NQ-CP ngày 15 tháng 7 năm 2021 của Chính\nphủ ban hành Chương trình;\n"
SIG = ("Nơi nhận:                                      TM. ỦY BAN NHÂN DÂN\n"
       "- Bộ Nội vụ (b/c);                                   CHỦ TỊCH\n"
       "- Ngân hàng Nhà nước chi nhánh tỉnh\n"
       "Kon Tum;                                           Lê Ngọc Tuấn\n"
       "- Lưu: VT, NC.\n")
APPENDIX = ("                    Phụ lục\n"
            "TT        Nhiệm vụ          Sản phẩm      Thời gian hoàn\n"
            "                                            thành\n"
            "I    CẢI CÁCH THỂ CHẾ\n"
            "1    Ban hành Kế hoạch tổ    Kế hoạch      Quý I/2024\n"
            "     chức thực hiện\n")
ROW2 = "2    Xây dựng, ban hành kịp    Văn bản       Trong năm\n     thời văn bản\n"
REPEAT = ("                        2\n\n"
          "TT        Nhiệm vụ          Sản phẩm      Thời gian hoàn\n                                  thành\n")


def test_split_pages_drops_page_number_and_blank_lines():
    pages = _pages("  KẾ HOẠCH\n\n  text\n", "                 2\n\n\nmore text\n   3 items\n")
    assert [p.lines for p in pages] == [("  KẾ HOẠCH", "  text"), ("more text", "   3 items")]
    assert [p.number for p in pages] == [1, 2]


def test_heading_at_page_foot_is_found_but_page_number_does_not_count():
    f = _facts()
    good = _pages(BODY + "     I. MỤC TIÊU, YÊU CẦU\n     1. Mục tiêu\n     - Nội dung.\n", "            2\n" + BODY)
    assert check_headings(good, f) == []
    bad = _pages(BODY + "     I. MỤC TIÊU, YÊU CẦU\n     1. Mục tiêu\n", "            2\n" + BODY)
    assert [(x.page, x.check) for x in check_headings(bad, f)] == [(1, "heading")]
    assert "1. Mục tiêu" in check_headings(bad, f)[0].text


def test_wrapped_heading_at_page_foot_whole_or_its_first_line():
    f = _facts()
    whole = ("     1. Các sở, ban ngành, Ủy ban nhân dân các huyện, thành phố và các\ncơ quan, đơn vị có liên quan\n")
    assert len(check_headings(_pages(BODY + whole, BODY), f)) == 1
    first_line = "     1. Các sở, ban ngành, Ủy ban nhân dân các huyện, thành phố và các\n"
    assert len(check_headings(_pages(BODY + first_line, "cơ quan, đơn vị có liên quan\n" + BODY), f)) == 1
    # a body line that merely ends like a heading is no heading
    assert check_headings(_pages(BODY + "     - Thực hiện đúng Mục tiêu\n", BODY), f) == []


def test_signature_block_on_one_page_passes():
    f = _facts()
    assert check_signature(_pages(BODY, BODY + SIG, APPENDIX), f) == []


def test_signature_block_split_over_pages_fails():
    f = _facts()
    lines = SIG.splitlines(keepends=True)
    faults = check_signature(_pages(BODY, BODY + "".join(lines[:4]), "   3\n" + lines[4], APPENDIX), f)
    kinds = [(x.check, x.page) for x in faults]
    assert ("signature", 2) in kinds and ("recipients-only", 3) in kinds
    assert "last recipient" in next(x.text for x in faults if x.check == "signature")
    assert "page 3" in next(x.text for x in faults if x.check == "signature")


def test_a_page_of_only_the_signature_block_or_of_nothing_fails():
    f = _facts()
    faults = check_signature(_pages(BODY, "    2\n" + SIG, "    3\n", APPENDIX), f)
    assert [(x.check, x.page) for x in faults] == [("recipients-only", 2), ("recipients-only", 3)]
    assert "blank page" in faults[1].text


def test_appendix_rows_on_one_page_pass_with_repeated_header_skipped():
    f = _facts()
    assert check_appendix(_pages(BODY + SIG, APPENDIX, REPEAT + ROW2), f) == []


def test_appendix_row_broken_over_pages_fails():
    f = _facts()
    faults = check_appendix(_pages(BODY + SIG, APPENDIX[:-len("     chức thực hiện\n")],
                                   REPEAT + "     chức thực hiện\n" + ROW2), f)
    assert [(x.check, x.page) for x in faults] == [("appendix-row", 2)]
    assert "TT 1 " in faults[0].text and "page 3" in faults[0].text and "chức thực hiện" in faults[0].text


def test_header_words_on_a_continuation_line_are_not_taken_for_the_header():
    # "thành" is a word of the header row, but here it is the end of row 1 on the next page
    f = _facts(rows=[("I", "CẢI CÁCH THỂ CHẾ", True), ("1", "Ban hành Kế hoạch hoàn thành", False),
                     ("2", "Xây dựng, ban hành kịp thời văn bản", False)])
    app = APPENDIX.replace("1    Ban hành Kế hoạch tổ    Kế hoạch      Quý I/2024\n     chức thực hiện\n",
                           "1    Ban hành Kế hoạch hoàn  Kế hoạch      Quý I/2024\n")
    faults = check_appendix(_pages(BODY + SIG, app, REPEAT + "     thành\n" + ROW2), f)
    assert [(x.check, x.page) for x in faults] == [("appendix-row", 2)]


def test_area_row_at_page_foot_and_wrapped_tt_are_found():
    f = _facts(rows=[("I", "CẢI CÁCH THỂ CHẾ", True), ("1", "Ban hành Kế hoạch tổ chức thực hiện", False),
                     ("VII", "CÔNG TÁC CHỈ ĐẠO", True), ("2", "Xây dựng, ban hành kịp thời văn bản", False)])
    faults = check_appendix(_pages(BODY + SIG, APPENDIX + "VII  CÔNG TÁC CHỈ ĐẠO\n", REPEAT + ROW2), f)
    assert [(x.check, x.page) for x in faults] == [("heading", 2)]
    faults = check_appendix(_pages(BODY + SIG, APPENDIX, REPEAT + "VI   CÔNG TÁC CHỈ ĐẠO\nI\n" + ROW2), f)
    assert [(x.check, x.page) for x in faults] == [("appendix-tt", 3)]


def test_appendix_without_tt_column_uses_first_words():
    f = _facts(header_cells=["Nhiệm vụ", "Sản phẩm", "Thời gian"], has_tt=False,
               rows=[(None, "I. Cải cách thể chế", True), (None, "Ban hành Kế hoạch tổ chức thực hiện công tác", False),
                     (None, "Xây dựng, ban hành kịp thời văn bản", False)])
    app = ("       Phụ lục\n   Nhiệm vụ          Sản phẩm      Thời gian\nI. Cải cách thể chế\n"
           "Ban hành Kế hoạch tổ chức      Kế hoạch     Quý I/2024\n")
    rest = "thực hiện công tác\n"
    nxt = "Xây dựng, ban hành kịp thời    Văn bản      Trong năm\nvăn bản\n"
    head = "            2\nNhiệm vụ          Sản phẩm      Thời gian\n"
    assert check_appendix(_pages(BODY + SIG, app + rest, head + nxt), f) == []
    faults = check_appendix(_pages(BODY + SIG, app, head + rest + nxt), f)
    assert [(x.check, x.page) for x in faults] == [("appendix-row", 2)]
    assert "row “Ban hành" in faults[0].text


def test_check_all_reports_province_page_and_text():
    f = _facts()
    msg = report("kon-tum-2024", check_all(_pages(BODY + "     1. Mục tiêu\n", "    2\n" + SIG, APPENDIX), f))
    assert "kon-tum-2024 [heading] page 1: page ends with the heading “1. Mục tiêu”" in msg
    assert "kon-tum-2024 [recipients-only] page 2" in msg
