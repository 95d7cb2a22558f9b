"""What the loader reads: an unknown top-level key is a located error in every data file (so `check`
and `new` agree), and the fast parser (libyaml's events) reads exactly what the round-trip loader
reads, with the same lines and columns, or leaves the file to it."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drafter import loader, yamlio
from drafter.cli import main
from drafter.errors import DataError, Problems

from conftest import MINI, ROOT

# --------------------------------------------------------------------------- unknown top-level keys

#: Every kind of data file holding one top-level key (the list files and a province), with that key.
LIST_FILES = [
    ("rulepacks/national/targets.yaml", "targets"),
    ("rulepacks/national/areas.yaml", "areas"),
    ("rulepacks/national/responsibilities.yaml", "responsibilities"),
    ("rulepacks/national/appendix.yaml", "rows"),
    ("rulepacks/national/agencies.yaml", "agencies"),
    ("rulepacks/national/plan.yaml", "body"),
    ("rulepacks/kinds.yaml", "kinds"),
    ("legal_refs/national/core.yaml", "instruments"),
    ("rulepacks/provinces/kon-tum.yaml", "province"),
]


def _problems(root: Path) -> list[DataError]:
    with pytest.raises(Problems) as info:
        loader.load(root)
    return info.value.problems


def _new(root: Path, out: Path):
    return CliRunner().invoke(main, ["new", "-p", "Kon Tum", "-y", "2024", "--data-dir", str(root), "-o", str(out)],
                              catch_exceptions=False)


def _check(root: Path):
    return CliRunner().invoke(main, ["check", str(root)], catch_exceptions=False)


@pytest.mark.parametrize("rel,top", LIST_FILES, ids=[r for r, _ in LIST_FILES])
def test_unknown_top_level_key_is_located_at_the_key(mini, tmp_path, rel, top):
    f = mini / rel
    text = f.read_text(encoding="utf-8")
    f.write_text(text + "extra_key: 1\n", encoding="utf-8")
    line = len(text.splitlines()) + 1
    found = [p for p in _problems(mini) if str(p.where).startswith(str(f))]
    assert [str(p.where) for p in found] == [f"{f}:{line}:1"], [str(p) for p in found]
    assert found[0].message == f"unknown top-level key 'extra_key'; allowed: {top}"
    # `check` and `new` both refuse it, at the same place
    res = _check(mini)
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert f"{rel}:{line}:1: error: unknown top-level key 'extra_key'" in res.output, res.output
    out = tmp_path / "out.docx"
    res = _new(mini, out)
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert f"{rel}:{line}:1: unknown top-level key 'extra_key'" in res.output, res.output
    assert not out.exists()


def test_unknown_key_before_the_list_and_in_flow_style(mini):
    f = mini / "rulepacks/national/targets.yaml"
    f.write_text("notes: {a: 1}\n" + f.read_text(encoding="utf-8") + "'quoted key': x\n", encoding="utf-8")
    found = {p.message: str(p.where) for p in _problems(mini) if str(p.where).startswith(str(f))}
    last = len(f.read_text(encoding="utf-8").splitlines())
    assert found == {"unknown top-level key 'notes'; allowed: targets": f"{f}:1:1",
                     "unknown top-level key 'quoted key'; allowed: targets": f"{f}:{last}:1"}


def test_misspelt_top_level_key_names_both_problems(mini):
    f = mini / "rulepacks/national/areas.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace("areas:", "area:", 1), encoding="utf-8")
    messages = [p.message for p in _problems(mini) if str(p.where).startswith(str(f))]
    assert messages == ["unknown top-level key 'area'; allowed: areas", "expected a top-level 'areas:' key"]


def test_unknown_key_in_a_province_file_that_is_otherwise_valid(mini):
    f = mini / "rulepacks/provinces/quang-ngai-2025.yaml"
    f.write_text(f.read_text(encoding="utf-8") + "layer: {}\n", encoding="utf-8")  # belongs under province:
    (err,) = [p for p in _problems(mini) if str(p.where).startswith(str(f))]
    assert err.message == "unknown top-level key 'layer'; allowed: province"
    assert "move it into a record under 'province:'" in (err.hint or "")


def test_shipped_data_has_no_unknown_top_level_keys():
    loader.load(ROOT)  # raises Problems otherwise


def test_document_yaml_still_rejects_unknown_keys(mini):
    f = mini / "rulepacks/national/document.yaml"
    f.write_text(f.read_text(encoding="utf-8") + "extra_key: 1\n", encoding="utf-8")
    assert any("unknown field 'extra_key'" in p.message for p in _problems(mini))


# --------------------------------------------------------------------------- fast parser = round-trip


def _typed(x):
    """`x` with the type of every value spelt out (1, 1.0 and True are equal in Python)."""
    if isinstance(x, dict):
        return {_typed(k): _typed(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_typed(v) for v in x]
    return type(x).__name__, repr(x)


def _outcome(path: Path, raw: bytes, fast: bool):
    try:
        data, pos = yamlio.parse(path, raw, fast=fast)
    except DataError as exc:
        return "error", exc.message, str(exc.where), exc.hint
    return _typed(data), pos._pos, pos._keys


def _same(path: Path, raw: bytes) -> None:
    assert _outcome(path, raw, True) == _outcome(path, raw, False)


needs_libyaml = pytest.mark.skipif(yamlio.c_parser() is None, reason="ruamel.yaml.clib is not installed")

SHIPPED = sorted(p for d in ("rulepacks", "legal_refs") for p in (ROOT / d).rglob("*.yaml"))


@needs_libyaml
def test_fast_parser_reads_every_shipped_file_as_the_round_trip_loader():
    for path in SHIPPED:
        raw = path.read_bytes()
        # the fast path itself, not a fallback: the shipped data keeps to the plain subset
        pos = yamlio.Positions(path)
        data = yamlio._fast(yamlio._decode(path, raw), pos, yamlio.c_parser())
        rt_data, rt_pos = yamlio.parse(path, raw, fast=False)
        assert _typed(data) == _typed(rt_data), path
        assert pos._pos == rt_pos._pos and pos._keys == rt_pos._keys, path


# What the fast path leaves to the round-trip loader, and the plain YAML it reads; either way the
# outcome (data and positions, or the located error) must be the round-trip loader's.
EDGE_CASES = [
    "a: !!str 1\n", "a: !foo x\n", "a: ! x\n", "%YAML 1.2\n---\na: 1\n", "%TAG !e! tag:e.com,2000:\n---\na: 1\n",
    "a: &x 1\nb: *x\n", "base: &b {x: 1}\nm:\n  <<: *b\n  y: 2\n", "a: 1\na: 2\n", "1: a\n1: b\n",
    "? [a, b]\n: c\n", "? {a: 1}\n: c\n", "1.5: a\n", "true: a\n", "~: a\n", "2024-01-01: a\n", "2024: a\n",
    "a: =\n", "a: 2024-02-30\n", "a: " + "9" * 5000 + "\n", "a:\n\tb: 1\n", "a: 'x\ty'\n", "a: \"\\x01\"\n",
    "a: b\x85c\n", "a: b\u2028c\n", "\ufeffa: 1\n", "", "# only a comment\n", "---\n", "just text\n", "[a, b]\n",
    "a: 1\n---\nb: 2\n", "a: [1, 2\n", "a: {b: 1\n", "- a\n- b: [1, {c: d}]\n", "a:\n- 1\n- 2\nb: x\n",
    "a: |\n  line\n  two\n", "a: >\n  folded\n  text\n\n  para\n", "a: |-\n  x\n", "a: >+\n  x\n\n",
    "a: 'it''s'\n", 'a: "q\\"uote\\u00e9"\n', "a: b # comment\n", "a:\nb:\n", "a: ''\nb: \"\"\n",
    "a: [,]\n", "a: {b}\n", "a: [b: c]\n", "a: 0o17\nb: 0x1F\nc: 1_000\nd: .inf\ne: -.nan\nf: +1\ng: 1e3\n",
    "a: yes\nb: No\nc: on\nd: TRUE\ne: Null\n", "a: 12:30\nb: 1:20:30\n", "a: 2024-01-01T10:00:00Z\n",
    "a: 2024-1-1\nb: 2024-01-01 10:00:00.5 +07:00\n", "a: 010\nb: 0b11\nc: 00\n",
    "Kon Tum: tỉnh\nNFD: Tie\u0302\u0301ng Vie\u0323t\n", "a: b\n  c\n", "a:   \n  - x\n",
    "a:\n  b:\n    c: [1, [2, [3]]]\n", "- - - x\n", "a: -\n", "a: - x\n", "-: a\n", "a: :\n",
    "a: [a, b]: c\n", "'a': 1\n\"b\": 2\n", "a: 1\n...\n", "--- a: 1\n", "a: @x\n", "a: `x\n",
    "a: x\r\nb: y\r\n", "a: x\rb: y\r", "a: \x00\n", "a: 'x\n  y'\n", "a: \"x\\\n  y\"\n",
    "".join(" " * i + "k:\n" for i in range(64)) + " " * 64 + "v: 1\n",
    "".join(" " * i + "k:\n" for i in range(65)) + " " * 65 + "v: 1\n",
    "a: " + "[" * 63 + "]" * 63 + "\n", "a: " + "[" * 64 + "]" * 64 + "\n", "a: " + "[" * 100_000 + "\n",
]


@needs_libyaml
@pytest.mark.parametrize("text", EDGE_CASES, ids=[repr(t[:30]) for t in EDGE_CASES])
def test_fast_parser_agrees_with_the_round_trip_loader_on_edge_cases(tmp_path, text):
    _same(tmp_path / "x.yaml", text.encode("utf-8"))


def test_without_libyaml_the_round_trip_loader_reads_everything(mini, monkeypatch):
    fast = loader.load(mini)
    monkeypatch.setattr(yamlio, "_CPARSER", None)
    monkeypatch.setenv("DRAFTER_MAX_YAML_NODES", "99999")  # another cache key: really parsed again
    slow = loader.load(mini)
    assert (fast.targets, fast.provinces, fast.origins, fast.layer_origins) == \
        (slow.targets, slow.provinces, slow.origins, slow.layer_origins)


# Generated YAML: nested data written by ruamel in block and flow styles, with scalars picked to
# stress resolution (numbers, dates, booleans, nulls in many spellings), quoting and Unicode.
TRICKY = ["yes", "no", "on", "off", "y", "n", "true", "True", "FALSE", "null", "Null", "~", "", "0", "-0", "007",
          "0o17", "0x1f", "0b101", "1_000", "1e3", "1.5e-3", ".5", "+.inf", "-.Inf", ".NaN", "12:30", "1:20:30",
          "2024-01-01", "2024-1-1", "2024-02-30", "2024-01-01 10:00", "2024-01-01T10:00:00+07:00", "=", "<<",
          "-", "- x", ": x", "x: y", "#x", "x #y", "a'b", 'a"b', "[x]", "{x}", "*x", "&x", "!x", "%x", "@x", "`x",
          "Tiếng Việt", "Tie\u0302\u0301ng", "đ", " lead", "trail ", "multi\nline", "tab\there", "{{ year }}"]
scalars = st.one_of(st.sampled_from(TRICKY), st.text(max_size=12), st.integers(), st.booleans(), st.none(),
                    st.floats(allow_nan=False), st.dates())
keys = st.one_of(st.sampled_from(["id", "text", "a", "Kon Tum", "đ", "x y", "1", "yes", "2024"]), st.integers(0, 3000),
                 st.text(min_size=1, max_size=6))
trees = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(keys, inner, max_size=4)), max_leaves=16)


def _dump(data, flow: bool | None, width: int) -> str:
    import io

    from ruamel.yaml import YAML

    y = YAML(typ="rt")
    y.default_flow_style = flow
    y.width = width
    y.allow_unicode = True
    out = io.StringIO()
    y.dump(data, out)
    return out.getvalue()


@needs_libyaml
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.one_of(st.dictionaries(keys, trees, min_size=1, max_size=5), st.lists(trees, min_size=1, max_size=4)),
       flow=st.sampled_from([None, False, True]), width=st.sampled_from([20, 80, 4096]))
def test_fast_parser_agrees_on_generated_yaml(tmp_path_factory, data, flow, width):
    text = _dump(data, flow, width)
    _same(tmp_path_factory.getbasetemp() / "gen.yaml", text.encode("utf-8"))


@needs_libyaml
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rel=st.sampled_from(["rulepacks/national/targets.yaml", "rulepacks/provinces/kon-tum.yaml",
                            "legal_refs/national/core.yaml", "rulepacks/national/document.yaml"]),
       cut=st.integers(min_value=0, max_value=3000), drop=st.integers(min_value=0, max_value=5),
       junk=st.one_of(st.sampled_from(["", ":", "- ", "{", "}", "[", "]", "'", '"', "\t", "&a ", "*a", "!!str ",
                                       "<<: ", "\n", "\n  ", "# ", "%", "? ", "|\n", ">-\n", ",", "\\", "\x01"]),
                      st.text(max_size=4)))
def test_fast_parser_agrees_on_damaged_data_files(rel, cut, drop, junk):
    path = MINI / rel
    text = path.read_text(encoding="utf-8")
    cut = min(cut, len(text))
    _same(path, (text[:cut] + junk + text[cut + drop:]).encode("utf-8"))


def test_positions_are_the_same_after_unicode_normalisation(tmp_path):
    """A key written decomposed (NFD) is found under its composed (NFC) form, where the data has it."""
    f = tmp_path / "x.yaml"
    f.write_text("Tie\u0302\u0301ng:\n  - a\n", encoding="utf-8")
    for fast in (True, False):
        data, pos = yamlio.parse(f, f.read_bytes(), fast=fast)
        assert list(data) == ["Tiếng"]
        assert str(pos.at(("Tiếng", 0))) == f"{f}:2:5"
        assert str(pos.key_at("Tiếng")) == f"{f}:1:1"


def test_dates_and_numbers_are_built_by_ruamel_on_both_paths(tmp_path):
    f = tmp_path / "x.yaml"
    f.write_text("a: 2024-01-02\nb: 12\nc: 1.5\nd: true\ne: ~\nf: '12'\n", encoding="utf-8")
    for fast in (True, False):
        data, _ = yamlio.parse(f, f.read_bytes(), fast=fast)
        assert data == {"a": dt.date(2024, 1, 2), "b": 12, "c": 1.5, "d": True, "e": None, "f": "12"}
        assert re.fullmatch(r"ScalarFloat|float", type(data["c"]).__name__)


def test_every_parse_path_keeps_the_size_limit(tmp_path, monkeypatch):
    f = tmp_path / "x.yaml"
    raw = b"a: " + b"x" * 200 + b"\n"
    monkeypatch.setenv("DRAFTER_MAX_YAML_BYTES", "100")
    for fast in (True, False):
        with pytest.raises(DataError, match="over the limit of 100 bytes"):
            yamlio.parse(f, raw, fast=fast)
