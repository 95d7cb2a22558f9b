"""Build templates/ke-hoach-cchc.docx: the layout and styles of an ND 30 Kế hoạch, with docxtpl tags.

The template holds no wording: every text comes from the data (`labels.*` from
rulepacks/national/document.yaml and the plan context). Staff may edit the built .docx in Word;
this script is how their first versions were made and how to rebuild them from scratch:

    python tools/build_template.py templates/          # and tests/fixtures/mini/templates/
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


def cell_margins(table, cm: float, top_pt: float = 0) -> None:
    """Left and right padding of every cell (Word's default is 0.19 cm), and a top padding."""
    mar = OxmlElement("w:tblCellMar")
    for side, twips in (("top", int(Pt(top_pt).twips)), ("left", int(Cm(cm).twips)), ("right", int(Cm(cm).twips))):
        if side == "top" and not twips:
            continue
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:w"), str(twips))
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


class Styles:
    """The template's paragraph and character styles (one set for every kind)."""

    def __init__(self, doc) -> None:
        normal = doc.styles["Normal"]
        normal.font.name, normal.font.size = FONT, Pt(14)
        set_fonts(normal.element.get_or_add_rPr())
        center = WD_ALIGN_PARAGRAPH.CENTER
        self.body = para_style(doc, "KH Body")
        # Headings keep with the paragraph they head: a page never ends with one.
        self.muc = para_style(doc, "KH Muc", bold=True)
        self.khoan = para_style(doc, "KH Khoan", bold=True)
        self.muc.paragraph_format.keep_with_next = self.khoan.paragraph_format.keep_with_next = True
        self.diem = para_style(doc, "KH Diem")
        # a point that leads in its own items ("b) Các chỉ tiêu cụ thể:") is a heading too
        self.diem_lead = para_style(doc, "KH Diem lead", base="KH Diem")
        self.diem_lead.paragraph_format.keep_with_next = True
        self.note = para_style(doc, "KH Note", italic=True)
        self.preamble = para_style(doc, "KH Preamble")
        self.head13 = para_style(doc, "KH Header", size=13, align=center, indent=False, before=0)
        self.head14 = para_style(doc, "KH Header 14", size=14, align=center, indent=False, before=0)
        self.title = para_style(doc, "KH Title", bold=True, align=center, indent=False, before=0)
        # Its own style, so drafter.render finds it and sizes it to the trích yếu it underlines.
        self.title_rule = para_style(doc, "KH Title rule", align=center, indent=False, before=3)
        self.noi_nhan_label = para_style(doc, "KH Noi nhan", size=12, bold=True, italic=True,
                                         align=WD_ALIGN_PARAGRAPH.LEFT, indent=False, before=0)
        self.noi_nhan = para_style(doc, "KH Noi nhan list", size=11, align=WD_ALIGN_PARAGRAPH.LEFT, indent=False,
                                   before=0)
        self.sign = para_style(doc, "KH Sign", bold=True, align=center, indent=False, before=0)
        self.cell = para_style(doc, "KH Table", size=12, align=WD_ALIGN_PARAGRAPH.LEFT, indent=False, before=3,
                               after=3)
        self.cell_c = para_style(doc, "KH Table center", size=12, align=center, indent=False, before=3, after=3)
        self.page_no = para_style(doc, "KH Page number", size=14, align=center, indent=False, before=0)
        self.tag = para_style(doc, "KH Tag", size=2, indent=False, before=0)  # only docxtpl tags; removed on render
        # Unverified facts: a character style, so staff can find them all and clear the mark in one go. Word
        # allows no highlight in a style (the schema's style run properties have none): drafter.render
        # highlights the marked runs directly, which shows in Word, LibreOffice and print.
        doc.styles.add_style("KH Check", WD_STYLE_TYPE.CHARACTER)
        comment_styles(doc)


def new_document():
    doc = Document()
    strip_theme_fonts(doc)
    st = Styles(doc)
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.orientation = WD_ORIENT.PORTRAIT
    portrait_margins(sec)
    page_number_header(sec, st.page_no)
    doc.paragraphs[0]._p.getparent().remove(doc.paragraphs[0]._p) if doc.paragraphs else None
    return doc, st


def portrait_margins(sec) -> None:
    sec.top_margin, sec.bottom_margin, sec.left_margin, sec.right_margin = Mm(25), Mm(20), Mm(35), Mm(20)
    sec.header_distance, sec.footer_distance = Mm(10), Mm(10)


def header_block(doc, st: Styles, numbered: bool = True, number: str = "{{ labels.so }}",
                 superior: bool = False) -> None:
    """ô 1–4: row 1 the issuing body and the national motto with their rules; row 2 "Số" and the date,
    so they share a line. A document issued with a QĐ (`numbered=False`) has no row 2."""
    hdr = doc.add_table(rows=2 if numbered else 1, cols=2)
    hdr.alignment = WD_TABLE_ALIGNMENT.CENTER
    no_borders(hdr)
    # 15.5 cm, the text width. The Quốc hiệu at 13 pt bold is 9.5 cm on LibreOffice's page (Liberation
    # Serif, metric-compatible with Times New Roman): with 0.1 cm of cell padding a side, 10.1 cm keeps it
    # on one line; the left column takes the rest (a name as long as "THÀNH PHỐ HỒ CHÍ MINH" wraps).
    widths(hdr, (5.4, 10.1))
    cell_margins(hdr, 0.1)
    left, right = hdr.cell(0, 0), hdr.cell(0, 1)
    left.paragraphs[0].style = st.head13
    # ND 30 II.2: a cơ quan chủ quản ("UBND TỈNH …" over a sở) is not bold; the issuing body's name is
    left.paragraphs[0].add_run("{{ labels.co_quan }}").bold = not superior
    add(left, "{{ labels.co_quan_tinh }}", st.head13, bold=True)
    rule(left, st.head13, 1.6)  # ~2 cm under the name (ND 30: 1/3–1/2 of it)
    right.paragraphs[0].style = st.head13
    right.paragraphs[0].add_run("{{ labels.quoc_hieu }}").bold = True
    add(right, "{{ labels.tieu_ngu }}", st.head14, bold=True)
    rule(right, st.head13, 2.0)  # as long as the Tiêu ngữ (5.9 cm at 14 pt)
    if not numbered:
        return
    so, date = hdr.cell(1, 0), hdr.cell(1, 1)
    so.paragraphs[0].style = st.head13
    so.paragraphs[0].add_run(number)
    so.paragraphs[0].paragraph_format.space_before = Pt(6)
    date.paragraphs[0].style = st.head14
    date.paragraphs[0].add_run("{{ date_line }}").italic = True
    date.paragraphs[0].paragraph_format.space_before = Pt(6)


def title_block(doc, st: Styles, ten_loai: str, trich_yeu: str, reference: str | None = None) -> None:
    """ô 5a: tên loại and trích yếu, (for a document issued with a QĐ) its italic reference line, and
    the short rule under them."""
    p = add(doc, ten_loai, st.title)
    p.paragraph_format.space_before = Pt(24)
    add(doc, trich_yeu, st.title)
    if reference:
        add(doc, reference, st.head14, italic=True)
    rule(doc, st.title, 4.75, st.title_rule)


def opening(doc, st: Styles) -> None:
    """The legal bases (or the plan implemented), one paragraph each, and the enacting sentence "… ban hành
    Kế hoạch … như sau:", which keeps with section I."""
    add(doc, "{%p for p in preamble %}", st.tag)
    add(doc, "{{r p }}", st.preamble)
    add(doc, "{%p endfor %}", st.tag)
    add(doc, "{{r ban_hanh }}", st.body).paragraph_format.keep_with_next = True


def body_loop(doc, st: Styles) -> None:
    """The plan's body: one paragraph per block; the block's kind picks the style."""
    add(doc, "{%p for p in body %}", st.tag)
    branches = [("p.kind == 'muc'", st.muc), ("p.kind == 'khoan'", st.khoan),
                ("p.kind == 'diem' and p.lead", st.diem_lead), ("p.kind == 'diem'", st.diem),
                ("p.kind == 'note'", st.note), ("p.kind == 'bullet'", st.body)]
    for i, (test, style) in enumerate(branches):
        add(doc, ("{%p if " if i == 0 else "{%p elif ") + f"{test} %}}", st.tag)
        add(doc, "{{r p.rt }}", style)
    add(doc, "{%p else %}", st.tag)
    add(doc, "{{r p.rt }}", st.body)
    add(doc, "{%p endif %}", st.tag)
    add(doc, "{%p endfor %}", st.tag)


def signature_block(doc, st: Styles) -> None:
    """ô 7, 9b: Nơi nhận on the left; authority (when a collective body issues), deputy and signer on
    the right."""
    sig = doc.add_table(rows=1, cols=2)
    no_borders(sig)
    # 15.5 cm: the text width. Nơi nhận wide enough for one line per usual recipient at 11 pt ("- Các cơ
    # quan Trung ương đóng trên địa bàn tỉnh;" is 8.2 cm); "TM. ỦY BAN NHÂN DÂN" at 14 pt bold takes 6.4 cm.
    widths(sig, (8.5, 7.0))
    # 12 pt above both columns: "Nơi nhận:" and the block's first line (TM. …, KT. … or CHỦ TỊCH) stay level
    cell_margins(sig, 0.1, top_pt=12)
    row_flag(sig.rows[0], "w:cantSplit")  # the signature block is never split across pages
    left, right = sig.cell(0, 0), sig.cell(0, 1)
    left.paragraphs[0].style = st.noi_nhan_label
    left.paragraphs[0].add_run("{{ labels.noi_nhan }}")
    add(left, "{%p for n in noi_nhan %}", st.tag)
    add(left, "- {{ n }}", st.noi_nhan)
    add(left, "{%p endfor %}", st.tag)
    add(left, "- {{ luu }}", st.noi_nhan)
    right.paragraphs[0].style = st.tag
    right.paragraphs[0].add_run("{%p if sig.authority %}")
    add(right, "{{ sig.authority }}", st.sign)
    add(right, "{%p endif %}", st.tag)
    add(right, "{%p if sig.deputy %}", st.tag)
    add(right, "{{ sig.deputy }}", st.sign)
    add(right, "{%p endif %}", st.tag)
    add(right, "{{ sig.title }}", st.sign)
    for _ in range(4):
        add(right, "", st.sign)
    add(right, "{{r sig.name }}", st.sign)


def new_section(doc, st: Styles, landscape: bool):
    """A new page and section, its pages numbered from 1 (ND 30 III.1đ: an appendix, or a document
    issued with a QĐ, is numbered on its own)."""
    sec = doc.add_section(WD_SECTION.NEW_PAGE)
    # The paragraph that ends the previous section holds nothing: make it tiny, so that a signature block
    # ending at the foot of a page does not push it onto a blank page of its own.
    doc.paragraphs[-1].style = st.tag
    if landscape:
        sec.orientation = WD_ORIENT.LANDSCAPE
        sec.page_width, sec.page_height = Mm(297), Mm(210)
        sec.top_margin, sec.bottom_margin, sec.left_margin, sec.right_margin = Mm(20), Mm(20), Mm(30), Mm(15)
    else:
        sec.orientation = WD_ORIENT.PORTRAIT
        sec.page_width, sec.page_height = Mm(210), Mm(297)
        portrait_margins(sec)
    page_number_header(sec, st.page_no)
    for old in sec._sectPr.findall(qn("w:pgNumType")):  # copied from the section before
        sec._sectPr.remove(old)
    pg = OxmlElement("w:pgNumType")
    pg.set(qn("w:start"), "1")
    sec._sectPr.insert_element_before(pg, *AFTER_PGNUMTYPE)
    return sec


def appendix(doc, st: Styles) -> None:
    """The appendix: its own landscape section; its columns come from the plan's shape (document.yaml,
    a province's layer): the header and the task rows loop over them ({%tc %}); drafter.render sets
    the widths after rendering."""
    new_section(doc, st, landscape=True)
    add(doc, "{{ labels.phu_luc }}", st.title)
    add(doc, "{{ labels.phu_luc_title }}", st.title)
    add(doc, "{{ labels.kem_theo }}", st.head14, italic=True)
    rule(doc, st.head13, 9.0).paragraph_format.space_after = Pt(8)  # clear of the table's top border

    table = doc.add_table(rows=10, cols=4)
    all_borders(table)
    widths(table, (1.2, 8.0, 8.0, 8.0))
    head = table.rows[0].cells
    for c, text in zip(head, ("{%tc for h in columns.head %}", "{{ h }}", "{%tc endfor %}")):
        c.paragraphs[0].style = st.cell_c
        c.paragraphs[0].add_run(text).bold = True
    head[2].merge(head[3])
    repeat_header(table.rows[0])
    # Area rows: the numeral in the TT column and the area spanning the rest, or (no TT column,
    # seed 004) one cell across the table. Task rows: one cell per column.
    tags = {1: "{%tr for r in appendix %}", 2: "{%tr if r.kind == 'area' and columns.tt %}",
            4: "{%tr elif r.kind == 'area' %}", 6: "{%tr else %}", 8: "{%tr endif %}", 9: "{%tr endfor %}"}
    for i, text in tags.items():
        table.rows[i].cells[0].paragraphs[0].style = st.cell
        table.rows[i].cells[0].paragraphs[0].add_run(text)
    area = table.rows[3]
    area.cells[0].paragraphs[0].style = st.cell_c
    area.cells[0].paragraphs[0].add_run("{{ r.tt }}").bold = True
    area.cells[1].paragraphs[0].style = st.cell
    area.cells[1].paragraphs[0].add_run("{% colspan columns.span %}{{r r.task }}")
    for tc in area._tr.tc_lst[2:]:  # the spanned cell stands for every column after TT
        area._tr.remove(tc)
    whole = table.rows[5]
    whole.cells[0].paragraphs[0].style = st.cell
    whole.cells[0].paragraphs[0].add_run("{% colspan columns.count %}{{r r.task }}")
    for tc in whole._tr.tc_lst[1:]:
        whole._tr.remove(tc)
    task = table.rows[7]
    for c, text in zip(task.cells, ("{%tc for c in r.cells %}", "{{r c.rt }}", "{%tc endfor %}")):
        c.paragraphs[0].style = st.cell
        c.paragraphs[0].add_run(text)
    task.cells[2].merge(task.cells[3])
    for row in (area, whole, task):  # a row breaks across pages only if taller than a page
        row_flag(row, "w:cantSplit")
    for row in (area, whole):  # an area's row stays with its first task (Word; LibreOffice ignores it)
        for c in row.cells:
            for par in c.paragraphs:
                par.paragraph_format.keep_with_next = True


def build_plan(out: Path) -> None:
    """templates/ke-hoach-cchc.docx: the Kế hoạch (kinds kh, kh-chu-tich)."""
    doc, st = new_document()
    header_block(doc, st)
    title_block(doc, st, "{{ labels.ten_loai }}", "{{ labels.trich_yeu }}")
    opening(doc, st)  # legal bases and the enacting sentence
    body_loop(doc, st)
    signature_block(doc, st)
    appendix(doc, st)
    save(doc, out)


def build_decision(out: Path) -> None:
    """templates/quyet-dinh-cchc.docx: the Quyết định that issues the plan, the plan attached to it (its
    own section: issuing body and motto, no number or date; its reference to the QĐ), and the appendix
    (kind qd; ND 30 Phụ lục III, Mẫu 1.2/1.3)."""
    doc, st = new_document()
    header_block(doc, st, number="{{ labels.qd_so }}")
    title_block(doc, st, "{{ labels.qd_ten_loai }}", "{{ labels.qd_trich_yeu }}")
    competence = add(doc, "{{ labels.tham_quyen }}", st.title)
    competence.paragraph_format.space_before = Pt(12)
    competence.paragraph_format.keep_with_next = True
    # The QĐ's căn cứ: italic, each on its own line (ND 30 II.6)
    can_cu = para_style(doc, "QD Can cu", italic=True)
    add(doc, "{%p for p in preamble %}", st.tag)
    add(doc, "{{r p }}", can_cu)
    add(doc, "{%p endfor %}", st.tag)
    add(doc, "{{r ban_hanh }}", can_cu)  # "Theo đề nghị của Giám đốc Sở Nội vụ …"
    decide = add(doc, "{{ labels.quyet_dinh }}", st.title)
    decide.paragraph_format.space_before = Pt(12)
    decide.paragraph_format.space_after = Pt(6)
    decide.paragraph_format.keep_with_next = True
    # "Điều N." bold, indented as the body (ND 30: bold, indented 1 or 1.27 cm); the builder bolds it
    add(doc, "{%p for a in articles %}", st.tag)
    add(doc, "{{r a }}", st.body)
    add(doc, "{%p endfor %}", st.tag)
    signature_block(doc, st)

    # The plan, issued with the QĐ: its own section, pages numbered from 1
    new_section(doc, st, landscape=False)
    header_block(doc, st, numbered=False)
    title_block(doc, st, "{{ labels.ten_loai }}", "{{ labels.trich_yeu }}", "{{ labels.kem_theo }}")
    body_loop(doc, st)
    appendix(doc, st)
    save(doc, out)


def build_commune(out: Path) -> None:
    """templates/ke-hoach-cchc-xa.docx: the Kế hoạch of an Ủy ban nhân dân cấp xã (kind kh-xa): the same
    parts as the province's plan, the opening in place of the căn cứ, and no appendix."""
    doc, st = new_document()
    header_block(doc, st)
    # the date line at 13 pt (ND 30: 13–14): a commune's name is often longer than a province's
    doc.tables[0].cell(1, 1).paragraphs[0].style = st.head13
    title_block(doc, st, "{{ labels.ten_loai }}", "{{ labels.trich_yeu }}")
    opening(doc, st)  # "Thực hiện Kế hoạch số … của Ủy ban nhân dân tỉnh …;" and "… ban hành …"
    body_loop(doc, st)
    signature_block(doc, st)
    save(doc, out)


def build_department(out: Path) -> None:
    """templates/ke-hoach-so.docx: the Kế hoạch of a department (kinds so-cchc, so-tuyen-truyen): its
    superior body, not bold, over its own name, bold (ND 30 II.2); the opening that implements the
    province's plan; the body; the signature without "TM."; no appendix."""
    doc, st = new_document()
    header_block(doc, st, superior=True)
    hdr = doc.tables[0]
    hdr.cell(1, 1).paragraphs[0].style = st.head13  # the date line at 13 pt, as a commune's
    # ô 2 at 12 pt (ND 30: 12–13) in a wider column, 17 cm in all, centred (0.75 cm into each margin, as
    # ND 30's Mẫu 1.4 header reaches 0.35 cm into the left one): "SỞ KHOA HỌC VÀ CÔNG NGHỆ" (6.5 cm at
    # 12 pt) and the Quốc hiệu (9.5 cm at 13 pt; 8.8 cm at 12 pt) do not fit 15.5 cm side by side, and a
    # Quốc hiệu on two lines is worse than a header a little wider than the text
    head12 = para_style(doc, "KH Header 12", size=12, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False, before=0)
    widths(hdr, (6.9, 10.1))
    left = hdr.cell(0, 0)
    for par in left.paragraphs:
        par.style = head12
        for ind in par._p.xpath("./w:pPr/w:ind"):  # the rule under the name: ~2.4 cm, centred
            ind.set(qn("w:left"), str(int(Cm(2.2).twips)))
            ind.set(qn("w:right"), str(int(Cm(2.2).twips)))
    hdr.cell(1, 0).paragraphs[0].style = st.head13
    title_block(doc, st, "{{ labels.ten_loai }}", "{{ labels.trich_yeu }}")
    opening(doc, st)
    body_loop(doc, st)
    signature_block(doc, st)
    save(doc, out)


def save(doc, out: Path) -> None:
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


BUILDS = {"ke-hoach-cchc.docx": build_plan, "quyet-dinh-cchc.docx": build_decision,
          "ke-hoach-cchc-xa.docx": build_commune, "ke-hoach-so.docx": build_department}

if __name__ == "__main__":
    # python tools/build_template.py [templates/]: every template, into that folder
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "templates")
    for name, build in BUILDS.items():
        build(folder / name)
