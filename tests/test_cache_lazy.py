"""What a warm run leaves undone (drafter.cache.Lazy, textenv's per-text code) costs speed at worst:
a run unpickles only the records it uses, and anything it cannot use from the cache is loaded or
compiled afresh. A text that does not compile is reported by `check` and refused by `new`, located,
whether the cache is empty or warm."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from click.testing import CliRunner
from jinja2 import meta

from drafter import cache, loader, pipeline, textenv
from drafter.cli import main

from conftest import ROOT

TARGETS = "rulepacks/national/targets.yaml"
TEXT = "Tối thiểu {{ value }} hồ sơ được xử lý điện tử."  # the first text of TARGETS (mini data)


def _reset() -> None:
    """Forget everything this process holds, so that the next load reads the cache folder."""
    loader.load_cached.cache_clear()
    cache._CODE.clear()
    for name in ("_CODE", "_TEMPLATES", "_NAMES"):
        getattr(textenv, name).clear()


def _draft(root: Path) -> bytes:
    _reset()
    return pipeline.draft(pipeline.load(root), "Kon Tum", 2024).docx


@pytest.fixture()
def cache_dir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("DRAFTER_CACHE_DIR", str(folder))
    return folder


def _pickled(lazy: cache.Lazy) -> set[str]:
    """The keys of `lazy` whose values are still pickled."""
    return {k for k, v in lazy._items.items() if type(v) is bytes}


def _rewrite_data_entry(folder: Path, change) -> None:
    """Apply `change` to the (DataSet, code) of the one data entry in `folder` and store it back,
    intact (framed under its own key): damage the checksum cannot see."""
    (path,) = folder.glob("data-*.pickle")
    racy, blob = cache.split_data(cache.unframe(path.read_bytes(), None))
    data, code = pickle.loads(blob)
    change(data, code)
    head = pickle.dumps(racy)
    payload = len(head).to_bytes(8, "big") + head + cache.dumps((data, code))
    path.write_bytes(cache.frame(path.name[len("data-"):-len(".pickle")].encode(), payload))


def test_a_warm_run_unpickles_only_the_records_it_uses(mini, cache_dir):
    reference = _draft(mini)
    _reset()
    data = pipeline.load(mini)
    assert _pickled(data.provinces) == set(data.provinces)  # nothing unpickled by loading
    assert _pickled(data.instruments) == set(data.instruments)
    assert pipeline.render(data, pipeline.plan_context(data, "Kon Tum", 2024)).docx == reference
    assert set(data.provinces) - _pickled(data.provinces) == {"kon-tum"}
    used = set(data.instruments) - _pickled(data.instruments)
    assert used and _pickled(data.instruments)  # the cited ones only
    assert set(data.layer_origins) - _pickled(data.layer_origins) <= {"kon-tum"}


def test_lazy_values_are_the_records_themselves(mini, cache_dir):
    _draft(mini)
    fresh = loader.load(mini)
    _reset()
    cached = pipeline.load(mini)
    assert dict(cached.provinces.items()) == dict(fresh.provinces.items())
    assert dict(cached.instruments.items()) == dict(fresh.instruments.items())
    assert dict(cached.layer_origins.items()) == dict(fresh.layer_origins.items())
    assert cached.names == fresh.names and "kontum" in cached.names


def test_a_record_that_does_not_unpickle_is_loaded_afresh(mini, cache_dir):
    reference = _draft(mini)

    def damage(data, code):
        data.provinces._items["kon-tum"] = pickle.dumps("not a province")  # a bug, say: checksum intact
        data.instruments._items = {k: b"garbage" for k in data.instruments._items}

    _rewrite_data_entry(cache_dir, damage)
    assert _draft(mini) == reference


def test_code_that_does_not_unmarshal_is_compiled_again(mini, cache_dir):
    reference = _draft(mini)
    _rewrite_data_entry(cache_dir, lambda data, code: code.update({t: b"\xffnot code" for t in code}))
    assert _draft(mini) == reference
    assert TEXT in textenv._CODE and not isinstance(textenv._CODE[TEXT], bytes)  # compiled here


@pytest.mark.parametrize("broken, message", [
    ("Tối thiểu {{ value hồ sơ được xử lý điện tử.", "text template syntax error: expected token"),
    ("Tối thiểu {{ value | no_such_filter }} hồ sơ.", "syntax error: No filter named 'no_such_filter'"),
    ("Tối thiểu {{ value.__class__ }} hồ sơ.", "access to attribute '__class__' is unsafe"),
])
def test_a_text_that_does_not_compile_is_located_with_an_empty_or_a_warm_cache(mini, cache_dir, broken, message):
    f = mini / TARGETS
    f.write_text(f.read_text(encoding="utf-8").replace(TEXT, broken, 1), encoding="utf-8")
    where = f"{f}:2:"
    runner = CliRunner()
    for _ in range(2):  # the first run fills the cache, the second reads it
        _reset()
        res = runner.invoke(main, ["check", "--quiet", str(mini)])
        assert res.exit_code == 1 and f"{where}" in res.output and message in res.output, res.output
        _reset()
        res = runner.invoke(main, ["new", "-p", "Kon Tum", "-y", "2024", "--data-dir", str(mini), "-o",
                                   str(mini.parent / "out.docx")])
        assert res.exit_code == 1 and f"drafter: error: {where}" in res.output and message in res.output, res.output
        assert not (mini.parent / "out.docx").exists()


def test_the_names_noted_when_compiling_are_jinjas(data):
    texts = [s for s in dict.fromkeys(loader.strings(data)) if not textenv.is_plain(s)]
    assert len(texts) > 100
    for text in texts:
        textenv._NAMES.pop(text, None)
        textenv._CODE.pop(text, None)
        textenv._compile(text)
        assert textenv.names(text) == meta.find_undeclared_variables(textenv.ENV.parse(text)), text


def test_one_walk_reports_what_one_walk_per_rule_did():
    """The first offence of the first rule (templates read, recursive loops, private attributes)."""
    from jinja2 import TemplateSyntaxError

    cases = {
        "{{ x._y }}{% include 'a' %}": "{% include %} is not allowed",
        "{{ x._y }}{% for i in x recursive %}{% endfor %}": "recursive loops are not allowed",
        "{{ x['_y'] }}{{ x._z }}": "access to attribute '_y' is unsafe",
        "{{ x | attr('_y') }}": "access to attribute '_y' is unsafe",
    }
    for text, expected in cases.items():
        with pytest.raises(TemplateSyntaxError) as info:
            textenv.ENV.parse(text)
        assert expected in info.value.message, (text, info.value.message)


def test_every_data_folder_keeps_its_per_file_entries_in_one_file(mini, cache_dir, tmp_path):
    import shutil

    other = tmp_path / "other"
    shutil.copytree(mini, other)
    _draft(mini)
    _draft(other)
    (folder,) = cache_dir.glob("units-*")
    assert len(list(folder.glob("*.units"))) == 2 and not list(folder.glob("*.unit"))


def test_shipped_data_is_lazy_too():
    data = loader.load(ROOT)
    assert isinstance(data.provinces, cache.Lazy) and len(data.provinces) > 30
    assert all(isinstance(p, loader.m.Province) for p in data.provinces.values())


def test_check_and_new_share_the_data_entry_and_check_reads_each_template_once(cache_dir, monkeypatch):
    """A rule editor alternates `drafter check` and `drafter new`: the one after the other parses no data
    file, and `check` works out what a template says once per template bytes, not on every run. (The
    shipped data: its kinds share templates.)"""
    from docxtpl import DocxTemplate

    from drafter import checks

    parsed: list[str] = []
    real_unit = loader._unit
    monkeypatch.setattr(loader, "_unit", lambda *a, **k: parsed.append(a[1]) or real_unit(*a, **k))
    assembled: list[int] = []  # the data put together from the files' entries: what the shared entry saves
    real_load = loader._load
    monkeypatch.setattr(loader, "_load", lambda *a, **k: assembled.append(1) or real_load(*a, **k))
    scans: list[int] = []
    real_scan = DocxTemplate.get_undeclared_template_variables
    monkeypatch.setattr(DocxTemplate, "get_undeclared_template_variables",
                        lambda self, *a, **k: scans.append(1) or real_scan(self, *a, **k))

    _reset()
    first = checks.check(ROOT)
    assert parsed and scans  # an empty cache: every file parsed, each template scanned
    templates = {pipeline.template_bytes(d, k) for d in [pipeline.load(ROOT)] for k in d.kinds.values()}
    assert len(scans) == len(templates) < len(pipeline.load(ROOT).kinds)  # once per template, not per kind
    parsed.clear(), scans.clear(), assembled.clear()
    _reset()
    assert _draft(ROOT) and parsed == [] and assembled == []  # `new` after `check`: the same entry
    _reset()
    again = checks.check(ROOT)
    assert parsed == [] and scans == [] and assembled == []  # `check` after either: nothing done again
    assert [str(f) for f in again] == [str(f) for f in first]
    assert any(f.severity == "warning" for f in first)  # the warnings are still listed from the cached data


def test_check_lists_every_finding_when_the_data_would_stop_a_draft(mini, cache_dir, tmp_path):
    """With a blocking error `check` cannot use the shared entry (none is made): it loads afresh and
    lists the error with the warnings."""
    import shutil

    from drafter import checks

    root = tmp_path / "edited"
    shutil.copytree(mini, root)
    targets = root / TARGETS
    targets.write_text(targets.read_text(encoding="utf-8").replace("{{ value }}", "{{ value | nosuchfilter }}", 1),
                       encoding="utf-8")
    findings = checks.check(root)
    assert any(f.severity == "error" and "nosuchfilter" in f.message for f in findings), findings
    assert any(f.severity == "warning" for f in findings)
    assert not list(cache_dir.glob("data-*.pickle"))  # a refused load stores no entry


def test_a_template_entry_of_another_shape_is_worked_out_again(cache_dir):
    """A well-framed `check` entry for a template holding something else (the checksum cannot see it)
    changes no finding."""
    import marshal

    from drafter import checks

    _reset()  # what this process has worked out already would not be written to this test's folder
    first = [str(f) for f in checks.check(ROOT)]
    entries = list(cache_dir.glob("tplcheck-*.marshal"))
    assert entries
    for f in entries:
        f.write_bytes(cache.frame(f"tplcheck{f.stem[len('tplcheck-'):]}".encode(),
                                  marshal.dumps(("dict", {"used": 1}))))
    _reset()
    assert [str(f) for f in checks.check(ROOT)] == first
