"""Every draft belongs to its own province: a province's layer reaches its own drafts only, for every
unit and every plan year; targets name what set their figure or leave a marked blank; the engine keeps
date questions in the resolver and has no import cycle."""

from __future__ import annotations

import ast
import datetime as dt
import re
from pathlib import Path

import pytest

from drafter import models as m
from drafter import pipeline, selection
from drafter.context import PlanContext
from drafter.layers import merge, merge_tree
from drafter.errors import DataError

PACKAGE = Path(pipeline.__file__).resolve().parent
YEARS = range(2021, 2031)
JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}")


@pytest.fixture(scope="module")
def contexts(data) -> list[tuple[m.Province, PlanContext]]:
    """The plan of every unit that existed, for every plan year 2021–2030 (485 plans)."""
    out = []
    for year in YEARS:
        for unit in selection.provinces_for(data, year):
            out.append((unit, pipeline.plan_context(data, unit.name, year)))
    return out


def _not_own_texts(unit: m.Province, ctx: PlanContext) -> str:
    """What a draft prints that the province did not write itself: every paragraph and row not from
    its own layer, and the national Nơi nhận where it has none of its own."""
    rows = [" ".join("".join(r.text for r in runs) for runs in row.cells.values())
            for row in ctx.appendix if row.source.layer != unit.id]
    paras = [p.text for p in (*ctx.preamble, ctx.ban_hanh, *ctx.body, *ctx.extras) if p.source.layer != unit.id]
    return "\n".join([*paras, *rows, *(ctx.noi_nhan if unit.noi_nhan is None else [])])


def _layer_texts(unit: m.Province) -> list[str]:
    lay = unit.layer
    out: list[str] = []

    def nodes(items):
        for n in items:
            out.append(n.text or "")
            nodes(n.items)

    nodes(lay.body)
    out += [t.text for t in lay.tasks] + [t.text for t in lay.targets] + [i.text for i in lay.items]
    out += [i.text for r in lay.responsibilities for i in r.items] + [r.task for r in lay.rows]
    out += [*lay.labels.values(), *lay.shape.headings.values()]
    out += [*unit.agencies.values(), *unit.systems.values(), *(r.text for r in unit.noi_nhan or [])]
    return out


def _fragments(text: str) -> list[str]:
    """The literal stretches of a data text (between its {{ … }} parts) long enough to be telling."""
    return [f.strip() for f in JINJA.split(text) if len(f.strip()) >= 30]


def test_no_layer_reaches_another_provinces_draft(data, contexts):
    national = "\n".join(str(x) for x in (data.body, data.areas, data.targets, data.responsibilities, data.rows,
                                          data.document, data.agencies))
    # the national wording as a province reads it ("… của {{ tinh }}" is "… của tỉnh")
    national = national.replace("{{ tinh }}", "tỉnh").replace("{{ tinh_uy }}", "Tỉnh ủy")
    local: dict[str, set[str]] = {}
    for unit in data.provinces.values():
        local[unit.id] = {f for t in _layer_texts(unit) for f in _fragments(t) if f not in national}
    # a fragment two provinces both wrote is not evidence of a leak
    seen: dict[str, int] = {}
    for frags in local.values():
        for f in frags:
            seen[f] = seen.get(f, 0) + 1
    leaks = []
    for unit, ctx in contexts:
        sources = [p.source for p in (*ctx.preamble, ctx.ban_hanh, *ctx.body, *ctx.extras)]
        sources += [r.source for r in ctx.appendix]
        leaks += [(unit.id, ctx.year, s.id, s.layer) for s in sources if s.layer not in ("national", unit.id)]
        text = _not_own_texts(unit, ctx)
        for other, frags in local.items():
            if other != unit.id:
                leaks += [(unit.id, ctx.year, other, f[:50]) for f in frags if seen[f] == 1 and f in text]
    assert not leaks, leaks[:10]
    # the walk did see local content where it belongs
    kon_tum = [ctx for unit, ctx in contexts if unit.id == "kon-tum" and ctx.year == 2023][0]
    assert any(p.source.layer == "kon-tum" for p in kon_tum.body)


def test_a_provinces_own_figures_reach_only_its_own_drafts(contexts):
    for unit, ctx in contexts:
        own = {(t, v.value) for t, vals in unit.layer.values.items() for v in vals}
        own |= {(t.id, v.value) for t in unit.layer.targets for v in t.values}
        for p in ctx.body:
            for v in p.values:
                if v["basis"] is None:
                    assert (v["target"], v["value"]) in own, (unit.id, ctx.year, v)
                    assert v["for_year"] == ctx.year, (unit.id, ctx.year, v)  # set for this very plan


def test_every_target_names_what_set_its_figure_or_is_a_marked_blank(data, contexts):
    blanks = figures = 0
    for unit, ctx in contexts:
        for p in ctx.body:
            if p.source.kind != "target" or p.kind != "bullet":
                continue
            if p.values:
                v = p.values[0]
                if v["basis"]:
                    ins = data.instruments[v["basis"]]
                    assert f"(chỉ tiêu đến năm {v['for_year']} theo {ins.kind} số {ins.number})" in p.text, p.text
                    assert v["for_year"] >= ctx.year
                figures += 1
            elif any(r.text == "……" for r in p.runs):
                blank = next(r for r in p.runs if r.text == "……")
                assert blank.check and f"năm {ctx.year}" in blank.check  # highlighted, with what to fill
                blanks += 1
    assert blanks and figures


def test_national_figures_come_from_the_instrument_that_sets_them(data):
    """A value attributed to an instrument rests on a source other than a province's plan."""
    for t in data.targets:
        for v in t.values:
            assert v.basis, (t.id, v.value)  # the national pack holds no province figure
            assert not (v.source or "").startswith("seed:"), (t.id, v.value, v.source)


def test_explain_names_the_layer_and_line(tmp_path):
    from click.testing import CliRunner

    from drafter.cli import main

    out = tmp_path / "kh.docx"
    runner = CliRunner()
    assert runner.invoke(main, ["new", "-p", "Kon Tum", "-y", "2023", "-o", str(out)]).exit_code == 0
    res = runner.invoke(main, ["explain", str(out), "Công đoàn Viên chức"])
    assert res.exit_code == 0, res.output
    assert re.search(r"from: responsibility 'r-nv-cong-doan' of the layer of kon-tum, at "
                     r"rulepacks/provinces/kon-tum\.yaml:\d+", res.output), res.output
    res = runner.invoke(main, ["explain", str(out), "một cửa liên thông"])
    assert "of the national rule pack, at rulepacks/national/" in res.output


def test_dropped_rules_are_kept_with_their_reason_in_provenance(data):
    from drafter import provenance

    unit = data.provinces["kon-tum"]
    lay = unit.layer.model_copy(update={"drop": [m.Drop(id="yc-dong-bo", reason="Kon Tum viết khác")]})
    snap = pipeline.resolve(data, pipeline.kind_of(data), unit.model_copy(update={"layer": lay}), 2024,
                            dt.date(2023, 12, 15))
    ctx = pipeline.BUILDERS["plan"](snap)
    assert all(p.source.id != "yc-dong-bo" for p in ctx.body)
    rec = provenance.record(ctx)
    assert rec["dropped"] == [{"id": "yc-dong-bo", "layer": "kon-tum", "reason": "Kon Tum viết khác"}]


# --------------------------------------------------------------------------- citations in full


def test_a_guidance_letter_is_introduced_as_real_plans_introduce_it(data):
    """A letter is "Thực hiện" by its kind (seed 004: "Thực hiện Công văn số 6459/BNV-CCHC"); a letter
    real plans cite under "Căn cứ" says so in the registry (`verb`; seed 002 for 3759/BNV-CCHC)."""
    pre = [p.text for p in pipeline.plan_context(data, "Kon Tum", 2023).preamble]
    assert pre[0].startswith("Căn cứ Nghị quyết số 76/NQ-CP")
    assert any(t.startswith("Căn cứ Công văn số 3759/BNV-CCHC") for t in pre)
    nam_dinh = pipeline.plan_context(data, "Nam Định", 2021).preamble
    assert any("Thực hiện Công văn số 6459/BNV-CCHC" in p.text for p in nam_dinh)


@pytest.mark.parametrize("province,year,as_of,expected,absent", [
    ("Kon Tum", 2023, None, "Luật Ban hành văn bản quy phạm pháp luật số 80/2015/QH13 ngày 22 tháng 6 năm 2015, "
     "được sửa đổi, bổ sung bởi Luật số 63/2020/QH14 ngày 18 tháng 6 năm 2020", None),
    ("Kon Tum", 2023, None, "Nghị định số 108/2014/NĐ-CP ngày 20 tháng 11 năm 2014 của Chính phủ về chính sách tinh "
     "giản biên chế, được sửa đổi, bổ sung bởi Nghị định số 113/2018/NĐ-CP ngày 31 tháng 8 năm 2018 và Nghị định số "
     "143/2020/NĐ-CP ngày 10 tháng 12 năm 2020", None),
    ("Quảng Ngãi", 2026, None, "Luật Ban hành văn bản quy phạm pháp luật số 64/2025/QH15 ngày 19 tháng 02 năm 2025, "
     "được sửa đổi, bổ sung bởi Luật số 87/2025/QH15 ngày 25 tháng 6 năm 2025", None),
    # drafted before Luật 87/2025/QH15 was passed: the 2025 law alone
    ("Kon Tum", 2025, dt.date(2025, 4, 15), "Luật Ban hành văn bản quy phạm pháp luật số 64/2025/QH15 ngày 19 tháng "
     "02 năm 2025 và", "87/2025/QH15"),
])
def test_an_amended_instrument_is_cited_with_the_amendments_in_force(data, province, year, as_of, expected, absent):
    ctx = pipeline.plan_context(data, province, year, as_of=as_of)
    body = "\n".join(p.text for p in ctx.body)
    assert expected in body
    if absent:
        assert absent not in body


# --------------------------------------------------------------------------- merging by rule id


def _t(ident: str, text: str | None = None, **kw) -> m.LayerTarget:
    return m.LayerTarget(id=ident, area="tthc", text=text or ident, responsibility="", **kw)


def test_merge_replaces_in_place_adds_places_and_drops():
    base = [m.Target(id=i, area="tthc", text=i, responsibility="") for i in ("a", "b", "c")]
    out = merge(base, [_t("b", "B"), _t("x", after="a"), _t("y", before="a"), _t("z")], {"c"}, "p")
    assert [t.id for t in out] == ["y", "a", "x", "b", "z"]
    assert next(t for t in out if t.id == "b").text == "B"
    moved = merge(base, [_t("a", after="c")], set(), "p")
    assert [t.id for t in moved] == ["b", "c", "a"]


def test_merge_refuses_an_anchor_that_is_not_there():
    with pytest.raises(DataError, match="placed relative to 'nope'"):
        merge([], [_t("x", after="nope")], set(), "p")


def test_merge_tree_replaces_anywhere_and_adds_under_a_parent():
    tree = [m.Node(id="s1", kind="muc", text="A", items=[m.Node(id="k1", kind="khoan", text="a1")]),
            m.Node(id="s2", kind="muc", text="B")]
    lay = [m.LayerNode(id="k1", kind="khoan", text="A1"), m.LayerNode(id="k2", kind="khoan", text="a2", parent="s1"),
           m.LayerNode(id="s0", kind="muc", text="Z", before="s1")]
    out = merge_tree(tree, lay, {"s2"}, "p")
    assert [n.id for n in out] == ["s0", "s1"]
    assert [(n.id, n.text) for n in out[1].items] == [("k1", "A1"), ("k2", "a2")]


# --------------------------------------------------------------------------- the engine's shape


def _module_asts() -> dict[str, ast.Module]:
    return {p.stem: ast.parse(p.read_text(encoding="utf-8")) for p in PACKAGE.glob("*.py")}


def test_only_the_resolver_asks_date_questions():
    """`when.applies`, value, agency, replacement and signer selection happen in resolve/selection only."""
    date_calls = {"applies", "value_for", "previous_value", "agency_name", "replacements", "effective",
                  "signer_for", "in_force"}
    allowed = {"resolve", "selection", "models"}
    offenders = []
    for name, tree in _module_asts().items():
        if name in allowed:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                fn = node.func
                called = fn.attr if isinstance(fn, ast.Attribute) else getattr(fn, "id", None)
                if called in date_calls:
                    offenders.append(f"{name}.py:{node.lineno} calls {called}()")
    assert not offenders, offenders


def test_no_import_cycle():
    """Every import between drafter's modules, lazy ones included (not those under TYPE_CHECKING)."""
    graph: dict[str, set[str]] = {}
    for name, tree in _module_asts().items():
        deps = graph.setdefault(name, set())
        skip = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                skip |= {id(n) for n in ast.walk(node)}
        for node in ast.walk(tree):
            if id(node) in skip or not isinstance(node, ast.ImportFrom) or node.level != 1:
                continue
            if node.module:
                deps.add(node.module.split(".")[0])
            else:
                deps |= {a.name for a in node.names}
    graph = {k: {d for d in v if d in graph} for k, v in graph.items()}

    def cycle_from(start: str) -> list[str] | None:
        stack = [(start, [start])]
        while stack:
            node, path = stack.pop()
            for d in graph[node]:
                if d == start:
                    return path + [d]
                if d not in path:
                    stack.append((d, path + [d]))
        return None

    cycles = [c for c in (cycle_from(n) for n in graph) if c]
    assert not cycles, cycles[0]
    assert "render" not in graph["loader"] and "checks" not in graph["loader"]


def test_the_template_uses_exactly_the_names_its_kind_declares(data, kontum_2024):
    """The context offers every kind's names (a KH has no articles: an empty list), no more; each
    template uses exactly its kind's (`drafter check` reports a difference, checked here)."""
    from drafter.checks import check_template
    from drafter.render import template_context

    offered = set(template_context(kontum_2024.context))
    assert offered == set().union(*(k.template_names for k in data.kinds.values()))
    assert len(data.kinds) >= 3
    assert [f for f in check_template(data) if "never shows" in f.message or "does not provide" in f.message] == []
