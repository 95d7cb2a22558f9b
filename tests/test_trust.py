"""Provenance, explain, diff and redline on the fixture data (the shipped data is covered elsewhere)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

from click.testing import CliRunner
from docx.oxml.ns import qn

from drafter import pipeline
from drafter.cli import main
from drafter.docx_text import open_docx
from drafter.loader import load


def _run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_provenance_written_and_resolves(mini, tmp_path):
    out = tmp_path / "kh.docx"
    assert _run("new", "-p", "Kon Tum", "-y", "2024", "--data-dir", str(mini), "-o", str(out)).exit_code == 0
    rec = json.loads((tmp_path / "kh.provenance.json").read_text(encoding="utf-8"))
    data = load(mini)
    doc = open_docx(out.read_bytes())
    body = [p.text for p in doc.paragraphs if p.text.strip()]
    cells = [p.text for t in doc.tables for r in t.rows for c in r.cells for p in c.paragraphs if p.text.strip()]
    recorded = {e["text"] for e in rec["paragraphs"]}
    # every paragraph of the document body is traced, except the fixed labels of the form
    fixed = {data.document.labels[k] for k in ("ten_loai", "phu_luc")} | {"NHIỆM VỤ CẢI CÁCH HÀNH CHÍNH NĂM 2024"}
    untraced = [t for t in body if t not in recorded and t not in fixed and not t.startswith("(Kèm theo")]
    assert not untraced
    for entry in rec["paragraphs"]:
        assert entry["text"] in body + cells
        src = entry["source"]
        origins = data.origins if src["layer"] == "national" else data.layer_origins[src["layer"]]
        assert src["id"] in origins, src
        if src.get("file"):
            assert (mini / src["file"]).is_file() and src["line"] >= 1
        for ref in entry["refs"]:
            assert ref in data.instruments
    assert len(rec["rows"]) == 4  # 2 area headings + 2 tasks
    target = next(p for p in rec["paragraphs"] if p["values"])
    assert target["values"][0]["value"] == "80%" and target["values"][0]["basis"] == "76-nq-cp-2021"
    assert target["unverified"]


def test_explain_after_staff_edit(mini, tmp_path):
    out = tmp_path / "kh.docx"
    _run("new", "-p", "Kon Tum", "-y", "2024", "--data-dir", str(mini), "-o", str(out))
    doc = open_docx(out.read_bytes())
    p = next(p for p in doc.paragraphs if "một cửa" in p.text)
    p.runs[0].text = p.runs[0].text + "Tiếp tục "  # staff edit
    buf = io.BytesIO()
    doc.save(buf)
    out.write_bytes(buf.getvalue())
    res = _run("explain", str(out), "một cửa, một cửa liên thông", "--data-dir", str(mini))
    assert res.exit_code == 0, res.output
    assert "task 'tthc-1' of the national rule pack, at rulepacks/national/areas.yaml:13" in res.output
    assert "Nghị định số 61/2018/NĐ-CP ngày 23 tháng 4 năm 2018 của Chính phủ" in res.output


def test_explain_without_provenance_is_clean(tmp_path):
    f = tmp_path / "x.docx"
    f.write_bytes(b"PK")
    res = _run("explain", str(f), "abc")
    assert res.exit_code == 2 and "no provenance record" in res.output


def test_diff_years_and_redline(mini, tmp_path):
    red = tmp_path / "red.docx"
    res = _run("diff", "-p", "Kon Tum", "--from", "2023", "--to", "2024", "--data-dir", str(mini), "--redline", str(red))
    assert res.exit_code == 0, res.output
    assert "Ban hành Kế hoạch năm [-2024-]{+2025+}" in res.output
    assert "Cải cách hành chính nhà nước trên địa bàn tỉnh Kon Tum năm [-2023-]{+2024+}" in res.output
    xml = zipfile.ZipFile(red).read("word/document.xml").decode()
    root = open_docx(red.read_bytes()).element.body
    ins = ["".join(t.text or "" for t in el.iter(qn("w:t"))) for el in root.iter(qn("w:ins"))]
    dels = ["".join(t.text or "" for t in el.iter(qn("w:delText"))) for el in root.iter(qn("w:del"))]
    assert "2025" in ins and "2024" in dels
    assert 'w:author="drafter"' in xml


def test_diff_two_docx(mini, tmp_path):
    a, b = tmp_path / "a.docx", tmp_path / "b.docx"
    _run("new", "-p", "Kon Tum", "-y", "2023", "--data-dir", str(mini), "-o", str(a))
    _run("new", "-p", "Kon Tum", "-y", "2024", "--data-dir", str(mini), "-o", str(b))
    res = _run("diff", str(a), str(b))
    assert res.exit_code == 0 and "{+2025+}" in res.output


def test_byte_identical_regeneration(mini):
    data = load(mini)
    one = pipeline.draft(data, "Kon Tum", 2024).docx
    two = pipeline.draft(load(mini), "Kon Tum", 2024).docx
    assert one == two
    names = [i.date_time for i in zipfile.ZipFile(io.BytesIO(one)).infolist()]
    assert set(names) == {(1980, 1, 1, 0, 0, 0)}


def test_provenance_covers_the_shipped_kon_tum_2024_draft(data, kontum_2024):
    from drafter import provenance

    rec = provenance.record(kontum_2024.context)
    doc = open_docx(kontum_2024.docx)
    recorded = {e["text"] for e in rec["paragraphs"]}
    body = [p.text for p in doc.paragraphs if p.text.strip()]
    fixed = {"KẾ HOẠCH", "Phụ lục", "NHIỆM VỤ CẢI CÁCH HÀNH CHÍNH NĂM 2024"}
    assert [t for t in body if t not in recorded and t not in fixed and not t.startswith("(Kèm theo")] == []
    # every appendix task row is traced to its rule, and every source resolves to a data file line
    table = doc.tables[-1]
    tasks = [r for r in rec["rows"] if r["kind"] == "task"]
    assert len(tasks) == sum(1 for r in table.rows[1:] if r.cells[0].text.strip().isdigit())
    for entry in [*rec["paragraphs"], *rec["rows"]]:
        src = entry["source"]
        origins = data.origins if src["layer"] == "national" else data.layer_origins[src["layer"]]
        assert src["id"] in origins, src
        assert (data.root / entry["source"]["file"]).is_file()
    assert any(e["source"]["id"] == "kon-tum.signers" and e["text"] == "Lê Ngọc Tuấn" for e in rec["paragraphs"])
