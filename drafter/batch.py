"""Draft many provinces at once. Data and template are loaded once (in the parent, inherited by the
worker processes); one province failing does not stop the others."""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterator

from . import pipeline, provenance, review_pdf
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


@dataclass(frozen=True)
class _Ready:
    """A rendered draft waiting for its review PDF (--pdf), published with it afterwards."""
    outcome: Outcome
    files: list[tuple[Path, bytes]]
    pdf: Path
    review: bytes  # the review copy of the .docx to print


def _one(province: str, year: int, out_dir: Path, as_of: dt.date | None, force: bool, stem: str,
         vet: Callable[[PlanContext], None] | None = None, pdf: bool = False,
         form: str | None = None, communes: bool = False, agencies: tuple[str, str | None] | None = None
         ) -> Outcome | _Ready:
    """The draft of `province` (with `communes`: of the commune with that official code; with `agencies`,
    (province, --kind): of the department with that role)."""
    assert _DATA is not None
    started = time.perf_counter()
    try:
        if communes:
            ctx = pipeline.commune_context(_DATA, province, year, as_of=as_of)
        elif agencies is not None:
            ctx = pipeline.department_context(_DATA, province, agencies[1], agencies[0], year, as_of=as_of)
        else:
            ctx = pipeline.plan_context(_DATA, province, year, as_of, kind=form)
        if vet is not None:
            vet(ctx)
        target = out_dir / pipeline.default_output(_DATA, ctx, stem)
        sidecar = provenance.sidecar(target)
        ensure_writable(target, force, "--output-dir", [sidecar])
        pdf_file = review_pdf.ensure_writable(target, force, "--output-dir") if pdf else None
        result = pipeline.render(_DATA, ctx)
        # the draft and its sidecar together or neither (see drafter.writer)
        files = [(target, result.docx), (sidecar, provenance.to_json(provenance.record(result.context)))]
        n_paras = len(result.context.body) + len(result.context.preamble) + len(result.context.articles) + 1
        done = Outcome(province, str(target), n_paras, len(result.context.checks), time.perf_counter() - started)
        if pdf_file:
            return _Ready(done, files, pdf_file, review_pdf.review_copy(result.docx, result.context.labels))
        publish(files, force, "--output-dir")
        return replace(done, seconds=time.perf_counter() - started)
    except DrafterError as exc:
        return Outcome(province, None, 0, 0, time.perf_counter() - started, str(exc).replace("\n", " "))
    except Exception as exc:  # a bug must not stop the other provinces; it is reported in the summary
        return Outcome(province, None, 0, 0, time.perf_counter() - started, f"{type(exc).__name__}: {exc}")


def run(data: DataSet, provinces: list[tuple[str, str]], year: int, out_dir: Path, jobs: int,
        as_of: dt.date | None = None, force: bool = False,
        vet: Callable[[PlanContext], None] | None = None, pdf: bool = False,
        form: str | None = None, communes: bool = False,
        agencies: tuple[str, str | None] | None = None) -> Iterator[Outcome]:
    """Yield one Outcome per (province name, file stem) as each finishes. `vet` may refuse a plan
    (raising DrafterError) before it is rendered; it must be picklable (a module-level function).
    With `pdf`, every draft is printed to its review PDF by LibreOffice (a few soffice runs for the
    whole batch: its start-up costs more than a draft) and published with it, all its files or none.
    With `communes`, each item names a commune by its official code (a commune's plan)."""
    if not pdf:
        yield from _drafts(data, provinces, year, out_dir, jobs, as_of, force, vet, form=form, communes=communes,
                           agencies=agencies)
        return
    ready: list[_Ready] = []
    for got in _drafts(data, provinces, year, out_dir, jobs, as_of, force, vet, pdf=True, form=form,
                       communes=communes, agencies=agencies):
        if isinstance(got, _Ready):
            ready.append(got)
        else:
            yield got
    started = time.perf_counter()
    pdfs = review_pdf.convert([r.review for r in ready], jobs)
    share = (time.perf_counter() - started) / max(len(ready), 1)
    for r, got in zip(ready, pdfs):
        o = replace(r.outcome, seconds=r.outcome.seconds + share)
        try:
            if isinstance(got, DrafterError):
                raise got
            publish([*r.files, (r.pdf, got)], force, "--output-dir")
            yield o
        except DrafterError as exc:
            yield replace(o, file=None, paragraphs=0, marks=0, error=str(exc).replace("\n", " "))


def _drafts(data: DataSet, provinces: list[tuple[str, str]], year: int, out_dir: Path, jobs: int,
            as_of: dt.date | None, force: bool, vet: Callable[[PlanContext], None] | None,
            pdf: bool = False, form: str | None = None, communes: bool = False,
            agencies: tuple[str, str | None] | None = None) -> Iterator[Outcome | _Ready]:
    global _DATA
    _DATA = data
    for kind in data.kinds.values():  # read once before forking
        pipeline.template_bytes(data, kind)
    if communes:  # the list of communes, read once before forking
        from . import communes as communes_mod

        communes_mod.units()
    if jobs <= 1 or len(provinces) <= 1:
        for name, stem in provinces:
            yield _one(name, year, out_dir, as_of, force, stem, vet, pdf, form, communes, agencies)
        return
    ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else None
    # the loaded data is shared with the forked workers copy-on-write: a garbage collection in a worker
    # would touch (and copy) every inherited page; frozen objects are never scanned
    import gc

    gc.freeze()
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
        futures = [pool.submit(_one, name, year, out_dir, as_of, force, stem, vet, pdf, form, communes, agencies)
                   for name, stem in provinces]
        for fut in as_completed(futures):
            yield fut.result()


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
