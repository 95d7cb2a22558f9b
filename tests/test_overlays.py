"""Local layers (a folder `drafter import` writes): read over the shipped data by new, batch, check,
explain and diff; located errors; the shipped data untouched."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from drafter import pipeline
from drafter.cli import main
from drafter.docx_text import open_docx

OVERLAY = """\
overlay:
  province: kon-tum
  source: "KH-2023.docx: Kế hoạch số 1/KH-UBND"
  profile:
    drafting_unit: SNV
    programmes:
      - {id: kon-tum-nq-test, cite: kon-tum-nq-99-2023}
    signers:
      - {authority: KT, title: PHÓ CHỦ TỊCH, name: Nguyễn Văn Thử, status: P, source: "KH-2023.docx"}
  instruments:
    - id: kon-tum-nq-99-2023
      number: 99/NQ-HĐND
      kind: Nghị quyết
      issuer: Hội đồng nhân dân tỉnh
      signed: 2023-07-10
      title: "về đẩy mạnh cải cách hành chính trên địa bàn tỉnh Kon Tum"
      province: kon-tum
      sources: ["KH-2023.docx"]
      status: P
      unverified: [title]
  layer:
    tasks:
      - {id: kon-tum-local-1, area: the-che, text: "Nhiệm vụ riêng của tỉnh năm {{ year }}."}
"""


@pytest.fixture()
def layers(tmp_path: Path) -> Path:
    folder = tmp_path / "drafter-layers"
    folder.mkdir()
    (folder / "kon-tum.yaml").write_text(OVERLAY, encoding="utf-8")
    return folder


def test_an_overlay_shapes_its_province_only(data, layers):
    local = pipeline.load(None, layers)
    ctx = pipeline.plan_context(local, "Kon Tum", 2024)
    texts = [p.text for p in ctx.body]
    assert "- Nhiệm vụ riêng của tỉnh năm 2024." in texts
    assert any("99/NQ-HĐND" in p.text for p in ctx.preamble)
    assert ctx.luu == "Lưu: VT, SNV."
    assert (ctx.signature.deputy, ctx.signature.title, ctx.signature.name.text) == ("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH",
                                                                                     "Nguyễn Văn Thử")
    assert ctx.signature.name.check  # status P: marked for the reader
    # the shipped data and every other province are as they were
    shipped = pipeline.plan_context(data, "Kon Tum", 2024)
    assert "- Nhiệm vụ riêng của tỉnh năm 2024." not in [p.text for p in shipped.body]
    assert [p.text for p in pipeline.plan_context(local, "Nam Định", 2024).body] == \
        [p.text for p in pipeline.plan_context(data, "Nam Định", 2024).body]
    assert "kon-tum-nq-99-2023" not in data.instruments


def test_the_cli_reads_the_default_folder_and_says_so(layers, monkeypatch):
    monkeypatch.chdir(layers.parent)
    r = CliRunner().invoke(main, ["new", "-p", "Kon Tum", "-y", "2024", "-o", "a.docx"])
    assert r.exit_code == 0, r.output
    assert "local layers from drafter-layers: kon-tum" in r.output
    doc = open_docx((layers.parent / "a.docx").read_bytes())
    assert "- Nhiệm vụ riêng của tỉnh năm 2024." in [p.text for p in doc.paragraphs]
    r = CliRunner().invoke(main, ["explain", "a.docx", "Nhiệm vụ riêng"])
    assert r.exit_code == 0 and "drafter-layers/kon-tum.yaml:" in r.output and "layer of kon-tum" in r.output
    r = CliRunner().invoke(main, ["check", "--quiet"])
    assert r.exit_code == 0 and "local layers from drafter-layers: kon-tum" in r.output


@pytest.mark.parametrize("change, says", [
    (lambda t: t.replace("province: kon-tum", "province: kon-tumm"), "overlay of 'kon-tumm' in a file named"),
    (lambda t: t.replace("area: the-che", "area: khong-co"), "khong-co"),
    (lambda t: t.replace("cite: kon-tum-nq-99-2023", "cite: khong-co-2023"), "khong-co-2023"),
    (lambda t: t.replace("id: kon-tum-nq-99-2023", "id: 76-nq-cp-2021").replace("cite: kon-tum-nq-99-2023",
                                                                             "cite: 76-nq-cp-2021"),
     "already in the registry"),
    (lambda t: t.replace("  source:", "  sourcee:"), "sourcee"),
    (lambda t: t.replace("{{ year }}", "{{ year "), "kon-tum.yaml:"),
])
def test_a_bad_overlay_is_a_located_error_and_writes_nothing(layers, monkeypatch, change, says):
    path = layers / "kon-tum.yaml"
    path.write_text(change(OVERLAY), encoding="utf-8")
    monkeypatch.chdir(layers.parent)
    r = CliRunner().invoke(main, ["new", "-p", "Kon Tum", "-y", "2024", "-o", "a.docx"])
    assert r.exit_code == 1, r.output
    assert "drafter: error:" in r.output and says in r.output and "Traceback" not in r.output
    assert not (layers.parent / "a.docx").exists()


def test_a_missing_layers_folder_is_a_usage_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(main, ["new", "-p", "Kon Tum", "-y", "2024", "--layers", "nowhere"])
    assert r.exit_code == 2 and "--layers" in r.output and "not a folder of layers" in r.output
    assert list(tmp_path.iterdir()) == []
