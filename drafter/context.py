"""Build the typed context of one plan: every paragraph and appendix row, already worded, numbered
and traced to the rule it came from. The template only lays it out."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from dataclasses import asdict, dataclass, field

from . import models as m
from . import selection as sel
from .errors import DataError
from .loader import DataSet
from .texts import Rendered, TextRenderer

ParaKind = Literal["muc", "khoan", "diem", "para", "bullet", "note", "preamble", "heading", "signature"]
VN_LETTERS = "a b c d đ e g h i k l m n o p q r s t u v x y".split()
#: labels rendered per use with their own arguments, not once for the template
CALL_LABELS = frozenset({"can_cu", "date_line", "ban_hanh", "check_instrument", "check_value", "check_signer",
                         "check_replacement"})
ROMAN = "I II III IV V VI VII VIII IX X XI XII".split()


# The context is plain frozen dataclasses: built from validated data, it needs no validation of
# its own, and a cold run then pays nothing to build validators for it.
frozen = dataclass(frozen=True, kw_only=True, slots=True)


def as_dict(obj: Any) -> dict[str, Any]:
    """A context record as JSON-ready data, without empty (None) fields."""
    return {k: v for k, v in asdict(obj).items() if v is not None}


@frozen
class Run:
    text: str
    bold: bool = False
    italic: bool = False
    check: str | None = None  # shown to the reader as a highlight with a comment


@frozen
class Source:
    kind: str  # node, task, target, responsibility, row, preamble, profile, label
    id: str
    file: str | None = None
    line: int | None = None


@frozen
class Para:
    kind: ParaKind
    runs: list[Run]
    source: Source
    refs: list[str] = field(default_factory=list)
    values: list[dict[str, Any]] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(r.text for r in self.runs)


@frozen
class Row:
    kind: Literal["area", "task"]
    tt: str
    cells: dict[str, list[Run]]  # task, product, lead, coop, deadline (area rows: task only)
    source: Source
    refs: list[str] = field(default_factory=list)


@frozen
class Signature:
    authority: str
    deputy: str | None
    title: str
    name: Run


@frozen
class Check:
    text: str
    what: str
    source: Source


@frozen
class PlanContext:
    province_id: str
    year: int
    as_of: dt.date
    date: dt.date | None
    labels: dict[str, str]
    date_line: str
    preamble: list[Para]
    ban_hanh: Para
    body: list[Para]
    noi_nhan: list[str]
    luu: str
    signature: Signature
    appendix: list[Row]
    #: Traced pieces the template lays out from labels and the profile (trích yếu, signer), so that
    #: provenance and `explain` cover them too; they are not body paragraphs.
    extras: list[Para] = field(default_factory=list)

    @property
    def checks(self) -> list[Check]:
        """Every unverified fact the draft marks for the reader, in document order."""
        out: list[Check] = []
        for p in [*self.preamble, self.ban_hanh, *self.body]:
            out += [Check(text=r.text, what=r.check, source=p.source) for r in p.runs if r.check]
        if self.signature.name.check:
            out.append(Check(text=self.signature.name.text, what=self.signature.name.check,
                             source=Source(kind="profile", id=self.province_id)))
        for row in self.appendix:
            for runs in row.cells.values():
                out += [Check(text=r.text, what=r.check, source=row.source) for r in runs if r.check]
        return out


def _runs(r: Rendered, **style: bool) -> list[Run]:
    return [Run(text=s.text, check=s.check, **style) for s in r.segments if s.text]


class _Builder:
    def __init__(self, data: DataSet, province: m.Province, year: int, as_of: dt.date) -> None:
        self.data, self.province, self.year, self.as_of = data, province, year, as_of
        self.tr = TextRenderer(data, province, year, as_of)

    def source(self, kind: str, ident: str) -> Source:
        loc = self.data.origins.get(ident)
        if loc is None:
            return Source(kind=kind, id=ident)
        path = str(loc.path)
        try:
            path = str(loc.path.relative_to(self.data.root))  # type: ignore[union-attr]
        except (AttributeError, ValueError):
            pass
        return Source(kind=kind, id=ident, file=path, line=loc.line)

    def text(self, source: str, kind: str, ident: str, **extra: Any) -> tuple[Rendered, Source]:
        src = self.source(kind, ident)
        return self.tr.render(source, self.data.origins.get(ident), **extra), src

    def para(self, pkind: ParaKind, source: str, kind: str, ident: str, prefix: str = "", **style: bool) -> Para:
        r, src = self.text(source, kind, ident)
        runs = ([Run(text=prefix, **style)] if prefix else []) + _runs(r, **style)
        return Para(kind=pkind, runs=runs, source=src, refs=r.refs, values=r.values)

    def applies(self, when: m.When) -> bool:
        return when.applies(self.as_of, self.year)

    # -- body
    def body(self) -> list[Para]:
        out: list[Para] = []
        counters = {"muc": 0, "khoan": 0, "diem": 0}
        self._walk(self.data.body, out, counters)
        return out

    def _number(self, kind: str, counters: dict[str, int]) -> str:
        counters[kind] += 1
        if kind == "muc":
            counters["khoan"] = counters["diem"] = 0
            return f"{ROMAN[counters['muc'] - 1]}. "
        if kind == "khoan":
            counters["diem"] = 0
            return f"{counters['khoan']}. "
        return f"{VN_LETTERS[counters['diem'] - 1]}) "

    def _walk(self, nodes: list[m.Node], out: list[Para], counters: dict[str, int]) -> None:
        for node in nodes:
            if not self.applies(node.when):
                continue
            if node.kind == "include":
                getattr(self, f"_include_{node.include}")(out, counters)
            elif node.kind in ("muc", "khoan", "diem"):
                out.append(self.para(node.kind, node.text or "", "node", node.id, self._number(node.kind, counters)))
            elif node.kind == "bullet":
                out.append(self.para("bullet", node.text or "", "node", node.id, "- "))
            else:
                out.append(self.para(node.kind, node.text or "", "node", node.id, italic=node.kind == "note"))
            self._walk(node.items, out, counters)

    def _include_targets(self, out: list[Para], counters: dict[str, int]) -> None:
        for t in self.data.targets:
            if not self.applies(t.when):
                continue
            r = self.tr.render_target(t, self.data.origins.get(t.id))
            if r is None:
                continue  # no value applies this year (the target says why)
            src = self.source("target", t.id)
            out.append(Para(kind="bullet", runs=[Run(text="- "), *_runs(r)], source=src, refs=r.refs,
                            values=r.values))
            out.append(self.para("note", t.responsibility, "target", t.id, italic=True))

    def _include_areas(self, out: list[Para], counters: dict[str, int]) -> None:
        for area in sorted(self.data.areas, key=lambda a: a.number):
            counters["khoan"] += 1
            counters["diem"] = 0
            out.append(self.para("khoan", area.title, "area", area.id, f"{counters['khoan']}. "))
            tasks = [t for t in area.tasks if self.applies(t.when)]
            tasks += [t for t in self.province.tasks if t.area == area.id and self.applies(t.when)]
            for task in tasks:
                out.append(self.para("bullet", task.text, "task", task.id, "- "))

    def _include_responsibilities(self, out: list[Para], counters: dict[str, int]) -> None:
        for block in self.data.responsibilities:
            if not self.applies(block.when):
                continue
            items = [i for i in block.items if self.applies(i.when)]
            if not items:
                continue
            counters["khoan"] += 1
            number = f"{counters['khoan']}. "
            if block.inline:
                head, src = self.text(block.heading, "responsibility", block.id)
                runs = [Run(text=number, bold=True), *_runs(head, bold=True), Run(text=": ", bold=True)]
                refs, values = list(head.refs), list(head.values)
                for i, item in enumerate(items):
                    r, _ = self.text(item.text, "responsibility", item.id)
                    runs += ([Run(text=" ")] if i else []) + _runs(r)
                    refs += r.refs
                out.append(Para(kind="para", runs=runs, source=src, refs=list(dict.fromkeys(refs)), values=values))
                continue
            out.append(self.para("khoan", block.heading, "responsibility", block.id, number))
            for item in items:
                out.append(self.para("bullet", item.text, "responsibility", item.id, "- "))

    # -- appendix
    def appendix(self) -> list[Row]:
        rows: list[Row] = []
        n = 0
        for k, area in enumerate(sorted(self.data.areas, key=lambda a: a.number)):
            head, src = self.text(area.appendix_title, "area", area.id)
            rows.append(Row(kind="area", tt=ROMAN[k], cells={"task": _runs(head, bold=True)}, source=src))
            for row in self.data.rows:
                if row.area != area.id or not self.applies(row.when):
                    continue
                n += 1
                cells: dict[str, list[Run]] = {}
                refs: list[str] = []
                for name in ("task", "product", "lead", "coop", "deadline"):
                    if name in ("lead", "coop"):
                        # merged roles can resolve to one agency (KH&ĐT and Tài chính from 2025): name it once
                        names = "; ".join(dict.fromkeys(self.tr.ag(role) for role in getattr(row, name)))
                        cells[name] = [Run(text=_cap(names))] if names else []
                        continue
                    r, _ = self.text(getattr(row, name), "row", row.id)
                    cells[name] = _runs(r)
                    refs += r.refs
                rows.append(Row(kind="task", tt=str(n), cells=cells, source=self.source("row", row.id),
                                refs=list(dict.fromkeys(refs))))
        return rows


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def build(data: DataSet, province: m.Province, year: int, as_of: dt.date, date: dt.date | None = None) -> PlanContext:
    """The whole context of the plan of `province` for `year`, drafted on `as_of`."""
    b = _Builder(data, province, year, as_of)
    when = date or as_of
    day = f"{date.day:02d}" if date else None
    month = (f"{date.month:02d}" if date.month <= 2 else str(date.month)) if date else None
    # The signing date (d, m blank until the clerk fills them) is known to every label: the
    # appendix's "Kèm theo Kế hoạch … ngày …" repeats it.
    signed = {"place": province.place, "d": day, "m": month, "y": when.year}
    labels = {k: b.tr.label(k, **signed) for k in data.document.labels if k not in CALL_LABELS}
    date_line = b.tr.label("date_line", **signed)  # a call label: not in `labels`

    preamble: list[Para] = []
    cited: set[str] = set()
    for item in [*data.document.preamble, *province.programmes]:
        ins = sel.instrument(data, item.cite)
        if not b.applies(item.when) or (ins.signed is not None and ins.signed > as_of):
            continue  # not yet signed when the plan is drafted
        current = sel.effective(data, item.cite, as_of).id
        if current in cited:
            continue  # two replaced instruments with one successor: cite it once
        cited.add(current)
        preamble.append(_preamble(b, item))
    ban_hanh = b.para("para", data.document.labels["ban_hanh"], "label", "labels.ban_hanh")

    signer = sel.signer_for(province, year, as_of)
    if signer is None:
        name = Run(text=b.tr.label("signer_unknown"), bold=True, check=b.tr.label("check_signer"))
        signature = Signature(authority=labels["quyen_han"], deputy=None, title=labels["chu_tich"], name=name)
    else:
        check = b.tr.label("check_signer") if signer.status != "V" else None
        signature = Signature(authority=labels["quyen_han"], deputy=labels["kt"] if signer.authority == "KT" else None,
                              title=signer.title, name=Run(text=signer.name, bold=True, check=check))
    recipients = province.noi_nhan if province.noi_nhan is not None else data.document.noi_nhan
    noi_nhan = [b.tr.render(r.text, data.origins.get("noi_nhan")).text for r in recipients if b.applies(r.when)]
    extras = [b.para("heading", data.document.labels["trich_yeu"], "label", "labels.trich_yeu"),
              Para(kind="signature", runs=[signature.name],
                   source=b.source("profile", f"{province.id}.signers" if province.signers else province.id))]
    return PlanContext(province_id=province.id, year=year, as_of=as_of, date=date, labels=labels,
                       date_line=date_line, preamble=preamble, ban_hanh=ban_hanh, body=b.body(), noi_nhan=noi_nhan,
                       luu=labels["luu"], signature=signature, appendix=b.appendix(), extras=extras)


def _preamble(b: _Builder, item: m.PreambleItem) -> Para:
    source = b.data.document.labels.get("can_cu")
    if source is None:
        raise DataError("missing label 'can_cu'", None, "add `can_cu: \"Căn cứ {{ cite(id) }};\"` to document.yaml")
    r = b.tr.render(source, b.data.origins.get(item.id), id=item.cite)
    return Para(kind="preamble", runs=_runs(r), source=b.source("preamble", item.id), refs=r.refs, values=r.values)
