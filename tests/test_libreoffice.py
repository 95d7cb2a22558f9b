"""A second consumer of the .docx: LibreOffice must open the draft and the redline and convert them
to PDF, with the Vietnamese text intact. Skipped where LibreOffice is not installed (.ci/run
installs it when it can)."""

from __future__ import annotations

import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest

from drafter import diff, pipeline

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) not installed")


def _to_pdf(docx: Path, out: Path) -> Path:
    subprocess.run([SOFFICE, "--headless", "--norestore", f"-env:UserInstallation=file://{out}/profile",
                    "--convert-to", "pdf", "--outdir", str(out), str(docx)],
                   check=True, capture_output=True, timeout=180)
    pdf = out / (docx.stem + ".pdf")
    assert pdf.is_file() and pdf.stat().st_size > 5000
    return pdf


def _pdf_text(pdf: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) not installed")
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, timeout=60)
    return unicodedata.normalize("NFC", out.stdout.decode("utf-8"))


def _pages(pdf: Path) -> int:
    if shutil.which("pdfinfo") is None:
        pytest.skip("pdfinfo (poppler-utils) not installed")
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, timeout=60).stdout.decode()
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def test_draft_converts_to_pdf_with_text_intact(kontum_2024, tmp_path):
    docx = tmp_path / "KH-CCHC-2024-kon-tum.docx"
    docx.write_bytes(kontum_2024.docx)
    pdf = _to_pdf(docx, tmp_path)
    text = _pdf_text(pdf)
    for phrase in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "KẾ HOẠCH", "Cải cách thủ tục hành chính",
                   "TM. ỦY BAN NHÂN DÂN", "Phụ lục"):
        assert phrase in text, phrase
    assert _pages(pdf) >= 8  # body, then the landscape appendix


def test_redline_opens_in_libreoffice(data, tmp_path):
    old = pipeline.draft(data, "Kon Tum", 2023)
    new = pipeline.draft(data, "Kon Tum", 2024)
    out = tmp_path / "redline.docx"
    out.write_bytes(diff.redline(old.docx, new.docx, new.context.as_of))
    pdf = _to_pdf(out, tmp_path)
    assert "2024" in _pdf_text(pdf)
