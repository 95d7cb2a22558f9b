"""Render a PlanContext into the Word template, safely and reproducibly.

- Jinja runs sandboxed (a template edited in Word cannot reach Python objects, files or the shell),
  with autoescape (text with & < > stays text) and StrictUndefined (a missing value is an error).
- Unverified facts become yellow-highlighted runs carrying a Word comment that says what to check.
- The .docx bytes depend only on the inputs: fixed zip times, properties taken from the plan.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from typing import Any

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Twips
from docx.text.paragraph import Paragraph
from docx.text.run import Run as DocxRun
from docxtpl import DocxTemplate, RichText
from jinja2 import StrictUndefined, TemplateError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from .context import PlanContext, Run
from .errors import DataError

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

    def resolve_listing(self, xml: str) -> str:
        if self._LISTING.search(xml) is None:
            return xml
        return super().resolve_listing(xml)


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
        "body": [{"kind": p.kind, "rt": rich(p.runs)} for p in ctx.body],
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
        queue = checks.get(run.text)
        what = queue.pop(0) if queue and len(queue) > 1 else (queue[0] if queue else None)
        if what:
            comment = doc.add_comment(run, text=what, author=COMMENT_AUTHOR, initials="DR")
            comment._comment_elm.set(qn("w:date"), stamp)


def _column_widths(tpl: DocxTemplate, ctx: PlanContext) -> None:
    """The appendix table's columns come from the plan's shape: set its grid and cell widths (docxtpl's
    column loop only repeats cells) and centre the columns that ask for it."""
    table = next((t for t in tpl.docx.tables if len(t.rows) and len(t.rows[0].cells) == len(ctx.columns)
                  and [c.text for c in t.rows[0].cells] == [c.label for c in ctx.columns]), None)
    if table is None:
        return
    twips = [int(c.width * 567) for c in ctx.columns]
    grid = table._tbl.tblGrid
    for col in list(grid):
        grid.remove(col)
    for w in twips:
        el = grid.makeelement(qn("w:gridCol"), {qn("w:w"): str(w)})
        grid.append(el)
    for i, tr in enumerate(table._tbl.tr_lst):
        pos = 0
        tcs = tr.tc_lst
        for tc in tcs:
            span = tc.grid_span
            tc.width = Twips(sum(twips[pos:pos + span]))
            # task rows: centre the columns that ask for it (TT, dates)
            if i and len(tcs) == len(ctx.columns) and ctx.columns[pos].align == "center":
                for p in tc.p_lst:
                    p.get_or_add_pPr().jc_val = WD_ALIGN_PARAGRAPH.CENTER
            pos += span


def _properties(tpl: DocxTemplate, ctx: PlanContext) -> None:
    when = dt.datetime.combine(ctx.date or ctx.as_of, dt.time(0, 0))
    props = tpl.docx.core_properties
    props.title = ctx.labels.get("trich_yeu", "")
    props.subject = ctx.labels.get("ten_loai", "")
    props.author = props.last_modified_by = COMMENT_AUTHOR
    props.created = props.modified = when
    props.revision = 1
    props.keywords = f"{ctx.province_id} {ctx.year}"
