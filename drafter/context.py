"""Build the typed context of one plan: every paragraph and appendix row, already worded, numbered
and traced to the rule it came from. The template only lays it out."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from dataclasses import asdict, field, replace
from functools import lru_cache

from . import records as m
from .errors import DataError
from .frozen import record
from .resolve import DeptRow, DocRef, ResolvedTarget, Snapshot
from .textenv import nd30_date
from .texts import Rendered, TextRenderer, mark

ParaKind = Literal["muc", "khoan", "diem", "para", "bullet", "note", "preamble", "heading", "signature"]
VN_LETTERS = "a b c d đ e g h i k l m n o p q r s t u v x y".split()
ROMAN = "I II III IV V VI VII VIII IX X XI XII".split()


# The context is plain frozen dataclasses (drafter.frozen: cheaper to create): built from validated
# data, it needs no validation of its own.
frozen = record(kw_only=True)


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
    layer: str = "national"  # the layer the rule came from: "national" or a province id
    file: str | None = None
    line: int | None = None


@frozen
class Para:
    kind: ParaKind
    runs: list[Run]
    source: Source
    refs: list[str] = field(default_factory=list)
    values: list[dict[str, Any]] = field(default_factory=list)
    #: a point that leads in its own items ("b) Các chỉ tiêu cụ thể:"): kept with what follows on the page
    lead: bool = False

    @property
    def text(self) -> str:
        return "".join(r.text for r in self.runs)


@frozen
class Row:
    kind: Literal["area", "task"]
    tt: str
    cells: dict[str, list[Run]]  # one per appendix column but TT (area rows: task only)
    source: Source
    refs: list[str] = field(default_factory=list)


@frozen
class Column:
    key: str
    label: str
    width: float  # cm
    align: str


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
    columns: list[Column]
    #: rules of the national pack the province's layer leaves out, with its reasons
    dropped: list[dict[str, str]] = field(default_factory=list)
    #: Traced pieces the template lays out from labels and the profile (trích yếu, signer), so that
    #: provenance and `explain` cover them too; they are not body paragraphs.
    extras: list[Para] = field(default_factory=list)
    #: the document kind (rulepacks/kinds.yaml) the context is laid out for
    kind: str = "kh"
    #: the document's trích yếu and tên loại, for the file's properties ("": the plan's own)
    title: str = ""
    subject: str = ""
    #: a Quyết định's articles (Điều 1–3), after its căn cứ and "QUYẾT ĐỊNH:"
    articles: list[Para] = field(default_factory=list)
    #: a commune's plan: the commune's official code ("21211"); None for the province's own plan
    commune: str | None = None
    #: a department's plan: the agency's role ("khoa_hoc_cong_nghe"); None for the province's own plan
    agency: str | None = None
    #: its abbreviation, as the ký hiệu of its documents ("SKHCN"): the stem of the draft's file name
    agency_abbr: str | None = None
    agency_name: str | None = None

    @property
    def checks(self) -> list[Check]:
        """Every unverified fact the draft marks for the reader, in document order."""
        out: list[Check] = []
        for p in [*self.preamble, self.ban_hanh, *self.articles, *self.body]:
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
    """Lays a resolved snapshot out: numbering, wording and tracing; it asks no date question."""

    def __init__(self, snap: Snapshot) -> None:
        self.snap = snap
        self.tr = TextRenderer(snap)

    def source(self, kind: str, ident: str) -> Source:
        origin = self.snap.origin(ident)
        loc = origin.where
        if loc is None:
            return Source(kind=kind, id=ident, layer=origin.layer)
        return Source(kind=kind, id=ident, layer=origin.layer, file=_relative(loc.path, self.snap.data_root),
                      line=loc.line)

    def text(self, source: str, kind: str, ident: str, **extra: Any) -> tuple[Rendered, Source]:
        src = self.source(kind, ident)
        return self.tr.render(source, self.snap.origin(ident).where, **extra), src

    def para(self, pkind: ParaKind, source: str, kind: str, ident: str, prefix: str = "", **style: bool) -> Para:
        r, src = self.text(source, kind, ident)
        runs = ([Run(text=prefix, **style)] if prefix else []) + _runs(r, **style)
        return Para(kind=pkind, runs=runs, source=src, refs=r.refs, values=r.values)

    def labelled(self, pkind: ParaKind, key: str, prefix: str = "", **extra: Any) -> Para:
        """A paragraph worded by the label `key` with its own arguments; `prefix` bold ("Điều 1.")."""
        r, src = self.text(self.snap.labels[key], "label", f"labels.{key}", **extra)
        runs = ([Run(text=prefix, bold=True)] if prefix else []) + _runs(r)
        return Para(kind=pkind, runs=runs, source=src, refs=r.refs, values=r.values)

    # -- body
    def body(self) -> list[Para]:
        out: list[Para] = []
        counters = {"muc": 0, "khoan": 0, "diem": 0}
        self._walk(list(self.snap.body), out, counters)
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
            if node.kind == "include":
                getattr(self, f"_include_{node.include}")(out, counters)
            elif node.kind in ("muc", "khoan", "diem"):
                para = self.para(node.kind, node.text or "", "node", node.id, self._number(node.kind, counters))
                out.append(replace(para, lead=True) if node.kind == "diem" and node.items else para)
            elif node.kind == "bullet":
                out.append(self.para("bullet", node.text or "", "node", node.id, "- "))
            else:
                out.append(self.para(node.kind, node.text or "", "node", node.id, italic=node.kind == "note"))
            self._walk(node.items, out, counters)

    def _target(self, rt: ResolvedTarget) -> Para | None:
        r = self.tr.render_target(rt, self.snap.origin(rt.target.id).where)
        if r is None:
            return None  # no value applies this year (the target says why)
        return Para(kind="bullet", runs=[Run(text="- "), *_runs(r)], source=self.source("target", rt.target.id),
                    refs=r.refs, values=r.values)

    def _include_targets(self, out: list[Para], counters: dict[str, int]) -> None:
        """Each target followed by the agencies that answer for it (seed 002)."""
        for rt in self.snap.targets:
            para = self._target(rt)
            if para is not None:
                out.append(para)
                out.append(self.para("note", rt.target.responsibility, "target", rt.target.id, italic=True))

    def _include_targets_by_area(self, out: list[Para], counters: dict[str, int]) -> None:
        """Targets grouped under the areas' headings, numbered as khoản (seed 000, II. MỤC TIÊU)."""
        for ra in self.snap.areas:
            paras = [p for rt in self.snap.targets if rt.target.area == ra.area.id
                     if (p := self._target(rt)) is not None]
            if not paras:
                continue
            counters["khoan"] += 1
            counters["diem"] = 0
            out.append(self.para("khoan", ra.area.title, "area", ra.area.id, f"{counters['khoan']}. "))
            out.extend(paras)

    def _include_areas(self, out: list[Para], counters: dict[str, int]) -> None:
        for ra in self.snap.areas:
            counters["khoan"] += 1
            counters["diem"] = 0
            out.append(self.para("khoan", ra.area.title, "area", ra.area.id, f"{counters['khoan']}. "))
            for task in ra.tasks:
                out.append(self.para("bullet", task.text, "task", task.id, "- "))

    def _include_responsibilities(self, out: list[Para], counters: dict[str, int]) -> None:
        fmt = self.snap.shape.responsibility_number or "{{ n }}. "
        # "1.1, 1.2 …" (seed 004) numbers the blocks under the current khoản; "1., 2. …" continues it
        nested = "parent" in fmt
        parent = counters["khoan"]
        for i, block in enumerate(self.snap.responsibilities, 1):
            if not nested:
                counters["khoan"] += 1
            n = i if nested else counters["khoan"]
            number = self.tr.render(fmt, None, n=n, parent=parent).text
            if block.inline:
                head, src = self.text(block.heading, "responsibility", block.id)
                runs = [Run(text=number, bold=True), *_runs(head, bold=True), Run(text=": ", bold=True)]
                refs, values = list(head.refs), list(head.values)
                for i, item in enumerate(block.items):
                    r, _ = self.text(item.text, "responsibility", item.id)
                    runs += ([Run(text=" ")] if i else []) + _runs(r)
                    refs += r.refs
                out.append(Para(kind="para", runs=runs, source=src, refs=list(dict.fromkeys(refs)), values=values))
                continue
            out.append(self.para("khoan", block.heading, "responsibility", block.id, number))
            for item in block.items:
                out.append(self.para("bullet", item.text, "responsibility", item.id, "- "))

    # -- appendix
    def columns(self) -> list[Column]:
        cols = self.snap.shape.appendix_columns or []
        return [Column(key=c.key, label=self.tr.render(c.label, None).text, width=c.width, align=c.align) for c in cols]

    def appendix(self) -> list[Row]:
        cols = self.snap.shape.appendix_columns or []
        rows: list[Row] = []
        n = 0
        numbered = any(c.key == "tt" for c in cols)
        for k, ra in enumerate(self.snap.areas):
            head, src = self.text(ra.area.appendix_title, "area", ra.area.id)
            # without a TT column (seed 004) the numeral leads the area's own row
            lead = [] if numbered else [Run(text=f"{ROMAN[k]}. ", bold=True)]
            rows.append(Row(kind="area", tt=ROMAN[k], cells={"task": lead + _runs(head, bold=True)}, source=src))
            for row in self.snap.rows:
                if row.area != ra.area.id:
                    continue
                n += 1
                cells: dict[str, list[Run]] = {}
                refs: list[str] = []
                for col in cols:
                    if col.key == "tt":
                        continue
                    if col.key in ("lead", "coop"):
                        # merged roles can resolve to one agency (KH&ĐT and Tài chính from 2025): name it once
                        names = "; ".join(dict.fromkeys(self.tr.ag(role) for role in getattr(row, col.key)))
                        cells[col.key] = [Run(text=_cap(names))] if names else []
                        continue
                    r, _ = self.text(getattr(row, col.key) or col.default, "row", row.id)
                    cells[col.key] = _runs(r)
                    refs += r.refs
                rows.append(Row(kind="task", tt=str(n), cells=cells, source=self.source("row", row.id),
                                refs=list(dict.fromkeys(refs))))
        return rows


@lru_cache(maxsize=1024)
def _relative(path: Any, root: Any) -> str:
    """A data file's path as provenance records it: relative to the data folder."""
    try:
        return str(path.relative_to(root))
    except (AttributeError, ValueError, TypeError):
        return str(path)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def build(snap: Snapshot) -> PlanContext:
    """The whole context of the plan resolved in `snap`."""
    b = _Builder(snap)
    province, date = snap.unit, snap.date
    labels, date_line = _dated_labels(b, province.place)

    if snap.shape.preamble == "joined" and snap.preamble:
        preamble = [_joined_preamble(b, [item for item, _ in snap.preamble])]
    else:
        preamble = [_preamble(b, item) for item, _ in snap.preamble]
    ban_hanh = b.para("para", snap.labels["ban_hanh"], "label", "labels.ban_hanh")

    signer = snap.signer
    if signer is None:
        name = Run(text=b.tr.label("signer_unknown"), bold=True, check=b.tr.label("check_signer"))
        signature = Signature(authority=labels["quyen_han"], deputy=None, title=labels["chu_tich"], name=name)
    else:
        check = b.tr.label("check_signer") if signer.status != "V" else None
        signature = Signature(authority=labels["quyen_han"], deputy=labels["kt"] if signer.authority == "KT" else None,
                              title=signer.title, name=Run(text=signer.name, bold=True, check=check))
    noi_nhan = [b.tr.render(r.text, snap.origin("noi_nhan").where).text for r in snap.noi_nhan]
    extras = [b.para("heading", snap.labels["trich_yeu"], "label", "labels.trich_yeu"),
              Para(kind="signature", runs=[signature.name],
                   source=b.source("profile", f"{province.id}.signers" if province.signers else province.id))]
    dropped = [{"id": d.id, "layer": d.layer, "reason": d.reason} for d in snap.dropped]
    return PlanContext(province_id=province.id, year=snap.year, as_of=snap.as_of, date=date, labels=labels,
                       date_line=date_line, preamble=preamble, ban_hanh=ban_hanh, body=b.body(), noi_nhan=noi_nhan,
                       luu=labels["luu"], signature=signature, appendix=b.appendix(), columns=b.columns(),
                       dropped=dropped, extras=extras, kind=snap.kind.id)


def build_decision(snap: Snapshot) -> PlanContext:
    """A Quyết định that issues the plan, the plan attached: the QĐ's căn cứ (one per line, the kind's
    own bases first), the Sở Nội vụ's proposal, Điều 1–3; then the plan's body and appendix as `build`
    lays them out (the plan carries no căn cứ, enacting sentence, Nơi nhận or signature of its own)."""
    plan = build(snap)
    b = _Builder(snap)
    preamble = [_preamble(b, item) for item, _ in snap.preamble]
    date_format = snap.citation.date_format

    def named(ref: DocRef) -> dict[str, str]:
        return {"number": ref.number, "ngay": nd30_date(ref.date, date_format)}

    if snap.proposal is not None:
        to_trinh = b.tr.label("van_ban_so", **named(snap.proposal))
    else:  # a blank the clerk fills, marked
        to_trinh = mark(b.tr.label("check_to_trinh"), b.tr.label("to_trinh_blank"))
    proposal = b.labelled("para", "de_nghi", to_trinh=to_trinh)
    thay_the = b.tr.label("thay_the", **named(snap.replaces)) if snap.replaces is not None else ""
    articles = [b.labelled("para", key, prefix=b.tr.label("dieu", n=n) + " ", **extra)
                for n, (key, extra) in enumerate((("dieu_1", {}), ("dieu_2", {"thay_the": thay_the}),
                                                  ("dieu_3", {})), 1)]
    extras = [b.para("heading", snap.labels["qd_trich_yeu"], "label", "labels.qd_trich_yeu"), *plan.extras]
    return replace(plan, preamble=preamble, ban_hanh=proposal, articles=articles, extras=extras,
                   title=b.tr.label("qd_trich_yeu"), subject=b.tr.label("qd_ten_loai"))


def _dated_labels(b: _Builder, place: str) -> tuple[dict[str, str], str]:
    """The document's labels and its date line, rendered with the signing date (d, m blank until the
    clerk fills them): every label knows it, as the appendix's "Kèm theo … ngày …" repeats it."""
    snap, date = b.snap, b.snap.date
    when = date or snap.as_of
    day = f"{date.day:02d}" if date else None
    month = (f"{date.month:02d}" if date.month <= 2 else str(date.month)) if date else None
    signed = {"place": place, "d": day, "m": month, "y": when.year}
    call = set(snap.kind.call_labels)
    labels = {k: b.tr.label(k, **signed) for k in snap.labels if k not in call}
    return labels, b.tr.label("date_line", **signed)  # date_line is a call label: not in `labels`


def _opening(b: _Builder, parent: DocRef | None, plan: str | None) -> Para:
    """"Thực hiện Kế hoạch số … của Ủy ban nhân dân tỉnh …": the province's plan of the year a commune's or
    a department's plan implements (--parent, else the one the province's profile records, else a blank)."""
    if parent is not None:
        so_ngay = b.tr.label("van_ban_so", number=parent.number, ngay=nd30_date(parent.date, b.snap.citation.date_format))
        return b.labelled("preamble", "mo_dau", so_ngay=so_ngay)
    if plan is not None:
        return b.labelled("preamble", "mo_dau_cite", id=plan)
    return b.labelled("preamble", "mo_dau", so_ngay=mark(b.tr.label("check_parent"), b.tr.label("parent_blank")))


def _implementing(b: _Builder, place: str, parent: DocRef | None, plan: str | None
                  ) -> tuple[dict[str, str], str, Para, Para]:
    """The front of a plan that implements the province's (a commune's, a department's): its labels and
    date line at `place`, the opening (`_opening`) and the enacting sentence."""
    labels, date_line = _dated_labels(b, place)
    opening = _opening(b, parent, plan)
    return labels, date_line, opening, b.para("para", b.snap.labels["ban_hanh"], "label", "labels.ban_hanh")


def _joined_preamble(b: _Builder, items: list[m.PreambleItem]) -> Para:
    """All legal bases in one paragraph, introduced by the first one's verb (seeds 000, 004)."""
    first = items[0]
    source = b.snap.labels["can_cu_list"]
    idents = [i.cite for i in items]
    r = b.tr.render(source, b.snap.origin("labels.can_cu_list").where, verb=b.tr.verb(first.cite),
                    items=lambda sep: b.tr.citations(idents, sep))
    return Para(kind="preamble", runs=_runs(r), source=b.source("preamble", first.id), refs=r.refs, values=r.values)


def _preamble(b: _Builder, item: m.PreambleItem) -> Para:
    source = b.snap.labels.get("can_cu")
    if source is None:
        raise DataError("missing label 'can_cu'", None,
                        "add `can_cu: \"{{ verb }} {{ cite(id) }};\"` to document.yaml")
    r = b.tr.render(source, b.snap.origin(item.id).where, id=item.cite, verb=b.tr.verb(item.cite))
    return Para(kind="preamble", runs=_runs(r), source=b.source("preamble", item.id), refs=r.refs, values=r.values)


# --------------------------------------------------------------------------- a commune's plan


def build_commune(snap: Snapshot) -> PlanContext:
    """The plan of a commune (rulepacks/commune/): the header of its Ủy ban nhân dân, the opening that
    implements the province's plan of the year, the pack's body numbered per ND 30 (mục I., khoản 1.,
    điểm a) … đ) e) g), "- " bullets and "+ " sub-bullets), each target of the province's plan given to
    cấp xã worded for the commune with the province's figure, and the signature "TM. ỦY BAN NHÂN DÂN /
    CHỦ TỊCH" with the name left for the clerk. No appendix."""
    parts = snap.commune
    if parts is None:
        raise DataError(f"document kind '{snap.kind.id}' is a commune's plan: it needs a commune", "--form",
                        "draft it with `drafter new --commune NAME --year N`")
    b = _Builder(snap)
    commune, date = parts.unit, snap.date
    labels, date_line, opening, ban_hanh = _implementing(b, commune.place, parts.parent, parts.plan)

    body: list[Para] = []
    _commune_walk(b, list(parts.body), body, {"muc": 0, "khoan": 0, "diem": 0}, parts.targets, None)
    name = Run(text=b.tr.label("signer_unknown"), bold=True, check=b.tr.label("check_signer"))
    signature = Signature(authority=labels["quyen_han"], deputy=None, title=labels["chu_tich"], name=name)
    noi_nhan = [b.tr.render(r.text, snap.origin("noi_nhan").where).text for r in snap.noi_nhan]
    extras = [b.para("heading", snap.labels["trich_yeu"], "label", "labels.trich_yeu"),
              Para(kind="signature", runs=[name], source=b.source("label", "labels.signer_unknown"))]
    return PlanContext(province_id=snap.unit.id, year=snap.year, as_of=snap.as_of, date=date, labels=labels,
                       date_line=date_line, preamble=[opening], ban_hanh=ban_hanh, body=body, noi_nhan=noi_nhan,
                       luu=labels["luu"], signature=signature, appendix=[], columns=[], extras=extras,
                       kind=snap.kind.id, commune=commune.code_text)


def _commune_walk(b: _Builder, nodes: list[m.PackNode], out: list[Para], counters: dict[str, int],
                  targets, parent: m.PackNode | None) -> None:
    """Lay the pack's nodes out in order. A target the province's plan does not give to cấp xã this year
    is left out; a point that leads in its items (ends ":") and keeps none of them ends with "." instead."""
    for node in nodes:
        if node.kind == "target":
            rt = targets.get(node.target)
            if rt is None:
                continue
            r = b.tr.render_target(replace_target(rt, node.text), b.snap.origin(node.id).where)
            if r is None:
                continue  # no value applies this year, and the target says why
            out.append(Para(kind="bullet", runs=[Run(text="- "), *_runs(r)], source=b.source("target", rt.target.id),
                            refs=r.refs, values=r.values))
            continue
        if node.kind in ("muc", "khoan", "diem"):
            prefix = b._number(node.kind, counters)
        else:
            prefix = {"bullet": "- ", "sub": "+ "}.get(node.kind, "")
        kind = "bullet" if node.kind == "sub" else node.kind
        para = b.para(kind, node.text, "node", node.id, prefix, italic=node.kind == "note")
        at = len(out)
        out.append(para)
        _commune_walk(b, node.items, out, counters, targets, node)
        if node.items and len(out) == at + 1 and para.text.endswith(":"):
            runs = list(para.runs)
            last = runs[-1]
            runs[-1] = Run(text=last.text[:-1] + ".", bold=last.bold, italic=last.italic, check=last.check)
            out[at] = replace(para, runs=runs)
        elif node.kind == "diem" and len(out) > at + 1:
            out[at] = replace(out[at], lead=True)


def replace_target(rt: ResolvedTarget, text: str) -> ResolvedTarget:
    """The province's target `rt` (its figure for the year, its basis) worded as the pack words it."""
    return replace(rt, target=rt.target.model_copy(update={"text": text}))


# --------------------------------------------------------------------------- a department's plans


def build_department(snap: Snapshot) -> PlanContext:
    """A department's plan (rulepacks/department/): the header of the agency under its superior body
    ("UBND TỈNH …" / "SỞ …"), "Số: …/KH-<abbreviation>", the opening that implements the province's plan
    of the year, the pack's body for the kind (numbered per ND 30), with the province's rows the agency
    leads or cooperates on (each given to one of its units, with its product and time), the items of its
    block of the province's Tổ chức thực hiện and its own activities (each followed by its lead unit, its
    cooperating units and its time); the signature "GIÁM ĐỐC" or "KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC". No appendix."""
    parts = snap.department
    if parts is None:
        raise DataError(f"document kind '{snap.kind.id}' is a department's plan: it needs an agency", "--kind",
                        "draft it with `drafter new --agency NAME --kind K --province P --year N`")
    b = _Builder(snap)
    province, date = snap.unit, snap.date
    labels, date_line, opening, ban_hanh = _implementing(b, province.place, parts.parent, parts.plan)

    body: list[Para] = []
    _Dept(b, parts).walk(list(parts.body), body, {"muc": 0, "khoan": 0, "diem": 0})
    signer = parts.signer
    head = b.tr.label("chuc_vu")
    if signer is None:
        name = Run(text=b.tr.label("signer_unknown"), bold=True, check=b.tr.label("check_signer"))
        signature = Signature(authority="", deputy=None, title=head, name=name)
        sig_source = b.source("label", "labels.signer_unknown")
    else:
        check = b.tr.label("check_signer") if signer.status != "V" else None
        name = Run(text=signer.name, bold=True, check=check)
        signature = Signature(authority="", deputy=b.tr.label("kt") if signer.authority == "KT" else None,
                              title=signer.title, name=name)
        sig_source = b.source("profile", f"department:{parts.role}.signers")
    noi_nhan = [t for r in snap.noi_nhan if (t := b.tr.render(r.text, snap.origin("noi_nhan").where).text.strip())]
    extras = [b.para("heading", snap.labels["trich_yeu"], "label", "labels.trich_yeu"),
              Para(kind="signature", runs=[name], source=sig_source)]
    return PlanContext(province_id=province.id, year=snap.year, as_of=snap.as_of, date=date, labels=labels,
                       date_line=date_line, preamble=[opening], ban_hanh=ban_hanh, body=body, noi_nhan=noi_nhan,
                       luu=labels["luu"], signature=signature, appendix=[], columns=[], extras=extras,
                       kind=snap.kind.id, agency=parts.role, agency_abbr=parts.abbr,
                       agency_name=b.tr.base["agency"]["name"])


class _Dept:
    """Lays out the body of a department's plan."""

    def __init__(self, b: _Builder, parts) -> None:
        self.b, self.parts, self.snap = b, parts, b.snap

    def unit_runs(self, slots: list[str]) -> list[Run]:
        """The units named by `slots`, joined by ", "; a name not verified is highlighted with a comment."""
        runs: list[Run] = []
        units = self.parts.units
        named = [s if s in units else self.parts.assign.get(s, "van_phong") for s in slots]
        for i, slot in enumerate(dict.fromkeys(named)):
            unit = units.get(slot) or units.get(self.parts.assign.get(slot, "van_phong"))
            if unit is None:
                raise DataError(f"unit '{slot}' is not a unit of the profile of '{self.parts.role}' on "
                                f"{self.snap.as_of:%d/%m/%Y}", self.snap.origin(f"profile:{self.parts.role}").where,
                                "add it to the profile's `units:` (or to `shared_units:`), or name another unit")
            if i:
                runs.append(Run(text=", "))
            name = self.b.tr.render(unit.name, self.snap.origin(f"unit:{self.parts.role}:{unit.id}").where).text
            check = self.b.tr.label("check_unit", name=name) if unit.status != "V" else None
            runs.append(Run(text=_cap(name) if i == 0 else name, check=check))
        return runs

    def line(self, label: str, slots: list[str] | None, ident: str, kind: str, text: str | None = None,
             prefix: str = "- ") -> Para:
        """"- Đơn vị chủ trì thực hiện: Văn phòng Sở." (units), or "- Thời gian thực hiện: …" (a text)."""
        head = self.b.tr.label(label)
        if slots is not None:
            runs = self.unit_runs(slots)
        else:
            r, _ = self.b.text(text or "", kind, ident)
            runs = _runs(r)
        return Para(kind="bullet", runs=[Run(text=prefix + head + " "), *runs, Run(text=".")],
                    source=self.b.source(kind, ident))

    def walk(self, nodes: list[m.DeptNode], out: list[Para], counters: dict[str, int]) -> None:
        b = self.b
        for node in nodes:
            if node.kind == "rows":
                self.rows(out, counters)
                continue
            if node.kind == "duties":
                self.duties(node, out, counters)
                continue
            if node.kind == "activities":
                self.walk(list(self.parts.activities), out, counters)
                continue
            if node.kind == "activity":
                self.activity(node, out, counters)
                continue
            if node.kind in ("muc", "khoan", "diem"):
                prefix = b._number(node.kind, counters)
            elif node.kind == "item":  # a khoản without a title
                prefix = b._number("khoan", counters)
            else:
                prefix = {"bullet": "- ", "sub": "+ "}.get(node.kind, "")
            kind = {"sub": "bullet", "item": "para"}.get(node.kind, node.kind)
            para = b.para(kind, node.text, "node", node.id, prefix, italic=node.kind == "note")
            if node.check:
                para = self.checked(para, node)
            at = len(out)
            out.append(para)
            self.walk(node.items, out, counters)
            if node.kind == "diem" and len(out) > at + 1:
                out[at] = replace(out[at], lead=True)

    def checked(self, para: Para, node: m.DeptNode) -> Para:
        """The node's text highlighted with its `check` comment (its number or dash left plain)."""
        what = self.b.tr.render(node.check or "", self.snap.origin(node.id).where).text
        lead = 1 if node.kind in ("muc", "khoan", "item", "diem", "bullet", "sub") else 0
        keep, rest = para.runs[:lead], para.runs[lead:]
        if not rest:
            return para
        text = "".join(r.text for r in rest)
        return replace(para, runs=[*keep, Run(text=text, bold=rest[0].bold, italic=rest[0].italic, check=what)])

    def activity(self, node: m.DeptNode, out: list[Para], counters: dict[str, int]) -> None:
        b = self.b
        out.append(b.para("khoan", node.text, "node", node.id, b._number("khoan", counters)))
        out.append(self.line("chu_tri", node.lead, node.id, "node"))
        if node.coop:
            out.append(self.line("phoi_hop", node.coop, node.id, "node"))
        out.append(self.line("thoi_gian", None, node.id, "node", node.time))

    def rows(self, out: list[Para], counters: dict[str, int]) -> None:
        """The province's rows this agency leads, then those it cooperates on, under each area (khoản):
        each row a bullet (traced to the row), then its unit, product and time."""
        b = self.b
        for ra in self.snap.areas:
            mine = [d for d in self.parts.rows if d.row.area == ra.area.id]
            if not mine:
                continue
            out.append(b.para("khoan", ra.area.title, "area", ra.area.id, b._number("khoan", counters)))
            for part, label in (("lead", "rows_lead"), ("coop", "rows_coop")):
                these = [d for d in mine if d.part == part]
                if not these:
                    continue
                head = b.labelled("diem", label)
                out.append(replace(head, runs=[Run(text=b._number("diem", counters)), *head.runs], lead=True))
                for d in these:
                    out.extend(self.row(d))

    def row(self, d: DeptRow) -> list[Para]:
        b = self.b
        task, src = b.text(d.row.task, "row", d.row.id)
        runs = _runs(task)
        if runs and not runs[-1].text.rstrip().endswith((".", ";", ":")) and not runs[-1].check:
            runs[-1] = replace(runs[-1], text=runs[-1].text.rstrip() + ".")
        bullet = Para(kind="bullet", runs=[Run(text="- "), *runs], source=src, refs=task.refs, values=task.values)
        product, _ = b.text(d.row.product, "row", d.row.id)
        deadline, _ = b.text(d.row.deadline, "row", d.row.id)
        label = "row_chu_tri" if d.part == "lead" else "row_phoi_hop"
        runs = [Run(text="+ " + b.tr.label(label) + " "), *self.unit_runs([d.unit]),
                Run(text="; " + b.tr.label("san_pham") + " "), *_runs(product),
                Run(text="; " + b.tr.label("thoi_han") + " "), *_runs(deadline), Run(text=".")]
        assign = Para(kind="bullet", runs=runs, source=replace(src, kind="assignment"))
        return [bullet, assign]

    def duties(self, node: m.DeptNode, out: list[Para], counters: dict[str, int]) -> None:
        b = self.b
        if not self.parts.duties:
            return
        if node.text:
            out.append(b.para("khoan", node.text, "node", node.id, b._number("khoan", counters)))
        for _, item in self.parts.duties:
            out.append(b.para("bullet", item.text, "responsibility", item.id, "- "))
        if node.items:
            self.walk(node.items, out, counters)
