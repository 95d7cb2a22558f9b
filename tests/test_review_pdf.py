"""`drafter new --pdf` / `drafter batch --pdf`: a review PDF printed by LibreOffice beside the .docx, with
the flags highlighted and numbered and their comments listed at the end; the .docx itself unchanged.
The tests that print need LibreOffice and poppler and are skipped without them; those about a missing
or failing LibreOffice run everywhere (the failing one on POSIX)."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import unicodedata
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from drafter import review_pdf
from drafter.cli import main
from drafter.errors import DataError

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
SOFFICE = review_pdf.find_soffice()
POPPLER = shutil.which("pdftotext") and shutil.which("pdftoppm")
needs_office = pytest.mark.skipif(SOFFICE is None or not POPPLER,
                                  reason="LibreOffice (soffice) or poppler (pdftotext, pdftoppm) not installed")
ARGS = ("new", "-p", "Kon Tum", "-y", "2024")


def _cli(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _comments(docx: bytes) -> list[str]:
    """The comment texts of a .docx, in the order their marks appear in the body."""
    z = zipfile.ZipFile(io.BytesIO(docx))
    texts = {c.get(f"{W}id"): "".join(t.text or "" for t in c.iter(f"{W}t"))
             for c in etree.fromstring(z.read("word/comments.xml")).iter(f"{W}comment")}
    body = etree.fromstring(z.read("word/document.xml"))
    return [texts[r.get(f"{W}id")] for r in body.iter(f"{W}commentReference")]


def _text(pdf: Path) -> str:
    out = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, timeout=60).stdout
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", out.decode("utf-8")))


def _yellow(pdf: Path, page: int) -> int:
    """Pixels of highlighter yellow on `page` (1-based), from pdftoppm's PPM."""
    ppm = subprocess.run(["pdftoppm", "-r", "40", "-f", str(page), "-l", str(page), str(pdf)],
                         check=True, capture_output=True, timeout=60).stdout
    magic, width, height, depth, pixels = ppm.split(maxsplit=4)
    assert magic == b"P6" and depth == b"255"
    return sum(1 for i in range(0, int(width) * int(height) * 3, 3)
               if pixels[i] > 200 and pixels[i + 1] > 200 and pixels[i + 2] < 100)


@pytest.fixture(scope="module")
def drafted(tmp_path_factory):
    """The same draft written without and with --pdf."""
    if SOFFICE is None or not POPPLER:
        pytest.skip("LibreOffice (soffice) or poppler (pdftotext, pdftoppm) not installed")
    root = tmp_path_factory.mktemp("review")
    plain = _cli(*ARGS, "-o", str(root / "plain" / "kh.docx"))
    assert plain.exit_code == 0, plain.output
    res = _cli(*ARGS, "-o", str(root / "pdf" / "kh.docx"), "--pdf")
    assert res.exit_code == 0, res.output
    assert f"Review PDF in {root / 'pdf' / 'kh.pdf'}" in res.stdout
    return root / "plain" / "kh.docx", root / "pdf" / "kh.docx", root / "pdf" / "kh.pdf"


@needs_office
def test_docx_is_the_same_with_and_without_pdf(drafted):
    plain, with_pdf, pdf = drafted
    assert with_pdf.read_bytes() == plain.read_bytes()
    assert pdf.read_bytes().startswith(b"%PDF")
    assert sorted(p.name for p in pdf.parent.iterdir()) == ["kh.docx", "kh.pdf", "kh.provenance.json"]


@needs_office
def test_pdf_lists_every_comment_under_the_heading_from_the_data(drafted, data):
    _, docx, pdf = drafted
    text = _text(pdf)
    labels = data.document.labels
    heading = text.index(labels["review_notes"])
    assert text.rindex(labels["review_notes"]) == heading  # once, and only as the heading
    notes = text[heading:]
    assert re.sub(r"\s+", " ", labels["review_notes_intro"]) in notes
    comments = _comments(docx.read_bytes())
    assert len(comments) == 18
    for n, what in enumerate(comments, 1):  # one number per mark, in document order
        assert f"[{n}] {what}" in notes, n
    assert f"[{len(comments) + 1}]" not in text
    assert text.index("NHIỆM VỤ CẢI CÁCH HÀNH CHÍNH NĂM 2024") < heading  # after the appendix


@needs_office
def test_body_carries_the_numbered_markers_after_the_flags(drafted):
    _, docx, pdf = drafted
    body = _text(pdf).split("GHI CHÚ SOÁT XÉT")[0]
    n = len(_comments(docx.read_bytes()))
    for i in range(1, n + 1):
        assert f"[{i}]" in body, i
    assert "……[1] sở, ban ngành cấp tỉnh" in body  # right after the highlighted blank it explains


@needs_office
def test_highlight_is_printed(drafted):
    _, _, pdf = drafted
    assert _yellow(pdf, 1) > 20  # the first blank "……" is on page 1


def test_existing_pdf_is_not_overwritten_without_force(tmp_path, monkeypatch):
    monkeypatch.setattr(review_pdf, "find_soffice", lambda: "/nonexistent/soffice")  # refused before it runs
    (tmp_path / "kh.pdf").write_bytes(b"annotated by staff")
    res = _cli(*ARGS, "-o", str(tmp_path / "kh.docx"), "--pdf")
    assert res.exit_code == 2
    assert "kh.pdf (the review PDF) already exists" in res.stderr and "--force" in res.stderr
    assert "Traceback" not in res.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kh.pdf"]  # nothing else written either
    assert (tmp_path / "kh.pdf").read_bytes() == b"annotated by staff"


@needs_office
def test_force_replaces_the_pdf(tmp_path):
    (tmp_path / "kh.pdf").write_bytes(b"old")
    res = _cli(*ARGS, "-o", str(tmp_path / "kh.docx"), "--pdf", "--force")
    assert res.exit_code == 0, res.output
    assert (tmp_path / "kh.pdf").read_bytes().startswith(b"%PDF")


def test_without_libreoffice_the_docx_is_written_with_a_warning(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    res = _cli(*ARGS, "-o", str(tmp_path / "kh.docx"), "--pdf")
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kh.docx", "kh.provenance.json"]
    warning = res.stderr.strip()
    assert "\n" not in warning  # one line
    assert warning.startswith("drafter: warning: review PDF not written: LibreOffice (soffice) is not on PATH")
    assert "apt-get install libreoffice-writer-nogui" in warning and "libreoffice.org" in warning
    assert "Wrote" in res.stdout


def test_batch_without_libreoffice_writes_the_drafts_with_a_warning(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    res = _cli("batch", "-y", "2024", "-p", "Kon Tum", "-d", str(tmp_path / "out"), "--pdf")
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "KH-CCHC-2024-kon-tum.docx", "KH-CCHC-2024-kon-tum.provenance.json"]
    assert "review PDF not written" in res.stderr


def _fake_soffice(folder: Path, script: str) -> None:
    folder.mkdir()
    exe = folder / "soffice"
    exe.write_text("#!/bin/sh\n" + script)
    exe.chmod(0o755)


@pytest.mark.skipif(os.name != "posix", reason="the stand-in soffice is a shell script")
@pytest.mark.parametrize("script, said", [
    ('echo "Error: source file could not be loaded"\nexit 0\n', "soffice wrote no PDF (Error: source file could not be loaded)"),
    ("exit 81\n", "soffice exited with status 81"),
    ("sleep 30\n", "soffice did not finish within 1 s (set DRAFTER_PDF_TIMEOUT"),
])
def test_a_failing_libreoffice_is_one_clean_error_and_nothing_is_written(tmp_path, monkeypatch, script, said):
    _fake_soffice(tmp_path / "bin", script)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("DRAFTER_PDF_TIMEOUT", "1")
    res = _cli(*ARGS, "-o", str(tmp_path / "out" / "kh.docx"), "--pdf")
    assert res.exit_code == 1
    assert res.stderr.startswith("drafter: error: --pdf: LibreOffice could not print the review PDF: " + said)
    assert "run again without --pdf" in res.stderr and "Traceback" not in res.output
    assert not (tmp_path / "out").exists()  # not the .docx, not its sidecar, not the folder


def test_bad_timeout_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("DRAFTER_PDF_TIMEOUT", "soon")
    with pytest.raises(DataError, match="DRAFTER_PDF_TIMEOUT"):
        review_pdf.timeout()


def test_review_copy_numbers_each_mark_and_appends_the_notes(kontum_2024):
    labels = {"review_notes": "GHI CHÚ", "review_notes_intro": "(Ghi chú & <lưu ý>)"}
    copy = review_pdf.review_copy(kontum_2024.docx, labels)
    body = etree.fromstring(zipfile.ZipFile(io.BytesIO(copy)).read("word/document.xml")).find(f"{W}body")
    comments = _comments(kontum_2024.docx)
    markers = [r for r in body.iter(f"{W}r") if r.find(f"{W}rPr/{W}vertAlign") is not None]
    assert ["".join(m.itertext()) for m in markers] == [f"[{n}]" for n in range(1, len(comments) + 1)]
    for m in markers:  # each right after the run holding a comment's reference
        assert m.getprevious().find(f"{W}commentReference") is not None
    paras = list(body)[-(len(comments) + 3):-1]  # heading, intro, notes, then the last section's properties
    assert ["".join(p.itertext()) for p in paras] == [
        "GHI CHÚ", "(Ghi chú & <lưu ý>)", *[f"[{n}]{what}" for n, what in enumerate(comments, 1)]]
    assert list(body)[-1].tag == f"{W}sectPr"
    assert _comments(kontum_2024.docx) == comments  # the draft's own bytes are untouched


def test_review_copy_of_a_draft_without_comments_is_the_draft(kontum_2024):
    z = zipfile.ZipFile(io.BytesIO(kontum_2024.docx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for info in z.infolist():
            if info.filename != "word/comments.xml":
                dst.writestr(info, z.read(info.filename))
    plain = out.getvalue()
    assert review_pdf.review_copy(plain, {}) == plain  # no notes, so no labels needed


def test_review_copy_needs_the_labels_from_the_data(kontum_2024):
    with pytest.raises(DataError, match="missing label 'review_notes'"):
        review_pdf.review_copy(kontum_2024.docx, {})


@needs_office
def test_batch_writes_each_review_pdf_beside_its_draft(tmp_path):
    res = _cli("batch", "-y", "2024", "-p", "Kon Tum", "-p", "Nam Định", "-j", "2", "-d", str(tmp_path), "--pdf")
    assert res.exit_code == 0, res.output
    for stem, marks in (("KH-CCHC-2024-kon-tum", 18), ("KH-CCHC-2024-nam-dinh", 3)):
        text = _text(tmp_path / f"{stem}.pdf")
        comments = _comments((tmp_path / f"{stem}.docx").read_bytes())
        assert len(comments) == marks
        assert "GHI CHÚ SOÁT XÉT (Bản in" in text and f"[{marks}] {comments[-1]}" in text


def test_batch_refuses_an_existing_pdf_without_force(tmp_path, monkeypatch):
    monkeypatch.setattr(review_pdf, "find_soffice", lambda: "/nonexistent/soffice")  # refused before it runs
    (tmp_path / "KH-CCHC-2024-kon-tum.pdf").write_bytes(b"annotated by staff")
    res = _cli("batch", "-y", "2024", "-p", "Kon Tum", "-d", str(tmp_path), "--pdf")
    assert res.exit_code == 1
    assert "KH-CCHC-2024-kon-tum.pdf (the review PDF) already exists" in res.stderr
    assert "review PDF not written" not in res.stderr  # LibreOffice is there; the draft failed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["KH-CCHC-2024-kon-tum.pdf"]
