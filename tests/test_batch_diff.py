"""`drafter batch` and `drafter diff` on the shipped data: what a maintainer regenerating every plan,
and a reviewer comparing two years, rely on."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from drafter.cli import main


@pytest.fixture()
def cli(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return lambda *args: CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_batch_names_files_after_the_province_and_reports_failures(cli, tmp_path):
    res = cli("batch", "-y", "2026", "-p", "HA NOI", "-p", "Kon Tum", "-d", "out", "-j", "1")
    assert res.exit_code == 1  # one province failed
    assert (tmp_path / "out" / "KH-CCHC-2026-ha-noi.docx").is_file()  # canonical name, not "HA NOI"
    assert "KH-CCHC-2026-ha-noi.docx" in res.output
    failed = [line for line in res.output.splitlines() if "Kon Tum" in line and "FAILED" in line]
    assert failed
    assert "1 written, 1 failed" in res.output
    assert "became part of tỉnh Quảng Ngãi" in res.output  # the summary says why


def test_batch_unwritable_output_folder_is_a_clean_error(cli, tmp_path):
    (tmp_path / "afile").write_text("x")
    res = cli("batch", "-y", "2026", "--all", "-d", "afile/out")
    assert res.exit_code == 2
    assert "--output-dir: cannot create the folder" in res.output and "Traceback" not in res.output


def test_batch_all_2026_writes_34_drafts(cli, tmp_path):
    res = cli("batch", "-y", "2026", "--all", "-d", "out")
    assert res.exit_code == 0, res.output
    assert len(list((tmp_path / "out").glob("*.docx"))) == 34
    assert "34 written, 0 failed" in res.output


def test_diff_reports_target_value_changes_with_their_basis(cli):
    res = cli("diff", "-p", "Quảng Ngãi", "--from", "2027", "--to", "2028")
    assert res.exit_code == 0
    # no instrument sets a 2027 figure (the province fills it); QĐ 282/QĐ-TTg sets 95% for 2028–2030
    assert "t-hai-long: blank (to fill) → 95% (Quyết định 282/QĐ-TTg, for 2030)" in res.output


def test_diff_reports_the_two_tier_reform(cli):
    res = cli("diff", "-p", "Tuyên Quang", "--from", "2025", "--to", "2026")
    assert res.exit_code == 0
    out = res.output
    assert "Sở Kế hoạch và Đầu tư" in out and "Sở Tài chính" in out  # agencies renamed
    assert "118/2025/NĐ-CP" in out  # the one-stop-shop decree replaced


def test_redline_has_tracked_changes_and_no_broken_comment_anchors(cli, tmp_path):
    res = cli("diff", "-p", "Quảng Ngãi", "--from", "2025", "--to", "2026", "--redline", "red.docx")
    assert res.exit_code == 0, res.output
    z = zipfile.ZipFile(io.BytesIO((tmp_path / "red.docx").read_bytes()))
    xml = z.read("word/document.xml").decode()
    assert xml.count("<w:ins ") > 10 and xml.count("<w:del ") > 10
    assert "commentRangeStart" not in xml and "commentReference" not in xml
    assert "<w:trackRevisions" in z.read("word/settings.xml").decode()
