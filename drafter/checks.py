"""`drafter check`: validate a data directory before anyone drafts from it.

Problems are reported as `path:line:col: severity: message`. Errors make the check fail; warnings
(unverified facts) are listed so reviewers see what a draft will mark."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from jinja2 import TemplateSyntaxError, meta

from . import models as m
from .errors import DataError, Location, Problems
from .loader import DataSet, load
from .render import CHECK_STYLE, jinja_env
from .textenv import ENV as _ENV
from .texts import TEXT_NAMES

CALL_RE = re.compile(r"\b(cite|ref|ag|sys)\(\s*['\"]([^'\"]+)['\"]\s*\)")


@dataclass(frozen=True)
class Finding:
    where: Location | str
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        return f"{self.where}: {self.severity}: {self.message}"


def check(root: Path) -> list[Finding]:
    try:
        data = load(Path(root))
    except Problems as exc:
        return [Finding(p.where or root, p.message) for p in exc.problems]
    except DataError as exc:
        return [Finding(exc.where or root, exc.message)]
    return [*blocking(data, errors_only=False), *check_template(data), *warn_unverified(data)]


def blocking(data: DataSet, errors_only: bool = True) -> list[Finding]:
    """The checks a draft must pass too (`drafter new` refuses data with any of these errors)."""
    found = [*check_texts(data), *check_references(data), *check_dates(data), *check_layers(data)]
    return [f for f in found if f.severity == "error"] if errors_only else found


# --------------------------------------------------------------------------- texts


ROW_TEXTS = ("task", "product", "deadline", "target", "detail", "start", "funding", "note")
Text = tuple[str, str, "m.When | None"]


def _nodes(items: list[m.Node]) -> Iterator[Text]:
    for n in items:
        if n.text:
            yield n.id, n.text, n.when
        yield from _nodes(n.items)


def _rules(tasks, targets, responsibilities, items, rows) -> Iterator[Text]:
    """The texts of rule lists, national or a layer's (the same shapes)."""
    for t in tasks:
        yield t.id, t.text, t.when
    for t in targets:
        yield t.id, t.text, t.when
        yield t.id, t.responsibility, t.when
    for r in responsibilities:
        yield r.id, r.heading, r.when
        for i in r.items:
            yield i.id, i.text, i.when
    for i in items:
        yield i.id, i.text, i.when
    for row in rows:
        for name in ROW_TEXTS:
            yield row.id, getattr(row, name), row.when


def _shape(owner: str, shape: m.Shape) -> Iterator[Text]:
    for text in shape.headings.values():
        yield owner, text, None
    for col in shape.appendix_columns or []:
        yield owner, col.label, None
        yield owner, col.default, None
    if shape.responsibility_number:
        yield owner, shape.responsibility_number, None


def _texts(data: DataSet) -> Iterator[Text]:
    """(record id, Jinja text, when) for every text of the rule pack and profiles."""
    for key, text in data.document.labels.items():
        yield "labels", text, None
    for item in data.document.noi_nhan:
        yield "noi_nhan", item.text, item.when
    yield from _nodes(data.body)
    for a in data.areas:
        yield a.id, a.title, None
        yield a.id, a.appendix_title, None
    tasks = [t for a in data.areas for t in a.tasks]
    yield from _rules(tasks, data.targets, data.responsibilities, [], data.rows)
    yield from _shape("shape", data.document.shape)
    for p in data.provinces.values():
        lay = p.layer
        yield from _nodes(lay.body)
        yield from _rules(lay.tasks, lay.targets, lay.responsibilities, lay.items, lay.rows)
        for text in lay.labels.values():
            yield p.id, text, None
        yield from _shape(p.id, lay.shape)
        for r in p.noi_nhan or []:
            yield p.id, r.text, r.when


def _origin(data: DataSet, ident: str) -> Location | Path:
    loc = data.origins.get(ident)
    if loc is None:
        loc = next((o[ident] for o in data.layer_origins.values() if ident in o), None)
    return loc or data.root


def check_texts(data: DataSet) -> Iterator[Finding]:
    for ident, text, when in _texts(data):
        where = _origin(data, ident)
        try:
            names = meta.find_undeclared_variables(_ENV.parse(text))
        except TemplateSyntaxError as exc:
            yield Finding(where, f"text template syntax error: {exc.message} in {text!r}")
            continue
        unknown = names - TEXT_NAMES
        if unknown:
            yield Finding(where, f"text uses unknown name(s) {sorted(unknown)}; available: {sorted(TEXT_NAMES)}")
        for fn, arg in CALL_RE.findall(text):
            yield from _check_call(data, where, fn, arg, when)


def _check_call(data: DataSet, where, fn: str, arg: str, when: m.When | None) -> Iterator[Finding]:
    if fn in ("cite", "ref"):
        ins = data.instruments.get(arg)
        if ins is None:
            yield Finding(where, f"{fn}('{arg}'): no such instrument in legal_refs/")
        elif when and when.from_ and ins.replaced_on and when.from_ >= ins.replaced_on and not ins.replaced_by:
            yield Finding(where, f"{fn}('{arg}') applies from {when.from_} but {ins.number} no longer applies from "
                                 f"{ins.replaced_on} and has no successor")
    elif fn == "ag":
        agency = data.agencies.get(arg)
        if agency is None and not any(arg in p.agencies for p in data.provinces.values()):
            yield Finding(where, f"ag('{arg}'): no such agency role in rulepacks/national/agencies.yaml")
        elif agency is not None and agency.until and not agency.merged_into:
            if when is None or when.until is None or when.until > agency.until:
                yield Finding(where, f"ag('{arg}') names a role that ends on {agency.until} with no successor; "
                                     f"gate this rule with `when: {{until: {agency.until}}}`")
    elif fn == "sys":
        if arg not in data.document.systems:
            yield Finding(where, f"sys('{arg}'): no default in `systems:` of rulepacks/national/document.yaml")


# --------------------------------------------------------------------------- references


def check_references(data: DataSet) -> Iterator[Finding]:
    o = data.origins
    areas = {a.id for a in data.areas}
    for item in data.document.preamble:
        if item.cite not in data.instruments:
            yield Finding(o.get(item.id, data.root), f"preamble cites unknown instrument '{item.cite}'")
    for ins in data.instruments.values():
        for succ in ins.replaced_by:
            if succ not in data.instruments:
                yield Finding(o.get(ins.id, data.root), f"replaced_by names unknown instrument '{succ}'")
        if ins.province and ins.province not in data.provinces:
            yield Finding(o.get(ins.id, data.root), f"province '{ins.province}' has no profile")
    for a in data.agencies.values():
        if a.merged_into and a.merged_into not in data.agencies:
            yield Finding(o.get(a.role, data.root), f"merged_into names unknown role '{a.merged_into}'")
    for t in data.targets:
        if t.area not in areas:
            yield Finding(o.get(t.id, data.root), f"target area '{t.area}' is not one of {sorted(areas)}")
        for v in t.values:
            where = o.get(t.id, data.root)
            if v.basis is None:
                yield Finding(where, f"national value {v.value} names no instrument that sets it; a province's own "
                                     f"figure goes in that province's layer (`layer.values`)")
            elif v.basis not in data.instruments:
                yield Finding(where, f"value basis '{v.basis}' is not in legal_refs/")
            elif (v.source or "").startswith("seed:"):
                yield Finding(where, f"value {v.value} is attributed to '{v.basis}' on the strength of {v.source}, a "
                                     f"province's plan; record it in that province's layer, without a basis")
    for row in data.rows:
        where = o.get(row.id, data.root)
        if row.area not in areas:
            yield Finding(where, f"appendix row area '{row.area}' is not one of {sorted(areas)}")
        for role in (*row.lead, *row.coop):
            if role not in data.agencies:
                yield Finding(where, f"appendix row names unknown role '{role}'")
    for p in data.provinces.values():
        where = data.layer_origins.get(p.id, {}).get(p.id, data.root)
        for ref in [p.successor] if p.successor else []:
            if ref not in data.provinces:
                yield Finding(where, f"successor '{ref}' has no profile")
        for ref in p.formed_from:
            if ref not in data.provinces:
                yield Finding(where, f"formed_from '{ref}' has no profile")
        for prog in p.programmes:
            if prog.cite not in data.instruments:
                yield Finding(where, f"programme cites unknown instrument '{prog.cite}'")
        own = data.layer_origins.get(p.id, {})
        for t in [*p.layer.tasks, *p.layer.targets, *p.layer.rows]:
            if t.area not in areas:
                yield Finding(own.get(t.id, where), f"area '{t.area}' is not one of {sorted(areas)}")
        for row in p.layer.rows:
            for role in (*row.lead, *row.coop):
                if role not in data.agencies:
                    yield Finding(own.get(row.id, where), f"appendix row names unknown role '{role}'")
        for t in p.layer.targets:
            for v in t.values:
                if v.basis and v.basis not in data.instruments:
                    yield Finding(own.get(t.id, where), f"value basis '{v.basis}' is not in legal_refs/")
        for role in p.agencies:
            if role not in data.agencies:
                yield Finding(where, f"agencies overrides unknown role '{role}'", "warning")


def check_dates(data: DataSet) -> Iterator[Finding]:
    for ins in data.instruments.values():
        where = data.origins.get(ins.id, data.root)
        if ins.signed and ins.effective and ins.effective < ins.signed:
            yield Finding(where, f"{ins.number}: effective {ins.effective} is before signed {ins.signed}")
        if ins.signed and ins.replaced_on and ins.replaced_on < ins.signed:
            yield Finding(where, f"{ins.number}: replaced_on {ins.replaced_on} is before signed {ins.signed}")
        for succ in ins.replaced_by:
            s = data.instruments.get(succ)
            if s and s.signed and ins.replaced_on and s.signed > ins.replaced_on:
                yield Finding(where, f"{ins.number} is replaced on {ins.replaced_on} by {s.number}, signed later "
                                     f"({s.signed})")
    layered = [(t, _origin(data, t.id)) for p in data.provinces.values() for t in p.layer.targets]
    for t, where in [*((t, _origin(data, t.id)) for t in data.targets), *layered]:
        for a, b in zip(t.values, t.values[1:]):
            if b.from_ <= a.from_:
                yield Finding(where, f"target values are not in date order ({a.from_}, {b.from_})")
        for v in t.values:
            if v.for_year < v.from_.year:
                yield Finding(where, f"value {v.value} is set for {v.for_year} but applies from {v.from_}")


def check_layers(data: DataSet) -> Iterator[Finding]:
    """A province's layer must merge: what it drops, replaces or places relative to must exist, and its
    shape must name the body's sections. Merged as the resolver merges, for the unit's first plan year."""
    from .resolve import resolve
    from .selection import default_as_of, first_year

    national = _national_ids(data)
    kinds = list(data.kinds.values())
    for p in data.provinces.values():
        lay = p.layer
        own = data.layer_origins.get(p.id, {})
        where = data.layer_origins.get(p.id, {}).get(p.id, data.root)
        for d in lay.drop:
            if d.id not in national:
                yield Finding(own.get(d.id, where), f"drop names '{d.id}', which is not a rule of the national pack")
        targets = {t.id for t in data.targets} | {t.id for t in lay.targets}
        for target_id in lay.values:
            if target_id not in targets:
                yield Finding(own.get(f"values.{target_id}", where), f"values for '{target_id}', which is not a "
                              f"target of the national pack or of this layer")
        blocks = {r.id for r in data.responsibilities} | {r.id for r in lay.responsibilities}
        for item in lay.items:
            if item.block not in blocks:
                yield Finding(own.get(item.id, where), f"item '{item.id}' names block '{item.block}', which is not a "
                              f"block of Tổ chức thực hiện (responsibilities)")
        if lay == m.Layer() or not kinds:
            continue
        year = first_year(p)
        if year is None:
            continue
        try:
            resolve(data, kinds[0], p, year, default_as_of(year))
        except DataError as exc:
            yield Finding(exc.where or where, f"layer of {p.id}: {exc.message}")


def _national_ids(data: DataSet) -> set[str]:
    from .layers import walk_ids

    ids = set(walk_ids(data.body))
    ids |= {t.id for a in data.areas for t in a.tasks}
    ids |= {x.id for x in (*data.targets, *data.responsibilities, *data.rows, *data.document.preamble)}
    ids |= {i.id for r in data.responsibilities for i in r.items}
    return ids


def warn_unverified(data: DataSet) -> Iterator[Finding]:
    for ins in data.instruments.values():
        if ins.status != "V":
            what = ", ".join(ins.unverified) or "see note"
            yield Finding(data.origins.get(ins.id, data.root), f"{ins.number} status {ins.status} (unverified: {what})",
                          "warning")


# --------------------------------------------------------------------------- template

TAG_RE = re.compile(r"\{[{%#].*?[}%#]\}")


def check_template(data: DataSet) -> Iterator[Finding]:
    for kind in data.kinds.values():
        yield from _check_template(data, kind)


def _check_template(data: DataSet, kind: m.Kind) -> Iterator[Finding]:
    names = kind.template_names
    path = data.template(kind)
    rel = path.relative_to(data.root) if path.is_relative_to(data.root) else path
    try:
        from docx import Document
        from docxtpl import DocxTemplate

        raw = path.read_bytes()
        zipfile.ZipFile(io.BytesIO(raw)).testzip()
        doc = Document(io.BytesIO(raw))
    except Exception as exc:  # any failure here means Word could not open it either
        yield Finding(rel, f"not a readable .docx ({type(exc).__name__}); restore it or re-save it in Word as .docx")
        return
    from docx.oxml.ns import qn

    for i, p_el in enumerate(doc.element.body.iter(qn("w:p"))):
        runs = [r for r in p_el.iter(qn("w:r"))]
        texts = ["".join(t.text or "" for t in r.iter(qn("w:t"))) for r in runs]
        full = "".join(texts)
        where = f"{rel}: paragraph {i + 1}"
        if any(q in tag for tag in re.findall(r"\{[{%].*?[}%]\}", full) for q in "“”‘’"):
            yield Finding(where, f"Word smart quotes inside a tag (use straight quotes ' \"): {full!r}")
        if full.count("{%p") > 1:
            yield Finding(where, f"two {{%p … %}} tags in one paragraph (each needs its own paragraph): {full!r}")
        split = any(full.count(tok) > sum(t.count(tok) for t in texts) for tok in ("{{", "{%", "}}", "%}"))
        split = split or any(t.count("{{") != t.count("}}") or t.count("{%") != t.count("%}") for t in texts)
        if split:
            yield Finding(where, f"a tag is split across Word runs (select it, cut and retype it in one go): {full!r}")
    try:
        tpl = DocxTemplate(io.BytesIO(raw))
        used = tpl.get_undeclared_template_variables(jinja_env())
    except TemplateSyntaxError as exc:
        yield Finding(rel, f"template syntax error: {exc.message} (line {exc.lineno})")
        return
    except Exception as exc:
        yield Finding(rel, f"template cannot be parsed: {exc}")
        return
    for name in sorted(set(used) - set(names)):
        yield Finding(rel, f"template uses '{name}', which the plan context does not provide; "
                           f"available: {', '.join(names)}")
    for name in sorted(set(names) - set(used)):
        yield Finding(rel, f"template never shows '{name}' (the plan would lose that part)", "warning")
    # Fields of the context: `labels.x` must be a label of document.yaml (the edit staff most often
    # make), and the other records' fields must exist on their types.
    xml = "".join(t.text or "" for t in doc.element.body.iter(qn("w:t")))
    for part in (doc.sections[0].header, doc.sections[0].footer):
        xml += "".join(t.text or "" for t in part._element.iter(qn("w:t")))
    known = set(data.document.labels) - set(kind.call_labels)
    for key in sorted(set(re.findall(r"\blabels\.(\w+)", xml)) - known):
        yield Finding(rel, f"template uses 'labels.{key}', which is not a label of rulepacks/national/document.yaml",
                      "error")
    style_ids = {s.style_id for s in doc.styles}
    if CHECK_STYLE not in style_ids:
        yield Finding(rel, f"character style '{CHECK_STYLE}' (highlight for unverified facts) is missing")


def errors(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == "error"]
