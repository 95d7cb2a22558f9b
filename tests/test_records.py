"""A run served from the cache drafts from records (drafter.records), not pydantic models, and the
run's own values are `drafter.frozen` records: both must behave as what they replace, and a warm run
must import no pydantic at all (that is what they are for)."""

from __future__ import annotations

import dataclasses
import os
import pickle
import subprocess
import sys
from dataclasses import field

import pytest

from drafter import cache, loader, models, records
from drafter.frozen import record

from conftest import ROOT


# ---------------------------------------------------------------------------- frozen.record


@record
class Point:
    x: int
    y: int = 0
    tags: list[str] = field(default_factory=list)


@record(kw_only=True)
class Labelled:
    label: str
    note: str | None = None


@dataclasses.dataclass(frozen=True)
class RefPoint:  # the standard library's, for comparison
    x: int
    y: int = 0
    tags: list[str] = field(default_factory=list)


def test_record_behaves_as_a_frozen_dataclass() -> None:
    p, ref = Point(1, tags=["a"]), RefPoint(1, tags=["a"])
    assert (p.x, p.y, p.tags) == (ref.x, ref.y, ref.tags)
    assert Point(1).tags == [] and Point(1).tags is not Point(1).tags  # a fresh list each time
    assert dataclasses.is_dataclass(p)
    assert [f.name for f in dataclasses.fields(p)] == [f.name for f in dataclasses.fields(ref)]
    assert dataclasses.asdict(p) == dataclasses.asdict(ref) == {"x": 1, "y": 0, "tags": ["a"]}
    moved = dataclasses.replace(p, y=5)
    assert (moved.x, moved.y, moved.tags) == (1, 5, ["a"]) and p.y == 0
    assert p == Point(1, 0, ["a"]) and p != Point(2) and p != ref
    assert repr(Point(1, 2)) == "Point(x=1, y=2, tags=[])"
    assert hash(Labelled(label="a")) == hash(Labelled(label="a"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.x = 2  # type: ignore[misc]
    with pytest.raises(TypeError):
        Labelled("a")  # type: ignore[misc]  # keyword-only
    with pytest.raises(TypeError):
        Point()  # type: ignore[call-arg]  # x is required
    assert pickle.loads(pickle.dumps(Labelled(label="b", note="n"))) == Labelled(label="b", note="n")


# ---------------------------------------------------------------------------- records


def test_a_model_and_its_record_are_interchangeable() -> None:
    when = models.When.model_validate({"from": "2025-07-01", "max_year": 2026})
    stored = pickle.loads(cache.dumps(when))
    assert type(stored) is records.When and stored == when and when == stored
    import datetime as dt

    for day, year in ((dt.date(2025, 6, 30), 2026), (dt.date(2025, 7, 1), 2026), (dt.date(2025, 7, 1), 2027)):
        assert stored.applies(day, year) == when.applies(day, year)
    node = models.LayerNode.model_validate({"id": "n", "kind": "para", "text": "Một đoạn.", "after": "x"})
    rec = pickle.loads(cache.dumps(node))
    assert type(rec) is records.LayerNode and isinstance(rec, records.Node) and isinstance(node, records.Node)
    copy = rec.model_copy(update={"text": "Đoạn khác."})
    assert (copy.text, rec.text, copy.after, type(copy)) == ("Đoạn khác.", "Một đoạn.", "x", records.LayerNode)
    with pytest.raises(AttributeError):
        rec.text = "x"


def test_the_cached_data_holds_records_only(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("DRAFTER_CACHE_DIR", str(tmp_path / "cache"))
    loader.load_cached.cache_clear()
    loader.load_cached(ROOT, lambda d: None)  # a miss: builds and stores the entry
    entry = next((tmp_path / "cache").glob("data-*.pickle"))
    found: set[str] = set()

    class Spy(pickle.Unpickler):
        def find_class(self, module: str, name: str):  # noqa: ANN201
            found.add(module)
            return super().find_class(module, name)

    payload = cache.split_data(cache.unframe(entry.read_bytes(), None))
    assert payload is not None
    Spy(__import__("io").BytesIO(bytes(payload[1]))).load()
    assert "drafter.records" in found
    assert not any(m.startswith("pydantic") or m == "drafter.models" for m in found), found
    loader.load_cached.cache_clear()


def test_a_warm_run_imports_no_pydantic(tmp_path) -> None:
    env = {**os.environ, "DRAFTER_CACHE_DIR": str(tmp_path / "cache")}
    out = tmp_path / "kt.docx"
    probe = ("import sys\nfrom drafter.cli import main\n"
             "try:\n    main(['new', '-p', 'Kon Tum', '-y', '2024', '-o', sys.argv[1], '--force'])\n"
             "except SystemExit as e:\n    assert not e.code, e.code\n"
             "print(sorted(m for m in sys.modules if m.split('.')[0] == 'pydantic' or m.startswith('ruamel.')"
             " or m in ('drafter.models', 'drafter.yamlio')))\n")
    first = subprocess.run([sys.executable, "-c", probe, str(out)], env=env, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    assert "drafter.models" in first.stdout  # the empty cache: validated
    warm = subprocess.run([sys.executable, "-c", probe, str(out)], env=env, capture_output=True, text=True)
    assert warm.returncode == 0, warm.stderr
    assert warm.stdout.strip().splitlines()[-1] == "[]", warm.stdout


def test_record_keeps_what_the_class_defines_and_refuses_what_it_cannot_do() -> None:
    @record
    class Shown:
        x: int

        def __repr__(self) -> str:
            return f"<{self.x}>"

    assert repr(Shown(3)) == "<3>" and Shown(3) == Shown(3)
    with pytest.raises(TypeError, match="__post_init__"):
        @record
        class Checked:
            x: int

            def __post_init__(self) -> None:
                pass
