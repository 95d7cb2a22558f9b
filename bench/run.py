"""drafter benchmark: run `python bench/run.py` (after `pip install .`). Not a test: it prints figures
side by side, measured in one run on this machine, and their ratios against the floors.

1. cold `drafter new` (a fresh process) vs the import floor of any docxtpl tool (`python -c "import docxtpl"`)
2. one draft rendered in-process vs a bare docxtpl render of the same template with the same context
3. batch of every province after 01/7/2025 (plan year 2026): seconds per draft
4. peak memory (max RSS) of a cold `drafter new` and of the batch
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from drafter import pipeline
from drafter.render import template_context

ROOT = Path(__file__).resolve().parent.parent


def _best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def _timed(cmd: list[str], cwd: str) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t


# Peak memory is read by a small launcher process: a child forked straight from this (large)
# process would report this process's pages as its own peak (Linux keeps the pre-exec peak).
_LAUNCHER = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, "
             "stdout=subprocess.DEVNULL); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")


def _proc(cmd: list[str], cwd: str) -> tuple[float, float]:
    """Wall time (including the launcher's own start, the same for every command) and max RSS (MB)."""
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", _LAUNCHER, *cmd], cwd=cwd, check=True, capture_output=True)
    wall = time.perf_counter() - t
    return wall, int(out.stdout.split()[-1]) / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--year", type=int, default=2026)
    args = ap.parse_args()
    drafter_bin = str(Path(sys.executable).with_name("drafter"))
    with tempfile.TemporaryDirectory() as tmp:
        # The launcher's own start-up (a bare `python -c pass` under it) is subtracted from every figure.
        launcher = statistics.median(_proc([sys.executable, "-c", "pass"], tmp)[0] for _ in range(args.repeat)) \
            - statistics.median(_timed([sys.executable, "-c", "pass"], tmp) for _ in range(args.repeat))
        floor = statistics.median(_proc([sys.executable, "-c", "import docxtpl"], tmp)[0] for _ in range(args.repeat)) - launcher
        colds, rss_new = [], 0.0
        for i in range(args.repeat):
            wall, rss = _proc([drafter_bin, "new", "-p", "Kon Tum", "-y", "2024", "-o", f"k{i}.docx"], tmp)
            colds.append(wall - launcher)
            rss_new = max(rss_new, rss)
        cold = statistics.median(colds)

        data = pipeline.load(ROOT)
        pipeline.draft(data, "Kon Tum", 2024)  # warm caches as a batch worker would
        inproc = _best(lambda: pipeline.draft(data, "Kon Tum", 2024), args.repeat * 4)
        ctx = pipeline.plan_context(data, "Kon Tum", 2024)
        tpl_bytes = pipeline.template_bytes(data, pipeline.kind_of(data))

        def bare() -> None:
            """What any docxtpl tool does: the same template and context, docxtpl's own Jinja
            environment (it compiles the document XML on every render), saved to memory."""
            from docxtpl import DocxTemplate

            tpl = DocxTemplate(io.BytesIO(tpl_bytes))
            tpl.render(template_context(ctx), autoescape=True)
            tpl.save(io.BytesIO())

        bare_t = _best(bare, args.repeat * 4)
        render_only = _best(lambda: pipeline.render(data, ctx), args.repeat * 4)
        context_only = _best(lambda: pipeline.plan_context(data, "Kon Tum", 2024), args.repeat * 4)
        jobs = len(os.sched_getaffinity(0))
        batch_wall, rss_batch = _proc([drafter_bin, "batch", "-y", str(args.year), "--all", "-d", "out", "--force"], tmp)
        batch_wall -= launcher
        n = len(list((Path(tmp) / "out").glob("*.docx")))
    per = batch_wall / max(n, 1)
    print(f"machine: {jobs} core(s), Python {sys.version.split()[0]}")
    print(f"{'measure':<44}{'drafter':>10}{'floor':>10}{'ratio':>8}{'target':>10}")
    print(f"{'cold drafter new (s) vs import docxtpl':<44}{cold:>10.3f}{floor:>10.3f}{cold / floor:>8.2f}{'≤ 2.0':>10}")
    print(f"{'in-process draft (s) vs bare docxtpl render':<44}{inproc:>10.4f}{bare_t:>10.4f}{inproc / bare_t:>8.2f}{'≤ 1.3':>10}")
    print(f"{'  of which: build context (s)':<44}{context_only:>10.4f}")
    print(f"{'  of which: render + comments + zip (s)':<44}{render_only:>10.4f}")
    print(f"{f'batch {n} provinces {args.year}, s per draft':<44}{per:>10.3f}{'':>10}{'':>8}{'< 0.15':>10}")
    print(f"{'peak memory, cold new (MB)':<44}{rss_new:>10.0f}{'':>10}{'':>8}{'< 150':>10}")
    print(f"{'peak memory, batch (largest process, MB)':<44}{rss_batch:>10.0f}{'':>10}{'':>8}{'< 150':>10}")


if __name__ == "__main__":
    main()
