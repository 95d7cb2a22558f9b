"""Resolve the data for one (unit, kind, plan year, drafting date) into a frozen snapshot.

This is the only step that asks date questions (with the helpers of `selection`): every `when`,
replacement chain, amendment, agency rename, dated target value and signer is applied here, once,
the way OpenFisca's `parameters(instant)` returns the parameters at an instant. Layers are merged
first (national ← province), so a province's rule replaces or drops a national one before dates are
applied. What comes out only needs laying out."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import field, replace
from types import MappingProxyType
from typing import Any, Mapping

from . import layers
from . import records as m
from . import selection as sel
from .errors import DataError, Location
from .frozen import record
from .loader import DataSet


@record
class Origin:
    """Where a rule was defined: its layer ("national" or a province id) and file:line."""

    layer: str
    where: Location | None


@record
class TargetValue:
    """A target's value for the plan year, or None with what the reader must fill in."""

    value: m.DatedValue | None
    basis: m.Instrument | None
    #: the last value set before this year, shown to the officer who must fill the blank
    previous: m.DatedValue | None = None


@record
class ResolvedTarget:
    target: m.Target
    value: TargetValue


@record
class ResolvedArea:
    area: m.Area
    tasks: tuple[m.Task | m.ProvinceTask, ...]


@record
class Citation:
    """An instrument as cited at the drafting date: the chain of replacements that leads to the one in
    force (last), and the amendments of that one already signed."""

    chain: tuple[m.Instrument, ...]
    amendments: tuple[m.Instrument, ...] = ()

    @property
    def instrument(self) -> m.Instrument:
        return self.chain[-1]


@record
class DocRef:
    """A document named by its number and date (`--proposal`, `--replaces`): "125/TTr-SNV", 2023-12-10."""

    number: str
    date: dt.date


@record
class CommuneParts:
    """What a commune's plan adds to its province's snapshot: the unit (drafter.communes.Commune), the
    pack's body with its dates applied, the province's targets its plan gives to cấp xã for the year
    (by id), the province's plan it implements (`--parent`) or the one its profile records (`plan`)."""

    unit: Any
    body: tuple[m.PackNode, ...]
    targets: Mapping[str, ResolvedTarget]
    parent: DocRef | None = None
    plan: str | None = None  # instrument id of the province's plan for the year, signed by the drafting date


@record
class DeptRow:
    """A row of the province's plan that a department leads (`part` "lead") or cooperates on ("coop"),
    given to one of its units (a slot of its profile)."""

    row: m.AppendixRow
    part: str
    unit: str


@record
class DepartmentParts:
    """What a department's plan adds to its province's snapshot: the agency (its role and profile at the
    drafting date, the province's own units over the national ones), the document's body with its dates
    applied, the province's rows it leads or cooperates on, the items of its block of the province's Tổ
    chức thực hiện, its own activities, its signer and the province's plan it implements."""

    role: str
    abbr: str
    short: str
    head: str
    deputy: str
    office: str
    office_abbr: str
    units: Mapping[str, m.DeptUnit]
    #: where each unit slot was defined: "national" or the province's id
    unit_layers: Mapping[str, str]
    #: area id, row id or unit slot -> the unit slot that answers for it
    assign: Mapping[str, str]
    body: tuple[m.DeptNode, ...]
    rows: tuple[DeptRow, ...]
    duties: tuple[tuple[str, m.ResponsibilityItem], ...]  # (block id, item)
    activities: tuple[m.DeptNode, ...]
    signer: m.Signer | None
    parent: DocRef | None = None
    plan: str | None = None


@record
class Snapshot:
    kind: m.Kind
    unit: m.Province
    year: int
    as_of: dt.date
    date: dt.date | None
    citation: m.CitationFormats
    labels: Mapping[str, str]
    systems: Mapping[str, str]
    shape: m.Shape
    body: tuple[m.Node, ...]
    areas: tuple[ResolvedArea, ...]
    targets: tuple[ResolvedTarget, ...]
    responsibilities: tuple[m.Responsibility, ...]
    rows: tuple[m.AppendixRow, ...]
    preamble: tuple[tuple[m.PreambleItem, Citation], ...]
    noi_nhan: tuple[m.Recipient, ...]
    signer: m.Signer | None
    data_root: object
    dropped: tuple[layers.Dropped, ...] = ()
    #: the Ủy ban nhân dân issues the document as a collective body (a QĐ "TM. ỦY BAN NHÂN DÂN")
    collective: bool = False
    proposal: DocRef | None = None  # the Sở Nội vụ's Tờ trình a QĐ answers
    replaces: DocRef | None = None  # the QĐ this one replaces
    #: a commune's plan: the commune and its parts (None for the province's own plan)
    commune: CommuneParts | None = None
    #: a department's plan: the agency and its parts (None for the province's own plan)
    department: DepartmentParts | None = None
    _agencies: Mapping[str, str | DataError] = field(default_factory=dict)
    _citations: "_Citations | Mapping[str, Citation | DataError]" = field(default_factory=dict)
    _origins: "_Origins | Mapping[str, Origin]" = field(default_factory=dict)

    def agency(self, role: str) -> str:
        name = self._agencies.get(role)
        if name is None:
            raise DataError(f"unknown agency role '{role}'", None, "add it to rulepacks/national/agencies.yaml")
        if isinstance(name, DataError):
            raise name
        return name

    def cited(self, ident: str) -> Citation:
        c = self._citations.get(ident)
        if c is None:
            raise sel.unknown_instrument(list(self._citations), ident)
        if isinstance(c, DataError):
            raise c
        return c

    def origin(self, ident: str) -> Origin:
        return self._origins.get(ident) or Origin(layers.NATIONAL, None)


def resolve(data: DataSet, kind: m.Kind, unit: m.Province, year: int, as_of: dt.date,
            date: dt.date | None = None, *, collective: bool = False, proposal: DocRef | None = None,
            replaces: DocRef | None = None) -> Snapshot:
    """Everything the plan of `unit` for `year`, drafted on `as_of`, is made of, in the form `kind`."""
    layer = unit.layer
    lname = unit.id

    def ok(when: m.When) -> bool:
        return when.applies(as_of, year)

    origins = _Origins(data.origins, data.layer_origins.get(unit.id, {}), lname,
                       data.layer_origins.get(f"kind:{kind.id}", {}))
    drops = [d for d in layer.drop if ok(d.when)]
    dropped_ids = {d.id for d in drops}
    dropped = tuple(layers.Dropped(d.id, d.reason, lname) for d in drops)

    try:
        # -- merge the layers (no dates)
        body = layers.merge_tree(data.body, layer.body, dropped_ids, lname)
        targets = layers.merge(data.targets, layer.targets, dropped_ids, lname)
        resp = layers.merge(data.responsibilities, layer.responsibilities, dropped_ids, lname)
        rows = layers.merge(data.rows, layer.rows, dropped_ids, lname)
        shape = layers.merge_shape(data.document.shape, layer.shape)

        # -- apply dates, once
        body = _order(_when_tree(body, ok), shape)
        areas = tuple(
            ResolvedArea(_area_titles(a, shape),
                         tuple(layers.merge([t for t in a.tasks if ok(t.when)],
                                            [t for t in layer.tasks if t.area == a.id and ok(t.when)],
                                            dropped_ids, lname)))
            for a in sorted(data.areas, key=lambda a: a.number))
        resp = [r.model_copy(update={"items": layers.merge([i for i in r.items if ok(i.when)],
                                                           [i for i in layer.items if i.block == r.id and ok(i.when)],
                                                           dropped_ids, lname, _item)})
                for r in resp if ok(r.when)]
    except layers.PlacementError as exc:
        raise DataError(exc.message, origins.get(exc.rule).where, exc.hint) from None
    agencies = _agencies(data, unit, as_of, year)
    citations = _Citations(data, as_of)
    snap_targets = tuple(ResolvedTarget(t, _value(data, t, layer.values.get(t.id, []), year, as_of))
                         for t in targets if ok(t.when))
    snap_resp = tuple(r for r in resp if r.items)
    preamble = _preamble(data, kind, unit, citations, ok, as_of, dropped_ids)
    recipients = (kind.noi_nhan if kind.noi_nhan is not None
                  else unit.noi_nhan if unit.noi_nhan is not None else data.document.noi_nhan)
    # the kind's wording last: a QĐ's "Số: …/QĐ-UBND" is the QĐ's whatever the province's KH says
    own_form = next((f.labels for f in layer.forms if f.form == kind.id and ok(f.when)), {})
    labels = {**data.document.labels, **layer.labels, **kind.labels, **own_form}
    systems = {**data.document.systems, **unit.systems}
    return Snapshot(
        kind=kind, unit=unit, year=year, as_of=as_of, date=date, citation=data.citation,
        labels=MappingProxyType(labels), systems=MappingProxyType(systems), shape=shape, body=tuple(body),
        areas=areas, targets=snap_targets, responsibilities=snap_resp,
        rows=tuple(r for r in rows if ok(r.when)), preamble=preamble,
        noi_nhan=tuple(r for r in recipients if ok(r.when)), signer=sel.signer_for(unit, year, as_of),
        data_root=data.root, dropped=dropped, collective=collective, proposal=proposal, replaces=replaces,
        _agencies=MappingProxyType(agencies),
        _citations=citations, _origins=origins)


def _area_titles(a: m.Area, shape: m.Shape) -> m.Area:
    """An area worded as the province words it: `headings` may name the area (its title in the body)
    and `<area>.appendix` (its row in the appendix)."""
    update = {k: shape.headings[key] for k, key in (("title", a.id), ("appendix_title", f"{a.id}.appendix"))
              if key in shape.headings}
    return a.model_copy(update=update) if update else a


def _when_tree(nodes: list[m.Node], ok) -> list[m.Node]:
    return [n.model_copy(update={"items": _when_tree(n.items, ok)}) if n.items else n for n in nodes if ok(n.when)]


def _order(body: list[m.Node], shape: m.Shape) -> list[m.Node]:
    """Top-level sections in the shape's order, under the shape's headings."""
    if shape.sections is not None:
        by_id = {n.id: n for n in body}
        missing = [s for s in shape.sections if s not in by_id]
        if missing:
            raise DataError(f"shape.sections names {missing}, which are not top-level sections of the body",
                            None, f"use the ids of the body's sections: {', '.join(by_id)}")
        body = [by_id[s] for s in shape.sections]
    if shape.headings:
        body = _headings(body, shape.headings)
    return body


def _headings(nodes: list[m.Node], headings: Mapping[str, str]) -> list[m.Node]:
    out = []
    for n in nodes:
        update: dict = {}
        if n.id in headings:
            update["text"] = headings[n.id]
        if n.items:
            update["items"] = _headings(n.items, headings)
        out.append(n.model_copy(update=update) if update else n)
    return out


def _agencies(data: DataSet, unit: m.Province, as_of: dt.date, year: int) -> dict[str, str | DataError]:
    out: dict[str, str | DataError] = {}
    for role in {*data.agencies, *unit.agencies}:
        try:
            out[role] = sel.agency_name(data, unit, role, as_of, year)
        except DataError as exc:
            out[role] = exc
    return out


class _Citations:
    """How each instrument is cited at the drafting date, worked out when a text first cites it (a
    draft cites ~30 of the registry's instruments) and kept for the rest of the draft."""

    def __init__(self, data: DataSet, as_of: dt.date) -> None:
        self.data, self.as_of = data, as_of
        self._done: dict[str, Citation | DataError] = {}

    def __iter__(self):
        return iter(self.data.instruments)

    def get(self, ident: str) -> Citation | DataError | None:
        found = self._done.get(ident)
        if found is None and ident in self.data.instruments:
            found = self._done[ident] = _citation(self.data, ident, self.as_of)
        return found

    def __getitem__(self, ident: str) -> Citation | DataError:
        found = self.get(ident)
        if found is None:
            raise KeyError(ident)
        return found


def _citation(data: DataSet, ident: str, as_of: dt.date) -> Citation | DataError:
    try:
        chain = tuple(sel.replacements(data, ident, as_of))
    except DataError as exc:
        return exc
    current = chain[-1]
    amendments = tuple(a for a in (data.instruments.get(x) for x in current.amended_by)
                       if a is not None and (a.signed or a.effective) is not None
                       and (a.signed or a.effective) <= as_of)
    return Citation(chain, amendments)


class _Origins:
    """Where each rule was defined, the province's layer first: a view, not a copy of every origin."""

    def __init__(self, national: Mapping, own: Mapping, layer: str, kind: Mapping | None = None) -> None:
        self.national, self.own, self.layer, self.kind = national, own, layer, kind or {}

    def get(self, ident: str) -> Origin:
        loc = self.kind.get(ident)  # the kind's labels take precedence (see resolve), as their origins do
        if loc is not None:
            return Origin(layers.NATIONAL, loc)
        loc = self.own.get(ident)
        if loc is not None:
            return Origin(self.layer, loc)
        return Origin(layers.NATIONAL, self.national.get(ident))


def _item(i: m.LayerItem) -> m.ResponsibilityItem:
    return m.ResponsibilityItem.model_construct(id=i.id, text=i.text, when=i.when)  # validated fields (see _shape)


def _value(data: DataSet, t: m.Target, own: list[m.DatedValue], year: int, as_of: dt.date) -> TargetValue:
    """The province's own figure for the year if it set one, else the national value."""
    local = t.model_copy(update={"values": own})
    v = sel.value_for(data, local, year, as_of) if own else None
    if v is None:
        v = sel.value_for(data, t, year, as_of)
    prev = sel.previous_value(data, t.model_copy(update={"values": [*t.values, *own]}), year, as_of) if v is None else None
    return TargetValue(v, data.instruments.get(v.basis) if v and v.basis else None, prev)


def _preamble(data: DataSet, kind: m.Kind, unit: m.Province, citations: _Citations, ok, as_of: dt.date,
              dropped: set[str]) -> tuple[tuple[m.PreambleItem, Citation], ...]:
    out: list[tuple[m.PreambleItem, Citation]] = []
    cited: set[str] = set()
    for item in [*kind.preamble, *data.document.preamble, *unit.programmes]:
        if item.id in dropped or not ok(item.when):
            continue
        ins = sel.instrument(data, item.cite)
        if ins.signed is not None and ins.signed > as_of:
            continue  # not yet signed when the plan is drafted
        c = citations[item.cite]
        if isinstance(c, DataError):
            raise c
        if c.instrument.id in cited:
            continue  # two replaced instruments with one successor: cite it once
        cited.add(c.instrument.id)
        out.append((item, c))
    return tuple(out)


# --------------------------------------------------------------------------- a commune's plan

_AG = re.compile(r"\bag\(\s*['\"]([^'\"]+)['\"]\s*\)")


def resolve_commune(data: DataSet, kind: m.Kind, unit: m.Province, commune: Any, year: int, as_of: dt.date,
                    date: dt.date | None = None, parent: DocRef | None = None) -> Snapshot:
    """The plan of `commune` (of the province `unit`) for `year`, drafted on `as_of`: the province's
    snapshot (its agencies, systems, citations and targets as its own plan has them), with the pack's
    labels, Nơi nhận and body, and the province's targets its plan gives to cấp xã."""
    pack = data.packs.get(kind.pack)
    if pack is None:
        raise DataError(f"document kind '{kind.id}' names the pack '{kind.pack}', which has no "
                        f"rulepacks/{kind.pack}/pack.yaml", data.root / "rulepacks" / "kinds.yaml",
                        "restore the pack, or fix `pack:` of the kind")
    base = resolve(data, kind, unit, year, as_of, date)

    def ok(when: m.When) -> bool:
        return when.applies(as_of, year)

    roles = set(pack.assigned_roles)
    targets = {rt.target.id: rt for rt in base.targets
               if any(sel.role_at(data, r, as_of) in roles for r in _AG.findall(rt.target.responsibility))}
    plan = next((pl.cite for pl in unit.plans if pl.year == year), None)
    if plan is not None:
        ins = sel.instrument(data, plan)
        if ins.signed is not None and ins.signed > as_of:
            plan = None  # not yet signed when the commune drafts: a blank to fill
    scope = f"pack:{kind.pack}"
    origins = _Origins(data.origins, data.layer_origins.get(unit.id, {}), unit.id,
                       {**data.layer_origins.get(f"kind:{kind.id}", {}), **data.layer_origins.get(scope, {})})
    parts = CommuneParts(unit=commune, body=tuple(_when_tree(list(pack.body), ok)),
                         targets=MappingProxyType(targets), parent=parent, plan=plan)
    return replace(base, labels=MappingProxyType({**data.document.labels, **kind.labels, **pack.labels}),
                   noi_nhan=tuple(r for r in pack.noi_nhan if ok(r.when)), preamble=(), signer=None,
                   dropped=(), commune=parts, _origins=origins)


# --------------------------------------------------------------------------- a department's plans


def resolve_department(data: DataSet, kind: m.Kind, unit: m.Province, role: str, year: int, as_of: dt.date,
                       date: dt.date | None = None, parent: DocRef | None = None) -> Snapshot:
    """The plan of the department `role` of the province `unit` for `year` in the kind `kind` (its own
    CCHC plan, its CCHC propaganda plan), drafted on `as_of`: the province's snapshot (its rows, agencies,
    systems and citations as its own plan has them for the year), with the pack's document for the kind,
    the agency's profile and the rows and duties the province's plan gives it."""
    pack = data.packs.get(kind.pack)
    if not isinstance(pack, m.DepartmentPack):
        raise DataError(f"document kind '{kind.id}' names the pack '{kind.pack}', which is not a department pack "
                        f"(rulepacks/{kind.pack}/pack.yaml with `documents:`)", data.root / "rulepacks" / "kinds.yaml",
                        "restore the pack, or fix `pack:` of the kind")
    doc = pack.documents.get(kind.id)
    if doc is None:
        raise DataError(f"rulepacks/{kind.pack}/pack.yaml has no document '{kind.id}'", data.root / "rulepacks",
                        f"add `documents: {{{kind.id}: …}}` to the pack")
    base = resolve(data, kind, unit, year, as_of, date)

    def ok(when: m.When) -> bool:
        return when.applies(as_of, year)

    profile = next((p for p in pack.profiles if p.role == role and ok(p.when)), None)
    if profile is None:
        raise DataError(f"no profile of the agency '{role}' applies on {as_of:%d/%m/%Y}", data.root / "rulepacks",
                        f"add one to `profiles:` of rulepacks/{kind.pack}/pack.yaml")
    local = [d for d in unit.layer.departments if d.role == role]
    units: dict[str, m.DeptUnit] = {}
    unit_layers: dict[str, str] = {}
    for u in pack.shared_units:
        if ok(u.when):
            units[u.id], unit_layers[u.id] = u, layers.NATIONAL
    for u in profile.units:
        if ok(u.when):
            units[u.id], unit_layers[u.id] = u, layers.NATIONAL
    for d in local:
        for u in d.units:
            if ok(u.when):
                units[u.id], unit_layers[u.id] = u, unit.id
    assign = {**pack.area_units, **profile.assign}
    for d in local:
        assign.update(d.assign)

    groups = set(pack.groups)
    rows: list[DeptRow] = []
    for row in base.rows:
        lead = {sel.role_at(data, r, as_of) for r in row.lead}
        coop = {sel.role_at(data, r, as_of) for r in row.coop}
        part = "lead" if role in lead or groups & lead else "coop" if role in coop or groups & coop else None
        if part is None:
            continue
        slot = assign.get(row.id) or assign.get(row.area) or "van_phong"
        rows.append(DeptRow(row, part, slot if slot in units else "van_phong"))
    duties = tuple((block.id, item) for block in base.responsibilities
                   if (found := _AG.fullmatch(_bare(block.heading))) and sel.role_at(data, found.group(1), as_of) == role
                   for item in block.items)
    activities = tuple(a for a in [*profile.activities, *(x for d in local for x in d.activities)] if ok(a.when))
    signer = next((s for d in local for s in d.signers if ok(s.when)), None)
    plan = next((pl.cite for pl in unit.plans if pl.year == year), None)
    if plan is not None:
        ins = sel.instrument(data, plan)
        if ins.signed is not None and ins.signed > as_of:
            plan = None
    office = units.get("van_phong")
    parts = DepartmentParts(
        role=role, abbr=next((n.name for n in profile.abbreviations if ok(n.when)), profile.abbreviations[-1].name),
        short=profile.short, head=profile.head, deputy=profile.deputy, office=office.name if office else profile.short,
        office_abbr=(office.abbr if office and office.abbr else "VP"), units=MappingProxyType(units),
        unit_layers=MappingProxyType(unit_layers), assign=MappingProxyType(assign), body=tuple(_when_dept(list(doc.body), ok)), rows=tuple(rows),
        duties=duties, activities=tuple(_when_dept(list(activities), ok)), signer=signer, parent=parent, plan=plan)
    scope = data.layer_origins.get(f"pack:{kind.pack}", {})
    own_doc = {k[len(kind.id) + 1:]: v for k, v in scope.items() if k.startswith(f"{kind.id}.")}
    origins = _Origins(data.origins, data.layer_origins.get(unit.id, {}), unit.id,
                       {**data.layer_origins.get(f"kind:{kind.id}", {}), **scope, **own_doc})
    return replace(base, labels=MappingProxyType({**data.document.labels, **kind.labels, **pack.labels, **doc.labels}),
                   noi_nhan=tuple(r for r in doc.noi_nhan if ok(r.when)), preamble=(), signer=None, dropped=(),
                   department=parts, _origins=origins)


def _bare(heading: str) -> str:
    return heading.strip().removeprefix("{{").removesuffix("}}").strip()


def _when_dept(nodes: list[m.DeptNode], ok) -> list[m.DeptNode]:
    return [n.model_copy(update={"items": _when_dept(n.items, ok)}) if n.items else n for n in nodes if ok(n.when)]
