"""Hostile YAML in a data folder is refused with one located message, quickly, and builds nothing:
tags (`!!python/object:…`), alias bombs ("billion laughs"), recursive aliases, over-large files,
deep nesting, and every other error ruamel can raise. Everything goes through drafter's real loading
path (`drafter.loader.load`, and `drafter check` on the command line)."""

from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from drafter import loader, yamlio
from drafter.cli import main
from drafter.errors import DataError, Problems

from conftest import ROOT

AREAS = "rulepacks/national/areas.yaml"
CORE = "legal_refs/national/core.yaml"


def billion_laughs(levels: int = 9, width: int = 9) -> str:
    """`levels` lists of `width` aliases each, nested: 9 x 9 expands to 9**9 (387 million) strings."""
    lines = ['lol0: &l0 ["lol"]']
    for i in range(1, levels + 1):
        lines.append(f"lol{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]")
    lines.append(f"areas: *l{levels}")
    return "\n".join(lines) + "\n"


def _problems(root: Path) -> list[DataError]:
    with pytest.raises(Problems) as info:
        loader.load(root)
    return info.value.problems


def _only_problem(root: Path, rel: str) -> DataError:
    """The single problem `load` reports for `rel` (other files of the copy are intact)."""
    found = [p for p in _problems(root) if str(p.where).startswith(str(root / rel))]
    assert len(found) == 1, [str(p) for p in _problems(root)]
    return found[0]


def _located(err: DataError, root: Path, rel: str, line: int | None = None) -> None:
    m = re.fullmatch(re.escape(str(root / rel)) + r":(\d+):(\d+)", str(err.where))
    assert m, f"not located at file:line:col: {err.where}"
    if line is not None:
        assert int(m.group(1)) == line, str(err)


def _check(root: Path):
    return CliRunner().invoke(main, ["check", str(root)], catch_exceptions=False)


def _check_fails_cleanly(root: Path, rel: str, message: str):
    res = _check(root)
    assert res.exit_code == 1, res.output
    assert "Traceback" not in res.output
    assert re.search(re.escape(rel) + r":\d+:\d+: error: .*" + re.escape(message), res.output), res.output
    return res


# --------------------------------------------------------------------------- tags

TAGGED = [
    # (text put at the top of areas.yaml, or replacing it, the tag as reported, its line)
    ("!!python/object:os.system\n{prepend}", "!!python/object:os.system", 1),
    ("{prepend}extra: !!python/object/apply:os.system ['touch {marker}']\n", "!!python/object/apply:os.system", None),
    ("{prepend}extra: !foo bar\n", "!foo", None),
    ("{prepend}extra: !!binary aGVsbG8=\n", "!!binary", None),
    ("{prepend}extra: !!set {{a, b}}\n", "!!set", None),
    ("{prepend}extra: !!omap [a: 1, b: 2]\n", "!!omap", None),
    ("{prepend}extra: !!str 2024\n", "!!str", None),  # explicit standard tags are refused too
    ("{prepend}extra: !!int 12\n", "!!int", None),
    ("%TAG !e! tag:example.com,2000:\n---\n{prepend}extra: !e!thing 1\n", "!e!thing", None),
    ("{prepend}extra: !<tag:example.com,2000:thing> 1\n", "!<tag:example.com,2000:thing>", None),
]


@pytest.mark.parametrize("template,tag,line", TAGGED, ids=[t[1] for t in TAGGED])
def test_tagged_node_is_refused_at_its_line(mini, tmp_path, template, tag, line):
    marker = tmp_path / "constructed"
    f = mini / AREAS
    original = f.read_text(encoding="utf-8")
    f.write_text(template.format(prepend=original, marker=marker), encoding="utf-8")
    err = _only_problem(mini, AREAS)
    assert err.message == f"tag {tag} is not allowed in drafter data; remove the tag"
    expected_line = line or len(f.read_text(encoding="utf-8").splitlines())  # the appended line
    _located(err, mini, AREAS, expected_line)
    _check_fails_cleanly(mini, AREAS, f"tag {tag} is not allowed")
    assert not marker.exists()


def test_tag_deep_inside_a_record(mini):
    f = mini / AREAS
    text = f.read_text(encoding="utf-8")
    assert "    number: 2\n" in text
    f.write_text(text.replace("    number: 2\n", "    number: !!python/name:os.system 2\n", 1), encoding="utf-8")
    line = text[: text.index("    number: 2\n")].count("\n") + 1
    err = _only_problem(mini, AREAS)
    _located(err, mini, AREAS, line)
    assert str(err.where).endswith(":13"), err.where  # at the tag, after "    number: "
    assert "tag !!python/name:os.system is not allowed" in err.message


def test_value_yaml_reads_as_a_strange_type_is_refused(mini):
    f = mini / AREAS
    f.write_text(f.read_text(encoding="utf-8") + "extra: =\n", encoding="utf-8")  # `=` is !!value
    err = _only_problem(mini, AREAS)
    _located(err, mini, AREAS)
    assert "!!value" in err.message and "quotes" in err.message


# --------------------------------------------------------------------------- aliases


def test_billion_laughs_is_refused_fast_and_located(mini, monkeypatch):
    seen = []
    real_validate = yamlio.validate

    def spy(model, data, pos, key=()):
        seen.append(pos.path)
        return real_validate(model, data, pos, key)

    monkeypatch.setattr(yamlio, "validate", spy)
    (mini / AREAS).write_text(billion_laughs(), encoding="utf-8")
    start = time.monotonic()
    err = _only_problem(mini, AREAS)
    elapsed = time.monotonic() - start
    assert elapsed < 2, f"took {elapsed:.1f} s"  # a guard against expanding the aliases, not a benchmark
    _located(err, mini, AREAS)
    assert "more than 100000 nodes" in err.message and "DRAFTER_MAX_YAML_NODES" in err.message
    assert seen and mini / AREAS not in seen  # the other files were validated; pydantic never saw this one

    start = time.monotonic()
    res = _check_fails_cleanly(mini, AREAS, "DRAFTER_MAX_YAML_NODES")
    assert time.monotonic() - start < 2
    assert "areas.yaml:" in res.output


def test_billion_laughs_in_a_separate_process(mini):
    """The real command in its own process: clean message on stderr/stdout, exit 1, no traceback."""
    (mini / AREAS).write_text(billion_laughs(), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", "from drafter.cli import main; main()", "check", str(mini)],
                          capture_output=True, text=True, timeout=60, env=env, cwd=ROOT)
    elapsed = time.monotonic() - start
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "Traceback" not in out
    assert re.search(r"areas\.yaml:\d+:\d+: error: the aliases of this file expand to more than", out), out
    assert elapsed < 10, f"took {elapsed:.1f} s"  # includes starting Python and importing drafter


def test_alias_limit_can_be_changed(mini, monkeypatch):
    (mini / AREAS).write_text(billion_laughs(levels=3, width=9), encoding="utf-8")  # 9 + 81 + 729 ... nodes
    monkeypatch.setenv("DRAFTER_MAX_YAML_NODES", "100")
    err = _only_problem(mini, AREAS)
    assert "more than 100 nodes (limit DRAFTER_MAX_YAML_NODES=100)" in err.message
    monkeypatch.setenv("DRAFTER_MAX_YAML_NODES", "1000000")
    # now the file is read (and then rejected for what it is: not a list of areas)
    assert not any("DRAFTER_MAX_YAML_NODES" in p.message for p in _problems(mini))


def test_bad_limit_setting_is_a_clean_error(mini, monkeypatch):
    monkeypatch.setenv("DRAFTER_MAX_YAML_NODES", "lots")
    res = _check(mini)
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert "DRAFTER_MAX_YAML_NODES='lots' is not a positive whole number" in res.output


@pytest.mark.parametrize("text", ["areas: &a [*a]\n", "areas: &a {x: *a}\n", "areas: &a [[[*a]]]\n"])
def test_recursive_alias_is_refused(mini, text):
    (mini / AREAS).write_text(text, encoding="utf-8")
    err = _only_problem(mini, AREAS)
    _located(err, mini, AREAS, 1)
    assert "alias *a refers to a node that contains it" in err.message
    _check_fails_cleanly(mini, AREAS, "alias *a refers to a node that contains it")


def test_small_aliases_still_load(mini):
    """Anchors reused a few times are ordinary YAML and read as if the value were copied."""
    plain = loader.load(mini)
    f = mini / CORE
    text = f.read_text(encoding="utf-8")
    assert text.count("issuer: Chính phủ") == 3 and text.count("sources: [seed:002]") == 2
    text = text.replace("issuer: Chính phủ", "issuer: &gov Chính phủ", 1).replace("issuer: Chính phủ", "issuer: *gov")
    text = text.replace("sources: [seed:002]", "sources: &seed [seed:002]", 1).replace(
        "sources: [seed:002]", "sources: *seed")
    f.write_text(text, encoding="utf-8")
    aliased = loader.load(mini)
    assert aliased.instruments == plain.instruments
    res = _check(mini)
    assert res.exit_code == 0, res.output


def test_aliases_and_merge_keys_keep_positions(tmp_path):
    f = tmp_path / "x.yaml"
    f.write_text("base: &b {x: 1, y: 2}\n"
                 "list: [*b, *b, *b]\n"
                 "merged:\n"
                 "  <<: *b\n"
                 "  z: 3\n", encoding="utf-8")
    data, pos = yamlio.load_yaml(f)
    assert data == {"base": {"x": 1, "y": 2}, "list": [{"x": 1, "y": 2}] * 3, "merged": {"z": 3, "x": 1, "y": 2}}
    assert str(pos.at(("merged", "z"))) == f"{f}:5:6"
    assert str(pos.at(("merged", "x"))) == f"{f}:1:14"  # where the merged value is written
    assert str(pos.at(("list", 2, "y"))) == f"{f}:1:20"


# --------------------------------------------------------------------------- size


def test_file_over_the_size_limit_is_refused_before_reading(mini, monkeypatch):
    f = mini / AREAS
    with f.open("ab") as out:
        out.write(b"#" * yamlio.MAX_BYTES)  # a comment: cheap to parse, had it been read
    real_open = pathlib.Path.open

    def guarded_open(self, *args, **kwargs):
        assert self != f, "the over-large file was opened"
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "open", guarded_open)
    err = _only_problem(mini, AREAS)
    _located(err, mini, AREAS, 1)
    assert f"over the limit of {yamlio.MAX_BYTES} bytes (DRAFTER_MAX_YAML_BYTES)" in err.message
    _check_fails_cleanly(mini, AREAS, "DRAFTER_MAX_YAML_BYTES")


def test_size_limit_can_be_changed(mini, monkeypatch):
    size = (mini / AREAS).stat().st_size
    monkeypatch.setenv("DRAFTER_MAX_YAML_BYTES", str(size - 1))
    err = _only_problem(mini, AREAS)
    assert f"file is {size} bytes, over the limit of {size - 1} bytes" in err.message
    monkeypatch.setenv("DRAFTER_MAX_YAML_BYTES", str(size))
    assert not any(str(p.where).startswith(str(mini / AREAS)) for p in _problems_or_none(mini))


def _problems_or_none(root: Path) -> list[DataError]:
    try:
        loader.load(root)
    except Problems as exc:
        return exc.problems
    return []


# --------------------------------------------------------------------------- other ruamel errors

OTHERS = [
    # (id, text appended to areas.yaml, part of the message)
    ("duplicate-key", "areas: []\n", "duplicate key"),
    ("undefined-alias", "extra: *nowhere\n", "undefined alias"),
    ("no-such-date", "extra: 2024-02-30\n", "day is out of range for month"),  # looks like a date, is none
    ("huge-integer", "extra: " + "9" * 5000 + "\n", "cannot read the value"),  # over Python's int-conversion limit
    ("deep-flow", "extra: " + "[" * 200 + "]" * 200 + "\n", "nested more than 64 levels deep"),
    ("100k-brackets", "extra: " + "[" * 100_000 + "\n", "nested more than 64 levels deep"),  # made ruamel crawl
    ("deep-block", "".join(" " * i + "k:\n" for i in range(80)), "nested more than 64 levels deep"),
    ("two-documents", "---\nanother: document\n", "expected a single document"),
    ("syntax", "extra: [1, 2\n", "YAML syntax error"),
]


@pytest.mark.parametrize("tail,message", [o[1:] for o in OTHERS], ids=[o[0] for o in OTHERS])
def test_other_yaml_errors_are_located(mini, tail, message):
    f = mini / AREAS
    f.write_text(f.read_text(encoding="utf-8") + tail, encoding="utf-8")
    start = time.monotonic()
    err = _only_problem(mini, AREAS)
    assert time.monotonic() - start < 5
    _located(err, mini, AREAS)
    assert message in err.message, str(err)
    _check_fails_cleanly(mini, AREAS, message)
