"""Citation table of the corpus of real preambles (issue 16).

Counts, per plan year and form (KH / QĐ), how many corpus plans cite each instrument and with which verb
("Căn cứ" / "Thực hiện"), from tests/corpus/preambles.yaml, and writes tests/corpus/citation_table.md.

    python tools/citation_table.py            # (re)write the table
    python tools/citation_table.py --check    # exit 1 if the committed table is out of date
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from pathlib import Path

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus" / "preambles.yaml"
TABLE = ROOT / "tests" / "corpus" / "citation_table.md"
VERBS = ("Căn cứ", "Thực hiện")


def load(path: Path = CORPUS) -> list[dict]:
    return YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))["plans"]


def table(plans: list[dict]) -> str:
    cols = sorted({(p["year"], p["form"]) for p in plans})
    plans_in = Counter((p["year"], p["form"]) for p in plans)
    # instrument key -> column -> verb counter (a plan counts once per instrument)
    cells: dict[tuple, dict[tuple, Counter]] = defaultdict(lambda: defaultdict(Counter))
    first_seen: dict[tuple, int] = {}
    for p in plans:
        seen = set()
        for c in p["cites"]:
            key = (c["scope"], c["number"], c["kind"], c["issuer"] if c["scope"] == "national" else p["province"])
            if key in seen:
                continue
            seen.add(key)
            cells[key][(p["year"], p["form"])][c["verb"]] += 1
            first_seen.setdefault(key, len(first_seen))

    def total(key):
        return sum(sum(v.values()) for v in cells[key].values())

    head = [f"{y} {f}" for y, f in cols]
    out = [
        "# Citation table of the corpus of real preambles",
        "",
        "Written by `python tools/citation_table.py` from `tests/corpus/preambles.yaml`; do not edit by hand.",
        "A cell is the number of corpus plans of that plan year and form that cite the instrument, with the verb",
        "they introduce it with (CC = Căn cứ, TH = Thực hiện). All plans count, the kept-out quarter and the",
        "department-level plan included; a local instrument is named with the province whose plans cite it.",
        "",
        "| plans | " + " | ".join(head) + " | all |",
        "|---|" + "---|" * (len(cols) + 1),
        "| number of plans | " + " | ".join(str(plans_in[c]) for c in cols) + f" | {len(plans)} |",
        "",
    ]
    for scope, title in (("national", "National instruments"), ("local", "Local instruments")):
        keys = sorted((k for k in cells if k[0] == scope), key=lambda k: (-total(k), first_seen[k]))
        out += [f"## {title}", "",
                "| instrument | " + " | ".join(head) + " | all |",
                "|---|" + "---|" * (len(cols) + 1)]
        for key in keys:
            _, number, kind, issuer = key
            name = f"{kind} {number}" + (f" ({issuer})" if issuer else "")
            row = []
            for col in cols:
                v = cells[key].get(col)
                if not v:
                    row.append("")
                    continue
                verbs = " ".join(f"{'CC' if verb == 'Căn cứ' else 'TH'} {v[verb]}" for verb in VERBS if v[verb])
                row.append(f"{sum(v.values())} ({verbs})")
            out.append(f"| {name} | " + " | ".join(row) + f" | {total(key)} |")
        out.append("")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="fail if the committed table is out of date")
    args = ap.parse_args(argv)
    text = table(load())
    if args.check:
        current = TABLE.read_text(encoding="utf-8") if TABLE.exists() else ""
        if current != text:
            print(f"{TABLE.relative_to(ROOT)} is out of date: run python tools/citation_table.py", file=sys.stderr)
            return 1
        return 0
    TABLE.write_text(text, encoding="utf-8")
    print(f"wrote {TABLE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
