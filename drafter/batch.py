"""Draft many provinces at once. Data and template are loaded once (in the parent, inherited by the
worker processes); one province failing does not stop the others."""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from . import pipeline, provenance
from .context import PlanContext
from .errors import DrafterError
from .loader import DataSet
from .writer import ensure_writable, publish

_DATA: DataSet | None = None


@dataclass(frozen=True)
class Outcome:
    province: str
    file: str | None
    paragraphs: int
    marks: int
    seconds: float
    error: str | None = None


def _one(province: str, year: int, out_dir: Path, as_of: dt.date | None, force: bool, stem: str,
         vet: Callable[[PlanContext], None] | None = None) -> Outcome:
    assert _DATA is not None
    started = time.perf_counter()
    try:
        ctx = pipeline.plan_context(_DATA, province, year, as_of)
        if vet is not None:
            vet(ctx)
        target = out_dir / pipeline.default_output(_DATA, ctx, stem)
        sidecar = provenance.sidecar(target)
        ensure_writable(target, force, "--output-dir", [sidecar])
        result = pipeline.render(_DATA, ctx)
        # the draft and its sidecar together or neither (see drafter.writer)
        publish([(target, result.docx), (sidecar, provenance.to_json(provenance.record(result.context)))],
                force, "--output-dir")
        n_paras = len(result.context.body) + len(result.context.preamble) + 1
        return Outcome(province, str(target), n_paras, len(result.context.checks), time.perf_counter() - started)
    except DrafterError as exc:
        return Outcome(province, None, 0, 0, time.perf_counter() - started, str(exc).replace("\n", " "))
    except Exception as exc:  # a bug must not stop the other provinces; it is reported in the summary
        return Outcome(province, None, 0, 0, time.perf_counter() - started, f"{type(exc).__name__}: {exc}")


def run(data: DataSet, provinces: list[tuple[str, str]], year: int, out_dir: Path, jobs: int,
        as_of: dt.date | None = None, force: bool = False,
        vet: Callable[[PlanContext], None] | None = None) -> Iterator[Outcome]:
    """Yield one Outcome per (province name, file stem) as each finishes. `vet` may refuse a plan
    (raising DrafterError) before it is rendered; it must be picklable (a module-level function)."""
    global _DATA
    _DATA = data
    pipeline.template_bytes(data, pipeline.kind_of(data))  # read once before forking
    if jobs <= 1 or len(provinces) <= 1:
        for name, stem in provinces:
            yield _one(name, year, out_dir, as_of, force, stem, vet)
        return
    ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else None
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
        futures = [pool.submit(_one, name, year, out_dir, as_of, force, stem, vet) for name, stem in provinces]
        for fut in as_completed(futures):
            yield fut.result()


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
