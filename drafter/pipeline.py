"""The one direction of flow: load → resolve for (unit, kind, date) → lay out → render → bytes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable

from . import context, selection
from .context import PlanContext
from .errors import DataError, Problems, UsageError
from .loader import DataSet, load_cached
from .models import Kind
from .render import render_docx
from .resolve import DocRef, Snapshot, resolve
from .resources import default_data_dir

DEFAULT_KIND = "kh"
#: How each kind's builder lays a snapshot out (named by `builder:` in rulepacks/kinds.yaml).
BUILDERS: dict[str, Callable[[Snapshot], PlanContext]] = {"plan": context.build, "decision": context.build_decision}


@dataclass(frozen=True)
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
    """What `drafter check` calls errors stops a draft too (once per edit: the result is cached):
    a bad text, an unknown area or role, dates out of order, a misplaced layer rule."""
    from .checks import blocking

    bad = blocking(data)
    if bad:
        raise Problems([DataError(f.message, f.where) for f in bad])


def load(data_dir: Path | None = None, layers: Path | None = None) -> DataSet:
    """The data (shipped, or `data_dir`), with the local layers of the folder `layers` over it
    (`drafter import` writes them; see drafter.overlays), checked as a draft needs it."""
    data = load_cached(Path(data_dir or default_data_dir()).resolve(), validate)
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
                         "use one of: " + "; ".join(f"{k.id} ({k.title})" for k in data.kinds.values())) from None


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
    return resolve(data, kind_of(data, form), unit, year, when, date, collective=collective, proposal=proposal,
                   replaces=replaces)


def plan_context(data: DataSet, province: str, year: int, as_of: dt.date | None = None,
                 date: dt.date | None = None, kind: str | None = None, proposal: DocRef | None = None,
                 replaces: DocRef | None = None) -> PlanContext:
    snap = snapshot(data, province, year, as_of, date, kind, proposal, replaces)
    return BUILDERS[snap.kind.builder](snap)


def draft(data: DataSet, province: str, year: int, as_of: dt.date | None = None,
          date: dt.date | None = None, kind: str | None = None) -> Draft:
    return render(data, plan_context(data, province, year, as_of, date, kind))


def render(data: DataSet, ctx: PlanContext) -> Draft:
    """The .docx of `ctx`, in the template of the kind it was laid out for."""
    k = kind_of(data, ctx.kind)
    path = data.template(k)
    rel = path.relative_to(data.root) if path.is_relative_to(data.root) else path
    return Draft(ctx, render_docx(template_bytes(data, k), ctx, str(rel)))


def default_output(data: DataSet, ctx: PlanContext, name_slug: str) -> Path:
    return Path(kind_of(data, ctx.kind).file_name.format(year=ctx.year, unit=name_slug))
