"""drafter.importer.read: a past plan (.docx) read back into a typed record. The fixtures are Word files
built from the seed plans (tests/importer_fixtures.py); the expected facts are the seeds' own, read from
the seed text where they can be."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import time
import unicodedata
import zipfile
from pathlib import Path

import pytest
from docx import Document
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drafter.errors import UsageError
from drafter.importer.read import read_plan
from drafter.importer.text import figures, find_instruments, split_label
from drafter.importer.wordfile import open_docx, read_body
from importer_fixtures import (VARIANTS, Doc, P, R, fixture, para, paragraphs, render, seed_doc, seed_text,
                               with_number)

SEEDS = Path(__file__).parent / "seeds"


def plan_of(seed: str, variant: str = "plain"):
    return read_plan(fixture(seed, variant), f"seed-{seed}-{variant}.docx")


def seed_lines(seed: str, first: int, last: int) -> list[str]:
    """Seed lines first..last (1-based, inclusive), stripped, empty ones left out."""
    return [x.strip() for x in seed_text(seed).splitlines()[first - 1:last] if x.strip()]


def codes(plan) -> list[str]:
    return [w.code for w in plan.warnings]


def shape(nodes) -> tuple:
    return tuple((n.kind, n.label, n.text, shape(n.children)) for n in nodes)


# -- seed 004: Nam Định, 117/KH-UBND of 30/12/2020 ---------------------------------------------------------

@pytest.fixture(scope="module")
def nd():
    return plan_of("004")


def test_004_header_number_date_place_and_signer(nd):
    h = nd.header
    assert h.issuer_lines == ("ỦY BAN NHÂN DÂN", "TỈNH NAM ĐỊNH")
    assert (h.number, h.symbol, h.date, h.place, h.province) == (
        "117/KH-UBND", "KH", dt.date(2020, 12, 30), "Nam Định", "NAM ĐỊNH")
    assert not h.number_recovered and not h.date_recovered
    assert h.number_source.where == "table 1, row 2, cell 1"
    s = nd.signature
    assert (s.authority, s.deputy, s.title, s.name) == ("TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH",
                                                        "Trần Lê Đoài")
    assert nd.signed and "unsigned" not in codes(nd)


def test_004_title_and_plan_year(nd):
    assert nd.title.kind == "KẾ HOẠCH"
    assert nd.title.summary == "CẢI CÁCH HÀNH CHÍNH TỈNH NAM ĐỊNH NĂM 2021"
    assert nd.plan_year == 2021


def test_004_preamble_is_split_into_its_instruments(nd):
    items = nd.preamble
    assert [i.verb for i in items] == ["Thực hiện"] * 3
    assert [(i.instrument.kind, i.instrument.number, i.instrument.date) for i in items] == [
        ("Công văn", "6459/BNV-CCHC", dt.date(2020, 12, 7)),
        ("Kế hoạch", "91/KH-UBND", dt.date(2018, 9, 25)),
        ("Báo cáo", "139/BC-UBND", dt.date(2020, 6, 29))]
    assert items[0].instrument.issuer == "Bộ Nội vụ"
    assert items[0].instrument.title == "về việc hướng dẫn xây dựng kế hoạch và báo cáo CCHC định kỳ năm 2021"
    # the local instruments of its preamble: the province's own KH and BC
    assert [i.instrument.number for i in items if i.instrument.local] == ["91/KH-UBND", "139/BC-UBND"]
    # the enacting sentence shares the preamble's paragraph (seed L23–24) and is split off it
    assert nd.enacting == "UBND tỉnh ban hành Kế hoạch cải cách hành chính tỉnh Nam Định năm 2021, như sau:"
    assert nd.enacting_source.index == items[0].source.index
    assert all("ban hành Kế hoạch cải cách" not in (i.instrument.title or "") for i in items)


def test_004_sections_and_agency_blocks(nd):
    assert [(n.label, n.text, n.section) for n in nd.sections()] == [
        ("I.", "MỤC TIÊU, YÊU CẦU", "targets"), ("II.", "NHIỆM VỤ, GIẢI PHÁP THỰC HIỆN", "tasks"),
        ("III.", "TỔ CHỨC THỰC HIỆN", "organisation")]
    assert nd.section("funding").label == "2." and nd.section("funding").text == "Kinh phí"
    blocks = nd.agency_blocks
    assert [b.label for b in blocks] == [f"1.{n}." for n in range(1, 9)]
    assert [b.agency for b in blocks][1:] == ["Sở Nội vụ", "Văn phòng Ủy ban nhân dân tỉnh",
                                              "Sở Thông tin và Truyền thông", "Sở Tư pháp",
                                              "Sở Khoa học và Công nghệ", "Sở Tài chính", "Sở Kế hoạch và Đầu tư"]
    assert blocks[0].agency.startswith("Thủ trưởng các sở, ban, ngành, Chủ tịch UBND các huyện")
    # "1.5. Sở Tư pháp chủ trì, phối hợp …": the name, then the text as the block's first item
    assert blocks[4].items[0].text.startswith("Chủ trì, phối hợp với các cơ quan liên quan")
    assert [len(b.items) for b in blocks] == [5, 4, 1, 2, 1, 2, 1, 3]
    assert nd.targets == ()  # I.1 Mục tiêu states no figure


def test_004_noi_nhan_and_filing(nd):
    r = nd.recipients
    assert r.lines == tuple(x.lstrip("- ") for x in seed_lines("004", 434, 440))
    assert r.filing == "Lưu: VP1, VP8."
    assert r.filing_units == ("VP1", "VP8") and r.drafting_unit == "VP8"


def test_004_appendix_has_seven_columns_and_its_misnumbered_areas(nd):
    a = nd.appendix
    assert [c.label for c in a.columns] == [x for x in seed_lines("004", 453, 465) if x != "|"]
    assert [c.key for c in a.columns] == ["task", "detail", "product", "lead", "coop", "deadline", "funding"]
    assert a.title_lines[0] == "PHỤ LỤC"
    assert (a.reference_number, a.reference_date) == ("117/KH-UBND", dt.date(2020, 12, 30))
    found = [(r.tt, r.expected, r.repeated) for r in a.rows if r.kind == "area"]
    assert found == [("I", None, False), ("II", None, False), ("II", None, True), ("III", None, False),
                     ("IV", None, False), ("IV", None, True), ("V", None, False), ("V", "VI", False),
                     ("VI", None, True), ("VI", "VII", False), ("VII", "VIII", False)]
    assert [r.text for r in a.areas][5] == "Xây dựng Chính phủ điện tử"
    assert codes(nd).count("misnumbered") == 3 and codes(nd).count("repeated-area") == 3
    assert len(a.tasks) == 45


def test_004_appendix_merged_cells_are_read_once(nd):
    rows = nd.appendix.tasks
    first, second = rows[0], rows[1]
    assert first.cell("task") == "1. Rà soát và hệ thống hóa các văn bản quy phạm pháp luật"
    assert first.cell("lead") == "Sở Tư pháp" and first.cell("funding") == "Kinh phí thường xuyên"
    # the detail cell spans the Sản phẩm column: read once, under its first column
    assert first.cell("product") is None and [c.key for c in first.cells].count("detail") == 1
    # the task and detail cells merged down: carried into the next row, marked as merged
    assert second.cell("task") == first.cell("task")
    assert [c.key for c in second.cells if c.merged] == ["task", "detail"]
    assert second.cell("coop") == "Cơ quan có liên quan"
    # every row falls under the area it is listed under
    assert nd.appendix.areas[rows[-1].area].text == "Các nhiệm vụ khác"


def test_004_instruments_cited_in_the_body(nd):
    by_number = {c.instrument.number: c for c in nd.citations if c.part == "body"}
    assert {"1291/QĐ-TTg", "61/2018/NĐ-CP", "02/2017/TT-VPCP", "51/KH-UBND", "73/KH-UBND"} <= set(by_number)
    sv = by_number["2534/SNV-CCHC"].instrument
    assert (sv.kind, sv.date, sv.issuer, sv.local) == ("Văn bản", dt.date(2020, 12, 11), "Sở Nội vụ", True)
    assert by_number["1291/QĐ-TTg"].source.where.startswith("paragraph ")
    numbers = [i.number for i in nd.instruments if i.number]
    assert len(numbers) == len(set(numbers))  # each once
    laws = [(i.title, i.year) for i in nd.instruments if i.kind == "Luật"]
    assert ("Ban hành văn bản QPPL", 2015) in laws


# -- seed 000: Tuyên Quang, its header number blank -------------------------------------------------------

@pytest.fixture(scope="module")
def tq():
    return plan_of("000")


def test_000_number_recovered_from_the_appendix(tq):
    h = tq.header
    assert h.number == "225/KH-UBND" and h.number_recovered and h.symbol == "KH"
    assert h.number_source.text == "(Kèm theo Kế hoạch số: 225/KH-UBND ngày 24 tháng 12 năm 2021)"
    assert h.date == dt.date(2021, 12, 24) and not h.date_recovered
    assert (h.place, h.province) == ("Tuyên Quang", "TUYÊN QUANG")
    assert "number-recovered" in codes(tq) and tq.signed
    s = tq.signature
    assert (s.authority, s.deputy, s.title, s.name) == ("TM. ỦY BAN NHÂN DÂN", None, "CHỦ TỊCH", "Nguyễn Văn Sơn")


def test_000_with_its_number_in_the_header_nothing_is_recovered():
    plan = read_plan(render(with_number(seed_doc("000"), "225/KH-UBND")), "000-numbered.docx")
    assert plan.header.number == "225/KH-UBND" and not plan.header.number_recovered
    assert "number-recovered" not in codes(plan)
    mismatch = read_plan(render(with_number(seed_doc("000"), "226/KH-UBND")), "000-other.docx")
    assert mismatch.header.number == "226/KH-UBND" and "number-mismatch" in codes(mismatch)


def test_000_title_preamble_and_enacting_sentence(tq):
    assert tq.title.summary == "CÔNG TÁC CẢI CÁCH HÀNH CHÍNH TỈNH TUYÊN QUANG NĂM 2022" and tq.plan_year == 2022
    assert [(i.verb, i.instrument.number, i.instrument.date, i.instrument.issuer) for i in tq.preamble] == [
        ("Căn cứ", "76/NQ-CP", dt.date(2021, 7, 15), "Chính phủ"),
        ("Căn cứ", "23/CT-TTg", dt.date(2021, 9, 2), "Thủ tướng Chính phủ"),
        ("Căn cứ", "603/QĐ-UBND", dt.date(2021, 9, 30), "Ủy ban nhân dân tỉnh")]
    assert tq.preamble[2].instrument.title.endswith("định hướng đến năm 2030")
    assert tq.enacting == ("Ủy ban nhân dân tỉnh ban hành Kế hoạch công tác cải cách hành chính tỉnh Tuyên Quang "
                           "năm 2022, cụ thể như sau:")


def test_000_instruments_de_an_and_the_provinces_own(tq):
    de_an = [c for c in tq.citations if c.instrument.number == "05-ĐA/TU"]
    assert {c.part for c in de_an} == {"body", "appendix"}
    i = de_an[0].instrument
    assert (i.kind, i.date, i.issuer, i.local) == ("Đề án", dt.date(2021, 7, 9), "Tỉnh ủy Tuyên Quang", True)
    numbers = {i.number: i for i in tq.instruments}
    assert {"603/QĐ-UBND", "18/2021/QĐ-UBND", "140/QĐ-UBND", "65/KH-UBND", "116/KH-UBND"} <= set(numbers)
    assert all(numbers[n].local for n in ("603/QĐ-UBND", "18/2021/QĐ-UBND", "140/QĐ-UBND", "65/KH-UBND"))
    assert not numbers["76/NQ-CP"].local and not numbers["18-NQ/TW"].local


def test_000_appendix_46_numbered_rows_under_areas_I_to_VII(tq):
    a = tq.appendix
    assert [c.key for c in a.columns] == ["tt", "target", "task", "product", "lead", "coop", "start", "deadline",
                                          "note"]
    assert [(r.tt, r.text) for r in a.areas] == [
        ("I", "CẢI CÁCH THỂ CHẾ"), ("II", "CẢI CÁCH THỦ TỤC HÀNH CHÍNH"),
        ("III", "CẢI CÁCH TỔ CHỨC BỘ MÁY HÀNH CHÍNH NHÀ NƯỚC"), ("IV", "CẢI CÁCH CHẾ ĐỘ CÔNG VỤ"),
        ("V", "CẢI CÁCH TÀI CHÍNH CÔNG"), ("VI", "XÂY DỰNG VÀ PHÁT TRIỂN CHÍNH QUYỀN ĐIỆN TỬ, CHÍNH QUYỀN SỐ"),
        ("VII", "CÔNG TÁC CHỈ ĐẠO, ĐIỀU HÀNH")]
    numbered = [r for r in a.tasks if r.tt]
    assert [r.tt for r in numbered] == [str(n) for n in range(1, 47)]
    per_area = [sum(1 for r in numbered if r.area == k) for k in range(7)]
    assert per_area == [13, 4, 3, 6, 3, 8, 9]
    assert len(a.tasks) - len(numbered) == 6  # rows sharing a TT (after 3, 25 ×3, 27, 28)
    # a target merged down over rows 1–8: each row carries it, marked merged after the first
    rows = {r.tt: r for r in numbered}
    assert rows["2"].cell("target") == rows["1"].cell("target") and rows["1"].cell("target").startswith(
        "Tiếp tục xây dựng, hoàn thiện hệ thống văn bản QPPL")
    assert next(c for c in rows["2"].cells if c.key == "target").merged
    assert rows["46"].cell("deadline") == "25/12/2022" and rows["46"].cell("lead") == "Sở Nội vụ"
    assert not any(r.expected for r in a.rows) and "misnumbered" not in codes(tq)


def test_000_recipients_every_line(tq):
    r = tq.recipients
    assert r.lines == tuple(x.lstrip("- ") for x in seed_lines("000", 538, 547))
    assert r.filing == "Lưu: VT, NC (P.Hà)." and r.drafting_unit == "NC"


def test_000_sections_targets_and_blocks(tq):
    assert [(n.label, n.section) for n in tq.sections()] == [
        ("I.", "purpose"), ("II.", "targets"), ("III.", "tasks"), ("IV.", "funding"), ("V.", "organisation")]
    assert len(tq.targets) == 21
    t = next(t for t in tq.targets if "mức độ hài lòng" in t.text)
    assert [(f.text, f.value) for f in t.figures] == [("tối thiểu 85%", 85.0)]
    assert all(t.figures for t in tq.targets) and all(t.responsibility is None for t in tq.targets)
    assert [b.label for b in tq.agency_blocks] == [f"{n}." for n in range(1, 9)]
    assert tq.agency_blocks[1].agency == "Sở Nội vụ"
    assert tq.agency_blocks[7].agency == "Đài Phát thanh và Truyền hình tỉnh; Báo Tuyên Quang"


# -- seed 002: Kon Tum, an unsigned draft ------------------------------------------------------------------

@pytest.fixture(scope="module")
def kt():
    return plan_of("002")


def test_002_is_an_unsigned_draft_with_no_invented_date(kt):
    h = kt.header
    assert (h.number, h.symbol, h.date, h.year, h.place) == (None, "KH", None, 2022, "Kon Tum")
    assert not h.number_recovered and not h.date_recovered
    assert kt.signature.name is None and kt.signature.title == "CHỦ TỊCH"
    assert not kt.signed
    unsigned = next(w for w in kt.warnings if w.code == "unsigned")
    assert "blank" in unsigned.message and "no signer" in unsigned.message
    assert {"no-issuer", "appendix-missing"} <= set(codes(kt))
    assert kt.appendix is None
    assert kt.title.summary == "Thực hiện công tác cải cách hành chính nhà nước trên địa bàn tỉnh Kon Tum năm 2023"
    assert kt.plan_year == 2023


def test_002_preamble(kt):
    assert [(i.verb, i.instrument.number) for i in kt.preamble] == [
        ("Căn cứ", "76/NQ-CP"), ("Căn cứ", "23/CT-TTg"), ("Căn cứ", "3759/BNV-CCHC"), ("Căn cứ", "3993/KH-UBND")]
    cv = kt.preamble[2].instrument
    assert (cv.kind, cv.date, cv.issuer) == ("Công văn", dt.date(2021, 8, 2), "Bộ Nội vụ")
    assert kt.preamble[1].instrument.title.endswith("giai đoạn 2021-2030")  # ends before "và hướng dẫn của …"


def _seed_002_targets() -> list[tuple[str, str]]:
    """(target, responsibility) from the seed text: each "- " line of "b) Các chỉ tiêu cụ thể:" and the
    "*" line after it (the footnote between the last pair skipped)."""
    text = seed_text("002")
    part = text[text.index("b) Các chỉ tiêu cụ thể:"):text.index("2. Yêu cầu")]
    paras = [p.strip() for p in re.split(r"\n\s*\n", part) if p.strip()]
    joined: list[str] = []
    for p in paras:
        if joined and p[0].islower():
            joined[-1] += " " + p
        else:
            joined.append(p)
    pairs, target = [], None
    for p in joined:
        if p.startswith("- "):
            target = p[2:]
        elif p.startswith("*") and target is not None:
            pairs.append((target.replace("*", ""), p.strip("* ")))
            target = None
    return pairs


def test_002_targets_paired_with_their_responsibility_lines(kt):
    expected = _seed_002_targets()
    assert len(expected) == 23
    assert [(t.text, t.responsibility) for t in kt.targets] == expected
    first = kt.targets[0]
    assert first.figures[0].text == "30%" and first.responsibility.startswith("Sở Nội vụ chủ trì tham mưu")
    assert first.responsibility_source.index == first.source.index + 1
    one_third = kt.targets[-1]
    assert [f.text for f in one_third.figures] == ["Tối thiểu 1/3"]
    assert one_third.responsibility_source.index == one_third.source.index + 2  # past the footnote


def test_002_twelve_agency_blocks(kt):
    blocks = kt.agency_blocks
    assert [b.label for b in blocks] == [f"{n}." for n in range(1, 13)]
    text = seed_text("002")
    for b in blocks[1:]:
        assert re.search(rf"^{re.escape(b.label)} {re.escape(b.agency)}:?", text, re.M), b.agency
    assert blocks[8].agency == "Sở Giáo dục và Đào tạo"
    assert blocks[8].items[0].text.startswith("Triển khai đo lường mức độ hài lòng")
    assert blocks[11].agency == "Đài Phát thanh và Truyền hình tỉnh"
    assert [(n.label, n.section) for n in kt.sections()] == [
        ("I.", "targets"), ("II.", "tasks"), ("III.", "organisation"), ("IV.", "funding")]


def test_002_noi_nhan(kt):
    assert len(kt.recipients.lines) == 15
    assert kt.recipients.lines[0] == "Bộ Nội vụ (b/c);"
    assert kt.recipients.filing == "Lưu: VT, NC.TTHG."


# -- what real files hold ----------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", ["000", "002", "004"])
@pytest.mark.parametrize("variant", ["heading-breaks", "nbsp-nfd", "word-numbering", "tracked", "no-tables",
                                     "signer-first"])
def test_variants_read_as_the_plain_file(seed, variant):
    plain, other = plan_of(seed), plan_of(seed, variant)
    assert shape(other.body) == shape(plain.body)
    assert (other.header.number, other.header.date, other.header.place, other.header.issuer_lines) == (
        plain.header.number, plain.header.date, plain.header.place, plain.header.issuer_lines)
    sig = lambda s: (s.authority, s.deputy, s.title, s.name)  # noqa: E731
    assert (sig(other.signature), other.title.summary) == (sig(plain.signature), plain.title.summary)
    assert (other.recipients.lines, other.recipients.filing) == (plain.recipients.lines, plain.recipients.filing)
    assert [(t.text, t.responsibility) for t in other.targets] == [(t.text, t.responsibility) for t in plain.targets]
    assert [(b.label, b.agency) for b in other.agency_blocks] == [(b.label, b.agency) for b in plain.agency_blocks]
    assert [i.number for i in other.instruments] == [i.number for i in plain.instruments]
    if plain.appendix:
        assert [(r.kind, r.tt, r.text) for r in other.appendix.rows] == [
            (r.kind, r.tt, r.text) for r in plain.appendix.rows]


def test_heading_broken_by_a_line_break_or_split_in_two():
    plan = plan_of("000", "heading-breaks")
    assert [(n.label, n.text) for n in plan.sections()][3:] == [("IV.", "KINH PHÍ"), ("V.", "TỔ CHỨC THỰC HIỆN")]
    assert plan_of("004", "heading-breaks").sections()[0].text == "MỤC TIÊU, YÊU CẦU"


def test_nbsp_and_nfd_come_out_nfc_with_plain_spaces():
    plan = plan_of("000", "nbsp-nfd")
    texts = [n.text for top in plan.body for n in top.walk()] + list(plan.recipients.lines)
    texts += [plan.signature.name, plan.header.place, plan.title.summary]
    assert all(unicodedata.is_normalized("NFC", t) and "\u00a0" not in t for t in texts)
    assert plan.signature.name == "Nguyễn Văn Sơn"


def test_word_numbering_rebuilds_the_labels():
    plan = plan_of("004", "word-numbering")
    nodes = [n for top in plan.body for n in top.walk() if n.kind in ("muc", "khoan", "bullet")]
    assert nodes and all(n.word_numbered for n in nodes)
    assert [b.label for b in plan.agency_blocks] == [f"1.{n}." for n in range(1, 9)]
    assert {n.label for n in nodes if n.kind == "bullet"} == {"-", "+"}


def test_tracked_changes_accepted_and_comments_left_out():
    plan = plan_of("004", "tracked")
    assert plan.header.number == "117/KH-UBND"  # "116" deleted, "117" inserted
    assert plan.signature.name == "Trần Lê Đoài"  # "Đoài" inserted
    assert plan.recipients.filing == "Lưu: VP1, VP8."  # " VP9," deleted
    everything = " ".join(n.text for top in plan.body for n in top.walk())
    assert "Nội dung đã xóa" not in everything and "Kiểm tra lại số hiệu" not in everything
    assert {"tracked-changes", "comments"} <= set(codes(plan))


def test_misnumbered_section_is_recorded():
    plan = plan_of("000", "misnumbered")
    third = plan.sections()[2]
    assert (third.label, third.expected, third.text) == ("II.", "III.", "NHIỆM VỤ, GIẢI PHÁP")
    assert any(w.code == "misnumbered" and "III." in w.message for w in plan.warnings)
    assert plan.section("tasks") is third  # found by its heading, not its number


def test_lettering_mistake_f_after_e():
    plan = plan_of("002", "lettered")
    points = [n for top in plan.body for n in top.walk() if n.kind == "diem" and n.label in "a) b) c) d) đ) e) f)"
              and n.source.index > plan.section("tasks").source.index]
    assert [p.label for p in points] == ["a)", "b)", "c)", "d)", "đ)", "e)", "f)"]
    assert [p.expected for p in points] == [None] * 6 + ["g)"]
    warning = next(w for w in plan.warnings if w.code == "lettering")
    assert "f)" in warning.message and "g)" in warning.message and warning.source == points[-1].source


@pytest.mark.parametrize("seed", ["000", "002", "004"])
@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_each_fixture_reads_in_under_a_second(seed, variant):
    data = fixture(seed, variant)
    start = time.perf_counter()
    read_plan(data, "timed.docx")
    assert time.perf_counter() - start < 1.0


def test_header_typed_as_paragraphs_with_tabs():
    """No header table: the Quốc hiệu after a tab on the issuer's lines, the date line broken by Enter."""
    doc = seed_doc("004")
    doc.blocks[0:1] = [para("ỦY BAN NHÂN DÂN\tCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"),
                       para("TỈNH NAM ĐỊNH\tĐộc lập - Tự do - Hạnh phúc"), para("-------\t---------------"),
                       para("Số: 117/KH-UBND\tNam Định, ngày 30"), para("tháng 12 năm 2020")]
    h = read_plan(render(doc), "tabs.docx").header
    assert h.issuer_lines == ("ỦY BAN NHÂN DÂN", "TỈNH NAM ĐỊNH")
    assert (h.number, h.date, h.place) == ("117/KH-UBND", dt.date(2020, 12, 30), "Nam Định")


def test_no_signature_block_is_reported_not_invented():
    doc = seed_doc("004")
    doc.blocks = [b for b in doc.blocks if not (hasattr(b, "rows") and len(b.rows) == 1)]
    plan = read_plan(render(doc), "no-signature.docx")
    assert plan.recipients.lines == () and plan.signature.name is None and not plan.signed
    assert {"unsigned", "no-recipients"} <= set(codes(plan))
    assert len(plan.appendix.tasks) == 45  # the appendix is still found


_W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def test_word_numbering_counts_as_word_does():
    """One list, two instances: levels restart under a higher level, and a startOverride restarts a list."""
    numbering = [f'''<w:abstractNum {_W} w:abstractNumId="70">
  <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1."/></w:lvl>
  <w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="lowerLetter"/><w:lvlText w:val="%2)"/></w:lvl>
  <w:lvl w:ilvl="2"><w:start w:val="1"/><w:numFmt w:val="upperRoman"/><w:lvlText w:val="%3."/></w:lvl>
</w:abstractNum>''', f'<w:num {_W} w:numId="70"><w:abstractNumId w:val="70"/></w:num>',
                 f'''<w:num {_W} w:numId="71"><w:abstractNumId w:val="70"/>
  <w:lvlOverride w:ilvl="0"><w:startOverride w:val="1"/></w:lvlOverride></w:num>''']
    levels = [(70, 0), (70, 1), (70, 1), (70, 0), (70, 1), (71, 0), (70, 2), (70, 2)]
    doc = Doc([P([R(f"đoạn {k}")], num=n) for k, n in enumerate(levels)], numbering)
    body = read_body(open_docx(render(doc), "numbered.docx"))
    assert [(b.label, b.level) for b in body.blocks if b.text] == [
        ("1.", 0), ("a)", 1), ("b)", 1), ("2.", 0), ("a)", 1), ("1.", 0), ("I.", 2), ("II.", 2)]


def test_table_cells_on_the_grid():
    """A legacy horizontal merge (w:hMerge) and a row starting after a grid column (w:gridBefore): each
    cell once, at its grid column."""
    from docx.oxml import parse_xml

    doc = Document()
    tbl = parse_xml(f'''<w:tbl {_W}><w:tblGrid><w:gridCol/><w:gridCol/><w:gridCol/></w:tblGrid>
  <w:tr><w:tc><w:p><w:r><w:t>A</w:t></w:r></w:p></w:tc>
    <w:tc><w:tcPr><w:hMerge w:val="restart"/></w:tcPr><w:p><w:r><w:t>B</w:t></w:r></w:p></w:tc>
    <w:tc><w:tcPr><w:hMerge/></w:tcPr><w:p/></w:tc></w:tr>
  <w:tr><w:trPr><w:gridBefore w:val="1"/></w:trPr>
    <w:tc><w:tcPr><w:gridSpan w:val="2"/></w:tcPr><w:p><w:r><w:t>C</w:t></w:r></w:p><w:p><w:r><w:t>D</w:t></w:r></w:p></w:tc></w:tr>
</w:tbl>''')
    doc.element.body.sectPr.addprevious(tbl)
    out = io.BytesIO()
    doc.save(out)
    table = next(b for b in read_body(open_docx(out.getvalue(), "grid.docx")).blocks if hasattr(b, "rows"))
    assert [[(c.text, c.col, c.span) for c in r.cells] for r in table.rows] == [
        [("A", 0, 1), ("B", 1, 2)], [("C\nD", 1, 2)]]


# -- not a plan: one clear error -----------------------------------------------------------------------------

def _docx(*texts: str) -> bytes:
    d = Document()
    for t in texts:
        d.add_paragraph(t)
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return out.getvalue()


def _broken_document_xml() -> bytes:
    src = zipfile.ZipFile(io.BytesIO(fixture("004")))
    return _zip({n: (src.read(n)[:5000] if n == "word/document.xml" else src.read(n)) for n in src.namelist()})


OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
BAD = {
    "random bytes": (os.urandom(4096), "not a zip archive"),
    "empty": (b"", "empty"),
    "a zip that is not a .docx": (_zip({"a.txt": b"hello"}), "not a Word .docx"),
    "an OpenDocument file": (_zip({"mimetype": b"application/vnd.oasis.opendocument.text"}), ".odt"),
    "a .doc": (OLE + os.urandom(4096), "a .doc or password-protected file: save it as .docx without a password"),
    "an encrypted .docx": (OLE + b"\0" * 64 + "EncryptionInfo".encode("utf-16-le") + b"\0" * 64,
                           "a .doc or password-protected file: save it as .docx without a password"),
    "a PDF": (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "PDF"),
    "a truncated .docx": (fixture("004")[:20000], "not a zip archive"),
    "a damaged document.xml": (_broken_document_xml(), "damaged .docx"),
    "a .docx with one paragraph": (_docx("Xin chào"), "not a plan: no KẾ HOẠCH title"),
    "a KẾ HOẠCH without sections": (_docx("KẾ HOẠCH", "Tổ chức hội nghị năm 2024", "- Nội dung"),
                                    "not a plan: no sections I., II. found"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_not_a_plan_is_one_clear_error(case, capsys):
    data, says = BAD[case]
    with pytest.raises(UsageError) as err:
        read_plan(data, "input.docx")
    assert says in str(err.value)
    assert err.value.where == "input.docx" and err.value.hint
    assert capsys.readouterr() == ("", "")  # nothing else printed


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_a_damaged_plan_reads_or_is_refused_cleanly(data):
    """Blocks of a real plan dropped, repeated or reordered: a plan or a UsageError, never a crash."""
    doc = seed_doc(data.draw(st.sampled_from(["000", "002", "004"])))
    n = len(doc.blocks)
    keep = data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n))
    doc.blocks = [doc.blocks[k] for k in keep]
    try:
        plan = read_plan(render(doc), "fuzz.docx")
    except UsageError as exc:
        assert "defeated the reader" not in str(exc)
    else:
        assert plan.title.kind == "KẾ HOẠCH"


# -- text rules --------------------------------------------------------------------------------------------

def test_labels():
    assert split_label("IV.KINH PHÍ") == ("muc", "IV.", "KINH PHÍ")
    assert split_label("1.1.Xây dựng") == ("khoan", "1.1.", "Xây dựng")
    assert split_label("3.1 Xây dựng") == ("khoan", "3.1", "Xây dựng")
    assert split_label("đ) Các giải pháp") == ("diem", "đ)", "Các giải pháp")
    assert split_label("-Phấn đấu") == ("bullet", "-", "Phấn đấu")
    assert split_label("100% văn bản")[0] is None and split_label("1.000 người")[0] is None
    assert split_label("IIII. x")[0] is None  # not a Roman numeral


def test_instruments_as_plans_write_them():
    (i, _, _), = find_instruments("theo Thông tư số 02/2017/TT- VPCP ngày 31/10/2017 của Văn phòng Chính phủ, chủ động")
    assert (i.number, i.date, i.issuer) == ("02/2017/TT-VPCP", dt.date(2017, 10, 31), "Văn phòng Chính phủ")
    (i, _, _), = find_instruments("Nghị định số 62/2020/NĐ-CP của Chính phủ ngày 01/6/2020 về vị trí việc làm")
    assert (i.date, i.issuer, i.title) == (dt.date(2020, 6, 1), "Chính phủ", "về vị trí việc làm")
    (i, _, _), = find_instruments("Văn bản số số 2534/SNV-CCHC ngày 11/12/2020 của Sở Nội vụ")
    assert i.number == "2534/SNV-CCHC" and i.local
    (i, _, _), = find_instruments("theo quy định tại Luật Ban hành văn bản QPPL năm 2015")
    assert (i.kind, i.number, i.year, i.title) == ("Luật", None, 2015, "Ban hành văn bản QPPL")


def test_figures():
    assert [(f.text, f.value) for f in figures("đạt từ 50% trở lên; giảm từ 1,7% đơn vị; tối thiểu 1/3 sở")] == [
        ("đạt từ 50%", 50.0), ("giảm từ 1,7%", 1.7), ("tối thiểu 1/3", None)]
    assert figures("ngày 15/7/2021, tháng 01/2022, 30 phút/01 lần") == ()


def test_builder_keeps_every_seed_paragraph_text():
    """The fixture's paragraphs hold the seed's words, in order (the builder adds structure, not text)."""
    for seed in ("000", "004"):
        words = " ".join(seed_text(seed).replace("|", " ").split())
        built = " ".join(" ".join(p.text.replace("\n", " ") for p in paragraphs(seed_doc(seed))).split())
        assert built == words
