"""Issue 15: the plans of a department (sở, ban, ngành) implementing the province's plan of the year: its
own CCHC plan (`--kind cchc`) and its CCHC propaganda plan (`--kind tuyen-truyen`, seed 003: the Sở Khoa học
và Công nghệ of Quảng Ngãi for 2022), read back from the .docx as the department's staff read them; for 2022
(seed 003's year, before the 2025 mergers) and 2027 (after them)."""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from docx.table import Table
from docx.text.paragraph import Paragraph

from drafter import pipeline, selection
from drafter.cli import main
from drafter.docx_text import blocks, open_docx

AGENCY = "Sở Khoa học và Công nghệ"
PROVINCE = "Quảng Ngãi"
#: seed 003 implements the province's KH 34/KH-UBND of 03/3/2022
PARENT_2022 = "34/KH-UBND 2022-03-03"
SECTIONS_TT = ["I. MỤC ĐÍCH, YÊU CẦU", "II. NỘI DUNG TUYÊN TRUYỀN", "III. HÌNH THỨC TUYÊN TRUYỀN",
               "IV. KINH PHÍ THỰC HIỆN", "V. TỔ CHỨC THỰC HIỆN"]
CASES = [(kind, year) for kind in ("tuyen-truyen", "cchc") for year in (2022, 2027)]


def _run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def drafts(tmp_path_factory) -> dict[tuple[str, int], tuple[Path, list, dict]]:
    """Each case drafted by the command line under its default name; (file, blocks, provenance record)."""
    folder = tmp_path_factory.mktemp("departments")
    out = {}
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        for kind, year in CASES:
            args = ["new", "--agency", AGENCY, "--kind", kind, "--province", PROVINCE, "--year", str(year)]
            res = _run(*args, *(["--parent", PARENT_2022] if year == 2022 else []))
            assert res.exit_code == 0, res.output
            written = folder / res.output.split()[1]
            rec = json.loads(written.with_suffix(".provenance.json").read_text(encoding="utf-8"))
            out[(kind, year)] = (written, list(blocks(open_docx(written.read_bytes()))), rec)
    finally:
        os.chdir(cwd)
    return out


def _paras(items: list) -> list[Paragraph]:
    return [b for b in items if isinstance(b, Paragraph) and b.text.strip()]


def _highlighted(p: Paragraph) -> list[str]:
    return [r.text for r in p.runs if r.font.highlight_color is not None]


@pytest.mark.parametrize("kind,year", CASES)
def test_file_names(drafts, kind, year):
    path = drafts[(kind, year)][0]
    assert path.name == f"KH-{'TTCCHC' if kind == 'tuyen-truyen' else 'CCHC'}-{year}-skhcn-quang-ngai.docx"


@pytest.mark.parametrize("kind,year", CASES)
def test_header(drafts, kind, year):
    """The superior body not bold over the Sở, bold (ND 30 II.2); its number symbol; place and date."""
    items = drafts[(kind, year)][1]
    header = next(b for b in items if isinstance(b, Table))
    left = [p for p in header.cell(0, 0).paragraphs if p.text.strip()]
    assert left[0].text == "UBND TỈNH QUẢNG NGÃI"
    assert not any(r.bold for r in left[0].runs)
    assert left[1].text == "SỞ KHOA HỌC VÀ CÔNG NGHỆ"
    assert all(r.bold for r in left[1].runs if r.text.strip())
    assert re.fullmatch(r"Số:\s+/KH-SKHCN", header.cell(1, 0).text.strip())
    assert header.cell(1, 1).text.startswith("Quảng Ngãi, ngày")
    title = [p.text for p in _paras(items)[:2]]
    assert title[0] == "KẾ HOẠCH"
    what = "Tuyên truyền cải cách hành chính" if kind == "tuyen-truyen" else "Cải cách hành chính"
    assert title[1].startswith(f"{what} năm {year}") and title[1].endswith(f"của {AGENCY}")


@pytest.mark.parametrize("kind,year", CASES)
def test_opening_cites_the_provinces_plan(drafts, kind, year):
    paras = _paras(drafts[(kind, year)][1])
    i = next(i for i, p in enumerate(paras) if p.text.startswith("Thực hiện Kế hoạch số"))
    opening = paras[i]
    assert f"của Ủy ban nhân dân tỉnh Quảng Ngãi về cải cách hành chính nhà nước năm {year}" in opening.text
    if year == 2022:
        assert "34/KH-UBND ngày 03 tháng 3 năm 2022" in opening.text and not _highlighted(opening)
    else:  # no --parent, none in the province's profile: a highlighted blank for the clerk
        assert _highlighted(opening) == ["……/KH-UBND ngày ……"]
    plan = "Kế hoạch tuyên truyền cải cách hành chính" if kind == "tuyen-truyen" else "Kế hoạch cải cách hành chính"
    assert paras[i + 1].text == f"{AGENCY} xây dựng {plan} năm {year} như sau:"


@pytest.mark.parametrize("year", (2022, 2027))
def test_propaganda_plan_sections_in_seed_003s_order(drafts, year):
    texts = [p.text for p in _paras(drafts[("tuyen-truyen", year)][1])]
    assert [t for t in texts if re.match(r"^[IVX]+\. ", t)] == SECTIONS_TT


@pytest.mark.parametrize("year", (2022, 2027))
def test_each_activity_is_followed_by_its_lead_and_time(drafts, year):
    paras = _paras(drafts[("tuyen-truyen", year)][1])
    texts = [p.text for p in paras]
    start, end = texts.index(SECTIONS_TT[2]), texts.index(SECTIONS_TT[3])
    section = texts[start + 1:end]
    heads = [i for i, t in enumerate(section) if re.match(r"^\d+\. ", t)]
    assert len(heads) >= 6  # the three of every department and the Sở KH&CN's own three
    for n, i in enumerate(heads, 1):
        assert section[i].startswith(f"{n}. ")
        after = section[i + 1:heads[n] if n < len(heads) else len(section)]
        assert after[0].startswith("- Đơn vị chủ trì thực hiện: ")
        assert after[-1].startswith("- Thời gian thực hiện: ")
        assert len(after) in (2, 3)
        if len(after) == 3:
            assert after[1].startswith("- Đơn vị phối hợp: ")
    times = {t.removeprefix("- Thời gian thực hiện: ") for t in section if t.startswith("- Thời gian")}
    assert {"Thường xuyên trong năm.", f"Quý II/{year}.", f"Quý I - II/{year}.", f"Quý IV/{year}."} <= times
    # seed 003's units in 2022 (the province's layer); the national defaults, marked, in 2027
    if year == 2022:
        assert "- Đơn vị chủ trì thực hiện: Trung tâm Ứng dụng và Dịch vụ khoa học và Công nghệ." in section
        assert not any(_highlighted(p) for p in paras[start:end])
    else:
        assert any(_highlighted(p) for p in paras[start:end])


@pytest.mark.parametrize("year", (2022, 2027))
def test_propaganda_plan_reporting_deadlines(drafts, year):
    texts = [p.text for p in _paras(drafts[("tuyen-truyen", year)][1])]
    last = next(t for t in texts if t.startswith("3. ") and "báo cáo" in t and "10/11" in t)
    assert f"trước ngày 10/11/{year}" in last and f"trước ngày 15/11/{year}" in last
    via = "Sở Thông tin và Truyền thông" if year == 2022 else "Sở Nội vụ"
    assert f"(qua {via})" in last


def _rows(year: int, as_of=None):
    """The province's rows of the year (its resolved snapshot) with their lead and cooperating roles at the
    drafting date, after the mergers."""
    data = pipeline.load()
    snap = pipeline.snapshot(data, PROVINCE, year, as_of)
    at = snap.as_of
    return [(r, {selection.role_at(data, x, at) for x in r.lead}, {selection.role_at(data, x, at) for x in r.coop})
            for r in snap.rows], data


@pytest.mark.parametrize("year", (2022, 2027))
def test_every_row_the_sở_leads_is_there_once_with_its_provenance(drafts, year):
    _, items, rec = drafts[("cchc", year)]
    import datetime as dt

    rows, data = _rows(year, dt.date.fromisoformat(rec["plan"]["as_of"]))
    led = [r for r, lead, _ in rows if "khoa_hoc_cong_nghe" in lead]
    assert led, "the Sở KH&CN leads rows of the province's plan"
    traced = [p["source"]["id"] for p in rec["paragraphs"] if p["source"]["kind"] == "row"]
    for r in led:
        assert traced.count(r.id) == 1, r.id
    # each row once, those it cooperates on too; none the province's plan does not give it
    assert len(traced) == len(set(traced))
    mine = {r.id for r, lead, coop in rows
            if {"khoa_hoc_cong_nghe", "cac_so_nganh"} & (lead | coop)}
    assert set(traced) == mine
    texts = [p.text for p in _paras(items)]
    for p in rec["paragraphs"]:
        if p["source"]["kind"] == "row":
            assert texts.count(p["text"]) == 1
            nxt = texts[texts.index(p["text"]) + 1]
            assert nxt.startswith("+ Đơn vị tham mưu") and "sản phẩm:" in nxt and "thời gian hoàn thành:" in nxt


def test_after_the_merger_the_rows_of_the_sở_tttt_are_the_sở_khcns():
    """A row led by the Sở Thông tin và Truyền thông (cqs-01) is the Sở KH&CN's from 01/3/2025."""
    rows22, _ = _rows(2022)
    rows27, _ = _rows(2027)
    lead22 = {r.id for r, lead, _ in rows22 if "khoa_hoc_cong_nghe" in lead}
    lead27 = {r.id for r, lead, _ in rows27 if "khoa_hoc_cong_nghe" in lead}
    assert "cqs-01" not in lead22 and "cqs-01" in lead27


def test_the_cchc_plan_is_laid_out_by_area_and_lists_its_duties(drafts):
    texts = [p.text for p in _paras(drafts[("cchc", 2027)][1])]
    assert [t for t in texts if re.match(r"^[IVX]+\. ", t)] == ["I. MỤC ĐÍCH, YÊU CẦU", "II. NỘI DUNG, NHIỆM VỤ",
                                                               "III. TỔ CHỨC THỰC HIỆN"]
    assert "a) Nhiệm vụ chủ trì thực hiện:" in texts and "b) Nhiệm vụ phối hợp thực hiện:" in texts
    assert any(t.endswith("Xây dựng và phát triển Chính quyền điện tử, Chính quyền số") for t in texts)
    assert any("Chỉ số cải cách hành chính (PAR INDEX) năm 2027 của Sở Khoa học và Công nghệ" in t for t in texts)


@pytest.mark.parametrize("kind,year", CASES)
def test_signature_and_noi_nhan(drafts, kind, year):
    items = drafts[(kind, year)][1]
    sig = [b for b in items if isinstance(b, Table)][-1]
    right = [p.text for p in sig.cell(0, 1).paragraphs if p.text.strip()]
    left = [p.text for p in sig.cell(0, 0).paragraphs if p.text.strip()]
    assert right[0] == "GIÁM ĐỐC" and not any(t.startswith("TM.") for t in right)
    assert right[-1] == ("Nguyễn Văn Thành" if year == 2022 else "(Họ và tên người ký)")
    assert left[0] == "Nơi nhận:" and left[1] == "- UBND tỉnh (b/c);"
    assert any(t.startswith("- Sở Nội vụ") for t in left)
    assert left[-1] == ("- Lưu: VT, HCTH." if year == 2022 else "- Lưu: VT, VP.")


def test_a_deputy_signs_kt(tmp_path):
    layers = tmp_path / "layers"
    layers.mkdir()
    (layers / "quang-ngai-2025.yaml").write_text(
        "overlay:\n  province: quang-ngai-2025\n  source: test\n  layer:\n    departments:\n"
        "      - role: khoa_hoc_cong_nghe\n        signers:\n"
        "          - {authority: KT, title: PHÓ GIÁM ĐỐC, name: Trần Văn B, status: V, source: test}\n",
        encoding="utf-8")
    out = tmp_path / "kt.docx"
    res = _run("new", "--agency", "skhcn", "--province", PROVINCE, "--year", "2027", "--layers", str(layers),
               "-o", str(out))
    assert res.exit_code == 0, res.output
    sig = [b for b in blocks(open_docx(out.read_bytes())) if isinstance(b, Table)][-1]
    right = [p.text for p in sig.cell(0, 1).paragraphs if p.text.strip()]
    assert right == ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC", "Trần Văn B"]


def _refused(res, option: str) -> str:
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output and f"drafter: error: {option}: " in res.output, res.output
    return res.output


def test_a_merged_agency_is_refused_with_its_successor(tmp_path):
    out = tmp_path / "x.docx"
    res = _run("new", "--agency", "Sở Thông tin và Truyền thông", "--province", PROVINCE, "--year", "2027", "-o",
               str(out))
    msg = _refused(res, "--agency")
    assert "merged into Sở Khoa học và Công nghệ on 01/3/2025" in msg
    assert '--agency "Sở Khoa học và Công nghệ"' in msg
    assert not out.exists() and not list(tmp_path.iterdir())


def test_an_agency_under_a_name_it_did_not_have_yet_is_refused(tmp_path):
    res = _run("new", "--agency", "Sở Nông nghiệp và Môi trường", "--province", PROVINCE, "--year", "2022", "-o",
               str(tmp_path / "x.docx"))
    assert "on that date it was Sở Nông nghiệp và Phát triển nông thôn" in _refused(res, "--agency")
    assert not list(tmp_path.iterdir())


def test_options_that_do_not_go_together(tmp_path):
    _refused(_run("new", "--kind", "cchc", "--province", PROVINCE, "--year", "2027"), "--kind")
    _refused(_run("new", "--agency", AGENCY, "--kind", "nope", "--province", PROVINCE, "--year", "2027",
                  "-o", str(tmp_path / "x.docx")), "--kind")
    _refused(_run("new", "--agency", AGENCY, "--form", "qd", "--province", PROVINCE, "--year", "2027"), "--form")
    _refused(_run("new", "--agency", "Công an tỉnh", "--province", PROVINCE, "--year", "2027",
                  "-o", str(tmp_path / "x.docx")), "--agency")
    _refused(_run("new", "--agency", AGENCY, "--province", PROVINCE, "--year", "2022",
                  "--parent", "34/KH-UBND 2022-03-03", "--as-of", "2022-02-01", "-o", str(tmp_path / "x.docx")),
             "--parent")
    _refused(_run("batch", "--year", "2027", "--kind", "cchc", "--province", PROVINCE, "-d", str(tmp_path)), "--kind")
    assert not list(tmp_path.iterdir())


def test_batch_writes_one_plan_per_department_and_again_the_same_bytes(tmp_path):
    data = pipeline.load()
    kind = pipeline.department_kind(data, "cchc")
    for year in (2022, 2027):
        when = selection.default_as_of(year)
        unit = selection.find_province(data, PROVINCE, when, year)
        expected = pipeline.agencies_of(data, kind, unit, year, when)
        sums = []
        for run in ("a", "b"):
            folder = tmp_path / f"{year}{run}"
            res = _run("batch", "--year", str(year), "--kind", "cchc", "--agencies", "all", "--province", PROVINCE,
                       "-d", str(folder), "-j", "2")
            assert res.exit_code == 0, res.output
            files = sorted(folder.glob("*.docx"))
            assert len(files) == len(expected)
            sums.append({f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in files})
        assert sums[0] == sums[1]
        names = set(sums[0])
        assert f"KH-CCHC-{year}-skhcn-quang-ngai.docx" in names
        assert (f"KH-CCHC-{year}-stttt-quang-ngai.docx" in names) == (year == 2022)
    assert len(pipeline.agencies_of(data, kind, selection.find_province(data, PROVINCE, selection.default_as_of(2027),
                                                                        2027), 2027, selection.default_as_of(2027))) == 12


@pytest.mark.parametrize("kind,year", CASES)
def test_schema_valid(drafts, kind, year):
    from tests.test_print_ready import _violations

    assert _violations(drafts[(kind, year)][0]) == []
