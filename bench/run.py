"""drafter benchmark: run `python bench/run.py` (after `pip install .`). Not a test: it prints figures
side by side, measured in one run on this machine, and their ratios against the floors.

1. cold `drafter new` (a fresh process) vs the import floor of any docxtpl tool (`python -c "import docxtpl"`)
2. one draft rendered in-process vs a bare docxtpl render of the same template with the same context
3. batch of every province after 01/7/2025 (plan year 2026): seconds per draft
4. peak memory (max RSS) of a cold `drafter new` and of the batch
5. the cache (drafter.cache), on a copy of the data with its own cache folder:
   - warm: cold `drafter new` with a warm cache vs the stack's import floor
     (`python -c "import docxtpl, pydantic, click"`), and what it is made of: importing drafter
     (`from drafter.cli import main`; of which the stack with pydantic's models, `from pydantic import
     BaseModel, …`) and loading and drafting
   - first run with an empty cache vs the warm run
   - re-run after editing one data file (a line added to rulepacks/national/targets.yaml) vs the warm run
   - warm run on the data grown ten-fold (every province file and legal_refs file copied nine times
     under new ids, generated here) vs the warm run on the data as shipped
   and, in-process, what a miss costs: parsing every file (libyaml's events vs ruamel's round-trip
   loader) and the whole-data checks (checks.blocking) that every edit re-runs.
6. commune plans (issue 14): a cold `drafter new --commune` vs a cold `drafter new --province` of the same
   province and year (Tịnh Khê and Quảng Ngãi, 2027), and `drafter batch --communes --all` for 2027 (all
   3,321 communes; `--communes "Quảng Ngãi"` for one province's, `--communes none` to skip): seconds per
   draft and peak memory of the largest process.

Every process runs with DRAFTER_CACHE_DIR set to a temporary folder: the user's cache is not touched.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import shutil
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


def _grow(src: Path, dst: Path, times: int) -> tuple[int, int]:
    """Copy the data folder `src` to `dst`, adding `times - 1` copies of every province file and every
    legal_refs/*/*.yaml file under new ids (and new names, so no province name is ambiguous); the
    number of YAML files and their bytes."""
    shutil.copytree(src, dst)
    if times > 1:
        for f in sorted((dst / "rulepacks" / "provinces").glob("*.yaml")):
            text = f.read_text(encoding="utf-8")
            for n in range(1, times):
                copy = text.replace(f"  id: {f.stem}\n", f"  id: {f.stem}-x{n}\n", 1)
                copy = re.sub(r"^(  (?:name|official_name|place): .*)$", rf"\1 X{n}", copy, count=3, flags=re.M)
                copy = re.sub(r"^  aliases: .*\n", "", copy, count=1, flags=re.M)
                (f.parent / f"{f.stem}-x{n}.yaml").write_text(copy, encoding="utf-8")
                shutil.copystat(f, f.parent / f"{f.stem}-x{n}.yaml")  # as old as its source, like copytree
        for f in sorted((dst / "legal_refs").glob("*/*.yaml")):
            text = f.read_text(encoding="utf-8")
            ids = re.findall(r"^\s*-?\s*id:\s*([^\s#]+)\s*$", text, flags=re.M)
            for n in range(1, times):
                copy = text
                for ident in sorted(set(ids), key=len, reverse=True):
                    copy = re.sub(rf"(?<![\w-]){re.escape(ident)}(?![\w-])", f"{ident}-x{n}", copy)
                (f.parent / f"{f.stem}-x{n}.yaml").write_text(copy, encoding="utf-8")
                shutil.copystat(f, f.parent / f"{f.stem}-x{n}.yaml")
    files = [p for d in ("rulepacks", "legal_refs") for p in (dst / d).rglob("*.yaml")]
    return len(files), sum(p.stat().st_size for p in files)


#: What a warm run is measured against: the stack's import floor; what a warm run imports of the stack
#: (no pydantic: it drafts from drafter.records); pydantic's model machinery and drafter's models, which a
#: run that validates (an edited file, an empty cache) imports on top; all of drafter's imports (a warm
#: `drafter new` is these and the loading and drafting).
_FLOORS = {"stack": "import docxtpl, pydantic, click",
           "bare": "import docxtpl, click, jinja2.sandbox",
           "models": "import docxtpl, click, jinja2.sandbox, drafter.models",
           "imports": "from drafter.cli import main"}


def _compile_drafter() -> None:
    """Write drafter's bytecode, as `pip install` does for a wheel: with PYTHONDONTWRITEBYTECODE set (or
    an editable install never imported), every run would compile drafter's modules from source again
    (~50 ms a run) and measure that instead."""
    import compileall

    import drafter

    compileall.compile_dir(str(Path(drafter.__file__).parent), quiet=1)


def _cache_figures(drafter_bin: str, tmp: Path, repeat: int, launcher: float) -> dict[str, float]:
    """Cold `drafter new` on copies of the installed data, each with its own cache folder."""
    from drafter.resources import default_data_dir

    def new(data: Path, cache: Path, out: str) -> float:
        os.environ["DRAFTER_CACHE_DIR"] = str(cache)
        wall, _ = _proc([drafter_bin, "new", "-p", "Kon Tum", "-y", "2024", "--data-dir", str(data), "-o", out,
                         "--force"], str(tmp))
        return wall - launcher

    saved = os.environ.get("DRAFTER_CACHE_DIR")
    src = default_data_dir()
    one, ten = tmp / "data-x1", tmp / "data-x10"
    f1 = _grow(src, one, 1)
    f10 = _grow(src, ten, 10)
    try:
        new(one, tmp / "cache-x1", "w.docx")  # warm both caches
        new(ten, tmp / "cache-x10", "w.docx")
        warm, warm10, empty, edited, checked = [], [], [], [], []
        # the floors, timed between the runs they are the floors of (this machine's speed drifts)
        floors: dict[str, list[float]] = {k: [] for k in _FLOORS}
        target = one / "rulepacks" / "national" / "targets.yaml"
        for i in range(repeat):
            for name, code in _FLOORS.items():
                floors[name].append(_proc([sys.executable, "-c", code], str(tmp))[0] - launcher)
            warm.append(new(one, tmp / "cache-x1", "w.docx"))
            os.environ["DRAFTER_CACHE_DIR"] = str(tmp / "cache-x1")  # `drafter check` on the same warm cache
            checked.append(_proc([drafter_bin, "check", "--quiet", str(one)], str(tmp))[0] - launcher)
            warm10.append(new(ten, tmp / "cache-x10", "w.docx"))
            empty.append(new(one, tmp / f"cache-empty-{i}", "e.docx"))
            with target.open("a", encoding="utf-8") as fh:
                fh.write(f"# edited by the benchmark ({i})\n")
            edited.append(new(one, tmp / "cache-x1", "w.docx"))
    finally:
        if saved is None:
            os.environ.pop("DRAFTER_CACHE_DIR", None)
        else:
            os.environ["DRAFTER_CACHE_DIR"] = saved
    figures = {"warm": statistics.median(warm), "warm10": statistics.median(warm10),
               "empty": statistics.median(empty), "edited": statistics.median(edited),
               "check": statistics.median(checked),
               "files1": f1[0], "bytes1": f1[1], "files10": f10[0], "bytes10": f10[1],
               **{name: statistics.median(times) for name, times in floors.items()}}
    figures.update(_miss_costs(one, max(1, repeat // 2)))
    return figures


def _commune_figures(drafter_bin: str, tmp: Path, repeat: int, launcher: float, which: str) -> dict[str, float]:
    """Cold `drafter new --commune` against cold `drafter new --province` (same province, year, cache), and
    the batch of commune plans for 2027 (`which`: "all", a province's name, or "none")."""
    commune = ["new", "--commune", "Tịnh Khê", "-p", "Quảng Ngãi", "-y", "2027", "--force"]
    province = ["new", "-p", "Quảng Ngãi", "-y", "2027", "--force"]
    _proc([drafter_bin, *commune, "-o", "c-warm.docx"], str(tmp))  # the list of communes and the template, cached
    _proc([drafter_bin, *province, "-o", "p-warm.docx"], str(tmp))
    colds, provs = [], []
    for i in range(repeat):  # interleaved, so both see the same machine
        provs.append(_proc([drafter_bin, *province, "-o", f"p{i}.docx"], str(tmp))[0] - launcher)
        colds.append(_proc([drafter_bin, *commune, "-o", f"c{i}.docx"], str(tmp))[0] - launcher)
    out = {"cold": statistics.median(colds), "province": statistics.median(provs)}
    if which != "none":
        scope = ["--all"] if which == "all" else ["-p", which]
        wall, rss = _proc([drafter_bin, "batch", "-y", "2027", "--communes", *scope, "-d", "communes", "--force"],
                          str(tmp))
        n = len(list((tmp / "communes").glob("*.docx")))
        out.update(n=n, wall=wall - launcher, per=(wall - launcher) / max(n, 1), rss=rss)
    return out


def _miss_costs(data: Path, repeat: int) -> dict[str, float]:
    """In-process: parsing every data file on each path, and the whole-data checks."""
    from drafter import checks, loader, yamlio

    raws = [(p, p.read_bytes()) for d in ("rulepacks", "legal_refs") for p in sorted((data / d).rglob("*.yaml"))]
    if hasattr(yamlio, "parse"):
        out = {"parse_rt": _best(lambda: [yamlio.parse(p, raw, fast=False) for p, raw in raws], repeat)}
        if yamlio.c_parser() is not None:
            out["parse_fast"] = _best(lambda: [yamlio.parse(p, raw) for p, raw in raws], repeat)
    else:  # a drafter from before the fast path: the round-trip loader only
        out = {"parse_rt": _best(lambda: [yamlio.load_yaml(p) for p, _ in raws], repeat)}
    loaded = loader.load(data)
    out["checks"] = _best(lambda: checks.blocking(loaded), repeat)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--year", type=int, default=2026)
    ap.add_argument("--communes", default="all",
                    help='the batch of commune plans: "all" (3,321, ~2 minutes), a province\'s name, or "none"')
    args = ap.parse_args()
    drafter_bin = str(Path(sys.executable).with_name("drafter"))
    _compile_drafter()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["DRAFTER_CACHE_DIR"] = os.path.join(tmp, "cache")
        # The launcher's own start-up (a bare `python -c pass` under it) is subtracted from every figure.
        launcher = statistics.median(_proc([sys.executable, "-c", "pass"], tmp)[0] for _ in range(args.repeat)) \
            - statistics.median(_timed([sys.executable, "-c", "pass"], tmp) for _ in range(args.repeat))
        floor = statistics.median(_proc([sys.executable, "-c", "import docxtpl"], tmp)[0] for _ in range(args.repeat)) - launcher
        _proc([drafter_bin, "new", "-p", "Kon Tum", "-y", "2024", "-o", "warm-up.docx"], tmp)  # fills the cache
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
        commune = _commune_figures(drafter_bin, Path(tmp), args.repeat, launcher, args.communes)
        c = _cache_figures(drafter_bin, Path(tmp), args.repeat, launcher)
    per = batch_wall / max(n, 1)
    print(f"machine: {jobs} core(s), Python {sys.version.split()[0]}")
    print(f"{'measure':<54}{'drafter':>10}{'floor':>10}{'ratio':>8}{'target':>10}")
    print(f"{'cold drafter new (s) vs import docxtpl':<54}{cold:>10.3f}{floor:>10.3f}{cold / floor:>8.2f}{'≤ 2.0':>10}")
    print(f"{'in-process draft (s) vs bare docxtpl render':<54}{inproc:>10.4f}{bare_t:>10.4f}{inproc / bare_t:>8.2f}{'≤ 1.3':>10}")
    print(f"{'  of which: build context (s)':<54}{context_only:>10.4f}")
    print(f"{'  of which: render + comments + zip (s)':<54}{render_only:>10.4f}")
    print(f"{f'batch {n} provinces {args.year}, s per draft':<54}{per:>10.3f}{'':>10}{'':>8}{'< 0.15':>10}")
    print(f"{'peak memory, cold new (MB)':<54}{rss_new:>10.0f}{'':>10}{'':>8}{'< 150':>10}")
    print(f"{'peak memory, batch (largest process, MB)':<54}{rss_batch:>10.0f}{'':>10}{'':>8}{'< 150':>10}")
    cc = commune
    print(f"{'cold new --commune (s) vs cold new --province':<54}{cc['cold']:>10.3f}{cc['province']:>10.3f}"
          f"{cc['cold'] / cc['province']:>8.2f}{'≤ 1.2':>10}")
    if cc.get("n"):
        label = f"batch --communes, {cc['n']:.0f} communes 2027, s per draft"
        print(f"{label:<54}{cc['per']:>10.3f}{'':>10}{'':>8}{'≤ 0.05':>10}")
        print(f"{'  in all (s)':<54}{cc['wall']:>10.1f}{'':>10}{'':>8}{'≤ 180':>10}")
        print(f"{'peak memory, batch --communes (largest process, MB)':<54}{cc['rss']:>10.0f}{'':>10}{'':>8}"
              f"{'≤ 200':>10}")
    rows = [
        ("warm cache: new (s) vs import docxtpl+pydantic+click", c["warm"], c["stack"], "≤ 1.3"),
        ("empty cache: first new (s) vs warm new", c["empty"], c["warm"], "≤ 2.0"),
        ("one data file edited: new (s) vs warm new", c["edited"], c["warm"], "≤ 1.3"),
        ("data ×10, warm cache: new (s) vs data ×1", c["warm10"], c["warm"], "≤ 1.2"),
    ]
    for label, value, base, target in rows:
        print(f"{label:<54}{value:>10.3f}{base:>10.3f}{value / base:>8.2f}{target:>10}")
    print(f"{'warm cache: drafter check (s) vs warm new':<54}{c['check']:>10.3f}{c['warm']:>10.3f}"
          f"{c['check'] / c['warm']:>8.2f}{'':>10}")
    imports, used = c["imports"], c["bare"]
    print(f"  warm new = importing drafter {imports:.3f} s (the stack it uses, without pydantic: {used:.3f} s; "
          f"drafter's modules: {imports - used:.3f} s) + loading and drafting {c['warm'] - imports:.3f} s")
    print(f"  a run that validates also imports pydantic's models and drafter's: {c['models'] - used:.3f} s")
    print(f"  data ×1: {c['files1']} YAML files, {c['bytes1'] / 1e6:.2f} MB; "
          f"×10: {c['files10']} files, {c['bytes10'] / 1e6:.2f} MB")
    fast = f"{c['parse_fast']:.3f} s with libyaml's events, " if "parse_fast" in c else "(libyaml not installed) "
    print(f"  a miss, in-process: parsing every file {fast}{c['parse_rt']:.3f} s round-trip; "
          f"whole-data checks {c['checks']:.3f} s")


if __name__ == "__main__":
    main()
