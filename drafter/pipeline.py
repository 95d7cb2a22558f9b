"""The one direction of flow: load data → select (province, date) → build context → render → bytes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from . import context, selection
from .context import PlanContext
from .loader import DataSet, load_cached
from .render import render_docx
from .resources import default_data_dir


@dataclass(frozen=True)
class Draft:
    context: PlanContext
    docx: bytes

    @property
    def province_id(self) -> str:
        return self.context.province_id


@lru_cache(maxsize=4)
def _template_bytes(path: Path, mtime: float) -> bytes:
    return path.read_bytes()


def template_bytes(data: DataSet) -> bytes:
    return _template_bytes(data.template, data.template.stat().st_mtime)


def load(data_dir: Path | None = None) -> DataSet:
    return load_cached(Path(data_dir or default_data_dir()).resolve())


def plan_context(data: DataSet, province: str, year: int, as_of: dt.date | None = None,
                 date: dt.date | None = None) -> PlanContext:
    selection.check_year(year)
    when = as_of or date or selection.default_as_of(year)
    profile = selection.find_province(data, province, when, year)
    return context.build(data, profile, year, when, date)


def draft(data: DataSet, province: str, year: int, as_of: dt.date | None = None,
          date: dt.date | None = None) -> Draft:
    return render(data, plan_context(data, province, year, as_of, date))


def render(data: DataSet, ctx: PlanContext) -> Draft:
    rel = data.template.relative_to(data.root) if data.template.is_relative_to(data.root) else data.template
    return Draft(ctx, render_docx(template_bytes(data), ctx, str(rel)))


def default_output(ctx: PlanContext, name_slug: str) -> Path:
    return Path(f"KH-CCHC-{ctx.year}-{name_slug}.docx")
