"""The fast render path (drafter.render) writes exactly what the plain docxtpl/python-docx path writes.

The oracle, `_plain_docx`, is the path as it stood before: docxtpl opens the whole template
(python-docx parses every part), renders it, drafter's steps go through python-docx's own API, and
zipfile writes and deflates every part. Each shortcut is also held to the library code it stands in for.
"""

from __future__ import annotations

import io
import json
import random
import re
import types
import zipfile
from pathlib import Path

import pytest
from docx.enum.text import WD_COLOR_INDEX
from docx.opc.pkgwriter import PackageWriter
from docx.oxml.ns import nsdecls, qn
from docx.oxml.parser import parse_xml
from docx.text.paragraph import Paragraph
from docx.text.run import Run as DocxRun
from docxtpl import DocxTemplate
from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment
from lxml import etree

from drafter import cache, docx_package, pipeline, provenance, render
from drafter.cli import issue_refs
from drafter.context import as_dict

ROOT = Path(__file__).resolve().parent.parent


# --------------------------------------------------------------------------- the oracle


class _PlainTemplate(DocxTemplate):
    def fix_tables(self, xml):
        bad = render.NOT_XML.search(xml)
        if bad is not None:
            raise ValueError(f"U+{ord(bad.group()):04X}")
        return etree.fromstring(xml, parser=etree.XMLParser(recover=True))


def _plain_column_widths(tpl, ctx) -> None:
    tables = tpl.docx.element.body.findall(qn("w:tbl"))
    if not tables or not ctx.columns:
        return
    tbl = tables[-1]
    twips = [int(c.width * 567) for c in ctx.columns]
    grid = tbl.find(qn("w:tblGrid"))
    for col in list(grid):
        grid.remove(col)
    for w in twips:
        grid.append(grid.makeelement(qn("w:gridCol"), {qn("w:w"): str(w)}))
    centred = [c.align == "center" for c in ctx.columns]
    for i, tr in enumerate(tbl.iterfind(qn("w:tr"))):
        tcs = tr.findall(qn("w:tc"))
        task_row = i > 0 and len(tcs) == len(twips)
        pos = 0
        for tc in tcs:
            props = tc.find(qn("w:tcPr"))
            if props is None:
                props = tc.makeelement(qn("w:tcPr"), {})
                tc.insert(0, props)
            sp = props.find(qn("w:gridSpan"))
            span = int(sp.get(qn("w:val"))) if sp is not None else 1
            width = props.find(qn("w:tcW"))
            if width is None:
                width = props.makeelement(qn("w:tcW"), {})
            props.insert(0, width)
            width.set(qn("w:w"), str(sum(twips[pos:pos + span])))
            width.set(qn("w:type"), "dxa")
            if task_row and centred[pos]:
                for p in tc.iterfind(qn("w:p")):
                    _plain_centre(p)
            pos += span


def _plain_centre(p) -> None:
    props = p.find(qn("w:pPr"))
    if props is None:
        props = p.makeelement(qn("w:pPr"), {})
        p.insert(0, props)
    el = props.find(qn("w:jc"))
    if el is None:
        el = props.makeelement(qn("w:jc"), {})
        mark = props.find(qn("w:rPr"))
        if mark is not None:
            mark.addprevious(el)
        else:
            props.append(el)
    el.set(qn("w:val"), "center")


def _plain_comment_checks(tpl, ctx) -> None:
    checks: dict[str, list[str]] = {}
    for c in ctx.checks:
        checks.setdefault(c.text, []).append(c.what)
    if not checks:
        return
    doc = tpl.docx
    stamp = f"{(ctx.date or ctx.as_of).isoformat()}T00:00:00Z"
    for r_el in doc.element.body.xpath(f'.//w:r[w:rPr/w:rStyle/@w:val="{render.CHECK_STYLE}"]'):
        run = DocxRun(r_el, Paragraph(r_el.getparent(), doc))
        run.font.highlight_color = WD_COLOR_INDEX.YELLOW
        queue = checks.get(run.text)
        what = queue.pop(0) if queue and len(queue) > 1 else (queue[0] if queue else None)
        if what:
            comment = doc.add_comment(run, text=what, author=render.COMMENT_AUTHOR, initials="DR")
            comment._comment_elm.set(qn("w:date"), stamp)


class _PlainZip:
    def __init__(self, buf: io.BytesIO) -> None:
        self._zip = zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED)

    def write(self, pack_uri, blob: bytes) -> None:
        info = zipfile.ZipInfo(pack_uri.membername, docx_package.ZIP_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o600 << 16
        self._zip.writestr(info, blob)

    def close(self) -> None:
        self._zip.close()


def _plain_save(package) -> bytes:
    for part in package.parts:
        part.before_marshal()
    buf = io.BytesIO()
    writer = _PlainZip(buf)
    parts = list(package.parts)
    PackageWriter._write_content_types_stream(writer, parts)
    PackageWriter._write_pkg_rels(writer, package.rels)
    PackageWriter._write_parts(writer, parts)
    writer.close()
    return buf.getvalue()


def _plain_docx(template: bytes, ctx) -> bytes:
    context = render.template_context(ctx)
    tpl = _PlainTemplate(io.BytesIO(template))
    tpl.init_docx()
    tpl.render(context, jinja_env=SandboxedEnvironment(autoescape=True, undefined=StrictUndefined), autoescape=True)
    _plain_column_widths(tpl, ctx)
    render._title_rule(tpl, ctx)
    render._keep_with_signature(tpl)
    _plain_comment_checks(tpl, ctx)
    render._properties(tpl, ctx)
    tpl.pre_processing()
    return _plain_save(tpl.docx.part.package)


def _fast_docx(template: bytes, ctx, monkeypatch, warm: bool) -> bytes:
    """render_docx with the per-template cache cold (computed here), or warm: read back from the
    cache folder."""
    if warm:
        render.render_docx(template, ctx)  # the cache folder has the template's entries now
    else:
        monkeypatch.setenv("DRAFTER_CACHE_DIR", "off")
    monkeypatch.setattr(cache, "_CODE", {})
    out = render.render_docx(template, ctx)
    monkeypatch.undo()
    return out


def _members(docx: bytes) -> list[tuple[str, bytes]]:
    z = zipfile.ZipFile(io.BytesIO(docx))
    return [(i.filename, z.read(i)) for i in z.infolist()]


PLANS = {
    "Kon Tum 2024": lambda d: pipeline.plan_context(d, "Kon Tum", 2024),
    "Tuyên Quang 2026 (9 columns)": lambda d: pipeline.plan_context(d, "Tuyên Quang", 2026),
    "Nam Định 2024 (no TT)": lambda d: pipeline.plan_context(d, "Nam Định", 2024),
    "Nam Định 2024 kh-chu-tich": lambda d: pipeline.plan_context(d, "Nam Định", 2024, kind="kh-chu-tich"),
    "Kon Tum 2024 qd": lambda d: pipeline.plan_context(d, "Kon Tum", 2024, None, None, "qd",
                                                       *issue_refs(2024, None, None, "125/TTr-SNV 2023-12-10", None)),
    "Tịnh Khê 2027 (commune)": lambda d: pipeline.commune_context(d, "Tịnh Khê", 2027, "Quảng Ngãi"),
    "Sở Nội vụ 2022 (department)": lambda d: pipeline.department_context(d, "Sở Nội vụ", None, "Quảng Ngãi", 2022),
    "Sở KH&CN 2022 tuyên truyền": lambda d: pipeline.department_context(d, "Sở Khoa học và Công nghệ",
                                                                        "tuyen-truyen", "Quảng Ngãi", 2022),
}


@pytest.mark.parametrize("name", list(PLANS))
def test_the_fast_path_writes_the_plain_paths_bytes(data, name, monkeypatch):
    ctx = PLANS[name](data)
    template = pipeline.template_bytes(data, pipeline.kind_of(data, ctx.kind))
    plain = _plain_docx(template, ctx)
    for warm in (False, True):
        fast = _fast_docx(template, ctx, monkeypatch, warm)
        if fast != plain:  # name the member that differs
            assert _members(fast) == _members(plain), f"warm={warm}"
        assert fast == plain, f"warm={warm}"


def _edited_template() -> bytes:
    """The KH template as Word might have saved it: its own XML declaration and line breaks (python-docx
    re-serialises such parts differently), a namespace declared again inside the body, and a header
    holding a tag (rendered per plan)."""
    src = zipfile.ZipFile(ROOT / "templates/ke-hoach-cchc.docx")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            blob = src.read(info)
            if info.filename in ("word/styles.xml", "word/settings.xml"):
                blob = re.sub(rb"^<\?xml[^>]*\?>", b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n', blob)
                blob = blob.replace(b"><w:", b">\r\n<w:", 40)
            if info.filename == "word/document.xml":  # a redundant declaration in the body: moved, it is dropped
                blob = blob.replace(b"<w:p>", b'<w:p xmlns:w14="http://schemas.microsoft.com/office/word/2010/wordml">', 1)
                assert b"<w:p xmlns:w14" in blob
            if info.filename == "word/header1.xml":
                blob = blob.replace(b"<w:t>2</w:t>", b"<w:t>{{ date_line }}</w:t>")
                assert b"date_line" in blob
            dst.writestr(info.filename, blob)
    return out.getvalue()


def test_a_template_saved_by_word_and_a_header_with_a_tag(data, monkeypatch):
    template = _edited_template()
    plan = render._package_plan(template)
    assert "word/styles.xml" in plan["static"] and "word/header2.xml" in plan["static"]
    assert "word/header1.xml" not in plan["static"]  # it has a tag
    ctx = pipeline.plan_context(data, "Kon Tum", 2024)
    plain = _plain_docx(template, ctx)
    for warm in (False, True):
        fast = _fast_docx(template, ctx, monkeypatch, warm)
        assert _members(fast) == _members(plain)
        assert fast == plain
    header = dict(_members(plain))["word/header1.xml"].decode()
    assert ctx.date_line in header


def test_the_rendered_body_is_parsed_in_its_document(data):
    """The shipped templates take the short way (no move of the body into the document); the edited
    one, with a declaration below the body, the long one."""
    for kind in data.kinds.values():
        t = render._open(pipeline.template_bytes(data, kind))[0]
        assert t._framed(t.get_xml()) is not None, kind.id
    t = render._open(_edited_template())[0]
    assert t.frame is not None and t._framed(t.get_xml()) is None


@pytest.mark.parametrize("end", ["</w:body><w:x/>", "</w:body>text", "</w:body></w:body>"])
def test_a_body_closed_early_is_parsed_as_before(data, end):
    """Rendered XML that closes the body before its end is not well-formed alone, but would be in the
    document's frame: it goes the plain way (refused, or repaired by the recovering parser)."""
    t = render._open(pipeline.template_bytes(data, pipeline.kind_of(data, "kh")))[0]
    xml = t.get_xml()
    assert xml.endswith("</w:body>")
    xml = xml[:-len("</w:body>")] + end
    tree = t.fix_tables(xml)
    assert tree.getparent() is None  # not the framed document
    assert etree.tostring(tree) == etree.tostring(etree.fromstring(xml, parser=etree.XMLParser(recover=True)))


@pytest.mark.parametrize("blob", [b"this is not a zip", None])
def test_a_corrupt_template_is_reported_as_before(kontum_2024, blob):
    """The error names what python-docx raises when it opens the file (the plain path's message)."""
    blob = blob if blob is not None else _members_zip([("[Content_Types].xml", b"<Types/>")])
    try:
        DocxTemplate(io.BytesIO(blob)).init_docx()
    except Exception as exc:
        expected = type(exc).__name__
    with pytest.raises(render.DataError, match=rf"not a readable Word \.docx file \({expected}\)"):
        render.render_docx(blob, kontum_2024.context)


def _members_zip(members: list[tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, blob in members:
            z.writestr(name, blob)
    return out.getvalue()


# --------------------------------------------------------------------------- the writer


def _zipfile_bytes(members: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    writer = _PlainZip(buf)

    class Uri:
        def __init__(self, name: str) -> None:
            self.membername = name

    for name, blob in members:
        writer.write(Uri(name), blob)
    writer.close()
    return buf.getvalue()


def test_the_zip_writer_writes_what_zipfile_writes():
    rnd = random.Random(7)
    members = [("[Content_Types].xml", b"<Types/>"), ("empty", b""), ("word/document.xml", b"<w:p>x</w:p>" * 5000),
               ("word/media/ảnh.bin", bytes(rnd.randrange(256) for _ in range(3000))),
               ("docProps/core.xml", "ngày tháng năm".encode() * 50)]
    z = docx_package._Zip()
    for i, (name, blob) in enumerate(members):
        if i % 2:
            z.add(name, *docx_package.deflate(blob))  # taken deflated, as from the cache
        else:
            z.write(type("Uri", (), {"membername": name})(), blob)
    assert z.close() == _zipfile_bytes(members)


def test_save_deterministic_of_a_plain_package_is_unchanged(kontum_2024):
    """diff.py saves python-docx documents with it (no static parts)."""
    from docx import Document

    doc = Document(io.BytesIO(kontum_2024.docx))
    plain = _plain_save(Document(io.BytesIO(kontum_2024.docx)).part.package)
    assert docx_package.save_deterministic(doc.part.package) == plain


# --------------------------------------------------------------------------- docxtpl's steps


@pytest.fixture()
def tpl(data):
    template = pipeline.template_bytes(data, pipeline.kind_of(data, "kh"))
    return render._open(template)[0]


LISTING = ['<w:p><w:pPr><w:jc w:val="center"/></w:pPr><w:r><w:rPr><w:b/></w:rPr>'
           '<w:t xml:space="preserve">a\nb\tc</w:t></w:r></w:p>',
           "<w:p><w:r><w:t>plain</w:t></w:r></w:p>", "<w:p><w:r><w:t>x\ay\fz</w:t></w:r><w:r><w:t>q</w:t></w:r></w:p>",
           '<w:p w:rsidR="1"><w:r><w:t xml:space="preserve"/></w:r><w:r><w:t>\n</w:t></w:r></w:p>',
           "<w:tbl><w:tr><w:tc><w:p><w:r><w:t>in\ncell</w:t></w:r></w:p></w:tc></w:tr></w:tbl>", "<w:p/>"]


@pytest.mark.parametrize("seed", range(20))
def test_resolve_listing_is_docxtpls(tpl, seed):
    rnd = random.Random(seed)
    xml = "<w:body>" + "".join(rnd.choice(LISTING) for _ in range(rnd.randrange(1, 12))) + "</w:body>"
    assert tpl.resolve_listing(xml) == DocxTemplate.resolve_listing(tpl, xml)


def test_render_xml_part_is_docxtpls(tpl, kontum_2024):
    env = render.jinja_env()
    context = render.template_context(kontum_2024.context)
    src = tpl.patch_xml(tpl.get_xml())
    assert tpl.render_xml_part(src, tpl.docx.part, context, env) == DocxTemplate.render_xml_part(
        tpl, src, tpl.docx.part, context, env)
    odd = src.replace("<w:body>", "<w:body><w:p><w:r><w:t>{_{ x }_} {_% y %_}</w:t></w:r></w:p>", 1)
    assert tpl.render_xml_part(odd, None, context, env) == DocxTemplate.render_xml_part(tpl, odd, None, context, env)


def test_render_properties_is_docxtpls(data):
    template = pipeline.template_bytes(data, pipeline.kind_of(data, "kh"))
    values = {"author": "{{ x }}", "comments": "plain", "identifier": "", "language": "line\n", "subject": "a\rb",
              "title": "{# c #}t"}
    done = []
    for method in (render._Template.render_properties, DocxTemplate.render_properties):
        t = render._open(template)[0]
        for prop, value in values.items():
            setattr(t.docx.core_properties, prop, value)
        method(t, {"x": "X"}, render.jinja_env())
        done.append(t.docx.core_properties._element.xml)
    assert done[0] == done[1]


def test_fix_docpr_ids_is_docxtpls(tpl):
    wp = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
    xml = (f'<w:body {nsdecls("w")} xmlns:wp="{wp}">' + '<w:p><w:r><wp:docPr id="1" name="a"/></w:r></w:p>' * 3
           + '<wp:docPr id="9"/></w:body>')
    trees = [etree.fromstring(xml), etree.fromstring(xml)]
    tpl.docx_ids_index = 1000  # as render_init sets it
    tpl.fix_docpr_ids(trees[0])
    tpl.docx_ids_index = 1000
    DocxTemplate.fix_docpr_ids(tpl, trees[1])
    assert etree.tostring(trees[0]) == etree.tostring(trees[1])


#: a template whose document has no frame (fix_tables then parses the rendered XML alone)
_UNFRAMED = types.SimpleNamespace(_framed=lambda xml: None)


@pytest.mark.parametrize("char", [chr(c) for c in range(0x20) if c not in (9, 10, 13)]
                         + ["\ud800", "\udfff", "\ufffe", "\uffff"])
def test_every_character_xml_cannot_hold_is_refused(char):
    """fix_tables tries a strict parse first: it must refuse each of them, the search then names it."""
    for xml in (f'<w:body xmlns:w="urn:w"><w:t>a {char} &lt;b&gt;</w:t></w:body>',
                f'<w:body xmlns:w="urn:w"><w:t w:a="{char}">a</w:t></w:body>'):
        with pytest.raises(render.DataError, match=f"U\\+{ord(char):04X}"):
            render._Template.fix_tables(_UNFRAMED, xml)  # type: ignore[arg-type]


def test_a_well_formed_body_parses_as_the_recovering_parser_does(kontum_2024):
    from docx import Document

    body = Document(io.BytesIO(kontum_2024.docx)).element.body
    xml = etree.tostring(body, encoding="unicode")
    assert etree.tostring(render._Template.fix_tables(_UNFRAMED, xml)) == etree.tostring(
        etree.fromstring(xml, parser=etree.XMLParser(recover=True)))


# --------------------------------------------------------------------------- drafter's own steps


W = nsdecls("w")
TEXTS = ["Kiểm tra số liệu", "a & b < c > d \"q\" 'p'", " leading", "trailing ", "two\nlines", "tab\there", "cr\rhere",
         "x", "  ", "ends\n"]
RPRS = ['<w:rStyle w:val="KHCheck"/>', '<w:rStyle w:val="KHCheck"/><w:b/><w:i/>',
        '<w:rStyle w:val="KHCheck"/><w:sz w:val="20"/>', '<w:rStyle w:val="KHCheck"/><w:u w:val="single"/>',
        '<w:rStyle w:val="KHCheck"/><w:highlight w:val="green"/>']


def _body(rprs: list[str]) -> str:
    runs = "".join(f'<w:r><w:rPr>{rpr}</w:rPr><w:t xml:space="preserve">……</w:t></w:r><w:r><w:t>x</w:t></w:r>'
                   for rpr in rprs)
    return f'<w:document {W}><w:body><w:p>{runs}</w:p><w:p><w:r><w:rPr>{RPRS[1]}</w:rPr><w:t>a</w:t><w:tab/>' \
           f'<w:t>b</w:t><w:br/></w:r></w:p></w:body></w:document>'


@pytest.mark.parametrize("seed", range(25))
def test_comments_and_highlights_are_python_docxs(seed, kontum_2024, monkeypatch):
    """_comment_checks against python-docx's add_comment and highlight, on runs with other properties,
    texts python-docx writes in several runs or paragraphs, and a template with comments of its own."""
    from docx import Document

    rnd = random.Random(seed)
    rprs = [rnd.choice(RPRS) for _ in range(rnd.randrange(1, 7))]
    texts = [rnd.choice(TEXTS) for _ in rprs] + [rnd.choice(TEXTS)]
    ctx = kontum_2024.context
    checks = [type("Check", (), {"text": t, "what": w})() for t, w in zip(["……"] * len(rprs) + ["a\tb\n"], texts)]
    monkeypatch.setattr(type(ctx), "checks", property(lambda self: list(checks)))
    out = []
    for step in (render._comment_checks, _plain_comment_checks):
        doc = Document(io.BytesIO(kontum_2024.docx))  # holds comments already: ids go on from them
        body = parse_xml(_body(rprs)).find(qn("w:body"))
        doc.element.replace(doc.element.body, body)
        step(type("T", (), {"docx": doc})(), ctx)
        out.append((doc.element.xml, doc.part._comments_part.element.xml))
    assert out[0] == out[1]


def test_column_widths_are_the_plain_steps(data, monkeypatch):
    from docx import Document

    for name in ("Kon Tum 2024", "Tuyên Quang 2026 (9 columns)", "Nam Định 2024 (no TT)"):
        ctx = PLANS[name](data)
        template = pipeline.template_bytes(data, pipeline.kind_of(data, ctx.kind))
        t = render._open(template)[0]
        t.render(render.template_context(ctx), jinja_env=render.jinja_env(), autoescape=True)
        rendered = _plain_save(t.docx.part.package)
        docs = [Document(io.BytesIO(rendered)), Document(io.BytesIO(rendered))]
        render._column_widths(docs[0].element.body, ctx.columns)
        _plain_column_widths(type("T", (), {"docx": docs[1]})(), ctx)
        assert docs[0].element.xml == docs[1].element.xml, name


# --------------------------------------------------------------------------- provenance


def test_provenance_loads_as_the_indented_dump(data):
    for name in PLANS:
        rec = provenance.record(PLANS[name](data))
        old = json.dumps(rec, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
        new = provenance.to_json(rec).decode("utf-8")
        assert json.loads(new) == json.loads(old), name
        items = [line for line in new.splitlines() if line.startswith("  ")]  # one paragraph or row a line
        assert len(items) == len(rec["paragraphs"]) + len(rec["rows"]) + len(rec["dropped"]), name


def test_provenance_sources_are_as_dict(kontum_2024):
    ctx = kontum_2024.context
    for item in [*ctx.preamble, ctx.ban_hanh, *ctx.body, *ctx.extras, *ctx.appendix]:
        assert provenance._source(item.source) == as_dict(item.source)
    odd = type(ctx.ban_hanh.source)(kind="row", id="x", layer="national", file=None, line=None)
    assert provenance._source(odd) == as_dict(odd) == {"kind": "row", "id": "x", "layer": "national"}
