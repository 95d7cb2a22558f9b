"""Issue 14: the plans of the communes (xã, phường, đặc khu) of the two-tier local government, one at a
time (`drafter new --commune`) or all at once (`drafter batch --communes`), read back from the .docx as
a commune officer reads them."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from docx.table import Table
from docx.text.paragraph import Paragraph

from drafter import batch as batch_mod
from drafter import communes, pipeline, selection
from drafter.cli import main, slug
from drafter.context import VN_LETTERS
from drafter.docx_text import blocks, cell_text, open_docx
from drafter.errors import DataError, UsageError

ROOT = Path(__file__).resolve().parent.parent

#: The areas of section II of a commune's plan, in order (seed 001's six and public finance, fifth).
AREAS = ["Cải cách thể chế", "Cải cách thủ tục hành chính", "Cải cách tổ chức bộ máy hành chính nhà nước",
         "Cải cách chế độ công vụ", "Cải cách tài chính công",
         "Xây dựng và phát triển chính quyền điện tử, chính quyền số",
         "Công tác chỉ đạo, điều hành và tuyên truyền cải cách hành chính"]

#: (--commune, --province, header's second line, the địa danh of the date line, the province's name)
CASES = {
    "xã": ("Tịnh Khê", "Quảng Ngãi", "XÃ TỊNH KHÊ", "Tịnh Khê", "tỉnh Quảng Ngãi"),
    "phường": ("phuong cam thanh", None, "PHƯỜNG CẨM THÀNH", "Cẩm Thành", "tỉnh Quảng Ngãi"),
    "đặc khu": ("Lý Sơn", "quang ngai", "ĐẶC KHU LÝ SƠN", "Lý Sơn", "tỉnh Quảng Ngãi"),
}
PARENT = "125/KH-UBND 2026-12-10"


def _run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _clean_error(res, option: str) -> str:
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output and res.output.count("drafter: error:") == 1, res.output
    assert f"drafter: error: {option}: " in res.output, res.output
    return res.output


@pytest.fixture(scope="module")
def drafts(tmp_path_factory) -> dict[str, tuple[Path, list]]:
    """Each case drafted by the command line for 2027 with --parent, written in the current folder
    under its default name; (file, blocks of the .docx)."""
    folder = tmp_path_factory.mktemp("communes")
    out: dict[str, tuple[Path, list]] = {}
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        for kind, (name, province, *_) in CASES.items():
            args = ["new", "--commune", name, "--year", "2027", "--parent", PARENT, "--date", "2026-12-28"]
            res = _run(*args, *(["--province", province] if province else []))
            assert res.exit_code == 0, res.output
            written = Path(res.output.split()[1])
            out[kind] = (folder / written, list(blocks(open_docx((folder / written).read_bytes()))))
    finally:
        os.chdir(cwd)
    return out


def _texts(items: list) -> list[str]:
    """Every paragraph's text, the tables' cells as their paragraphs, in document order."""
    texts = []
    for b in items:
        if isinstance(b, Table):
            texts += [p.text for row in b.rows for c in row.cells for p in c.paragraphs]
        else:
            texts.append(b.text)
    return [t for t in texts if t.strip()]


def _paragraphs(items: list) -> list[Paragraph]:
    return [b for b in items if isinstance(b, Paragraph) and b.text.strip()]


@pytest.mark.parametrize("kind", list(CASES))
def test_header_title_and_opening(drafts, kind):
    _, province, second, place, province_name = CASES[kind]
    path, items = drafts[kind]
    code = path.name.split("-")[3]
    assert re.fullmatch(r"KH-CCHC-2027-\d{5}-[a-z0-9-]+\.docx", path.name)
    assert path.with_name(path.stem + ".provenance.json").is_file()
    header = next(b for b in items if isinstance(b, Table))
    left = [p.text for p in header.cell(0, 0).paragraphs if p.text.strip()]
    assert left == ["ỦY BAN NHÂN DÂN", second]
    assert [p.text for p in header.cell(0, 1).paragraphs if p.text.strip()] == [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]
    assert cell_text(header.cell(1, 0)) == "Số:      /KH-UBND"
    assert cell_text(header.cell(1, 1)) == f"{place}, ngày 28 tháng 12 năm 2026"  # ND 30: day 2 digits, month 12
    texts = [p.text for p in _paragraphs(items)]
    title = texts.index("KẾ HOẠCH")
    assert texts[title + 1] == f"Cải cách hành chính nhà nước\ntrên địa bàn {kind} {place} năm 2027"
    assert second == f"{kind} {place}".upper()
    assert texts[title + 2] == (f"Thực hiện Kế hoạch số 125/KH-UBND ngày 10 tháng 12 năm 2026 của Ủy ban nhân dân "
                                f"{province_name} về cải cách hành chính nhà nước năm 2027;")
    assert texts[title + 3] == (f"Ủy ban nhân dân {kind} {place} ban hành Kế hoạch cải cách hành chính nhà nước "
                                f"năm 2027, cụ thể như sau:")
    assert texts[title + 4] == "I. MỤC ĐÍCH, YÊU CẦU"
    assert len(code) == 5 and communes.units().commune(int(code)).kind == kind


@pytest.mark.parametrize("kind", list(CASES))
def test_sections_areas_and_point_lettering(drafts, kind):
    _, items = drafts[kind]
    texts = [p.text for p in _paragraphs(items)]
    sections = [t for t in texts if re.match(r"^[IVX]+\. ", t)]
    assert sections == ["I. MỤC ĐÍCH, YÊU CẦU", "II. NHIỆM VỤ, GIẢI PHÁP", "III. TỔ CHỨC THỰC HIỆN"]
    start, end = texts.index("II. NHIỆM VỤ, GIẢI PHÁP"), texts.index("III. TỔ CHỨC THỰC HIỆN")
    part = texts[start + 1:end]
    areas = [t for t in part if re.match(r"^\d+\. ", t)]
    assert areas == [f"{n}. {a}" for n, a in enumerate(AREAS, 1)]
    # each area's points are lettered a), b), … in the Vietnamese alphabet: đ) after d), then e), g): no f)
    bounds = [part.index(a) for a in areas] + [len(part)]
    for a, b in zip(bounds, bounds[1:]):
        letters = [m.group(1) for t in part[a + 1:b] if (m := re.match(r"^(\w{1,2})\) ", t))]
        assert letters == VN_LETTERS[:len(letters)] and letters, part[a]
    tthc = part[bounds[1] + 1:bounds[2]]
    assert [t[:2] for t in tthc if re.match(r"^\w\) ", t)] == ["a)", "b)", "c)", "d)", "đ)", "e)", "g)"]
    assert not any(re.match(r"^f\) ", t) for t in texts)
    assert any(t.startswith("- ") for t in part) and any(t.startswith("+ ") for t in part)  # bullets, sub-bullets
    # section III: the commune's own bodies
    bodies = [t for t in texts[end + 1:] if re.match(r"^\d+\. ", t)]
    assert bodies[0] == f"1. Văn phòng Hội đồng nhân dân và Ủy ban nhân dân {kind}"
    economy = "Phòng Kinh tế, Hạ tầng và Đô thị" if kind == "phường" else "Phòng Kinh tế"
    assert bodies[1:4] == [f"2. {economy}", "3. Phòng Văn hóa - Xã hội", f"4. Trung tâm Phục vụ hành chính công {kind}"]
    assert any("công chức" in b for b in bodies)
    assert texts[texts.index(bodies[-1]) + 2].endswith("./.")  # the body's last paragraph


@pytest.mark.parametrize("kind", list(CASES))
def test_signature_noi_nhan_and_no_district(drafts, kind):
    path, items = drafts[kind]
    tables = [b for b in items if isinstance(b, Table)]
    assert len(tables) == 2  # header and signature: no appendix
    sig = tables[1]
    recipients = [p.text for p in sig.cell(0, 0).paragraphs if p.text.strip()]
    assert recipients[0] == "Nơi nhận:" and recipients[1] == "- UBND tỉnh (b/c);"
    assert recipients[-1] == "- Lưu: VT, VP."
    signer = [p for p in sig.cell(0, 1).paragraphs if p.text.strip()]
    assert [p.text for p in signer] == ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", "(Họ và tên người ký)"]
    name = [r for r in signer[-1].runs if r.text.strip()][0]
    assert name.font.highlight_color is not None  # a marked blank for the clerk
    everything = "\n".join(_texts(items))
    assert "huyện" not in everything.lower()  # no district level for a plan drafted after 01/7/2025
    assert "61/2018" not in everything and "107/2021" not in everything  # NĐ 118/2025 is cited instead
    assert "Nghị định số 118/2025/NĐ-CP" in everything


def test_an_inline_target_is_traced_to_the_provinces_target(drafts):
    path, items = drafts["xã"]
    texts = [p.text for p in _paragraphs(items)]
    line = next(t for t in texts if "dịch vụ công trực tuyến toàn trình" in t)
    assert line == ("- 100% thủ tục hành chính đủ điều kiện thuộc thẩm quyền giải quyết của cấp xã được cung cấp dưới "
                    "hình thức dịch vụ công trực tuyến toàn trình trên Cổng Dịch vụ công quốc gia (chỉ tiêu đến năm "
                    "2027 theo Quyết định số 282/QĐ-TTg).")
    rec = json.loads(path.with_name(path.stem + ".provenance.json").read_text(encoding="utf-8"))
    assert rec["plan"]["kind"] == "kh-xa" and rec["plan"]["province"] == "quang-ngai-2025"
    assert rec["plan"]["commune"] == "21211"
    entry = next(p for p in rec["paragraphs"] if p["text"] == line)
    assert entry["source"]["kind"] == "target" and entry["source"]["id"] == "t-toan-trinh-282"
    assert entry["source"]["file"] == "rulepacks/national/targets.yaml"
    assert entry["values"] == [{"target": "t-toan-trinh-282", "value": "100%", "for_year": 2027, "from": "2026-01-01",
                                "basis": "282-qd-ttg-2026", "status": "V", "source": entry["values"][0]["source"]}]
    # a figure no instrument and no province sets for 2027: a marked blank, traced too
    blank = next(p for p in rec["paragraphs"] if "Mức độ hài lòng của người dân" in p["text"])
    assert "……" in blank["text"] and blank["source"]["id"] == "t-hai-long" and blank["unverified"]
    res = _run("explain", str(path), "toàn trình")
    assert res.exit_code == 0 and "target 't-toan-trinh-282'" in res.output and "value: 100%" in res.output


def test_without_parent_the_opening_is_a_marked_blank(data):
    ctx = pipeline.commune_context(data, "Tịnh Khê", 2027)
    opening = ctx.preamble[0]
    assert opening.text == ("Thực hiện Kế hoạch số ……/KH-UBND ngày …… của Ủy ban nhân dân tỉnh Quảng Ngãi về cải cách "
                            "hành chính nhà nước năm 2027;")
    marked = [r for r in opening.runs if r.check]
    assert [r.text for r in marked] == ["……/KH-UBND ngày ……"] and "--parent" in marked[0].check
    assert ctx.as_of == dt.date(2026, 12, 15) and ctx.date is None


def test_the_parent_plan_sets_the_default_drafting_date(data):
    from drafter.resolve import DocRef

    ctx = pipeline.commune_context(data, "Tịnh Khê", 2027, parent=DocRef("257/KH-UBND", dt.date(2026, 12, 22)))
    assert ctx.as_of == dt.date(2026, 12, 22)  # the commune drafts once it has the province's plan
    assert not any(r.check for r in ctx.preamble[0].runs)


# --------------------------------------------------------------------------- the province's plan and figures


def _data_copy(tmp_path: Path) -> Path:
    dst = tmp_path / "data"
    for name in ("rulepacks", "legal_refs", "templates"):
        shutil.copytree(ROOT / name, dst / name)
    return dst


def test_the_provinces_own_plan_figures_and_assignments_reach_its_communes(tmp_path):
    """The province's recorded plan for the year is cited in the opening; its own figure for a target
    given to cấp xã is printed; a target its layer gives to the sở only is left out of its communes' plans."""
    root = _data_copy(tmp_path)
    (root / "legal_refs" / "provinces" / "test-quang-ngai-2025.yaml").write_text(
        "instruments:\n"
        "  - id: quang-ngai-2025-999-kh-ubnd-2026\n"
        "    number: 999/KH-UBND\n"
        "    kind: Kế hoạch\n"
        "    issuer: Ủy ban nhân dân tỉnh Quảng Ngãi\n"
        "    signed: 2026-12-10\n"
        "    title: \"về cải cách hành chính nhà nước năm 2027\"\n"
        "    province: quang-ngai-2025\n"
        "    sources: [\"test\"]\n"
        "    status: V\n", encoding="utf-8")
    profile = root / "rulepacks" / "provinces" / "quang-ngai-2025.yaml"
    text = profile.read_text(encoding="utf-8")
    assert "\n  layer:" not in text and "\n  plans:" not in text
    profile.write_text(text.rstrip("\n") + "\n"
                       "  plans: [{year: 2027, cite: quang-ngai-2025-999-kh-ubnd-2026}]\n"
                       "  layer:\n"
                       "    values:\n"
                       "      t-hai-long: [{from: 2027-01-01, for_year: 2027, value: \"92%\", source: \"test\"}]\n"
                       "    targets:\n"
                       "      - id: t-ho-so-cong-viec-hai-cap\n"
                       "        area: chinh-quyen-so\n"
                       "        when: {from: 2025-07-01}\n"
                       "        text: \"{{ value }} hồ sơ công việc tại cấp tỉnh được xử lý trên môi trường mạng.\"\n"
                       "        responsibility: \"{{ ag('cac_so_nganh') | capfirst }} thực hiện.\"\n"
                       "      - id: t-iso\n"
                       "        area: chinh-quyen-so\n"
                       "        text: \"{{ value }} sở, ban ngành áp dụng TCVN ISO 9001.\"\n"
                       "        responsibility: \"{{ ag('khoa_hoc_cong_nghe') }} theo dõi.\"\n",
                       encoding="utf-8")
    data = pipeline.load(root)
    ctx = pipeline.commune_context(data, "Tịnh Khê", 2027)
    assert ctx.preamble[0].text == ("Thực hiện Kế hoạch số 999/KH-UBND ngày 10 tháng 12 năm 2026 của Ủy ban nhân dân "
                                    "tỉnh Quảng Ngãi về cải cách hành chính nhà nước năm 2027;")
    assert ctx.preamble[0].refs == ["quang-ngai-2025-999-kh-ubnd-2026"]
    texts = [p.text for p in ctx.body]
    own = next(p for p in ctx.body if "Mức độ hài lòng của người dân" in p.text)
    assert own.text.endswith("đạt tối thiểu 92%.") and own.values[0]["value"] == "92%"
    assert own.source.id == "t-hai-long"
    assert not any("hồ sơ công việc" in t and t.startswith("- ") for t in texts)  # given to the sở only
    # a commune of another province keeps the national target (its province gives it to cấp xã)
    other = pipeline.commune_context(data, "Côn Đảo", 2027)
    assert any("hồ sơ công việc của Ủy ban nhân dân đặc khu" in p.text for p in other.body)
    # a point that leads in its items ends with ":" while one is left, with "." once none is
    lead = next(p for p in ctx.body if p.text.startswith("b) Xử lý công việc trên môi trường điện tử"))
    assert lead.text.endswith(":") and lead.lead
    iso = next(p for p in ctx.body if "TCVN ISO 9001 trong hoạt động" in p.text)
    assert iso.text.endswith("Ủy ban nhân dân xã.") and not iso.lead
    assert not any("góp phần đạt chỉ tiêu" in t and "ISO" in t for t in texts)


# --------------------------------------------------------------------------- names, years, refusals


@pytest.mark.parametrize("name", ["Tịnh Khê", "tinh khe", "TỊNH KHÊ", "  tịnh   khê ", "xã Tịnh Khê", "Xa Tinh Khe",
                                  "21211", "Ti\u0302\u0323nh Khe\u0302"])
def test_names_match_as_province_names_do(name):
    assert communes.find(name).code == 21211


def test_a_name_written_exactly_picks_one_of_two_that_differ_by_diacritics_or_kind():
    assert communes.find("Sơn Hà", 51).name == "Sơn Hà" and communes.find("Sơn Hạ", 51).name == "Sơn Hạ"
    with pytest.raises(UsageError) as info:
        communes.find("son ha", 51)
    assert "Xã Sơn Hà" in info.value.message and "Xã Sơn Hạ" in info.value.message
    assert communes.find("Phường Mỹ Tho", 82).kind == "phường" and communes.find("xa my tho", 82).kind == "xã"


def test_an_ambiguous_name_lists_the_candidates_and_is_refused(tmp_path):
    out = tmp_path / "x.docx"
    res = _run("new", "--commune", "Ba Đình", "--year", "2027", "-o", str(out))
    text = _clean_error(res, "--commune")
    for candidate in ("Phường Ba Đình (thành phố Hà Nội, mã 00004)", "Xã Ba Đình (tỉnh Thanh Hóa, mã 16171)",
                      "Xã Ba Dinh (tỉnh Quảng Ngãi, mã 21499)"):
        assert candidate in text
    assert "--province" in text and list(tmp_path.iterdir()) == []
    res = _run("new", "--commune", "Ba Đình", "--province", "Thanh Hóa", "--year", "2027", "-o", str(out))
    assert res.exit_code == 0 and "Xã Ba Đình, tỉnh Thanh Hóa" in res.output


def test_an_unknown_name_is_refused_with_the_nearest_names(tmp_path):
    out = tmp_path / "x.docx"
    text = _clean_error(_run("new", "--commune", "Tịnh Kê", "--year", "2027", "-o", str(out)), "--commune")
    assert 'unknown commune "Tịnh Kê"' in text and 'did you mean "Tịnh Khê"' in text
    text = _clean_error(_run("new", "--commune", "Tịnh Khê", "-p", "Hà Nội", "--year", "2027", "-o", str(out)),
                        "--commune")
    assert "in thành phố Hà Nội" in text and "Xã Tịnh Khê (tỉnh Quảng Ngãi, mã 21211)" in text
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args, option, says", [
    (["--year", "2024"], "--year", "no commune plan for 2024"),
    (["--year", "2025"], "--year", "no commune plan for 2025"),
    (["--year", "2026", "--as-of", "2025-03-01"], "--as-of", "no commune plan drafted on 01/03/2025"),
    (["--year", "2027", "--form", "qd"], "--form", "belongs to a province's plan"),
    (["--year", "2027", "--parent", "125/QĐ-UBND 2026-12-10"], "--parent", "is not a Kế hoạch number and date"),
    (["--year", "2027", "--parent", "125/KH-UBND 2024-12-10"], "--parent", "cannot be the province's plan for 2027"),
    (["--year", "2027", "--parent", "125/KH-UBND 2026-12-20", "--as-of", "2026-12-18"], "--parent",
     "dated after --as-of"),
])
def test_refusals_say_why_and_write_nothing(tmp_path, args, option, says):
    out = tmp_path / "x.docx"
    text = _clean_error(_run("new", "--commune", "Tịnh Khê", "-o", str(out), *args), option)
    assert says in text and list(tmp_path.iterdir()) == []
    if option == "--year":  # the reason: the communes of the two-tier model exist from 01/07/2025
        assert "two-tier" in text and "01/07/2025" in text and "2026" in text


def test_a_province_cannot_use_the_commune_form_nor_a_commune_the_provinces(tmp_path):
    text = _clean_error(_run("new", "-p", "Kon Tum", "-y", "2024", "--form", "kh-xa", "-o", str(tmp_path / "x.docx")),
                        "--form")
    assert "drafter new --commune" in text
    text = _clean_error(_run("new", "-p", "Kon Tum", "-y", "2024", "--form", "nq", "-o", str(tmp_path / "x.docx")),
                        "--form")
    assert "kh-xa" not in text  # the forms a province may use
    text = _clean_error(_run("new", "-y", "2027", "-o", str(tmp_path / "x.docx")), "--province")
    assert "--commune" in text and list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- the list and the provinces


def test_every_province_maps_to_the_packages_list(data):
    units = communes.units()
    assert units.version == communes.PINNED and units.data_version == "2025-10-18"
    provinces = selection.provinces_for(data, 2026)
    assert len(provinces) == 34 and len(units.provinces) == 34
    assert sorted(int(p.code) for p in provinces) == sorted(units.provinces)
    for p in provinces:
        assert units.of_province(int(p.code)), p.id
    kinds = [c.kind for c in units.all()]
    assert len(kinds) == 3321
    assert (kinds.count("xã"), kinds.count("phường"), kinds.count("đặc khu")) == (2621, 687, 13)


def test_communes_command_lists_a_province(data):
    res = _run("communes", "--province", "Quảng Ngãi")
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert "21211  xã       Xã Tịnh Khê" in lines and "21548  đặc khu  Đặc khu Lý Sơn" in lines
    n = len(communes.units().of_province(51))
    assert lines[-1].startswith(f"{n} commune(s) of tỉnh Quảng Ngãi") and len(lines) == n + 1
    res = _run("communes")
    assert res.exit_code == 0 and "3321 commune(s) in all" in res.output


# --------------------------------------------------------------------------- batch


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_batch_writes_every_commune_of_a_province_identically_twice(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    res = _run("batch", "--year", "2027", "--communes", "--province", "Quảng Ngãi", "-d", str(first), "-j", "2")
    assert res.exit_code == 0, res.output
    expected = communes.units().of_province(51)
    docx = sorted(first.glob("*.docx"))
    assert len(docx) == len(expected) == 96
    assert {p.name for p in docx} == {f"KH-CCHC-2027-{c.code_text}-{slug(c.title)}.docx" for c in expected}
    assert "KH-CCHC-2027-21211-xa-tinh-khe.docx" in {p.name for p in docx}
    assert len(list(first.glob("*.provenance.json"))) == 96
    assert "96 written, 0 failed" in res.output and "Xã Tịnh Khê (Quảng Ngãi)" in res.output
    res = _run("batch", "--year", "2027", "--communes", "--province", "quang ngai", "-d", str(second), "-j", "1")
    assert res.exit_code == 0, res.output
    assert _digests(first) == _digests(second)  # stable names, identical bytes
    # an existing draft is not overwritten without --force; with it, the same bytes again
    res = _run("batch", "--year", "2027", "--communes", "--province", "Quảng Ngãi", "-d", str(first), "-j", "2")
    assert res.exit_code == 1 and "0 written, 96 failed" in res.output
    res = _run("batch", "--year", "2027", "--communes", "--province", "Quảng Ngãi", "-d", str(first), "-j", "2",
               "--force")
    assert res.exit_code == 0 and _digests(first) == _digests(second)
    for path in docx[:: 12]:  # no district level in any of them
        assert "huyện" not in "\n".join(_texts(list(blocks(open_docx(path.read_bytes()))))).lower()


def test_batch_refuses_a_year_before_the_communes(tmp_path):
    res = _run("batch", "--year", "2024", "--communes", "--all", "-d", str(tmp_path / "out"))
    assert res.exit_code == 2 and "no commune plan for 2024" in res.output
    assert not (tmp_path / "out").exists()


def test_one_failing_commune_does_not_stop_the_others(data, tmp_path, monkeypatch):
    real = pipeline.commune_context

    def failing(data, commune, *args, **kwargs):
        if commune == "21211":
            raise DataError("broken on purpose")
        return real(data, commune, *args, **kwargs)

    monkeypatch.setattr(pipeline, "commune_context", failing)
    todo = [(c.code_text, f"{c.code_text}-x") for c in communes.units().of_province(51)[:4]]
    todo.append(("21211", "21211-x"))
    outcomes = list(batch_mod.run(data, todo, 2027, tmp_path, 1, communes=True))
    assert [o.error for o in outcomes if o.error] == ["broken on purpose"]
    assert sum(1 for o in outcomes if o.file) == 4 and len(list(tmp_path.glob("*.docx"))) == 4


# --------------------------------------------------------------------------- the file


def test_a_commune_draft_is_schema_valid_and_reproducible(data, tmp_path):
    from openxml_audit import FileFormat, OpenXmlValidator

    one = pipeline.render(data, pipeline.commune_context(data, "Lý Sơn", 2027)).docx
    two = pipeline.render(data, pipeline.commune_context(data, "Lý Sơn", 2027)).docx
    assert one == two
    path = tmp_path / "xa.docx"
    path.write_bytes(one)
    result = OpenXmlValidator(file_format=FileFormat.MICROSOFT_365, max_errors=1000).validate(str(path))
    assert [e.description for e in result.errors if "stylesWithEffects" not in str(e.description)] == []


SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def test_libreoffice_prints_a_commune_plan(data, tmp_path):
    if SOFFICE is None:
        if os.environ.get("DRAFTER_REQUIRE_LIBREOFFICE") == "1":
            pytest.fail("LibreOffice (soffice) is required here (DRAFTER_REQUIRE_LIBREOFFICE=1)")
        pytest.skip("LibreOffice (soffice) not installed")
    path = tmp_path / "xa.docx"
    path.write_bytes(pipeline.render(data, pipeline.commune_context(data, "Tịnh Khê", 2027)).docx)
    subprocess.run([SOFFICE, "--headless", "--norestore", f"-env:UserInstallation=file://{tmp_path}/profile",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
                   check=True, capture_output=True, timeout=600)
    pdf = path.with_suffix(".pdf")
    assert pdf.is_file() and pdf.stat().st_size > 5000
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True,
                              timeout=60).stdout.decode("utf-8")
        assert "XÃ TỊNH KHÊ" in text and "TM. ỦY BAN NHÂN DÂN" in text and "g) " in text
