"""Every failure is clean: one message with its location, a non-zero exit, nothing written."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from drafter.cli import main


def _new(data: Path, out: Path, *extra: str):
    return CliRunner().invoke(main, ["new", "-p", "Kon Tum", "-y", "2024", "--data-dir", str(data), "-o", str(out),
                                     *extra], catch_exceptions=False)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _nothing_written(out: Path) -> None:
    assert not out.exists()
    assert not list(out.parent.glob(".*.tmp"))


@pytest.fixture()
def out(tmp_path: Path) -> Path:
    return tmp_path / "out" / "kh.docx"


def test_mini_data_drafts(mini, out):
    res = _new(mini, out)
    assert res.exit_code == 0, res.output
    assert out.is_file()


def test_yaml_syntax_error_points_at_line_and_column(mini, out):
    f = mini / "rulepacks/national/areas.yaml"
    _edit(f, "    number: 2\n", "    number: [2\n")
    res = _new(mini, out)
    assert res.exit_code == 1
    assert re.search(r"rulepacks/national/areas\.yaml:\d+:\d+: YAML syntax error", res.output), res.output
    assert "Traceback" not in res.output
    _nothing_written(out)


def test_empty_file(mini, out):
    (mini / "rulepacks/national/appendix.yaml").write_text("", encoding="utf-8")
    res = _new(mini, out)
    assert res.exit_code == 1
    assert "rulepacks/national/appendix.yaml:1:1: file is empty" in res.output
    _nothing_written(out)


def test_missing_data_file(mini, out):
    (mini / "rulepacks/national/agencies.yaml").unlink()
    res = _new(mini, out)
    assert res.exit_code == 1 and "agencies.yaml: file not found" in res.output
    _nothing_written(out)


def test_corrupt_template(mini, out):
    (mini / "templates/ke-hoach-cchc.docx").write_bytes(b"this is not a zip")
    res = _new(mini, out)
    assert res.exit_code == 1
    assert "templates/ke-hoach-cchc.docx: not a readable Word .docx file" in res.output
    _nothing_written(out)


def _patch_template(mini: Path, old: str, new: str) -> None:
    path = mini / "templates/ke-hoach-cchc.docx"
    src = zipfile.ZipFile(path)
    items = {n: src.read(n) for n in src.namelist()}
    src.close()
    xml = items["word/document.xml"].decode()
    assert old in xml, old
    items["word/document.xml"] = xml.replace(old, new, 1).encode()
    with zipfile.ZipFile(path, "w") as dst:
        for n, b in items.items():
            dst.writestr(n, b)


def test_template_with_unknown_variable(mini, out):
    _patch_template(mini, "{{ labels.so }}", "{{ so_van_ban }}")
    res = _new(mini, out)
    assert res.exit_code == 1
    assert "template uses a value the plan does not provide" in res.output and "so_van_ban" in res.output
    _nothing_written(out)


def test_template_cannot_reach_python_internals(mini, out):
    _patch_template(mini, "{{ labels.so }}", "{{ labels.__class__.__mro__ }}")
    res = _new(mini, out)
    assert res.exit_code == 1
    assert "Traceback" not in res.output
    assert "ke-hoach-cchc.docx: template tried something unsafe: access to attribute '__class__'" in res.output
    _nothing_written(out)


def test_template_cannot_call_unsafe_methods(mini, out):
    _patch_template(mini, "{{ labels.so }}", "{{ ''.__class__.__subclasses__() }}")
    res = _new(mini, out)
    assert res.exit_code == 1
    assert "ke-hoach-cchc.docx: template tried something unsafe" in res.output, res.output
    _nothing_written(out)


def test_text_with_xml_characters_stays_text(mini, out):
    res = _new(mini, out)
    assert res.exit_code == 0
    from drafter.docx_text import open_docx

    doc = open_docx(out.read_bytes())
    assert any('& <kiểm tra> "đúng"' in p.text for p in doc.paragraphs)


def test_unwritable_output(mini, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    res = _new(mini, blocker / "kh.docx")
    assert res.exit_code == 2 and "cannot write" in res.output
    assert blocker.read_text() == "x"


def test_debug_shows_traceback(mini, out):
    (mini / "rulepacks/national/appendix.yaml").write_text("", encoding="utf-8")
    res = CliRunner().invoke(main, ["new", "-p", "Kon Tum", "-y", "2024", "--data-dir", str(mini), "-o", str(out),
                                    "--debug"])
    assert "Traceback" in res.output


def test_nfd_yaml_is_normalised(mini, out):
    import unicodedata

    f = mini / "rulepacks/national/areas.yaml"
    f.write_text(unicodedata.normalize("NFD", f.read_text(encoding="utf-8")), encoding="utf-8")
    res = _new(mini, out)
    assert res.exit_code == 0, res.output
    from drafter.docx_text import open_docx

    texts = [p.text for p in open_docx(out.read_bytes()).paragraphs]
    assert "1. Cải cách thể chế" in texts


def test_effective_before_signed_stops_the_draft(mini, out):
    path = next((mini / "legal_refs").glob("*/*.yaml"))
    text = path.read_text(encoding="utf-8")
    assert "signed:" in text
    import re as _re
    signed = _re.search(r"signed: (\d{4})-(\d\d)-(\d\d)", text)
    early = f"{int(signed.group(1)) - 1}-01-01"
    path.write_text(text.replace(signed.group(0), signed.group(0) + f"\n    effective: {early}", 1), encoding="utf-8")
    res = _new(mini, out)
    assert res.exit_code == 1 and "is before signed" in res.output, res.output
    _nothing_written(out)


def test_template_label_that_does_not_exist_is_caught_by_check(mini):
    _patch_template(mini, "{{ labels.so }}", "{{ labels.so_hieu }}")
    from drafter.checks import check, errors

    found = errors(check(mini))
    assert [f.message for f in found] == [
        "template uses 'labels.so_hieu', which is not a label of rulepacks/national/document.yaml"]


def test_missing_data_dir_is_one_message(tmp_path, out):
    res = CliRunner().invoke(main, ["new", "-p", "Kon Tum", "-y", "2024", "--data-dir", str(tmp_path / "nope"),
                                    "-o", str(out)])
    assert res.exit_code == 1
    assert res.output.count("error") == 1 and "--data-dir: data folder" in res.output
    _nothing_written(out)


# One edit of a data file each; `drafter new` must stop with one located message and write nothing.
DATA_EDITS = [
    pytest.param("rulepacks/national/targets.yaml", "    area: tthc\n", "    area: tthc\n    valeus: []\n",
                 r"rulepacks/national/targets\.yaml:4:5: unknown field 'valeus'; allowed: .*responsibility.*values",
                 id="unknown-field-lists-allowed"),
    pytest.param("rulepacks/national/areas.yaml", "    number: 2\n", "    number: hai\n",
                 r"areas\.yaml:9:13: number: Input should be a valid integer", id="wrong-type"),
    pytest.param("rulepacks/national/areas.yaml", "id: tthc-1,", "id: tc-1,",
                 r"duplicate id 'tc-1' \(first defined at", id="duplicate-id"),
    pytest.param("rulepacks/national/targets.yaml", "ag('noi_vu')", "ag('noi_vuu')",
                 r"targets\.yaml:2:\d+: .*noi_vuu.*(no such|unknown) agency role", id="unknown-role-in-text"),
    pytest.param("rulepacks/national/appendix.yaml", "Rà soát văn bản năm {{ year }}", "Rà soát văn bản năm {{ year }",
                 r"appendix\.yaml:2:\d+: text template syntax error", id="jinja-syntax-in-text"),
    # refused, not silently dropped: `new` stops on what `check` calls an error
    pytest.param("rulepacks/national/appendix.yaml", "area: tthc, task", "area: tthcx, task",
                 r"appendix\.yaml:3:\d+: appendix row area 'tthcx' is not one of", id="unknown-appendix-area"),
]


@pytest.mark.parametrize("rel,old,new,message", DATA_EDITS)
def test_bad_data_is_located_and_nothing_written(mini, out, rel, old, new, message):
    _edit(mini / rel, old, new)
    res = _new(mini, out)
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert re.search(message, res.output), res.output
    _nothing_written(out)
