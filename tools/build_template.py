"""Build templates/ke-hoach-cchc.docx: the layout and styles of an ND 30 Kế hoạch, with docxtpl tags.

The template holds no wording: every text comes from the data (`labels.*` from
rulepacks/national/document.yaml and the plan context). Staff may edit the built .docx in Word;
this script is how its first version was made and how to rebuild it from scratch:

    python tools/build_template.py templates/ke-hoach-cchc.docx
"""

from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt

FONT = "Times New Roman"


def set_fonts(rpr) -> None:
    """Explicit Times New Roman for every script, and no theme font that Word could substitute."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in list(fonts.attrib):
        if "Theme" in attr or "theme" in attr:
            del fonts.attrib[attr]
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), FONT)


def strip_theme_fonts(doc) -> None:
    styles = doc.styles.element
    for fonts in styles.iter(qn("w:rFonts")):
        for attr in list(fonts.attrib):
            if "heme" in attr:
                del fonts.attrib[attr]
        for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
            fonts.set(qn(attr), FONT)
    defaults = styles.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    set_fonts(rpr)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "vi-VN")


def para_style(doc, name, size=14, bold=False, italic=False, align=WD_ALIGN_PARAGRAPH.JUSTIFY, indent=True,
               before=6, after=0, base="Normal"):
    style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = doc.styles[base]
    style.quick_style = True
    f = style.font
    f.name, f.size, f.bold, f.italic = FONT, Pt(size), bold, italic
    set_fonts(style.element.get_or_add_rPr())
    pf = style.paragraph_format
    pf.alignment = align
    pf.first_line_indent = Cm(1) if indent else Cm(0)
    pf.space_before, pf.space_after = Pt(before), Pt(after)
    pf.line_spacing_rule = WD_LINE_SPACING.SINGLE
    pf.widow_control = True
    return style


def add(container, text, style, bold=None, italic=None):
    p = container.add_paragraph(style=style)
    if text:
        run = p.add_run(text)
        if bold is not None:
            run.bold = bold
        if italic is not None:
            run.italic = italic
    return p


# What follows each element in its parent, as the schema (ECMA-376 transitional) orders them: Word
# repairs a file whose children are out of order, so each element is inserted before its successors.
AFTER_PBDR = ("w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct",
              "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid",
              "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc",
              "w:textDirection", "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle",
              "w:rPr", "w:sectPr", "w:pPrChange")
AFTER_TBLBORDERS = ("w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook", "w:tblCaption", "w:tblDescription")
AFTER_PGNUMTYPE = ("w:cols", "w:formProt", "w:vAlign", "w:noEndnote", "w:titlePg", "w:textDirection", "w:bidi",
                   "w:rtlGutter", "w:docGrid", "w:printerSettings", "w:sectPrChange")


def rule(container, style, indent_cm: float, rule_style=None):
    """A solid horizontal line of a given length: an empty paragraph with a bottom border, narrowed
    by equal left and right indents (ND 30 asks for lines as long as a fraction of the text above)."""
    p = container.add_paragraph(style=rule_style or style)
    pf = p.paragraph_format
    pf.left_indent = pf.right_indent = Cm(indent_cm)
    ppr = p._p.get_or_add_pPr()
    bdr = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for k, v in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        bottom.set(qn(k), v)
    bdr.append(bottom)
    ppr.insert_element_before(bdr, *AFTER_PBDR)
    rpr = OxmlElement("w:rPr")
    sz = OxmlElement("w:sz")
    sz.set(qn("w:val"), "4")
    rpr.append(sz)
    ppr.insert_element_before(rpr, "w:sectPr", "w:pPrChange")
    return p


def no_borders(table) -> None:
    tblpr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "nil")
        borders.append(el)
    tblpr.insert_element_before(borders, *AFTER_TBLBORDERS)


def all_borders(table) -> None:
    tblpr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        for k, v in (("w:val", "single"), ("w:sz", "4"), ("w:space", "0"), ("w:color", "000000")):
            el.set(qn(k), v)
        borders.append(el)
    tblpr.insert_element_before(borders, *AFTER_TBLBORDERS)


def widths(table, cms) -> None:
    table.autofit = False
    grid = table._tbl.tblGrid
    for col, w in zip(grid.findall(qn("w:gridCol")), cms):
        col.set(qn("w:w"), str(int(Cm(w).twips)))
    for row in table.rows:
        for cell, w in zip(row.cells, cms):
            cell.width = Cm(w)


def cell_margins(table, cm: float) -> None:
    """Left and right padding of every cell (Word's default is 0.19 cm)."""
    mar = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:w"), str(int(Cm(cm).twips)))
        el.set(qn("w:type"), "dxa")
        mar.append(el)
    table._tbl.tblPr.insert_element_before(mar, "w:tblLook", "w:tblCaption", "w:tblDescription")


def row_flag(row, name: str) -> None:
    """A row property that is on by its presence (w:tblHeader, w:cantSplit); no w:val: "true" is not
    an ST_OnOff value Word's strict reading accepts."""
    trpr = row._tr.get_or_add_trPr()
    if trpr.find(qn(name)) is None:
        trpr.append(OxmlElement(name))


def repeat_header(row) -> None:
    row_flag(row, "w:tblHeader")


def comment_styles(doc) -> None:
    """The styles python-docx's comments refer to (Word's built-in "annotation reference" and
    "annotation text"): a file that names an undefined style is one Word may repair."""
    ref = doc.styles.add_style("annotation reference", WD_STYLE_TYPE.CHARACTER)
    ref.element.set(qn("w:styleId"), "CommentReference")
    ref.element.attrib.pop(qn("w:customStyle"), None)  # Word's own style, not a custom one
    ref.font.size = Pt(8)
    text = doc.styles.add_style("annotation text", WD_STYLE_TYPE.PARAGRAPH)
    text.element.set(qn("w:styleId"), "CommentText")
    text.element.attrib.pop(qn("w:customStyle"), None)
    text.base_style = doc.styles["Normal"]
    text.font.size = Pt(10)


def page_number_header(section, style) -> None:
    """Page number centred in the top margin, hidden on the section's first page (ND 30 I.7)."""
    section.different_first_page_header_footer = True
    section.header.is_linked_to_previous = False
    p = section.header.paragraphs[0]
    p.style = style
    fld = OxmlElement("w:fldSimple")
    fld.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    t = OxmlElement("w:t")
    t.text = "2"
    run.append(t)
    fld.append(run)
    p._p.append(fld)
    section.first_page_header.is_linked_to_previous = False


def build(out: Path) -> None:
    doc = Document()
    strip_theme_fonts(doc)
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = FONT, Pt(14)
    set_fonts(normal.element.get_or_add_rPr())

    body = para_style(doc, "KH Body")
    # Headings keep with the paragraph they head: a page never ends with one.
    muc = para_style(doc, "KH Muc", bold=True)
    khoan = para_style(doc, "KH Khoan", bold=True)
    muc.paragraph_format.keep_with_next = khoan.paragraph_format.keep_with_next = True
    diem = para_style(doc, "KH Diem")
    note = para_style(doc, "KH Note", italic=True)
    preamble = para_style(doc, "KH Preamble")
    center = WD_ALIGN_PARAGRAPH.CENTER
    head13 = para_style(doc, "KH Header", size=13, align=center, indent=False, before=0)
    head14 = para_style(doc, "KH Header 14", size=14, align=center, indent=False, before=0)
    title = para_style(doc, "KH Title", bold=True, align=center, indent=False, before=0)
    noi_nhan_label = para_style(doc, "KH Noi nhan", size=12, bold=True, italic=True,
                                align=WD_ALIGN_PARAGRAPH.LEFT, indent=False, before=0)
    noi_nhan = para_style(doc, "KH Noi nhan list", size=11, align=WD_ALIGN_PARAGRAPH.LEFT, indent=False, before=0)
    sign = para_style(doc, "KH Sign", bold=True, align=center, indent=False, before=0)
    cell = para_style(doc, "KH Table", size=12, align=WD_ALIGN_PARAGRAPH.LEFT, indent=False, before=3, after=3)
    cell_c = para_style(doc, "KH Table center", size=12, align=center, indent=False, before=3, after=3)
    page_no = para_style(doc, "KH Page number", size=14, align=center, indent=False, before=0)
    tag = para_style(doc, "KH Tag", size=2, indent=False, before=0)  # only docxtpl tags; removed on render
    # Unverified facts: a character style, so staff can find them all and clear the mark in one go. Word
    # allows no highlight in a style (the schema's style run properties have none): drafter.render
    # highlights the marked runs directly, which shows in Word, LibreOffice and print.
    doc.styles.add_style("KH Check", WD_STYLE_TYPE.CHARACTER)
    comment_styles(doc)

    sec = doc.sections[0]
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.orientation = WD_ORIENT.PORTRAIT
    sec.top_margin, sec.bottom_margin, sec.left_margin, sec.right_margin = Mm(25), Mm(20), Mm(35), Mm(20)
    sec.header_distance, sec.footer_distance = Mm(10), Mm(10)
    page_number_header(sec, page_no)

    # Header block (ô 1–4): row 1 names and rules, row 2 "Số" and the date, so they share a line.
    doc.paragraphs[0]._p.getparent().remove(doc.paragraphs[0]._p) if doc.paragraphs else None
    hdr = doc.add_table(rows=2, cols=2)
    hdr.alignment = WD_TABLE_ALIGNMENT.CENTER
    no_borders(hdr)
    # 15.5 cm, the text width. The Quốc hiệu at 13 pt bold is 9.5 cm on LibreOffice's page (Liberation
    # Serif, metric-compatible with Times New Roman): with 0.1 cm of cell padding a side, 10.1 cm keeps it
    # on one line; the left column takes the rest (a name as long as "THÀNH PHỐ HỒ CHÍ MINH" wraps).
    widths(hdr, (5.4, 10.1))
    cell_margins(hdr, 0.1)
    left, right = hdr.cell(0, 0), hdr.cell(0, 1)
    left.paragraphs[0].style = head13
    left.paragraphs[0].add_run("{{ labels.co_quan }}").bold = True
    add(left, "{{ labels.co_quan_tinh }}", head13, bold=True)
    rule(left, head13, 1.6)  # ~2 cm under the name (ND 30: 1/3–1/2 of it)
    right.paragraphs[0].style = head13
    right.paragraphs[0].add_run("{{ labels.quoc_hieu }}").bold = True
    add(right, "{{ labels.tieu_ngu }}", head14, bold=True)
    rule(right, head13, 2.0)  # as long as the Tiêu ngữ (5.9 cm at 14 pt)
    so, date = hdr.cell(1, 0), hdr.cell(1, 1)
    so.paragraphs[0].style = head13
    so.paragraphs[0].add_run("{{ labels.so }}")
    so.paragraphs[0].paragraph_format.space_before = Pt(6)
    date.paragraphs[0].style = head14
    date.paragraphs[0].add_run("{{ date_line }}").italic = True
    date.paragraphs[0].paragraph_format.space_before = Pt(6)

    # Tên loại and trích yếu (ô 5a)
    p = add(doc, "{{ labels.ten_loai }}", title)
    p.paragraph_format.space_before = Pt(24)
    add(doc, "{{ labels.trich_yeu }}", title)
    # Its own style, so drafter.render finds it and sizes it to the trích yếu it underlines.
    title_rule = para_style(doc, "KH Title rule", align=center, indent=False, before=3)
    rule(doc, title, 4.75, title_rule)

    # Legal bases and the enacting sentence
    add(doc, "{%p for p in preamble %}", tag)
    add(doc, "{{r p }}", preamble)
    add(doc, "{%p endfor %}", tag)
    add(doc, "{{r ban_hanh }}", body).paragraph_format.keep_with_next = True  # "… như sau:" heads section I

    # Body: one paragraph per block; the kind picks the style
    add(doc, "{%p for p in body %}", tag)
    branches = [("muc", muc), ("khoan", khoan), ("diem", diem), ("note", note), ("bullet", body)]
    for i, (kind, style) in enumerate(branches):
        add(doc, ("{%p if " if i == 0 else "{%p elif ") + f"p.kind == '{kind}' %}}", tag)
        add(doc, "{{r p.rt }}", style)
    add(doc, "{%p else %}", tag)
    add(doc, "{{r p.rt }}", body)
    add(doc, "{%p endif %}", tag)
    add(doc, "{%p endfor %}", tag)

    # Signature block (ô 7, 9b): Nơi nhận on the left, authority and signer on the right
    sig = doc.add_table(rows=1, cols=2)
    no_borders(sig)
    # 15.5 cm: the text width. Nơi nhận wide enough for one line per usual recipient at 11 pt ("- Các cơ
    # quan Trung ương đóng trên địa bàn tỉnh;" is 8.2 cm); "TM. ỦY BAN NHÂN DÂN" at 14 pt bold takes 6.4 cm.
    widths(sig, (8.5, 7.0))
    cell_margins(sig, 0.1)
    row_flag(sig.rows[0], "w:cantSplit")  # the signature block is never split across pages
    left, right = sig.cell(0, 0), sig.cell(0, 1)
    left.paragraphs[0].style = noi_nhan_label
    left.paragraphs[0].add_run("{{ labels.noi_nhan }}")
    left.paragraphs[0].paragraph_format.space_before = Pt(12)
    add(left, "{%p for n in noi_nhan %}", tag)
    add(left, "- {{ n }}", noi_nhan)
    add(left, "{%p endfor %}", tag)
    add(left, "- {{ luu }}", noi_nhan)
    right.paragraphs[0].style = sign
    right.paragraphs[0].add_run("{{ sig.authority }}")
    right.paragraphs[0].paragraph_format.space_before = Pt(12)
    add(right, "{%p if sig.deputy %}", tag)
    add(right, "{{ sig.deputy }}", sign)
    add(right, "{%p endif %}", tag)
    add(right, "{{ sig.title }}", sign)
    for _ in range(4):
        add(right, "", sign)
    add(right, "{{r sig.name }}", sign)

    # Appendix: its own landscape section, numbered from 1 (ND 30 III.1đ)
    app = doc.add_section(WD_SECTION.NEW_PAGE)
    # The paragraph that ends the body's section holds nothing: make it tiny, so that a signature block
    # ending at the foot of a page does not push it onto a blank page of its own.
    doc.paragraphs[-1].style = tag
    app.orientation = WD_ORIENT.LANDSCAPE
    app.page_width, app.page_height = Mm(297), Mm(210)
    app.top_margin, app.bottom_margin, app.left_margin, app.right_margin = Mm(20), Mm(20), Mm(30), Mm(15)
    page_number_header(app, page_no)
    pg = OxmlElement("w:pgNumType")
    pg.set(qn("w:start"), "1")
    app._sectPr.insert_element_before(pg, *AFTER_PGNUMTYPE)
    add(doc, "{{ labels.phu_luc }}", title)
    add(doc, "{{ labels.phu_luc_title }}", title)
    add(doc, "{{ labels.kem_theo }}", head14, italic=True)
    rule(doc, head13, 9.0)

    # The columns come from the plan's shape (document.yaml, a province's layer): the header and the
    # task rows loop over them ({%tc %}); drafter.render sets the widths after rendering.
    table = doc.add_table(rows=10, cols=4)
    all_borders(table)
    widths(table, (1.2, 8.0, 8.0, 8.0))
    head = table.rows[0].cells
    for c, text in zip(head, ("{%tc for h in columns.head %}", "{{ h }}", "{%tc endfor %}")):
        c.paragraphs[0].style = cell_c
        c.paragraphs[0].add_run(text).bold = True
    head[2].merge(head[3])
    repeat_header(table.rows[0])
    # Area rows: the numeral in the TT column and the area spanning the rest, or (no TT column,
    # seed 004) one cell across the table. Task rows: one cell per column.
    tags = {1: "{%tr for r in appendix %}", 2: "{%tr if r.kind == 'area' and columns.tt %}",
            4: "{%tr elif r.kind == 'area' %}", 6: "{%tr else %}", 8: "{%tr endif %}", 9: "{%tr endfor %}"}
    for i, text in tags.items():
        table.rows[i].cells[0].paragraphs[0].style = cell
        table.rows[i].cells[0].paragraphs[0].add_run(text)
    area = table.rows[3]
    area.cells[0].paragraphs[0].style = cell_c
    area.cells[0].paragraphs[0].add_run("{{ r.tt }}").bold = True
    area.cells[1].paragraphs[0].style = cell
    area.cells[1].paragraphs[0].add_run("{% colspan columns.span %}{{r r.task }}")
    for tc in area._tr.tc_lst[2:]:  # the spanned cell stands for every column after TT
        area._tr.remove(tc)
    whole = table.rows[5]
    whole.cells[0].paragraphs[0].style = cell
    whole.cells[0].paragraphs[0].add_run("{% colspan columns.count %}{{r r.task }}")
    for tc in whole._tr.tc_lst[1:]:
        whole._tr.remove(tc)
    task = table.rows[7]
    for c, text in zip(task.cells, ("{%tc for c in r.cells %}", "{{r c.rt }}", "{%tc endfor %}")):
        c.paragraphs[0].style = cell
        c.paragraphs[0].add_run(text)
    task.cells[2].merge(task.cells[3])
    for row in (area, whole, task):  # a row breaks across pages only if taller than a page
        row_flag(row, "w:cantSplit")
    for row in (area, whole):  # an area's row stays with its first task (Word; LibreOffice ignores it)
        for c in row.cells:
            for par in c.paragraphs:
                par.paragraph_format.keep_with_next = True

    # python-docx's default template carries a thumbnail of an unrelated page; drop it.
    pkg_rels = doc.part.package.rels
    for r_id in [k for k, rel in pkg_rels.items() if rel.reltype.endswith("/thumbnail")]:
        pkg_rels.pop(r_id)
    # Word 2010's duplicate style part (full of theme fonts) and an empty custom-XML item: not needed.
    doc_rels = doc.part.rels
    for r_id in [k for k, rel in doc_rels.items()
                 if rel.reltype.endswith("/stylesWithEffects") or rel.reltype.endswith("/customXml")]:
        doc_rels.pop(r_id)
    # Extended properties: python-docx's default names "Microsoft Macintosh Word" and stale counts;
    # state only the producing application (Word recomputes pages and words on opening).
    for rel in pkg_rels.values():
        if rel.reltype.endswith("/extended-properties"):
            rel.target_part._blob = APP_XML
    doc.core_properties.author = "drafter"
    doc.core_properties.title = "{{ labels.trich_yeu }}"
    out.parent.mkdir(parents=True, exist_ok=True)
    doc.save(out)


APP_XML = (b"<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
           b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
           b"<Application>drafter</Application><DocSecurity>0</DocSecurity></Properties>")


if __name__ == "__main__":
    build(Path(sys.argv[1] if len(sys.argv) > 1 else "templates/ke-hoach-cchc.docx"))
