"""ND 30/2020 format of the generated Kon Tum 2024 draft, read back from the .docx."""

from __future__ import annotations

import io
import re
import zipfile

from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt
from docx.table import Table
from docx.text.paragraph import Paragraph

from drafter.docx_text import blocks


def _xml(draft, part: str) -> str:
    return zipfile.ZipFile(io.BytesIO(draft.docx)).read(part).decode("utf-8")


def _close(length, mm: float) -> bool:
    return abs(length.mm - mm) < 0.2


def test_page_setup_portrait_a4_with_nd30_margins(doc):
    s = doc.sections[0]
    assert s.orientation == WD_ORIENT.PORTRAIT
    assert _close(s.page_width, 210) and _close(s.page_height, 297)
    assert [round(x.mm) for x in (s.top_margin, s.bottom_margin, s.left_margin, s.right_margin)] == [25, 20, 35, 20]


def test_times_new_roman_everywhere_and_no_theme_fonts(kontum_2024):
    for part in ("word/styles.xml", "word/document.xml"):
        xml = _xml(kontum_2024, part)
        assert "Theme=" not in xml and "theme=" not in xml.replace("w:themeColor", ""), part
        faces = {face for tag in re.findall(r"<w:rFonts [^>]*>", xml)
                 for face in re.findall(r'w:(?:ascii|hAnsi|cs|eastAsia)="([^"]+)"', tag)}
        assert faces <= {"Times New Roman"}, (part, faces)


def test_body_style_14pt_justified_1cm_indent_6pt(doc):
    body = doc.styles["KH Body"]
    assert body.font.size == Pt(14)
    pf = body.paragraph_format
    assert pf.alignment == WD_ALIGN_PARAGRAPH.JUSTIFY
    assert _close(pf.first_line_indent, 10)  # 1 cm (567 twips)
    assert pf.space_before >= Pt(6)
    for name in ("KH Muc", "KH Khoan"):
        assert doc.styles[name].font.bold is True
    assert doc.styles["KH Note"].font.italic is True


def test_every_body_paragraph_uses_a_kh_style(doc):
    main = []
    for b in blocks(doc):  # paragraphs outside tables, up to the appendix
        if isinstance(b, Paragraph) and b.text.strip():
            if b.text == "Phụ lục":
                break
            main.append(b)
    assert len(main) > 100
    bad = [(p.style.name, p.text[:40]) for p in main if not p.style.name.startswith("KH ")]
    assert not bad


def test_page_number_in_top_margin_from_page_two(doc, kontum_2024):
    s = doc.sections[0]
    assert s.different_first_page_header_footer is True
    header_xml = s.header._element.xml
    assert 'w:instr="PAGE"' in header_xml  # a PAGE field, not the word
    assert s.header.paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.CENTER or \
        s.header.paragraphs[0].style.paragraph_format.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert "PAGE" not in s.first_page_header._element.xml


def test_header_block_is_borderless_two_column_table(doc):
    header = doc.tables[0]
    assert len(header.columns) == 2
    borders = header._tbl.tblPr.find(qn("w:tblBorders"))
    assert borders is not None and all(el.get(qn("w:val")) == "nil" for el in borders)
    widths = [round(c.width.cm, 2) for c in header.rows[0].cells]
    # within the 15.5 cm text width (A4 less 3.5 + 2 cm margins), the Quốc hiệu column wide enough
    # for one line at 13 pt (9.5 cm of text plus 2 × 0.1 cm of cell padding)
    padding = [int(el.get(qn("w:w"))) / 567 for el in header._tbl.tblPr.find(qn("w:tblCellMar"))]
    assert sum(widths) <= 15.5 and widths[1] - sum(padding) >= 9.6


def test_header_styles(doc):
    left, right = doc.tables[0].cell(0, 0), doc.tables[0].cell(0, 1)
    assert left.paragraphs[0].runs[0].bold and right.paragraphs[0].runs[0].bold
    date = doc.tables[0].cell(1, 1).paragraphs[0]
    assert all(r.italic for r in date.runs if r.text.strip())
    # rules under the issuing body and under the motto: bordered, narrowed paragraphs
    rules = [p for p in (*left.paragraphs, *right.paragraphs) if p._p.find(f"{qn('w:pPr')}/{qn('w:pBdr')}") is not None]
    assert len(rules) == 2


def test_appendix_is_landscape_section_numbered_from_one(doc):
    assert len(doc.sections) == 2
    app = doc.sections[1]
    assert app.orientation == WD_ORIENT.LANDSCAPE
    assert _close(app.page_width, 297) and _close(app.page_height, 210)
    pg = app._sectPr.find(qn("w:pgNumType"))
    assert pg is not None and pg.get(qn("w:start")) == "1"
    assert "PAGE" in app.header._element.xml


def test_appendix_table_header_repeats_and_has_borders(doc):
    table = doc.tables[-1]
    first = table.rows[0]._tr
    assert first.find(f"{qn('w:trPr')}/{qn('w:tblHeader')}") is not None
    borders = table._tbl.tblPr.find(qn("w:tblBorders"))
    assert all(el.get(qn("w:val")) == "single" for el in borders)
    total = sum(c.width.cm for c in table.rows[0].cells)
    assert 24 < total <= 25.3  # fits the landscape text width (297 − 30 − 15 mm)


def test_signature_table_borderless(doc):
    sig = [t for t in doc.tables if "Nơi nhận:" in t.cell(0, 0).text][0]
    borders = sig._tbl.tblPr.find(qn("w:tblBorders"))
    assert all(el.get(qn("w:val")) == "nil" for el in borders)
    noi_nhan = sig.cell(0, 0).paragraphs[0]
    assert noi_nhan.style.font.size == Pt(12) and noi_nhan.style.font.bold and noi_nhan.style.font.italic
    recipients = [p for p in sig.cell(0, 0).paragraphs[1:] if p.text.strip()]
    assert all(p.style.font.size == Pt(11) for p in recipients)


def test_docx_parts_are_well_formed_and_no_template_tags_left(kontum_2024):
    from lxml import etree

    z = zipfile.ZipFile(io.BytesIO(kontum_2024.docx))
    for name in z.namelist():
        if name.endswith(".xml") or name.endswith(".rels"):
            etree.fromstring(z.read(name))
    text = z.read("word/document.xml").decode()
    assert "{{" not in text and "{%" not in text and "}}" not in text
    assert "docProps/thumbnail.jpeg" not in z.namelist()


def test_every_flag_is_highlighted_directly_and_commented_once(kontum_2024):
    """A direct highlight (not only the character style, which LibreOffice and PDFs ignore) on every
    marked run, one comment each, as many as the CLI counts."""
    from drafter.docx_text import open_docx

    doc = open_docx(kontum_2024.docx)
    marked = doc.element.body.xpath('.//w:r[w:rPr/w:rStyle/@w:val="KHCheck"]')
    assert marked and len(marked) == len(kontum_2024.context.checks)
    assert all(r.find(qn("w:rPr")).find(qn("w:highlight")).get(qn("w:val")) == "yellow" for r in marked)
    assert len(doc.comments) == len(marked)
    texts = [c.text for c in doc.comments]
    assert not any(word in t for t in texts for word in ("signed", "title", "issuer"))  # Vietnamese throughout
