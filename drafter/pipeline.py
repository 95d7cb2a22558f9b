"""The one direction of flow: load → resolve for (unit, kind, date) → lay out → render → bytes."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Callable

from . import context, selection
from .context import PlanContext
from .errors import DataError, UsageError
from .frozen import record
from .loader import DataSet, load_cached
from .records import Kind
from .render import render_docx
from .resolve import DocRef, Snapshot, resolve, resolve_commune, resolve_department
from .resources import default_data_dir

DEFAULT_KIND = "kh"
#: The kind of a commune's plan (rulepacks/kinds.yaml, its pack rulepacks/commune/).
COMMUNE_KIND = "kh-xa"
#: How each kind's builder lays a snapshot out (named by `builder:` in rulepacks/kinds.yaml).
BUILDERS: dict[str, Callable[[Snapshot], PlanContext]] = {"plan": context.build, "decision": context.build_decision,
                                                          "commune": context.build_commune,
                                                          "department": context.build_department}


@record
class Draft:
    context: PlanContext
    docx: bytes

    @property
    def province_id(self) -> str:
        return self.context.province_id


@lru_cache(maxsize=8)
def _template_bytes(path: Path, mtime: float) -> bytes:
    return path.read_bytes()


def template_bytes(data: DataSet, kind: Kind) -> bytes:
    path = data.template(kind)
    return _template_bytes(path, path.stat().st_mtime)


def validate(data: DataSet) -> None:
    """What `drafter check` calls errors stops a draft too: checks.validate (the cached data is keyed by
    it, and `drafter check` shares that entry)."""
    from .checks import validate as check

    check(data)


def load(data_dir: Path | None = None, layers: Path | None = None) -> DataSet:
    """The data (shipped, or `data_dir`), with the local layers of the folder `layers` over it
    (`drafter import` writes them; see drafter.overlays), checked as a draft needs it (once per edit:
    the result is cached)."""
    from .checks import validate as check  # light: the checks run only when the data is built

    data = load_cached(Path(data_dir or default_data_dir()).resolve(), check)
    if layers is None:
        return data
    from . import overlays

    combined, _ = overlays.load(data, layers)
    validate(combined)  # the overlay's texts, references and dates, with the data they merge into
    return combined


def kind_of(data: DataSet, kind: str = DEFAULT_KIND) -> Kind:
    try:
        return data.kinds[kind]
    except KeyError:
        raise UsageError(f"unknown form '{kind}'", "--form",
                         "use one of: " + "; ".join(f"{k.id} ({k.title})" for k in data.kinds.values()
                                                    if k.builder not in ("commune", "department"))) from None


def province_form(data: DataSet, kind: str) -> Kind:
    """A form a province issues its own plan in (not a commune's plan)."""
    k = kind_of(data, kind)
    if k.builder == "commune":
        raise UsageError(f"form '{kind}' is the plan of a commune (xã, phường, đặc khu), not of a province", "--form",
                         "draft it with drafter new --commune NAME --year N; a province's forms: "
                         + ", ".join(x.id for x in data.kinds.values() if x.builder not in ("commune", "department")))
    if k.builder == "department":
        raise UsageError(f"form '{kind}' is the plan of a department (sở, ban, ngành), not of a province", "--form",
                         f"draft it with drafter new --agency NAME --kind {k.option} --province P --year N")
    return k


def snapshot(data: DataSet, province: str, year: int, as_of: dt.date | None = None, date: dt.date | None = None,
             kind: str | None = None, proposal: DocRef | None = None, replaces: DocRef | None = None) -> Snapshot:
    """Resolve the plan in the form `kind`; without one, in the province's own form for the date (its
    layer's `forms:`), else the national `kh`."""
    selection.check_year(year)
    when = as_of or date or selection.default_as_of(year)
    unit = selection.find_province(data, province, when, year)
    choice = selection.form_for(unit, year, when)
    form = kind or (choice.form if choice else DEFAULT_KIND)
    collective = choice is not None and choice.form == form and choice.issuer == "ubnd"
    return resolve(data, province_form(data, form), unit, year, when, date, collective=collective,
                   proposal=proposal, replaces=replaces)


def plan_context(data: DataSet, province: str, year: int, as_of: dt.date | None = None,
                 date: dt.date | None = None, kind: str | None = None, proposal: DocRef | None = None,
                 replaces: DocRef | None = None) -> PlanContext:
    snap = snapshot(data, province, year, as_of, date, kind, proposal, replaces)
    return BUILDERS[snap.kind.builder](snap)


def draft(data: DataSet, province: str, year: int, as_of: dt.date | None = None,
          date: dt.date | None = None, kind: str | None = None) -> Draft:
    return render(data, plan_context(data, province, year, as_of, date, kind))


def commune_snapshot(data: DataSet, commune: str, year: int, province: str | None = None,
                     as_of: dt.date | None = None, date: dt.date | None = None, parent: DocRef | None = None,
                     kind: str = COMMUNE_KIND) -> Snapshot:
    """Resolve the plan of the commune named `commune` (or with that official code), of the province
    named `province` if given (needed where the name is in several provinces), for `year`."""
    from . import communes

    selection.check_year(year)
    k = kind_of(data, kind)
    pack = commune_pack(data, kind)
    when = as_of or date or selection.pack_as_of(year, parent.date if parent else None)
    selection.check_scope(pack.scope, year, when, "commune plan")
    units = {int(p.code): p for p in selection.provinces_for(data, year, when) if p.code.isdigit()}
    names = {code: p.official_name for code, p in units.items()}
    if province is not None:
        unit = selection.find_province(data, province, when, year)
        found = communes.find(commune, int(unit.code) if unit.code.isdigit() else -1, unit.official_name, names)
    else:
        found = communes.find(commune, None, None, names)
        unit = units.get(found.province_code)  # type: ignore[assignment]
        if unit is None:
            raise DataError(f"{found.title} belongs to the province with code {found.province_code:02d}, which no "
                            f"province profile of {year} has", "rulepacks/provinces/",
                            "give each province after 01/07/2025 its official code (`code:`)")
    return resolve_commune(data, k, unit, found, year, when, date, parent)


def commune_context(data: DataSet, commune: str, year: int, province: str | None = None,
                    as_of: dt.date | None = None, date: dt.date | None = None, parent: DocRef | None = None,
                    kind: str = COMMUNE_KIND) -> PlanContext:
    snap = commune_snapshot(data, commune, year, province, as_of, date, parent, kind)
    return BUILDERS[snap.kind.builder](snap)


def commune_pack(data: DataSet, kind: str = COMMUNE_KIND):
    k = kind_of(data, kind)
    pack = data.packs.get(k.pack)
    if pack is None:
        raise DataError(f"the commune plan's rule pack rulepacks/{k.pack}/pack.yaml is missing", data.root,
                        "restore it from the repository")
    return pack


def first_commune_year(data: DataSet, kind: str = COMMUNE_KIND) -> int:
    """The first plan year of communes' plans (the pack's scope)."""
    return commune_pack(data, kind).scope.when.min_year or 2026


def communes_of(data: DataSet, year: int, as_of: dt.date | None, provinces: list[str] | None,
                kind: str = COMMUNE_KIND) -> list:
    """(commune, province) for every commune of the provinces named (of every province if None), in the
    order of their codes; a year or drafting date outside the commune plans' scope is refused first."""
    from . import communes

    when = as_of or selection.default_as_of(year)
    selection.check_scope(commune_pack(data, kind).scope, year, when, "commune plan")
    units = communes.units()
    if provinces is None:
        chosen = [p for p in selection.provinces_for(data, year, when) if p.code.isdigit()]
    else:
        chosen = list({p.id: p for p in (selection.find_province(data, n, when, year) for n in provinces)}.values())
    out = [(c, p) for p in chosen for c in units.of_province(int(p.code))]
    return sorted(out, key=lambda cp: cp[0].code)


def render(data: DataSet, ctx: PlanContext) -> Draft:
    """The .docx of `ctx`, in the template of the kind it was laid out for."""
    k = kind_of(data, ctx.kind)
    path = data.template(k)
    rel = path.relative_to(data.root) if path.is_relative_to(data.root) else path
    return Draft(ctx, render_docx(template_bytes(data, k), ctx, str(rel)))


def default_output(data: DataSet, ctx: PlanContext, name_slug: str) -> Path:
    return Path(kind_of(data, ctx.kind).file_name.format(year=ctx.year, unit=name_slug))


# --------------------------------------------------------------------------- a department's plans

#: The kind of a department's plan drafted when `--agency` comes without `--kind`.
DEFAULT_DEPARTMENT_OPTION = "cchc"


def department_kinds(data: DataSet) -> dict[str, Kind]:
    """The kinds of a department's plans by the value of `--kind` that picks them (cchc, tuyen-truyen)."""
    return {k.option: k for k in data.kinds.values() if k.builder == "department" and k.option}


def department_kind(data: DataSet, option: str | None) -> Kind:
    kinds = department_kinds(data)
    found = kinds.get(option or DEFAULT_DEPARTMENT_OPTION)
    if found is None:
        raise UsageError(f"unknown kind '{option}' of a department's plan", "--kind",
                         "use one of: " + "; ".join(f"{o} ({k.title})" for o, k in kinds.items()))
    return found


def department_pack(data: DataSet, kind: Kind):
    from .records import DepartmentPack

    pack = data.packs.get(kind.pack)
    if not isinstance(pack, DepartmentPack):
        raise DataError(f"the departments' rule pack rulepacks/{kind.pack}/pack.yaml is missing", data.root,
                        "restore it from the repository")
    return pack


def find_agency(data: DataSet, kind: Kind, name: str, unit, year: int, as_of: dt.date) -> str:
    """The role of the department named `name` on the drafting date (see selection.find_agency)."""
    return selection.find_agency(data, department_pack(data, kind), name, unit, year, as_of)


def agencies_of(data: DataSet, kind: Kind, unit, year: int, as_of: dt.date) -> list[tuple[str, str]]:
    """(role, name) of every department that exists on the drafting date (see selection.agencies_of)."""
    return selection.agencies_of(data, department_pack(data, kind), unit, year, as_of)


def department_abbr(data: DataSet, kind: Kind, role: str, year: int, as_of: dt.date) -> str:
    """The abbreviation of the department's ký hiệu on the drafting date ("SKHCN")."""
    return selection.department_abbr(department_pack(data, kind), role, year, as_of)


def department_snapshot(data: DataSet, agency: str, option: str | None, province: str, year: int,
                        as_of: dt.date | None = None, date: dt.date | None = None,
                        parent: DocRef | None = None) -> Snapshot:
    """Resolve the plan of the department named `agency` (or its role) of `province` for `year`, in the
    kind picked by `option` (cchc, tuyen-truyen)."""
    selection.check_year(year)
    k = department_kind(data, option)
    pack = department_pack(data, k)
    when = as_of or date or selection.pack_as_of(year, parent.date if parent else None)
    selection.check_scope(pack.scope, year, when, "department plan")
    unit = selection.find_province(data, province, when, year)
    role = find_agency(data, k, agency, unit, year, when)
    return resolve_department(data, k, unit, role, year, when, date, parent)


def department_context(data: DataSet, agency: str, option: str | None, province: str, year: int,
                       as_of: dt.date | None = None, date: dt.date | None = None,
                       parent: DocRef | None = None) -> PlanContext:
    snap = department_snapshot(data, agency, option, province, year, as_of, date, parent)
    return BUILDERS[snap.kind.builder](snap)
