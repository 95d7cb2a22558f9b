"""Regenerate docs/pages/*.png: three pages of three reference drafts, as LibreOffice prints them.

    python tools/page_pngs.py            # needs drafter installed, LibreOffice (soffice) and poppler-utils

For Kon Tum 2024, Tuyên Quang 2026 and Nam Định 2024 (drafted with the default drafting date, no
signing date, as `drafter new` does): the first page, the signature page (the page with "Nơi nhận:")
and the appendix's first page, at 70 dpi, named <province>-<year>-<n>-<page>.png. The PNGs of the
three drafts replace those in docs/pages/ (other files there are left alone).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from drafter import pipeline
from drafter.cli import slug
from drafter.docx_text import blocks, open_docx

ROOT = Path(__file__).resolve().parent.parent
# three plan shapes: the national default, Tuyên Quang's own (five sections, 9-column appendix; its
# layer is the pre-merger unit's), Nam Định's (three sections, 7 columns, no TT)
DRAFTS = [("Kon Tum", 2024), ("Tuyên Quang", 2024), ("Nam Định", 2024)]
DPI = 70


def appendix_title(docx: bytes) -> str:
    """The first paragraph after the signature block: the appendix's title ("Phụ lục" or its own)."""
    seen_sig = False
    for b in blocks(open_docx(docx)):
        if hasattr(b, "rows"):
            seen_sig = seen_sig or b.cell(0, 0).text.startswith("Nơi nhận")
        elif seen_sig and b.text.strip():
            return " ".join(b.text.split())
    raise SystemExit("no appendix after the signature block")


def page_texts(pdf: Path) -> list[str]:
    out = subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", str(pdf), "-"], check=True, capture_output=True,
                         timeout=120).stdout.decode("utf-8")
    return out.split("\f")[:-1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "pages", help="folder for the PNGs")
    args = ap.parse_args()
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    missing = [n for n, p in (("soffice", soffice), ("pdftotext", shutil.which("pdftotext")),
                              ("pdftoppm", shutil.which("pdftoppm"))) if p is None]
    if missing:
        sys.exit(f"page_pngs: {', '.join(missing)} not found: install LibreOffice and poppler-utils")
    data = pipeline.load(ROOT)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="drafter-pages-") as tmp:
        tmp_dir = Path(tmp)
        stems, titles = [], {}
        for name, year in DRAFTS:
            stem = f"{slug(name)}-{year}"
            docx = pipeline.draft(data, name, year).docx
            (tmp_dir / f"{stem}.docx").write_bytes(docx)
            stems.append(stem)
            titles[stem] = appendix_title(docx)
        subprocess.run([soffice, "--headless", "--norestore", f"-env:UserInstallation={(tmp_dir / 'profile').as_uri()}",
                        "--convert-to", "pdf", "--outdir", str(tmp_dir), *(str(tmp_dir / f"{s}.docx") for s in stems)],
                       check=True, capture_output=True, timeout=600)
        for stem in stems:
            pdf = tmp_dir / f"{stem}.pdf"
            texts = page_texts(pdf)
            sig = next(i for i, t in enumerate(texts, 1) if "Nơi nhận:" in t)
            app = next(i for i, t in enumerate(texts, 1)
                       if i > sig and t.strip() and " ".join(t.split()).startswith(titles[stem]))
            for n, (label, page) in enumerate((("first", 1), ("signature", sig), ("appendix", app)), start=1):
                target = args.out / f"{stem}-{n}-{label}"
                for old in args.out.glob(f"{stem}-{n}-*.png"):
                    old.unlink()
                subprocess.run(["pdftoppm", "-r", str(DPI), "-png", "-f", str(page), "-l", str(page), "-singlefile",
                                str(pdf), str(target)], check=True, timeout=120)
                png = target.parent / (target.name + ".png")
                print(f"{png.relative_to(ROOT) if png.is_relative_to(ROOT) else png}  page {page} of {len(texts)}")


if __name__ == "__main__":
    main()
