"""Render a PlanContext into the Word template, safely and reproducibly.

- Jinja runs sandboxed (a template edited in Word cannot reach Python objects, files or the shell),
  with autoescape (text with & < > stays text) and StrictUndefined (a missing value is an error).
- Unverified facts become yellow-highlighted runs carrying a Word comment that says what to check.
- Characters XML cannot hold (control characters) are refused, located at the text holding them: let
  through, the XML parser's recovery would drop them and, silently, every escaped `<`, `>`, `"`, `&`
  after them (`drafter check` refuses them in the data already).
- The .docx bytes depend only on the inputs: fixed zip times, properties taken from the plan.
- Speed, with the bytes the plain docxtpl/python-docx path writes (tests/test_render_fast.py holds the
  two to each other): what depends on the template alone is worked out once per template and kept by
  drafter.cache.memo — how python-docx reads the package, and the written, deflated bytes of every
  part no plan changes (styles, theme, numbering, settings, fonts, headers without tags …): those are
  neither read, parsed, serialised nor deflated per draft (drafter.docx_package opens and writes the
  package from that plan). The rendered body is parsed inside the
  document rather than moved into it, and python-docx's per-element helpers give way to plain lxml
  where they cost most (comments, highlights, the appendix's widths).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zlib
from html import escape
from types import CodeType
from typing import Any, Mapping

from docx.enum.text import WD_COLOR_INDEX
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.part import XmlPart
from docx.oxml.ns import qn
from docx.oxml.parser import element_class_lookup, parse_xml
from docx.text.paragraph import Paragraph
from docx.text.run import Run as DocxRun
from docxtpl import DocxTemplate, RichText
from jinja2 import Environment, StrictUndefined, Template, TemplateError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment, SecurityError
from lxml import etree

from .context import Column, Para, PlanContext, Run
from .docx_package import Member, StaticPart, deflate, save_deterministic, unmarshal
from .errors import DataError, Location

COMMENT_AUTHOR = "drafter"
CHECK_STYLE = "KHCheck"  # character style of the template: yellow highlight


class _Env(SandboxedEnvironment):
    """The template's sandbox. docxtpl compiles the document XML on every render (~30 ms); the
    compiled code is kept per process and, through drafter.cache, across runs."""

    def compile(self, source, name=None, filename=None, raw=False, defer_init=False):  # type: ignore[override]
        if raw or defer_init or not isinstance(source, str):
            return super().compile(source, name, filename, raw, defer_init)
        from .cache import memo

        return memo("code", source, lambda: super(_Env, self).compile(source, name, filename), CodeType)


class _Template(DocxTemplate):
    """docxtpl's template, with its pure steps made cheap. `patch_xml` (regex clean-up of the
    template's XML, ~10 ms) depends only on the template, so it is memoised like the compiled code;
    the other overrides skip work that would return its input unchanged, or use plain string
    operations where docxtpl uses regular expressions with the same effect."""

    _LISTING = re.compile(r"<w:t(?: [^>]*)?>[^<]*[\t\a\n\f]")
    _PARAGRAPH = re.compile(r"<w:p(?: [^>]*)?>.*?</w:p>", re.DOTALL)  # as docxtpl's resolve_listing finds them

    def patch_xml(self, src_xml: str) -> str:
        from .cache import memo

        return memo("patch", src_xml, lambda: super(_Template, self).patch_xml(src_xml), str)

    def render_xml_part(self, src_xml: str, part: Any, context: Any, jinja_env: Any = None) -> str:
        """docxtpl's render_xml_part; its `re.sub(r"<w:p([ >])", …)` pair done with str.replace
        (same result: the matches cannot overlap), ~0.7 ms less on a plan."""
        src_xml = src_xml.replace("<w:p ", "\n<w:p ").replace("<w:p>", "\n<w:p>")
        try:
            self.current_rendering_part = part
            template = jinja_env.from_string(src_xml) if jinja_env else Template(src_xml)
            dst_xml = template.render(context)
        except TemplateError as exc:
            if hasattr(exc, "lineno") and exc.lineno is not None:
                line_number = max(exc.lineno - 4, 0)
                exc.docx_context = map(lambda x: re.sub(r"<[^>]+>", "", x),  # type: ignore[attr-defined]
                                       src_xml.splitlines()[line_number:(line_number + 7)])
            raise exc
        dst_xml = dst_xml.replace("\n<w:p ", "<w:p ").replace("\n<w:p>", "<w:p>")
        if "_" in dst_xml and ("{_" in dst_xml or "_}" in dst_xml):  # one character: a much faster search
            dst_xml = dst_xml.replace("{_{", "{{").replace("}_}", "}}").replace("{_%", "{%").replace("%_}", "%}")
        return self.resolve_listing(dst_xml)

    def fix_tables(self, xml: str) -> Any:
        """docxtpl spreads the width of looped columns evenly (~3 ms); drafter sets the appendix's
        grid from the plan's shape right after rendering (_column_widths), so only parse here.
        A character XML cannot hold is refused: lxml's recovering parser would drop it and, from
        there on, every entity (`&lt;`, `&gt;`, `&quot;`, `&amp;`) of the document. A strict parse
        refuses every such character, so the search for it runs only when that parse fails; a
        well-formed document parses the same either way."""
        framed = self._framed(xml)
        if framed is not None:  # the whole document: map_tree then needs not move the body into it
            parser = etree.XMLParser()
            parser.set_element_class_lookup(element_class_lookup)
            try:
                root = etree.fromstring(framed, parser=parser)
            except Exception:
                root = None
            body = root.find(_BODY) if root is not None else None
            # the body closed where the rendered XML ends (else the plain parse below refuses or repairs it)
            if body is not None and len(root) == self.frame[3] and body.tail is None:  # type: ignore[index]
                return body
        try:
            return etree.fromstring(xml, parser=etree.XMLParser())
        except Exception:
            pass
        bad = NOT_XML.search(xml)
        if bad is not None:
            near = re.sub(r"<[^>]+>", "", xml[max(0, bad.start() - 300):bad.start()])[-60:]
            raise DataError(f"the document would hold the control character U+{ord(bad.group()):04X} (after {near!r})",
                            None, "remove it from the data text it comes from (`drafter check` locates it)")
        return etree.fromstring(xml, parser=etree.XMLParser(recover=True))

    #: the template's document around its body: head, tail, namespaces, children (_package_plan)
    frame: tuple[str, str, dict[str, str], int] | None = None

    def _framed(self, body: str) -> str | None:
        """The rendered body in the template's document, as a string, when parsing it there gives
        the tree that moving the parsed body into the document gives (docxtpl's map_tree): the body
        declares exactly the document's namespaces (the move drops them as redundant) and nothing
        below it declares any (the move would drop those that are redundant too)."""
        start = _BODY_TAG.match(body) if self.frame is not None else None
        if start is None:
            return None
        head, tail, namespaces, _ = self.frame  # type: ignore[misc]
        if dict(_XMLNS.findall(start.group(1))) != namespaces or body.find("xmlns", start.end()) != -1:
            return None
        return "".join((head, "<w:body>", body[start.end():], tail))

    def map_tree(self, tree: Any) -> None:
        parent = tree.getparent()
        if parent is None:
            super().map_tree(tree)
        else:  # parsed in the document's frame (_framed): that document becomes the part's
            part = self.docx.part
            part._element = parent
            self.docx = part.document

    def resolve_listing(self, xml: str) -> str:
        """docxtpl's resolve_listing (\\n, \\t … inside texts → Word breaks, ~14 ms) where it would
        change something: nowhere without such a character in a text, else in the paragraphs (its
        own unit of work, found by its own pattern) that hold one."""
        if not ("\n" in xml or "\t" in xml or "\a" in xml or "\f" in xml) or self._LISTING.search(xml) is None:
            return xml
        out, last = [], 0
        for m in self._PARAGRAPH.finditer(xml):
            para = m.group()
            if "\n" in para or "\t" in para or "\a" in para or "\f" in para:
                out += (xml[last:m.start()], super().resolve_listing(para))
                last = m.end()
        out.append(xml[last:])
        return "".join(out)

    def fix_docpr_ids(self, tree: Any) -> None:
        """docxtpl's renumbering of the drawings' ids, found by iter() rather than an XPath (//)."""
        for elt in tree.iter(_DOCPR):
            self.docx_ids_index += 1
            elt.attrib["id"] = str(self.docx_ids_index)

    def get_headers_footers(self, uri: str) -> Any:
        """The headers (footers) to render: not those the template alone decides (StaticPart)."""
        for rel_key, rel in self.docx._part.rels.items():
            if rel.reltype == uri and not isinstance(rel.target_part, StaticPart) and rel.target_part.blob:
                yield rel_key, rel.target_part

    def render_properties(self, context: Any, jinja_env: Any = None) -> None:
        """docxtpl renders the core properties as templates; a value without a tag renders as itself
        (Jinja changes only newlines: none such here), so only tagged values go through Jinja."""
        props = self.docx.core_properties
        for prop in ("author", "comments", "identifier", "language", "subject", "title"):
            initial = getattr(props, prop)
            if "{" in initial or "\r" in initial or initial.endswith("\n"):
                initial = (jinja_env or Environment()).from_string(initial).render(context)
            setattr(props, prop, initial)

    def render_footnotes(self, context: Any, jinja_env: Any = None) -> None:
        """docxtpl walks every part once per section looking for footnotes: only when there are some."""
        if any(p.content_type == _FOOTNOTES for p in self.docx.part.package.iter_parts()):
            super().render_footnotes(context, jinja_env)


_FOOTNOTES = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"
_BODY = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}body"
_BODY_TAG = re.compile(r'<w:body((?: xmlns:[\w.-]+="[^"<&]*")*)>')
_XMLNS = re.compile(r' xmlns:([\w.-]+)="([^"<&]*)"')
_DOCPR = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}docPr"


#: Characters XML 1.0 cannot hold (drafter.checks.BAD_CHARS refuses these and a few more in the data).
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _check_characters(ctx: PlanContext) -> None:
    """Every text of the plan holds only characters XML can hold; else a located error."""
    if NOT_XML.search("\n".join(_texts(ctx))) is None:  # one search; the located walk only on a find
        return

    def refuse(text: str, where: Location | str) -> None:
        bad = NOT_XML.search(text)
        if bad is not None:
            raise DataError(f"text holds the control character U+{ord(bad.group()):04X} at character {bad.start() + 1} "
                            f"(after {text[max(0, bad.start() - 20):bad.start()]!r}): a Word document cannot hold it",
                            where, "remove it (in YAML it is often an escape such as \"\\x01\" in a double-quoted string)")

    def para(p: Para) -> None:
        src = p.source
        where: Location | str = Location(src.file, src.line) if src.file else f"{src.kind} {src.id}"
        for r in p.runs:
            refuse(r.text, where)
            refuse(r.check or "", where)

    for key, text in ctx.labels.items():
        refuse(text, f"label '{key}'")
    refuse(ctx.date_line, "label 'date_line'")
    for p in [*ctx.preamble, ctx.ban_hanh, *ctx.articles, *ctx.body, *ctx.extras]:
        para(p)
    for text in [*ctx.noi_nhan, ctx.luu, ctx.signature.authority, ctx.signature.deputy or "", ctx.signature.title]:
        refuse(text, "nơi nhận / signature")
    for c in ctx.columns:
        refuse(c.label, f"appendix column '{c.key}'")
    for row in ctx.appendix:
        src = row.source
        where = Location(src.file, src.line) if src.file else f"{src.kind} {src.id}"
        for runs in row.cells.values():
            for r in runs:
                refuse(r.text, where)
                refuse(r.check or "", where)


def _texts(ctx: PlanContext) -> list[str]:
    """Every text `_check_characters` looks at (in no particular order)."""
    out: list[str] = [*ctx.labels.values(), ctx.date_line, *ctx.noi_nhan, ctx.luu, ctx.signature.authority,
                      ctx.signature.deputy or "", ctx.signature.title, *(c.label for c in ctx.columns)]
    for p in [*ctx.preamble, ctx.ban_hanh, *ctx.articles, *ctx.body, *ctx.extras]:
        for r in p.runs:
            out.append(r.text)
            out.append(r.check or "")
    for row in ctx.appendix:
        for runs in row.cells.values():
            for r in runs:
                out.append(r.text)
                out.append(r.check or "")
    return out


def jinja_env() -> SandboxedEnvironment:
    return _Env(autoescape=True, undefined=StrictUndefined)


def rich(runs: list[Run]) -> RichText:
    rt = RichText()
    for r in runs:
        rt.add(r.text, bold=r.bold, italic=r.italic, style=CHECK_STYLE if r.check else None)
    return rt


def template_context(ctx: PlanContext) -> dict[str, Any]:
    """The names the template uses; the kind's `template_names` (rulepacks/kinds.yaml) list them and
    `drafter check` compares the template's variables with that list."""
    sig = ctx.signature
    has_tt = any(c.key == "tt" for c in ctx.columns)
    return {
        "labels": ctx.labels,
        "date_line": ctx.date_line,
        "preamble": [rich(p.runs) for p in ctx.preamble],
        "ban_hanh": rich(ctx.ban_hanh.runs),
        "articles": [rich(p.runs) for p in ctx.articles],
        "body": [{"kind": p.kind, "lead": p.lead, "rt": rich(p.runs)} for p in ctx.body],
        "noi_nhan": ctx.noi_nhan,
        "luu": ctx.luu,
        "sig": {"authority": sig.authority, "deputy": sig.deputy, "title": sig.title, "name": rich([sig.name])},
        "columns": {"head": [c.label for c in ctx.columns], "tt": has_tt, "count": len(ctx.columns),
                    "span": len(ctx.columns) - 1 if has_tt else len(ctx.columns)},
        "appendix": [
            {"kind": row.kind, "tt": row.tt, "task": rich(row.cells.get("task", [])),
             "cells": [{"rt": rich([Run(text=row.tt)] if c.key == "tt" else row.cells.get(c.key, []))}
                       for c in ctx.columns]}
            for row in ctx.appendix
        ],
    }


def render_docx(template_bytes: bytes, ctx: PlanContext, template_name: str = "template") -> bytes:
    """Render and return the .docx bytes; raises DataError naming the template on any template error."""
    _check_characters(ctx)
    try:
        tpl, static = _open(template_bytes)
    except Exception:  # python-docx raises several types for a corrupt or non-.docx file
        try:  # opened the plain way, for python-docx's own error (and should the lazy way be at fault)
            tpl, static = _Template(io.BytesIO(template_bytes)), {}
            tpl.init_docx()  # docxtpl opens lazily; open now so a corrupt file is reported as such
        except Exception as exc:
            raise DataError(f"not a readable Word .docx file ({type(exc).__name__})", template_name,
                            "restore the template from the repository or re-save it in Word as .docx") from None
    try:
        tpl.render(template_context(ctx), jinja_env=jinja_env(), autoescape=True)
    except SecurityError as exc:
        raise DataError(f"template tried something unsafe: {exc}", template_name,
                        "templates may only show values; remove that expression") from None
    except UndefinedError as exc:
        raise DataError(f"template uses a value the plan does not provide: {exc.message}", template_name,
                        "run `drafter check` to list the template's variables") from None
    except TemplateError as exc:
        lineno = getattr(exc, "lineno", None)
        near = getattr(exc, "docx_context", None)
        detail = f" near: {' | '.join(near)[:200]}" if near else ""
        raise DataError(f"template error: {exc.message}{detail}", f"{template_name}" + (f" (line {lineno})" if lineno else ""),
                        "fix the {{ … }} / {% … %} tag in Word (run `drafter check`)") from None
    _column_widths(tpl.docx.element.body, ctx.columns)
    _title_rule(tpl, ctx)
    _keep_with_signature(tpl)
    _comment_checks(tpl, ctx)
    _properties(tpl, ctx)
    tpl.pre_processing()  # what DocxTemplate.save does before writing (a no-op without pictures)
    return save_deterministic(tpl.docx.part.package, static)


# --------------------------------------------------------------------------- opening the template

#: Parts whose bytes depend on the plan: the body, the core properties, the comments drafter adds,
#: footnotes (docxtpl renders them). Headers and footers are rendered unless they hold no tag.
_DYNAMIC = frozenset({CT.WML_DOCUMENT_MAIN, CT.OPC_CORE_PROPERTIES, CT.WML_COMMENTS, _FOOTNOTES})
_HDRFTR = (DocxTemplate.HEADER_URI, DocxTemplate.FOOTER_URI)


def _open(template: bytes) -> tuple["_Template", Mapping[str, Member]]:
    """The template as docxtpl opens it (`Document(…)`), from its package plan (a pure function of
    its bytes, kept by drafter.cache.memo): the parts `_static_members` lists are left unparsed."""
    from .cache import memo

    plan: Mapping[str, Any] = memo("docx", _static_key(template), lambda: _package_plan(template),
                                   lambda v: isinstance(v, dict) and v.keys() == _PLAN)
    part = unmarshal(plan, template).main_document_part
    if part.content_type != CT.WML_DOCUMENT_MAIN:  # as docx.Document checks
        raise ValueError(f"file is not a Word file, content type is '{part.content_type}'")
    tpl = _Template(io.BytesIO(template))
    tpl.docx = part.document
    tpl.frame = plan["frame"]
    return tpl, plan["static"]


_PLAN = {"static", "parts", "rels", "frame"}  # the keys of a package plan


def _static_key(template: bytes) -> str:
    """The memo key of a template's package plan: its bytes and what shapes the written bytes."""
    import docx

    return f"{docx.__version__}\0{etree.LXML_VERSION}\0{zlib.ZLIB_RUNTIME_VERSION}\0" + template.decode("latin-1")


def _package_plan(template: bytes) -> dict[str, Any]:
    """What python-docx's package reader makes of `template` — its parts (name, content type,
    relationship type, bytes) and relationships (source, type, id, external, target), in its order —
    with no bytes for the parts `_static_members` writes (under "static")."""
    from docx.opc.pkgreader import PackageReader

    static = _static_members(template)
    reader = PackageReader.from_file(io.BytesIO(template))
    parts = [(str(name), content_type, reltype, None if name.membername in static else blob)
             for name, content_type, reltype, blob in reader.iter_sparts()]
    rels = [(str(source), rel.reltype, rel.rId, rel.is_external,
             rel.target_ref if rel.is_external else str(rel.target_partname))
            for source, rel in reader.iter_srels()]
    main = next((blob for _, content_type, _, blob in parts if content_type == CT.WML_DOCUMENT_MAIN), None)
    return {"static": static, "parts": parts, "rels": rels, "frame": _frame(main) if main is not None else None}


def _frame(document: bytes) -> tuple[str, str, dict[str, str], int] | None:
    """The main document as python-docx parses it, serialised around its body (head, tail), the
    namespaces it declares and its number of children; None unless it has the shape
    _Template._framed relies on: a root declaring its namespaces, each once, and one w:body without
    attributes or declarations of its own."""
    from copy import deepcopy

    root = parse_xml(document)
    bodies = root.findall(_BODY)
    if len(bodies) != 1 or bodies[0].attrib or bodies[0].nsmap != root.nsmap:
        return None
    namespaces = dict(root.nsmap)
    if None in namespaces or len(set(namespaces.values())) != len(namespaces):
        return None
    copy = deepcopy(root)
    body = copy.find(_BODY)
    for child in list(body):
        body.remove(child)
    body.text = None
    text = etree.tostring(copy, encoding="unicode")
    if text.count("<w:body/>") != 1:
        return None
    head, tail = text.split("<w:body/>")
    return head, tail, namespaces, len(root)


def _static_members(template: bytes) -> dict[str, Member]:
    """Membername → deflated bytes of every part of `template` whose written bytes depend on the
    template alone, exactly as the plain path writes them: python-docx's re-serialised XML, and for
    a header or footer without any tag, docxtpl's rendering of it (the same for every plan)."""
    tpl = _Template(io.BytesIO(template))
    tpl.init_docx()
    doc_part = tpl.docx.part
    targets = [rel.target_part for rel in doc_part.rels.values() if rel.reltype in _HDRFTR and not rel.is_external]
    env = jinja_env()
    out: dict[str, Member] = {}
    for part in doc_part.package.iter_parts():
        if part.content_type in _DYNAMIC:
            continue
        blob = part.blob
        if any(t is part for t in targets) and blob:  # docxtpl renders it
            if sum(t is part for t in targets) > 1:
                continue  # related twice: docxtpl writes two copies of it
            xml = tpl.get_part_xml(part)
            if "{" in xml:
                continue  # a tag: rendered per plan
            encoding = tpl.get_headers_footers_encoding(xml)
            xml = tpl.render_xml_part(tpl.patch_xml(xml), part, {}, env)
            blob = XmlPart.load(part.partname, part.content_type, xml.encode(encoding), part.package).blob
        out[part.partname.membername] = deflate(blob)
    return out


#: Clark names of the WordprocessingML elements and attributes the steps below touch (qn() per use costs).
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_TBL, _TBLGRID, _GRIDCOL, _TR, _TC, _TCPR, _TCW, _GRIDSPAN = (_W + t for t in ("tbl", "tblGrid", "gridCol", "tr", "tc",
                                                                         "tcPr", "tcW", "gridSpan"))
_P, _PPR, _PSTYLE, _JC, _R, _RPR, _RSTYLE, _T = (_W + t for t in ("p", "pPr", "pStyle", "jc", "r", "rPr", "rStyle",
                                                                  "t"))
_VAL, _W_W, _W_TYPE, _ID = (_W + t for t in ("val", "w", "type", "id"))
#: the run content python-docx's Run.text reads (w:t's text, "\t", "\n", "-")
_TEXT_TAGS = frozenset(_W + t for t in ("br", "cr", "noBreakHyphen", "ptab", "t", "tab"))
#: run properties that come before w:highlight in the schema's order: after them it is appended
_BEFORE_HIGHLIGHT = frozenset({_RSTYLE, _W + "b", _W + "i"})


def _child(el: Any, tag: str) -> Any:
    """el.find(tag), its first child `tag`: checked first at index 0, where properties sit."""
    if len(el):
        first = el[0]
        if first.tag == tag:
            return first
    return el.find(tag)


def _comment_checks(tpl: DocxTemplate, ctx: PlanContext) -> None:
    """Attach a Word comment to each highlighted run, saying what the reader must verify."""
    # Several marks can share a text (two blanks "……"): each takes its own comment, in document order.
    checks: dict[str, list[str]] = {}
    for c in ctx.checks:
        checks.setdefault(c.text, []).append(c.what)
    if not checks:
        return
    doc = tpl.docx
    # python-docx stamps comments with the clock; the drafting date keeps the bytes reproducible.
    stamp = f"{(ctx.date or ctx.as_of).isoformat()}T00:00:00Z"
    comments: _Comments | None = None
    for r_el in _marked_runs(doc.element.body):
        # the style's highlight shows in Word only: a direct highlight shows in LibreOffice and on paper too
        _highlight(r_el, doc)
        queue = checks.get(_run_text(r_el))
        what = queue.pop(0) if queue and len(queue) > 1 else (queue[0] if queue else None)
        if what:
            comments = comments or _Comments(doc, stamp)
            comments.add(r_el, what)
    if comments is not None:
        comments.flush()


def _marked_runs(body: Any) -> list:
    """The runs in CHECK_STYLE in document order, as `.//w:r[w:rPr/w:rStyle/@w:val="KHCheck"]`
    selects them, found from the (few) style elements instead of XPath's test of every node."""
    runs: list = []
    seen: set = set()
    for style in body.iter(_RSTYLE):
        if style.get(_VAL) != CHECK_STYLE:
            continue
        props = style.getparent()
        r = props.getparent() if props is not None and props.tag == _RPR else None
        if r is not None and r.tag == _R and r not in seen:
            seen.add(r)
            runs.append(r)
    if any(a in seen for r in runs for a in r.iterancestors(_R)):  # a run in a run: XPath's order
        return body.xpath(f'.//w:r[w:rPr/w:rStyle/@w:val="{CHECK_STYLE}"]')
    return runs


def _highlight(r: Any, doc: Any) -> None:
    """python-docx's `run.font.highlight_color = YELLOW`; appended directly when the run's
    properties hold only what comes before w:highlight (its style, bold, italic: rich() writes these)."""
    props = _child(r, _RPR)
    if props is not None and all(c.tag in _BEFORE_HIGHLIGHT for c in props):
        etree.SubElement(props, _W + "highlight", {_VAL: "yellow"})
    else:
        DocxRun(r, Paragraph(r.getparent(), doc)).font.highlight_color = WD_COLOR_INDEX.YELLOW


def _run_text(r: Any) -> str:
    """python-docx's Run.text: its w:t, w:tab, w:br … children in order, as text."""
    return "".join([str(c) for c in r if c.tag in _TEXT_TAGS])


class _Comments:
    """python-docx's `document.add_comment(run, text=…, author=COMMENT_AUTHOR, initials="DR")`, the
    comment's date set to the drafting date. The same elements, for a one-line text parsed from one
    string for all the comments and moved into place (`flush`): python-docx builds each element on
    its own, the text run character by character, and looks the next id up each time."""

    #: a comment as python-docx writes it, then the range start, the range end and the reference run
    #: that Run.mark_comment_range puts before and after the run
    _XML = ('<w:comment w:id="{n}" w:author="{author}" w:initials="DR" w:date="{stamp}"><w:p><w:pPr>'
            '<w:pStyle w:val="CommentText"/></w:pPr><w:r><w:rPr><w:rStyle w:val="CommentReference"/></w:rPr>'
            '<w:annotationRef/></w:r><w:r><w:t>{text}</w:t></w:r></w:p></w:comment>'
            '<w:commentRangeStart w:id="{n}"/><w:commentRangeEnd w:id="{n}"/>'
            '<w:r><w:rPr><w:rStyle w:val="CommentReference"/></w:rPr><w:commentReference w:id="{n}"/></w:r>')

    def __init__(self, doc: Any, stamp: str) -> None:
        self.doc, self.stamp = doc, stamp
        self.root = doc.part._comments_part.element  # the template's, or a new one (as python-docx makes it)
        self.next = max((int(x) for x in self.root.xpath("./w:comment/@w:id")), default=-1) + 1
        self.pending: list[tuple[Any, int, str]] = []

    def add(self, r: Any, what: str) -> None:
        n = self.next
        if n > 2**31 - 1 or what != what.strip() or "\t" in what or "\r" in what or "\n" in what:
            self.flush()  # python-docx numbers from the comments written
            comment = self.doc.add_comment(DocxRun(r, Paragraph(r.getparent(), self.doc)), text=what,
                                           author=COMMENT_AUTHOR, initials="DR")
            comment._comment_elm.set(qn("w:date"), self.stamp)
            self.next = comment.comment_id + 1
            return
        self.pending.append((r, n, what))
        self.next = n + 1

    def flush(self) -> None:
        if not self.pending:
            return
        author, stamp = escape(COMMENT_AUTHOR), escape(self.stamp)
        xml = "".join([f'<w:x xmlns:w="{_W[1:-1]}">',
                       *(self._XML.format(n=n, author=author, stamp=stamp, text=escape(what, quote=False))
                         for _, n, what in self.pending), "</w:x>"])
        made = list(parse_xml(xml))  # python-docx's parser: its element classes
        for i, (r, _, _) in enumerate(self.pending):
            comment, start, end, ref = made[4 * i:4 * i + 4]
            self.root.append(comment)
            r.addprevious(start)
            r.addnext(ref)
            r.addnext(end)
        self.pending = []


def _column_widths(body: Any, columns: list[Column]) -> None:
    """The appendix table's columns come from the plan's shape: set its grid and cell widths (docxtpl's
    column loop only repeats cells) and centre the columns that ask for it. Plain lxml on the last
    table, the appendix: python-docx's wrappers cost ~15 ms per draft here."""
    tables = body.findall(_TBL)
    if not tables or not columns:
        return
    tbl = tables[-1]
    twips = [int(c.width * 567) for c in columns]
    grid = tbl.find(_TBLGRID)
    for col in list(grid):
        grid.remove(col)
    for w in twips:
        grid.append(grid.makeelement(_GRIDCOL, {_W_W: str(w)}))
    centred = [c.align == "center" for c in columns]
    widths = [str(w) for w in twips]
    count = len(twips)
    for i, tr in enumerate(tbl.iterchildren(_TR)):
        tcs = list(tr.iterchildren(_TC))
        task_row = i > 0 and len(tcs) == count
        pos = 0
        for tc in tcs:
            props, sp, width = _props(tc, _TCPR, _GRIDSPAN, _TCW)
            if sp is None:
                span, value = 1, widths[pos] if pos < count else "0"
            else:
                span = int(sp.get(_VAL))
                value = str(sum(twips[pos:pos + span]))
            if width is None:
                width = props.makeelement(_TCW, {})
            if props[0] is not width:
                props.insert(0, width)  # first, as the schema orders it (docxtpl's colspan puts w:gridSpan first)
            if width.get(_W_W) != value:  # reads cost less than writes
                width.set(_W_W, value)
            if width.get(_W_TYPE) != "dxa":
                width.set(_W_TYPE, "dxa")
            if task_row and centred[pos]:  # TT, dates
                for p in tc.iterchildren(_P):
                    _centre(p)
            pos += span


#: ND 30 II.5b: the line under the trích yếu is 1/3 to 1/2 of the trích yếu line; drafter aims at 0.4.
TITLE_RULE_SHARE = 0.4
#: Width of an average character of the trích yếu (Times New Roman bold 14 pt, Vietnamese text), in cm,
#: measured on LibreOffice's PDFs of the drafts (Liberation Serif, metric-compatible): within ±10 %.
TITLE_CHAR_CM = 0.228
TEXT_WIDTH_CM = 15.5  # A4 portrait with ND 30's 35/20 mm side margins
TITLE_RULE_STYLE = "KHTitlerule"


def _title_rule(tpl: DocxTemplate, ctx: PlanContext) -> None:
    """Size each rule under a trích yếu to its longest line (a long trích yếu wraps at the text width).
    The trích yếu is the bold title paragraph above the rule (an italic reference line may sit between)."""
    body = tpl.docx.element.body
    for rule in body.xpath(f'./w:p[w:pPr/w:pStyle/@w:val="{TITLE_RULE_STYLE}"]'):
        title = rule.getprevious()
        while title is not None and title.xpath('./w:pPr/w:pStyle/@w:val') != ["KHTitle"]:
            title = title.getprevious()
        text = _lines(title) if title is not None else ctx.labels.get("trich_yeu", "")
        longest = max((len(line) for line in text.split("\n")), default=0)  # a line break starts a line
        line_cm = min(longest * TITLE_CHAR_CM, TEXT_WIDTH_CM)
        rule_cm = max(line_cm * TITLE_RULE_SHARE, 2.0)
        indent = str(int((TEXT_WIDTH_CM - rule_cm) / 2 * 567))
        for ind in rule.xpath("./w:pPr/w:ind"):
            ind.set(qn("w:left"), indent)
            ind.set(qn("w:right"), indent)


def _lines(p: Any) -> str:
    """A paragraph's text, its line breaks (w:br) as newlines."""
    t, br = qn("w:t"), qn("w:br")
    return "".join(el.text or "" if el.tag == t else "\n" for el in p.iter(t, br))


def _keep_with_signature(tpl: DocxTemplate) -> None:
    """The body's last paragraph keeps with the signature block (ND 30: the signature never stands
    alone on a page). The signature block is the table that follows the body: the second one."""
    tables = tpl.docx.element.body.findall(qn("w:tbl"))
    if len(tables) < 2:  # a commune's plan has no appendix: header and signature only
        return
    prev = tables[1].getprevious()
    if prev is not None and prev.tag == qn("w:p"):
        Paragraph(prev, tpl.docx).paragraph_format.keep_with_next = True


def _centre(p: Any) -> None:
    """Centre a paragraph: w:jc goes before the paragraph mark's w:rPr, as the schema orders them."""
    props, el, mark = _props(p, _PPR, _JC, _RPR)
    if el is None:
        if mark is not None:
            mark.addprevious(props.makeelement(_JC, {_VAL: "center"}))
        else:
            etree.SubElement(props, _JC, {_VAL: "center"})
    else:
        _set(el, _VAL, "center")


def _props(el: Any, tag: str, first: str, second: str) -> tuple[Any, Any, Any]:
    """`el`'s properties element `tag` (made, first, if missing), and its first children tagged `first` and
    `second` (or None): one pass for what two find() calls would return."""
    props = _child(el, tag)
    if props is None:
        props = el.makeelement(tag, {})
        el.insert(0, props)
    a = b = None
    for child in props:
        if child.tag == first:
            a = child if a is None else a
        elif child.tag == second:
            b = child if b is None else b
    return props, a, b


def _set(el: Any, name: str, value: str) -> None:
    """el.set(name, value), skipped when it holds that value already (a read costs less than a write)."""
    if el.get(name) != value:
        el.set(name, value)


def _properties(tpl: DocxTemplate, ctx: PlanContext) -> None:
    when = dt.datetime.combine(ctx.date or ctx.as_of, dt.time(0, 0))
    props = tpl.docx.core_properties
    props.title = " ".join((ctx.title or ctx.labels.get("trich_yeu", "")).split())  # one line, as Word shows it
    props.subject = ctx.subject or ctx.labels.get("ten_loai", "")
    props.author = props.last_modified_by = COMMENT_AUTHOR
    props.created = props.modified = when
    props.revision = 1
    props.keywords = f"{ctx.province_id} {ctx.year}"
