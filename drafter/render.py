"""Render a PlanContext into the Word template, safely and reproducibly.

- Jinja runs sandboxed (a template edited in Word cannot reach Python objects, files or the shell),
  with autoescape (text with & < > stays text) and StrictUndefined (a missing value is an error).
- Unverified facts become yellow-highlighted runs carrying a Word comment that says what to check.
- Characters XML cannot hold (control characters) are refused, located at the text holding them: let
  through, the XML parser's recovery would drop them and, silently, every escaped `<`, `>`, `"`, `&`
  after them (`drafter check` refuses them in the data already).
- The .docx bytes depend only on the inputs: fixed zip times, properties taken from the plan.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from typing import Any

from docx.enum.text import WD_COLOR_INDEX
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph
from docx.text.run import Run as DocxRun
from docxtpl import DocxTemplate, RichText
from jinja2 import StrictUndefined, TemplateError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from .context import Para, PlanContext, Run
from .errors import DataError, Location

ZIP_TIME = (1980, 1, 1, 0, 0, 0)
COMMENT_AUTHOR = "drafter"
CHECK_STYLE = "KHCheck"  # character style of the template: yellow highlight


class _Env(SandboxedEnvironment):
    """The template's sandbox. docxtpl compiles the document XML on every render (~30 ms); the
    compiled code is kept per process and, through drafter.cache, across runs."""

    def compile(self, source, name=None, filename=None, raw=False, defer_init=False):  # type: ignore[override]
        if raw or defer_init or not isinstance(source, str):
            return super().compile(source, name, filename, raw, defer_init)
        from .cache import memo

        return memo("code", source, lambda: super(_Env, self).compile(source, name, filename))


class _Template(DocxTemplate):
    """docxtpl's template, with two pure steps made cheap. `patch_xml` (regex clean-up of the
    template's XML, ~10 ms) depends only on the template, so it is memoised like the compiled code;
    `resolve_listing` (turning \\n, \\t … inside texts into Word breaks, ~14 ms) is skipped when
    no text holds such a character, where it would return its input unchanged."""

    _LISTING = re.compile(r"<w:t(?: [^>]*)?>[^<]*[\t\a\n\f]")

    def patch_xml(self, src_xml: str) -> str:
        from .cache import memo

        return memo("patch", src_xml, lambda: super(_Template, self).patch_xml(src_xml))

    def fix_tables(self, xml: str) -> Any:
        """docxtpl spreads the width of looped columns evenly (~3 ms); drafter sets the appendix's
        grid from the plan's shape right after rendering (_column_widths), so only parse here.
        A character XML cannot hold is refused first: lxml's recovering parser would drop it and,
        from there on, every entity (`&lt;`, `&gt;`, `&quot;`, `&amp;`) of the document."""
        from lxml import etree

        bad = NOT_XML.search(xml)
        if bad is not None:
            near = re.sub(r"<[^>]+>", "", xml[max(0, bad.start() - 300):bad.start()])[-60:]
            raise DataError(f"the document would hold the control character U+{ord(bad.group()):04X} (after {near!r})",
                            None, "remove it from the data text it comes from (`drafter check` locates it)")
        return etree.fromstring(xml, parser=etree.XMLParser(recover=True))

    def resolve_listing(self, xml: str) -> str:
        if self._LISTING.search(xml) is None:
            return xml
        return super().resolve_listing(xml)


#: Characters XML 1.0 cannot hold (drafter.checks.BAD_CHARS refuses these and a few more in the data).
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _check_characters(ctx: PlanContext) -> None:
    """Every text of the plan holds only characters XML can hold; else a located error."""

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
        tpl = _Template(io.BytesIO(template_bytes))
        tpl.init_docx()  # docxtpl opens lazily; open now so a corrupt file is reported as such
    except Exception as exc:  # python-docx raises several types for a corrupt or non-.docx file
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
    _column_widths(tpl, ctx)
    _title_rule(tpl, ctx)
    _keep_with_signature(tpl)
    _comment_checks(tpl, ctx)
    _properties(tpl, ctx)
    tpl.pre_processing()  # what DocxTemplate.save does before writing (a no-op without pictures)
    return save_deterministic(tpl.docx.part.package)


class _FixedTimeZip:
    """PhysPkgWriter's interface over a zip whose entries carry a fixed time: the bytes depend only
    on the content, and the parts are compressed once (no re-zipping after python-docx saves)."""

    def __init__(self, buf: io.BytesIO) -> None:
        self._zip = zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED)

    def write(self, pack_uri: Any, blob: bytes) -> None:
        info = zipfile.ZipInfo(pack_uri.membername, ZIP_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o600 << 16
        self._zip.writestr(info, blob)

    def close(self) -> None:
        self._zip.close()


def save_deterministic(package: Any) -> bytes:
    """OpcPackage.save, with python-docx's own writer steps, into a fixed-time zip."""
    from docx.opc.pkgwriter import PackageWriter

    for part in package.parts:
        part.before_marshal()
    buf = io.BytesIO()
    writer = _FixedTimeZip(buf)
    parts = list(package.parts)
    PackageWriter._write_content_types_stream(writer, parts)
    PackageWriter._write_pkg_rels(writer, package.rels)
    PackageWriter._write_parts(writer, parts)
    writer.close()
    return buf.getvalue()


def _comment_checks(tpl: DocxTemplate, ctx: PlanContext) -> None:
    """Attach a Word comment to each highlighted run, saying what the reader must verify."""
    # Several marks can share a text (two blanks "……"): each takes its own comment, in document order.
    checks: dict[str, list[str]] = {}
    for c in ctx.checks:
        checks.setdefault(c.text, []).append(c.what)
    if not checks:
        return
    doc = tpl.docx
    marked = doc.element.body.xpath(f'.//w:r[w:rPr/w:rStyle/@w:val="{CHECK_STYLE}"]')
    # python-docx stamps comments with the clock; the drafting date keeps the bytes reproducible.
    stamp = f"{(ctx.date or ctx.as_of).isoformat()}T00:00:00Z"
    for r_el in marked:
        run = DocxRun(r_el, Paragraph(r_el.getparent(), doc))
        # the style's highlight shows in Word only: a direct highlight shows in LibreOffice and on paper too
        run.font.highlight_color = WD_COLOR_INDEX.YELLOW
        queue = checks.get(run.text)
        what = queue.pop(0) if queue and len(queue) > 1 else (queue[0] if queue else None)
        if what:
            comment = doc.add_comment(run, text=what, author=COMMENT_AUTHOR, initials="DR")
            comment._comment_elm.set(qn("w:date"), stamp)


def _column_widths(tpl: DocxTemplate, ctx: PlanContext) -> None:
    """The appendix table's columns come from the plan's shape: set its grid and cell widths (docxtpl's
    column loop only repeats cells) and centre the columns that ask for it. Plain lxml on the last
    table, the appendix: python-docx's wrappers cost ~15 ms per draft here."""
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
    tc_pr, tc_w, span_tag, val, p_pr, jc, r_pr = (qn(t) for t in ("w:tcPr", "w:tcW", "w:gridSpan", "w:val", "w:pPr",
                                                                   "w:jc", "w:rPr"))
    for i, tr in enumerate(tbl.iterfind(qn("w:tr"))):
        tcs = tr.findall(qn("w:tc"))
        task_row = i > 0 and len(tcs) == len(twips)
        pos = 0
        for tc in tcs:
            props = tc.find(tc_pr)
            if props is None:
                props = tc.makeelement(tc_pr, {})
                tc.insert(0, props)
            sp = props.find(span_tag)
            span = int(sp.get(val)) if sp is not None else 1
            width = props.find(tc_w)
            if width is None:
                width = props.makeelement(tc_w, {})
            props.insert(0, width)  # first, as the schema orders it (docxtpl's colspan puts w:gridSpan first)
            width.set(qn("w:w"), str(sum(twips[pos:pos + span])))
            width.set(qn("w:type"), "dxa")
            if task_row and centred[pos]:  # TT, dates
                for p in tc.iterfind(qn("w:p")):
                    _centre(p, p_pr, jc, r_pr, val)
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


def _centre(p: Any, p_pr: str, jc: str, r_pr: str, val: str) -> None:
    """Centre a paragraph: w:jc goes before the paragraph mark's w:rPr, as the schema orders them."""
    props = p.find(p_pr)
    if props is None:
        props = p.makeelement(p_pr, {})
        p.insert(0, props)
    el = props.find(jc)
    if el is None:
        el = props.makeelement(jc, {})
        mark = props.find(r_pr)
        if mark is not None:
            mark.addprevious(el)
        else:
            props.append(el)
    el.set(val, "center")


def _properties(tpl: DocxTemplate, ctx: PlanContext) -> None:
    when = dt.datetime.combine(ctx.date or ctx.as_of, dt.time(0, 0))
    props = tpl.docx.core_properties
    props.title = " ".join((ctx.title or ctx.labels.get("trich_yeu", "")).split())  # one line, as Word shows it
    props.subject = ctx.subject or ctx.labels.get("ten_loai", "")
    props.author = props.last_modified_by = COMMENT_AUTHOR
    props.created = props.modified = when
    props.revision = 1
    props.keywords = f"{ctx.province_id} {ctx.year}"
