"""The command line as a user meets it: files written, clear errors, nothing half-done."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from drafter.cli import main
from drafter.docx_text import cell_text, open_docx


@pytest.fixture()
def run(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    def invoke(*args: str):
        return CliRunner().invoke(main, list(args), catch_exceptions=False)

    return invoke


def _files(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


def test_new_writes_default_file_and_says_where(run, tmp_path):
    res = run("new", "--province", "Kon Tum", "--year", "2024")
    assert res.exit_code == 0, res.output
    out = tmp_path / "KH-CCHC-2024-kon-tum.docx"
    assert out.is_file()
    assert "KH-CCHC-2024-kon-tum.docx" in res.output
    doc = open_docx(out.read_bytes())
    assert cell_text(doc.tables[0].cell(0, 0)).endswith("TỈNH KON TUM")


def test_output_option_creates_folder(run, tmp_path):
    res = run("new", "-p", "kon tum", "-y", "2024", "--output", "drafts/2024/kt.docx")
    assert res.exit_code == 0, res.output
    assert (tmp_path / "drafts/2024/kt.docx").is_file()


@pytest.mark.parametrize("name", ["kon tum", "KON TUM", "Kontum", "Kon  Tum", "kon-tum",
                                  "Kon Tum"])
def test_province_names_match_loosely(run, tmp_path, name):
    import unicodedata

    res = run("new", "-p", unicodedata.normalize("NFD", name), "-y", "2024", "-o", "x.docx")
    assert res.exit_code == 0, res.output


def test_unknown_province_is_refused_with_suggestion_and_nothing_written(run, tmp_path):
    res = run("new", "--province", "Kom Tum", "--year", "2024")
    assert res.exit_code == 2
    assert 'unknown province "Kom Tum"' in res.output and "Kon Tum" in res.output
    assert "Traceback" not in res.output
    assert _files(tmp_path) == []


@pytest.mark.parametrize("year", ["2020", "2031", "1999"])
def test_year_outside_programme_is_refused(run, tmp_path, year):
    res = run("new", "--province", "Kon Tum", "--year", year)
    assert res.exit_code == 2
    assert "--year" in res.output and "2021–2030" in res.output
    assert _files(tmp_path) == []


def test_year_not_a_number(run, tmp_path):
    res = run("new", "--province", "Kon Tum", "--year", "hai nghìn")
    assert res.exit_code == 2 and "--year" in res.output
    assert _files(tmp_path) == []


def test_bad_date_option(run, tmp_path):
    res = run("new", "-p", "Kon Tum", "-y", "2024", "--date", "15/12/2023")
    assert res.exit_code == 2 and "YYYY-MM-DD" in res.output
    assert _files(tmp_path) == []


def test_existing_output_is_not_overwritten_without_force(run, tmp_path):
    target = tmp_path / "KH-CCHC-2024-kon-tum.docx"
    target.write_bytes(b"staff edits")
    res = run("new", "-p", "Kon Tum", "-y", "2024")
    assert res.exit_code == 2
    assert "already exists" in res.output and "--force" in res.output
    assert target.read_bytes() == b"staff edits"
    res = run("new", "-p", "Kon Tum", "-y", "2024", "--force")
    assert res.exit_code == 0
    assert target.read_bytes().startswith(b"PK")


def test_merged_province_is_refused_with_successor(run, tmp_path):
    res = run("new", "--province", "Kon Tum", "--year", "2026")
    assert res.exit_code == 2
    assert "tỉnh Quảng Ngãi" in res.output and "01/07/2025" in res.output
    assert 'drafter new --province "Quảng Ngãi" --year 2026' in res.output
    assert _files(tmp_path) == []


def test_help_explains(run):
    res = run("new", "--help")
    assert res.exit_code == 0
    for word in ("--province", "--year", "--date", "--as-of", "--output", "--force", "ND 30"):
        assert word in res.output


def test_no_temporary_files_left(run, tmp_path):
    run("new", "-p", "Kon Tum", "-y", "2024")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["KH-CCHC-2024-kon-tum.docx",
                                                          "KH-CCHC-2024-kon-tum.provenance.json"]


def test_the_cli_lists_exactly_the_flags_the_document_holds(tmp_path):
    """The count printed is the number of comments in the .docx, and the listed lines (each distinct
    comment once, "(×n)" when repeated) add up to it; the listing is Vietnamese, as the comments are."""
    import re
    import zipfile

    from click.testing import CliRunner

    from drafter.cli import main

    out = tmp_path / "kh.docx"
    r = CliRunner().invoke(main, ["new", "-p", "Kon Tum", "-y", "2024", "-o", str(out)])
    assert r.exit_code == 0, r.output
    head = next(line for line in r.output.splitlines() if "chỗ cần kiểm tra trước khi trình ký" in line)
    count = int(head.split()[0])
    with zipfile.ZipFile(out) as z:
        comments = z.read("word/comments.xml").decode("utf-8").count("<w:comment ")
    listed = [line for line in r.output.splitlines() if line.startswith("  - ")]
    total = sum(int(m.group(1)) if (m := re.search(r"\(×(\d+)\)$", line)) else 1 for line in listed)
    assert count == comments == total > 0
    assert not any(re.search(r"\b(unverified|signed|check)\b", line) for line in listed)
