"""`drafter import`: a real signed plan (the seeds, built as .docx by tests/importer_fixtures.py) becomes
its province's local layer, and next year's draft continues it."""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from docx.table import Table
from ruamel.yaml import YAML

from drafter.cli import main
from drafter.docx_text import blocks, cell_text, open_docx
from drafter.importer.layer import _key, yearly
from drafter.importer.read import read_plan

from importer_fixtures import fixture as build_fixture  # tests/ is on sys.path under pytest

SEEDS = {"000": ("Tuyên Quang", 2022), "002": ("Kon Tum", 2023), "004": ("Nam Định", 2021)}


@contextlib.contextmanager
def _chdir(path: Path):
    before = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


@pytest.fixture(scope="module")
def imported(tmp_path_factory) -> dict[str, dict]:
    """Each seed imported into its own folder, and next year's plan drafted from it."""
    out = {}
    for seed, (province, year) in SEEDS.items():
        work = tmp_path_factory.mktemp(f"seed{seed}")
        docx = work / f"seed-{seed}.docx"
        docx.write_bytes(build_fixture(seed, "plain"))
        runner = CliRunner()
        with _chdir(work):
            cwd = work
            r = runner.invoke(main, ["import", str(docx), "--province", province])
            assert r.exit_code == 0, r.output
            layer = next((cwd / "drafter-layers").glob("*.yaml"))
            review = next((cwd / "drafter-layers").glob("*.review.md"))
            d = runner.invoke(main, ["new", "-p", province, "-y", str(year + 1), "-o", "next.docx"])
            assert d.exit_code == 0, d.output
            c = runner.invoke(main, ["check", "--quiet"])
            out[seed] = {"import": r.output, "layer": YAML(typ="safe").load(layer.read_text(encoding="utf-8")),
                         "review": review.read_text(encoding="utf-8"), "draft": (cwd / "next.docx").read_bytes(),
                         "new": d.output, "check": c, "plan": read_plan(docx.read_bytes(), docx.name),
                         "year": year, "province": province}
    return out


def _texts(docx: bytes) -> list[str]:
    out = []
    for b in blocks(open_docx(docx)):
        if isinstance(b, Table):
            out += [cell_text(c) for row in b.rows for c in row.cells]
        else:
            out.append(b.text)
    return out


def _moved(text: str, old: int) -> str:
    """A text of the plan for `old`, as the layer gives it in the plan for old + 1."""
    out = yearly(text, old)
    for name, y in (("{{ year }}", old + 1), ("{{ prev_year }}", old), ("{{ next_year }}", old + 2)):
        out = out.replace(name, str(y))
    return out.replace("{{ '{' }}", "{").replace("{{ '}' }}", "}")


def _found(text: str, haystack: list[str]) -> bool:
    """Whether `text` is in one of the draft's paragraphs or cells (compared word by word, as the
    importer compares)."""
    want = " ".join(_key(text))
    return any(want in " ".join(_key(h)) for h in haystack)


def test_seed_004_nam_dinh(imported):
    got = imported["004"]
    ov = got["layer"]["overlay"]
    assert ov["province"] == "nam-dinh" and "117/KH-UBND ngày 30/12/2020" in ov["source"]
    assert ov["profile"]["signers"] == [{"authority": "KT", "title": "PHÓ CHỦ TỊCH", "name": "Trần Lê Đoài",
                                         "status": "P", "source": ov["source"]}]
    assert ov["layer"]["labels"]["luu"] == "Lưu: VP1, VP8."
    assert len(ov["layer"]["shape"]["appendix_columns"]) == 7
    assert ov["layer"]["shape"]["responsibility_number"] == "{{ parent }}.{{ n }}. "
    local = {p["cite"] for p in ov["profile"].get("programmes", [])}
    assert any("91-kh-ubnd" in c for c in local) and any("139-bc-ubnd" in c for c in local)
    texts = _texts(got["draft"])
    assert "KT. CHỦ TỊCH" in texts[-1] or any("KT. CHỦ TỊCH" in t for t in texts)
    assert any("Trần Lê Đoài" in t for t in texts) and any(t.strip() == "- Lưu: VP1, VP8." or
                                                             "Lưu: VP1, VP8." in t for t in texts)


def test_seed_000_tuyen_quang_number_recovered(imported):
    got = imported["000"]
    assert got["plan"].header.number == "225/KH-UBND" and got["plan"].header.number_recovered
    assert "225/KH-UBND" in got["layer"]["overlay"]["source"]
    assert "225/KH-UBND read from the appendix" in got["import"] or "225/KH-UBND" in got["review"]
    rows = [r for r in got["plan"].appendix.rows if r.kind == "task"]
    assert len({r.tt for r in rows if r.tt}) == 46
    assert len(got["layer"]["overlay"]["profile"]["noi_nhan"]) == len(got["plan"].recipients.lines) == 10
    numbers = {i.number for i in got["plan"].instruments if i.local}
    assert {"05-ĐA/TU", "603/QĐ-UBND"} <= numbers


def test_seed_002_kon_tum_unsigned(imported):
    got = imported["002"]
    assert not got["plan"].signed and got["plan"].header.date is None
    assert "chưa ký" in got["import"] and "chưa ký" in got["layer"]["overlay"]["source"]
    assert "signers" not in got["layer"]["overlay"]["profile"]  # no signer invented
    figures = [d for d in got["review"].splitlines() if "cần điền chỉ tiêu năm mới" in d]
    assert len(figures) >= 15  # each target's figure left for the officer, never carried silently
    assert len(got["plan"].agency_blocks) == 12


@pytest.mark.parametrize("seed", sorted(SEEDS))
def test_next_year_continues_the_plan(imported, seed):
    """≥ 95 % of the seed's local instruments, local tasks and appendix rows are in next year's draft;
    no stale "năm N" of the old plan year outside ranges and dates; the layers pass `drafter check`."""
    got = imported[seed]
    year = got["year"]
    texts = _texts(got["draft"])
    plan = got["plan"]
    assert got["check"].exit_code == 0, got["check"].output
    ov = got["layer"]["overlay"]
    # local tasks and rows the layer keeps
    layer = ov["layer"]
    kept = [t["text"] for t in layer.get("tasks", [])] + [r["task"] for r in layer.get("rows", [])]
    rows = [r for a in plan.appendices for r in a.rows if r.kind == "task"]
    seed_rows = [next((c.text for c in r.cells if c.key == "task"), r.text) for r in rows]
    if seed_rows:
        present = [t for t in seed_rows if _found(_moved(t, year), texts)]
        assert len(present) >= 0.95 * len(seed_rows), [t for t in seed_rows if t not in present][:5]
    tasks = [n.text for n in (plan.section("tasks").walk() if plan.section("tasks") else [])
             if n.kind in ("bullet", "para", "diem") and len(n.text) >= 25]
    local_tasks = [t for t in tasks if any(" ".join(_key(_moved(t, year))) == " ".join(_key(
        k.replace("{{ year }}", str(year + 1)).replace("{{ prev_year }}", str(year)))) for k in kept)]
    present = [t for t in local_tasks if _found(_moved(t, year), texts)]
    assert len(present) >= 0.95 * len(local_tasks), [t for t in local_tasks if t not in present][:5]
    # local instruments: in the registry or the layer, and cited unless expired
    local = {i.number for i in plan.instruments if i.local and i.number}
    recorded = {r["number"] for r in ov.get("instruments", [])}
    from drafter import pipeline

    shipped = {i.number for i in pipeline.load().instruments.values()}
    assert len(local & (recorded | shipped)) >= 0.95 * len(local), local - recorded - shipped
    # no stale year: every text the layer carries says the old plan year as {{ year }} (a range, a cited
    # instrument's date and the year before, now {{ prev_year }}, stay as they are)
    stale = []

    def walk(value, path):
        if isinstance(value, dict):
            for k, v in value.items():
                if k not in ("source", "sources", "instruments", "note", "imported"):
                    walk(v, f"{path}.{k}")
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, f"{path}[{i}]")
        elif isinstance(value, str):
            for mt in re.finditer(rf"(?<![\d/.-]){year}(?![\d/])", value):
                around = value[max(0, mt.start() - 40):mt.end() + 5]
                if re.search(r"20\d\d\s*[-–]\s*$", value[:mt.start()]) or re.match(r"\s*[-–]\s*20\d\d", value[mt.end():]):
                    continue  # a range
                if re.search(r"số\s+\S+\s+ngày\s+[\d/ thángnăm]*$", value[:mt.start()]):
                    continue  # a cited instrument's date
                stale.append(f"{path}: …{around}")

    walk(ov["layer"], "layer")
    walk(ov["profile"], "profile")
    assert not stale, stale[:5]
    # and the draft of the next year shows the new year in the texts it took from the layer
    assert any(str(year + 1) in t for t in texts[:8])


def test_a_file_that_is_not_a_plan_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    bad = tmp_path / "x.docx"
    bad.write_bytes(b"not a zip at all")
    r = CliRunner().invoke(main, ["import", str(bad), "--province", "Kon Tum"])
    assert r.exit_code == 2 and "drafter: error:" in r.output and "Traceback" not in r.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.docx"]


def test_an_existing_layer_is_kept_without_force(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    docx = tmp_path / "seed.docx"
    docx.write_bytes(build_fixture("004", "plain"))
    assert CliRunner().invoke(main, ["import", str(docx), "-p", "Nam Định"]).exit_code == 0
    layer = tmp_path / "drafter-layers" / "nam-dinh.yaml"
    layer.write_text(layer.read_text(encoding="utf-8") + "# officer's edit\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["import", str(docx), "-p", "Nam Định"])
    assert r.exit_code == 2 and "--force" in r.output
    assert layer.read_text(encoding="utf-8").endswith("# officer's edit\n")
    r = CliRunner().invoke(main, ["import", str(docx), "-p", "Nam Định", "--force"])
    assert r.exit_code == 0 and not layer.read_text(encoding="utf-8").endswith("# officer's edit\n")


def test_never_into_drafters_own_data(tmp_path):
    from drafter.resources import default_data_dir

    docx = tmp_path / "seed.docx"
    docx.write_bytes(build_fixture("004", "plain"))
    target = default_data_dir() / "rulepacks" / "provinces"
    r = CliRunner().invoke(main, ["import", str(docx), "-p", "Nam Định", "--layers", str(target)])
    assert r.exit_code == 2 and "inside drafter's own data" in r.output


def test_years_move_on_but_ranges_and_cited_dates_stay():
    assert yearly("Ban hành trong tháng 01/2022; báo cáo trước ngày 10/12/2022", 2022) == \
        "Ban hành trong tháng 01/{{ year }}; báo cáo trước ngày 10/12/{{ year }}"
    assert yearly("Quyết định số 1085/QĐ-TTg ngày 15/9/2022 giai đoạn 2021-2025, so với năm 2021", 2022) == \
        "Quyết định số 1085/QĐ-TTg ngày 15/9/2022 giai đoạn 2021-2025, so với năm {{ prev_year }}"
    assert yearly("số 18/2021/QĐ-UBND và {x}", 2021) == "số 18/2021/QĐ-UBND và {{ '{' }}x{{ '}' }}"


def test_a_pre_merger_plan_for_a_merged_unit(tmp_path, monkeypatch):
    """Tuyên Quang's 2022 plan imported for the unit formed on 01/7/2025 (with Hà Giang): the review names
    the units it came from, every "huyện" the plan mentions and every department merged since."""
    monkeypatch.chdir(tmp_path)
    docx = tmp_path / "seed.docx"
    docx.write_bytes(build_fixture("000", "plain"))
    r = CliRunner().invoke(main, ["import", str(docx), "-p", "Tuyên Quang", "--year", "2026"])
    assert r.exit_code == 0, r.output
    assert "được hình thành từ tỉnh Hà Giang, tỉnh Tuyên Quang" in r.output
    review = next((tmp_path / "drafter-layers").glob("*.review.md")).read_text(encoding="utf-8")
    assert "## Sau sắp xếp 2025" in review
    assert "không còn cấp huyện từ 01/7/2025" in review
    assert "Sở Thông tin và Truyền thông | giữ như kế hoạch cũ | thong_tin_truyen_thong | đã hợp nhất: nay là " \
           "Sở Khoa học và Công nghệ" in review
    d = CliRunner().invoke(main, ["new", "-p", "Tuyên Quang", "-y", "2026", "-o", "x.docx"])
    assert d.exit_code == 0, d.output


def test_a_zip_bomb_is_refused_before_it_is_parsed(tmp_path, monkeypatch):
    """A .docx whose text unpacks to 40 MB (90 KB on disk) is refused at once, in bounded memory."""
    import io
    import zipfile

    src = zipfile.ZipFile(io.BytesIO(build_fixture("004", "plain")))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "word/document.xml":
                data = data.replace(b"</w:body>", b"<w:p><w:r><w:t>" + b"a" * (40 * 2**20) + b"</w:t></w:r></w:p></w:body>")
            z.writestr(info.filename, data)
    bomb = tmp_path / "bomb.docx"
    bomb.write_bytes(buf.getvalue())
    assert bomb.stat().st_size < 2**20
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(main, ["import", str(bomb), "-p", "Nam Định"])
    assert r.exit_code == 2 and "too large for a plan" in r.output
    assert not (tmp_path / "drafter-layers").exists()
