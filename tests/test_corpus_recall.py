"""Recall of the national legal bases on a corpus of real preambles (issue 16).

For each provincial plan of tests/corpus/preambles.yaml, draft the same unit, plan year and form at the plan's
signing date and compare the national instruments the draft cites with those the real plan cites. Checks:
recall >= 0.9 over the whole corpus; no cited instrument not yet in force at that date; no replaced instrument
cited. Recall on the kept-out quarter (fixed rule in the corpus header) is reported separately.
Department-, district- and commune-level plans stay in the corpus but are excluded here: drafter drafts
provincial plans only.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from drafter import pipeline

CORPUS = Path(__file__).parent / "corpus" / "preambles.yaml"


def _corpus() -> list[dict]:
    return YAML(typ="safe", pure=True).load(CORPUS.read_text(encoding="utf-8"))["plans"]


def _kept_out(source: str) -> bool:
    return int(hashlib.sha1(source.encode("utf-8")).hexdigest(), 16) % 4 == 0


@pytest.fixture(scope="module")
def data():
    return pipeline.load()


def _draft(data, plan: dict):
    """The plan's context drafted by drafter at its signing date (or drafter's default date for an undated draft)."""
    signed = plan["signed"]
    year = plan["year"]
    as_of = signed if signed else None
    date = signed if signed and dt.date(year - 1, 1, 1) <= signed <= dt.date(year, 3, 31) else None
    return pipeline.plan_context(data, plan["province"], year, as_of=as_of, date=date, kind=plan["kind"])


def _cited(ctx) -> list[str]:
    return [r for p in ctx.preamble for r in p.refs]


def _as_of(plan: dict) -> dt.date:
    # drafter's default drafting date for plan year N is in December of N-1
    return plan["signed"] or dt.date(plan["year"] - 1, 12, 1)


def recall_rows(data) -> list[dict]:
    rows = []
    for plan in _corpus():
        if plan["level"] != "province":
            continue
        want = [c["ref"] for c in plan["cites"] if c["scope"] == "national"]
        got = _cited(_draft(data, plan))
        rows.append({"id": plan["id"], "kept_out": plan["kept_out"], "want": want, "got": got,
                     "hit": [w for w in want if w in got], "missed": [w for w in want if w not in got]})
    return rows


def _recall(rows) -> tuple[int, int]:
    return sum(len(r["hit"]) for r in rows), sum(len(r["want"]) for r in rows)


def test_corpus_facts_are_well_formed(data):
    plans = _corpus()
    assert len({p["id"] for p in plans}) == len(plans)
    for p in plans:
        assert p["kept_out"] == _kept_out(p["source"]), f"{p['id']}: kept_out does not follow the fixed rule"
        assert p["level"] in ("province", "department", "district", "commune")
        assert p["form"] in ("KH", "QĐ")
        assert 2022 <= p["year"] <= 2027
        if p["signed"]:
            assert dt.date(p["year"] - 1, 1, 1) <= p["signed"] <= dt.date(p["year"], 12, 31), p["id"]
        assert p["cites"], p["id"]
        for c in p["cites"]:
            assert c["verb"] in ("Căn cứ", "Thực hiện"), p["id"]
            assert c["scope"] in ("national", "local"), p["id"]
            if c["scope"] == "national":
                assert c.get("ref") in data.instruments, f"{p['id']}: national {c['number']} is not in the registry"
            if c.get("ref"):
                ins = data.instruments[c["ref"]]
                assert ins.number == c["number"], (p["id"], ins.number, c["number"])
                assert ins.signed == c["date"], (p["id"], c["number"], ins.signed, c["date"])


def test_recall_on_the_corpus(data):
    rows = recall_rows(data)
    hit, total = _recall(rows)
    kept = [r for r in rows if r["kept_out"]]
    khit, ktotal = _recall(kept)
    for r in rows:
        print(f"{r['id']:<24} {'kept-out' if r['kept_out'] else '        '} want={r['want']} missed={r['missed']}")
    print(f"recall overall: {hit}/{total} = {hit / total:.3f} ({len(rows)} provincial plans)")
    print(f"recall kept-out quarter: {khit}/{ktotal} = {khit / ktotal:.3f} ({len(kept)} plans)")
    assert hit / total >= 0.9


def test_no_instrument_out_of_force_or_replaced(data):
    for plan in _corpus():
        if plan["level"] != "province":
            continue
        as_of = _as_of(plan)
        for ref in _cited(_draft(data, plan)):
            ins = data.instruments[ref]
            assert ins.signed is None or ins.signed <= as_of, f"{plan['id']}: {ins.number} signed after {as_of}"
            assert ins.replaced_on is None or ins.replaced_on > as_of, \
                f"{plan['id']}: {ins.number} was replaced on {ins.replaced_on}, before {as_of}"


def test_citation_table_is_current():
    """tests/corpus/citation_table.md is what tools/citation_table.py writes from the corpus."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("citation_table", Path(__file__).parent.parent / "tools" / "citation_table.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.TABLE.read_text(encoding="utf-8") == mod.table(mod.load()), "run python tools/citation_table.py"
