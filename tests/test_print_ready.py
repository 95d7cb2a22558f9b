"""Print-ready and Word-clean (ND 30 layout; what Word would repair).

- Every output kind (the draft of each plan shape, the redline) passes an OOXML schema validator
  (openxml-audit, standing in for Word in CI), and every style the document names is defined.
- The paragraph properties that keep pages whole: headings keep with what they head, the signature
  block cannot split and stays with the closing paragraph, appendix rows do not break.
- On LibreOffice's page: the rule under the trích yếu is 1/3–1/2 of the trích yếu line; the
  recipients fit one line each; the header and signature tables stay inside the text area.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import shutil
import subprocess
import unicodedata
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph
from openxml_audit import FileFormat, OpenXmlValidator

from drafter import diff, pipeline
from drafter.docx_text import open_docx
from drafter.docx_package import save_deterministic

#: Three plan shapes: the national default (Kon Tum), five sections and a 9-column appendix
#: (Tuyên Quang after the 2025 merger), three sections and no TT column (Nam Định).
SHAPES = [("Kon Tum", 2024), ("Tuyên Quang", 2026), ("Nam Định", 2024)]
#: The other forms of issue (rulepacks/kinds.yaml): the Chủ tịch's KH and the QĐ with its plan attached.
FORMS = [("Kon Tum", 2024, "qd"), ("Tuyên Quang", 2026, "qd"), ("Nam Định", 2024, "kh-chu-tich")]
OUTPUTS = ([f"{p} {y}" for p, y in SHAPES] + [f"{p} {y} {f}" for p, y, f in FORMS]
           + ["redline Kon Tum 2023→2024", "redline qd Kon Tum 2023→2024"])


@pytest.fixture(scope="module")
def drafts(data) -> dict[str, bytes]:
    out = {f"{p} {y}": pipeline.draft(data, p, y).docx for p, y in SHAPES}
    old, new = pipeline.draft(data, "Kon Tum", 2023), out["Kon Tum 2024"]
    out["redline Kon Tum 2023→2024"] = diff.redline(old.docx, new, dt.date(2023, 12, 1))
    for province, year, form in FORMS:
        out[f"{province} {year} {form}"] = pipeline.draft(data, province, year, kind=form).docx
    qd_old = pipeline.draft(data, "Kon Tum", 2023, kind="qd").docx
    out["redline qd Kon Tum 2023→2024"] = diff.redline(qd_old, out["Kon Tum 2024 qd"], dt.date(2023, 12, 1))
    return out


def _violations(path: Path) -> list[str]:
    # A validator for each file: one instance reused keeps state between files (openxml-audit 0.8.0), and
    # then reports a file's comment references as missing from its comments part ("Attribute 'id' value
    # '18' was not found …", 18 being another file's comment count): 16 of 48 validations of 8 drafts,
    # shuffled, against none with a validator each.
    result = OpenXmlValidator(file_format=FileFormat.MICROSOFT_365, max_errors=1000).validate(str(path))
    # The validator may advise a stylesWithEffects part (it does for a bare python-docx file too): advice
    # about an optional Word 2010 part, not a schema violation; ignored.
    return [f"{e.description} at {getattr(e, 'part_uri', '')} {getattr(e, 'path', '')}" for e in result.errors
            if "stylesWithEffects" not in str(e.description)]


@pytest.mark.parametrize("name", OUTPUTS)
def test_every_output_is_schema_valid(drafts, name, tmp_path):
    path = tmp_path / "out.docx"
    path.write_bytes(drafts[name])
    assert _violations(path) == []


def test_the_validator_sees_an_element_out_of_order(drafts, tmp_path):
    """The check above can fail: a paragraph border written after the indents (as this template once
    wrote it) is a violation."""
    doc = open_docx(drafts["Kon Tum 2024"])
    ppr = next(p for p in doc.element.body.iter(qn("w:pPr")) if p.find(qn("w:pBdr")) is not None)
    bdr = ppr.find(qn("w:pBdr"))
    ppr.remove(bdr)
    ppr.append(bdr)
    path = tmp_path / "bad.docx"
    path.write_bytes(save_deterministic(doc.part.package))
    assert any("pBdr" in v for v in _violations(path))


@pytest.mark.parametrize("name", OUTPUTS)
def test_every_style_named_is_defined(drafts, name):
    with zipfile.ZipFile(io.BytesIO(drafts[name])) as z:
        styles = ET.fromstring(z.read("word/styles.xml"))
        defined = {s.get(qn("w:styleId")) for s in styles.iter(qn("w:style"))}
        named: set[str] = set()
        for part in ("word/document.xml", "word/comments.xml"):
            if part in z.namelist():
                root = ET.fromstring(z.read(part))
                for tag in ("w:pStyle", "w:rStyle", "w:tblStyle"):
                    named |= {el.get(qn("w:val")) for el in root.iter(qn(tag))}
    assert named and named <= defined, sorted(named - defined)


# --- what keeps pages whole ---------------------------------------------------------------------

def _keep_next(p) -> bool:
    fmt = p.paragraph_format.keep_with_next
    return bool(fmt if fmt is not None else p.style.paragraph_format.keep_with_next)


@pytest.mark.parametrize("province, year", SHAPES)
def test_headings_keep_with_what_they_head(data, province, year):
    doc = open_docx(pipeline.draft(data, province, year).docx)
    ctx = pipeline.plan_context(data, province, year)
    heads = {"".join(r.text for r in p.runs) for p in ctx.body if p.kind in ("muc", "khoan")}
    found = [p for p in doc.paragraphs if p.text in heads]
    assert len(found) >= len(heads) > 3
    assert all(_keep_next(p) for p in found), [p.text for p in found if not _keep_next(p)]
    ban_hanh = next(p for p in doc.paragraphs if p.text == "".join(r.text for r in ctx.ban_hanh.runs))
    assert _keep_next(ban_hanh)  # "… như sau:" stays with section I


@pytest.mark.parametrize("province, year", SHAPES)
def test_signature_block_never_splits_and_stays_with_the_text(data, province, year):
    doc = open_docx(pipeline.draft(data, province, year).docx)
    sig = doc.tables[1]
    assert "Nơi nhận" in sig.cell(0, 0).text and "TM." in sig.cell(0, 1).text
    assert all(r._tr.find(f"{qn('w:trPr')}/{qn('w:cantSplit')}") is not None for r in sig.rows)
    last = Paragraph(sig._tbl.getprevious(), doc)
    assert last.text.endswith("./.") and last.paragraph_format.keep_with_next


@pytest.mark.parametrize("province, year", SHAPES)
def test_appendix_rows_do_not_break_and_areas_stay_with_their_tasks(data, province, year):
    doc = open_docx(pipeline.draft(data, province, year).docx)
    table = doc.tables[-1]
    body_rows = table.rows[1:]
    assert len(body_rows) > 20
    assert all(r._tr.find(f"{qn('w:trPr')}/{qn('w:cantSplit')}") is not None for r in body_rows)
    spanned = [r for r in body_rows if len(r._tr.tc_lst) < len(table.columns)]  # area rows
    assert spanned and all(_keep_next(p) for r in spanned for c in r.cells for p in c.paragraphs)


def test_tables_stay_inside_the_text_area(doc):
    header, sig = doc.tables[0], doc.tables[1]
    for table in (header, sig):
        assert sum(c.width.cm for c in table.rows[0].cells) <= 15.5 + 0.01


def test_trich_yeu_rule_is_sized_to_its_line(data):
    """The rule's length follows the trích yếu (1/3–1/2 of its line, ND 30 II.5b): longer under a long one."""
    lengths = {}
    for province, year in SHAPES:
        doc = open_docx(pipeline.draft(data, province, year).docx)
        rule = next(p for p in doc.paragraphs if p.style.style_id == "KHTitlerule")
        lengths[province] = 15.5 - rule.paragraph_format.left_indent.cm - rule.paragraph_format.right_indent.cm
        assert rule.paragraph_format.left_indent == rule.paragraph_format.right_indent  # centred
    assert all(2.0 <= v <= 7.75 for v in lengths.values()), lengths


# --- on LibreOffice's page ----------------------------------------------------------------------

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
POPPLER = shutil.which("pdftotext")


@pytest.fixture(scope="module")
def pdfs(data, tmp_path_factory) -> dict[str, tuple[bytes, Path]]:
    if SOFFICE is None or POPPLER is None:
        if os.environ.get("DRAFTER_REQUIRE_LIBREOFFICE") == "1":
            pytest.fail("LibreOffice (soffice) and poppler (pdftotext) are required here (DRAFTER_REQUIRE_LIBREOFFICE=1)")
        pytest.skip("LibreOffice (soffice) or poppler (pdftotext) not installed")
    out = tmp_path_factory.mktemp("print")
    files = {}
    for province, year in SHAPES:
        docx = pipeline.draft(data, province, year).docx
        path = out / f"{province.replace(' ', '_')}-{year}.docx"
        path.write_bytes(docx)
        files[province] = (docx, path)
    subprocess.run([SOFFICE, "--headless", "--norestore", f"-env:UserInstallation=file://{out}/profile",
                    "--convert-to", "pdf", "--outdir", str(out), *[str(p) for _, p in files.values()]],
                   check=True, capture_output=True, timeout=600)
    return {k: (docx, path.with_suffix(".pdf")) for k, (docx, path) in files.items()}


def _line_boxes(pdf: Path, page: int) -> list[tuple[float, float, str]]:
    """(xMin, xMax, text) of every text line of a page, from poppler's bbox layout."""
    xml = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), "-bbox-layout", str(pdf), "-"],
                         check=True, capture_output=True, timeout=60).stdout.decode("utf-8")
    xml = re.sub(r"<!DOCTYPE[^>]*>", "", xml)
    root = ET.fromstring(xml)
    lines = []
    for line in root.iter("{http://www.w3.org/1999/xhtml}line"):
        words = [w.text or "" for w in line.iter("{http://www.w3.org/1999/xhtml}word")]
        lines.append((float(line.get("xMin")), float(line.get("xMax")), unicodedata.normalize("NFC", " ".join(words))))
    return lines


PT_PER_CM = 72 / 2.54
LEFT_MARGIN_PT = 35 * 72 / 25.4
RIGHT_EDGE_PT = (210 - 20) * 72 / 25.4


@pytest.mark.parametrize("province", [p for p, _ in SHAPES])
def test_trich_yeu_rule_is_a_third_to_a_half_of_its_line(pdfs, province):
    docx, pdf = pdfs[province]
    doc = open_docx(docx)
    rule = next(p for p in doc.paragraphs if p.style.style_id == "KHTitlerule")
    rule_cm = 15.5 - rule.paragraph_format.left_indent.cm - rule.paragraph_format.right_indent.cm
    trich_yeu = doc.core_properties.title
    lines = _line_boxes(pdf, 1)
    first_words = " ".join(trich_yeu.split()[:3])
    widths = [(x1 - x0) / PT_PER_CM for x0, x1, text in lines if text.startswith(first_words)]
    assert widths, (trich_yeu, [t for _, _, t in lines])
    # a trích yếu that wraps: its longest line is the one the rule is measured against
    longest = max([w for w in widths] + [(x1 - x0) / PT_PER_CM for x0, x1, t in lines
                                         if t and t in trich_yeu and t not in first_words])
    assert longest / 3 <= rule_cm <= longest / 2, (province, rule_cm, longest)


@pytest.mark.parametrize("province", [p for p, _ in SHAPES])
def test_recipients_fit_one_line_each_and_tables_stay_in_the_text_area(pdfs, province):
    docx, pdf = pdfs[province]
    doc = open_docx(docx)
    recipients = [p.text for p in doc.tables[1].cell(0, 0).paragraphs if p.text.startswith("- ")]
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True,
                          timeout=60).stdout.decode("utf-8")
    text = unicodedata.normalize("NFC", text)
    # In the layout text a recipient on one line is a line starting with the whole recipient.
    starts = [line.strip() for line in text.splitlines()]
    wrapped = [r for r in recipients if not any(s.startswith(r) for s in starts)]
    assert not wrapped, wrapped
    for page in range(1, 3):  # the header's and the body's lines stay within the margins
        for x0, x1, t in _line_boxes(pdf, page):
            assert x0 >= LEFT_MARGIN_PT - 2 and x1 <= RIGHT_EDGE_PT + 2, (page, t, x0, x1)
