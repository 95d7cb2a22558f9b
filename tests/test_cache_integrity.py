"""The caches (drafter.cache) are verified before use and rebuilt when damaged: whatever is written
into the cache folder (random bytes, truncations, flipped bits, another entry's bytes, a well-formed
entry of the wrong shape), the next load and draft succeed with the same content. And the cache is
per file: an edit re-parses the edited file only, and `check` and `new` share that work."""

from __future__ import annotations

import os
import pickle
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drafter import cache, loader, pipeline, textenv
from drafter.cli import main

from conftest import MINI, ROOT

TARGETS = "rulepacks/national/targets.yaml"
OLD, NEW = "hồ sơ được xử lý điện tử", "hồ sơ được xử lý trên môi trường mạng"  # a text of TARGETS, edited


def _reset() -> None:
    """Forget everything this process holds, so that the next load reads the cache folder."""
    loader.load_cached.cache_clear()
    cache._CODE.clear()
    for name in ("_CODE", "_TEMPLATES"):
        getattr(textenv, name, {}).clear()


def _draft(root: Path) -> bytes:
    _reset()
    return pipeline.draft(pipeline.load(root), "Kon Tum", 2024).docx


def _docx_text(docx: bytes) -> str:
    import io
    import re
    import zipfile

    xml = zipfile.ZipFile(io.BytesIO(docx)).read("word/document.xml").decode("utf-8")
    return "".join(re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", xml))


def _entries(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


@pytest.fixture()
def cache_dir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("DRAFTER_CACHE_DIR", str(folder))
    return folder


@pytest.fixture()
def parses(monkeypatch) -> list[str]:
    """The data files parsed (each call of the loader's per-file step), by path relative to the root."""
    seen: list[str] = []
    real = loader._unit

    def spy(root, rel, kind, raw, compiled=None):
        seen.append(rel)
        return real(root, rel, kind, raw, compiled)

    monkeypatch.setattr(loader, "_unit", spy)
    return seen


# --------------------------------------------------------------------------- damaged entries


class Built:
    def __init__(self, base: Path) -> None:
        self.root = base / "data"
        shutil.copytree(MINI, self.root)
        self.good = base / "good-cache"
        saved = os.environ.get("DRAFTER_CACHE_DIR")
        os.environ["DRAFTER_CACHE_DIR"] = str(self.good)
        try:
            self.docx = _draft(self.root)
        finally:
            os.environ["DRAFTER_CACHE_DIR"] = saved or ""
        self.files = _entries(self.good)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Built:
    b = Built(tmp_path_factory.mktemp("integrity"))
    kinds = {p.name.split("-", 1)[0] for p in b.files} | {p.parent.name.split("-", 1)[0] for p in b.files}
    assert {"data", "units", "code", "patch"} <= kinds, b.files  # every kind of entry is there to damage
    return b


def _damage(blob: bytes, how: tuple, others: list[bytes]) -> bytes:
    kind = how[0]
    if kind == "random":
        return how[1]
    if kind == "truncate":
        return blob[: how[1] % max(len(blob), 1)]
    if kind == "flip":
        if not blob:
            return b"\x01"
        i = how[1] % len(blob)
        return blob[:i] + bytes([blob[i] ^ (1 << how[2])]) + blob[i + 1:]
    if kind == "empty":
        return b""
    if kind == "other":  # an intact entry, but of another key
        choice = [o for o in others if o != blob]
        return choice[how[1] % len(choice)] if choice else b"x"
    if kind == "append":
        return blob + how[1]
    raise AssertionError(kind)


DAMAGE = st.one_of(
    st.tuples(st.just("random"), st.binary(max_size=400)),
    st.tuples(st.just("truncate"), st.integers(min_value=0, max_value=10**7)),
    st.tuples(st.just("flip"), st.integers(min_value=0, max_value=10**7), st.integers(min_value=0, max_value=7)),
    st.tuples(st.just("empty")),
    st.tuples(st.just("other"), st.integers(min_value=0, max_value=1000)),
    st.tuples(st.just("append"), st.binary(min_size=1, max_size=16)),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damage=st.lists(DAMAGE, min_size=1, max_size=6), seed=st.integers(min_value=0, max_value=2**16))
def test_damaged_cache_files_are_rebuilt_and_the_draft_is_unchanged(built, damage, seed):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "cache"
        shutil.copytree(built.good, folder)
        files = _entries(folder)
        originals = [f.read_bytes() for f in files]
        order = list(range(len(files)))
        random.Random(seed).shuffle(order)
        for n, i in enumerate(order):  # every file gets one of the drawn damages
            files[i].write_bytes(_damage(originals[i], damage[n % len(damage)], originals))
        saved = os.environ.get("DRAFTER_CACHE_DIR")
        os.environ["DRAFTER_CACHE_DIR"] = str(folder)
        try:
            assert _draft(built.root) == built.docx
            res = CliRunner().invoke(main, ["check", "--quiet", str(built.root)], catch_exceptions=False)
            assert res.exit_code == 0 and "Traceback" not in res.output, res.output
            # the damaged entries were replaced: the next run parses nothing
            real, seen = loader._unit, []
            loader._unit = lambda *a, **k: seen.append(a[1]) or real(*a, **k)
            try:
                assert _draft(built.root) == built.docx
            finally:
                loader._unit = real
            assert seen == []
        finally:
            os.environ["DRAFTER_CACHE_DIR"] = saved or ""


def _reframe(blob: bytes, payload: bytes) -> bytes:
    """An entry as intact as `blob` (its magic, format and key) holding `payload` instead."""
    head = cache._HEAD
    magic, fmt, key, _, _ = head.unpack_from(blob)
    import hashlib

    return head.pack(magic, fmt, key, len(payload), hashlib.sha256(payload).digest()) + payload


def _wrong_shapes(path: Path) -> list[bytes]:
    """Well-framed payloads of the wrong shape for the entry at `path`."""
    import marshal

    from drafter.loader import DataSet, Unit

    common = [pickle.dumps(None), pickle.dumps("text"), pickle.dumps(("a", b"b", 3)), b"not a pickle",
              pickle.dumps(([("x", b"y")], b"z"))]
    if path.name.startswith("data-"):
        blob = bytes(cache.split_data(cache.unframe(path.read_bytes(), None))[1])
        data, code = pickle.loads(blob)
        bad_data = pickle.loads(blob)[0]
        bad_data.targets = ["not a target"]
        not_lazy, not_a_record, bad_names = (pickle.loads(blob)[0] for _ in range(3))
        not_lazy.provinces = dict(not_lazy.provinces.items())
        not_a_record.provinces._items["kon-tum"] = 42  # neither pickled nor a province
        bad_names.names = {"kontum": "kon-tum"}

        def entry(racy, value: bytes) -> bytes:
            head = pickle.dumps(racy)
            return len(head).to_bytes(8, "big") + head + value

        return common + [
            entry(["racy"], blob), entry([("/nowhere", b"x")], blob), entry("not a list", blob),
            (10**9).to_bytes(8, "big") + blob, b"\x00" * 3,
            entry([], pickle.dumps(("a", b"b"))),
            entry([], pickle.dumps((data, b"garbage marshal"))),
            entry([], pickle.dumps((data, marshal.dumps({"text": 1})))),
            entry([], pickle.dumps((data, {"text": "code as text"}))),
            entry([], pickle.dumps((data, "code as text"))),
            entry([], pickle.dumps((bad_data, code))),
            entry([], pickle.dumps((not_lazy, code))),
            entry([], pickle.dumps((not_a_record, code))),
            entry([], pickle.dumps((bad_names, code))),
            entry([], pickle.dumps((DataSet.__new__(DataSet), code))),  # no fields at all
            entry([], b""),
        ]
    if path.suffix == ".units":  # each data file's key and unit: the right keys, units of the wrong shape
        entries = pickle.loads(cache.unframe(path.read_bytes(), None))
        key, blob = entries[TARGETS]
        unit = pickle.loads(blob)

        def every(bad: Unit) -> bytes:
            return pickle.dumps({rel: (k, pickle.dumps(bad)) for rel, (k, _) in entries.items()})

        return common + [
            pickle.dumps({TARGETS: ("not bytes", blob)}), pickle.dumps({TARGETS: (key,)}), pickle.dumps([key, blob]),
            pickle.dumps({rel: (k, b"not a pickle") for rel, (k, _) in entries.items()}),
            every(Unit(value="not records")),
            every(Unit(value=[1, 2, 3])),
            every(Unit(value=unit.value, log=["bogus"], code=unit.code)),
            every(Unit(value=unit.value, log=[("id", None, 3, None)], code=unit.code)),
            every(Unit(value=unit.value, log=unit.log, code=b"garbage marshal")),
            every(Unit(value=unit.value, log=unit.log, code={"text": "code as text"})),
            every(Unit.__new__(Unit)),  # no fields at all
        ]
    return [marshal.dumps(("code", "not code")), marshal.dumps(("str", 12)), marshal.dumps(12), b"\xff\x00garbage",
            marshal.dumps(("dict", {})), marshal.dumps(("dict", {"static": 1, "parts": "x"}))]


def test_well_framed_entries_of_the_wrong_shape_are_rebuilt(built, tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("DRAFTER_CACHE_DIR", str(folder))
    for target in _entries(built.good):
        rel = target.relative_to(built.good)
        for payload in _wrong_shapes(target):
            shutil.rmtree(folder, ignore_errors=True)
            shutil.copytree(built.good, folder)
            (folder / rel).write_bytes(_reframe(target.read_bytes(), payload))
            assert _draft(built.root) == built.docx, rel


def test_an_entry_of_another_format_version_is_ignored(built, tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    shutil.copytree(built.good, folder)
    monkeypatch.setenv("DRAFTER_CACHE_DIR", str(folder))
    for f in _entries(folder):
        blob = bytearray(f.read_bytes())
        blob[8:10] = (cache.FORMAT + 1).to_bytes(2, "big")
        f.write_bytes(bytes(blob))
    assert _draft(built.root) == built.docx


def test_corrupt_cache_in_a_real_process_costs_only_speed(tmp_path):
    """`drafter new` and `drafter check` as the user runs them, after the cache files were overwritten
    with random bytes, then truncated: exit 0, no traceback, the same draft."""
    root = tmp_path / "data"
    shutil.copytree(MINI, root)
    env = {**os.environ, "DRAFTER_CACHE_DIR": str(tmp_path / "cache"),
           "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}

    def run(*args: str) -> subprocess.CompletedProcess:
        proc = subprocess.run([sys.executable, "-c", "from drafter.cli import main; main()", *args],
                              capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)
        assert proc.returncode == 0 and "Traceback" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
        return proc

    def new(name: str) -> bytes:
        run("new", "-p", "Kon Tum", "-y", "2024", "--data-dir", str(root), "-o", name)
        return (tmp_path / name).read_bytes()

    reference = new("a.docx")
    files = _entries(tmp_path / "cache")
    assert len(files) > 5
    rng = random.Random(11)
    for f in files:
        f.write_bytes(rng.randbytes(rng.randrange(0, 2 * f.stat().st_size + 1)))
    assert new("b.docx") == reference
    for f in _entries(tmp_path / "cache"):
        f.write_bytes(f.read_bytes()[: f.stat().st_size // 2])
    assert "0 error(s)" in run("check", str(root)).stdout
    assert new("c.docx") == reference


def test_entries_that_cannot_be_read_or_written_only_cost_speed(mini, cache_dir):
    reference = _draft(mini)
    for f in _entries(cache_dir):  # a folder where each entry should be: unreadable and unwritable
        f.unlink()
        f.mkdir()
    assert _draft(mini) == reference
    shutil.rmtree(cache_dir)
    cache_dir.parent.joinpath("cache").write_text("a file where the folder should be")
    assert _draft(mini) == reference


# --------------------------------------------------------------------------- per file


def test_editing_one_file_parses_only_that_file(mini, cache_dir, parses):
    reference = _draft(mini)
    every = list(parses)
    assert TARGETS in every and len(every) == len(set(every)) > 5
    parses.clear()
    assert _draft(mini) == reference and parses == []  # warm: nothing parsed
    f = mini / TARGETS
    f.write_text(f.read_text(encoding="utf-8").replace(OLD, NEW, 1), encoding="utf-8")
    edited = _draft(mini)
    assert parses == [TARGETS] and edited != reference
    parses.clear()
    f.write_text(f.read_text(encoding="utf-8").replace(NEW, OLD, 1), encoding="utf-8")  # and back
    assert _draft(mini) == reference
    assert parses == [TARGETS]  # one version per file is kept: the undo is parsed again, alone


def test_the_edited_text_is_the_one_drafted(mini, cache_dir):
    _draft(mini)
    f = mini / TARGETS
    f.write_text(f.read_text(encoding="utf-8").replace(OLD, NEW, 1), encoding="utf-8")
    _reset()
    data = pipeline.load(mini)
    assert [t.text for t in data.targets if NEW in t.text] == ["Tối thiểu {{ value }} " + NEW + "."]
    assert "Tối thiểu 80% " + NEW + " (chỉ tiêu" in _docx_text(_draft(mini))


def test_touching_a_file_without_changing_it_parses_nothing(mini, cache_dir, parses):
    _draft(mini)
    parses.clear()
    f = mini / TARGETS
    st_ = f.stat()
    os.utime(f, ns=(st_.st_atime_ns, st_.st_mtime_ns + 10**9))
    _draft(mini)
    assert parses == []


def test_check_and_new_share_the_parsed_files(mini, cache_dir, parses):
    res = CliRunner().invoke(main, ["check", str(mini)], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert TARGETS in parses
    parses.clear()
    _draft(mini)
    assert parses == []


def test_a_same_size_edit_keeping_the_modification_time_is_seen(mini, cache_dir):
    """The racy case: the file changes again within one tick of its mtime clock (simulated by putting
    its size and mtime back), after the cache was built. The data entry re-reads such recent files."""
    p = mini / "rulepacks" / "national" / "document.yaml"
    os.utime(p, None)  # edited just now (the copy kept the fixture's old mtime)
    st_ = p.stat()
    _reset()
    assert pipeline.load(mini).document.labels["ten_loai"] == "KẾ HOẠCH"
    text = p.read_text(encoding="utf-8")
    p.write_text(text.replace("ten_loai: KẾ HOẠCH", "ten_loai: KẾ HOẠCX"), encoding="utf-8")
    os.utime(p, ns=(st_.st_atime_ns, st_.st_mtime_ns))
    assert p.stat().st_size == st_.st_size and p.stat().st_mtime_ns == st_.st_mtime_ns
    _reset()
    assert pipeline.load(mini).document.labels["ten_loai"] == "KẾ HOẠCX"


def _racy(folder: Path) -> list:
    (entry,) = folder.glob("data-*.pickle")
    return cache.split_data(cache.unframe(entry.read_bytes(), None))[0]


def test_old_files_are_not_re_read_and_recent_ones_stop_being_so(mini, cache_dir, monkeypatch):
    old = 1_600_000_000 * 10**9
    for f in mini.rglob("*"):
        os.utime(f, ns=(old, old))
    _draft(mini)
    assert _racy(cache_dir) == []
    shutil.rmtree(cache_dir)
    f = mini / TARGETS
    os.utime(f, None)  # just edited
    _draft(mini)
    assert [p for p, _ in _racy(cache_dir)] == [str(mini / TARGETS)]
    monkeypatch.setattr(cache, "RACY_NS", 0)  # as if RACY_NS had passed: the next run drops the list
    _draft(mini)
    assert _racy(cache_dir) == []


def test_changing_a_yaml_limit_reads_the_files_again(mini, cache_dir, monkeypatch):
    _draft(mini)
    size = (mini / TARGETS).stat().st_size
    monkeypatch.setenv("DRAFTER_MAX_YAML_BYTES", str(size - 1))
    _reset()
    from drafter.errors import Problems

    with pytest.raises(Problems) as info:
        pipeline.load(mini)
    assert any("DRAFTER_MAX_YAML_BYTES" in p.message for p in info.value.problems)


def test_an_error_is_reported_from_the_cache_as_when_parsed(mini, cache_dir):
    f = mini / TARGETS
    f.write_text(f.read_text(encoding="utf-8") + "extra: 1\nbroken: [\n", encoding="utf-8")
    outputs = [CliRunner().invoke(main, ["check", str(mini)], catch_exceptions=False).output for _ in range(2)]
    assert outputs[0] == outputs[1] and "targets.yaml:" in outputs[0]


def test_old_units_folders_are_pruned(tmp_path, monkeypatch, mini):
    folder = tmp_path / "cache"
    monkeypatch.setenv("DRAFTER_CACHE_DIR", str(folder))
    for i in range(cache.KEEP + 3):
        (folder / f"units-old{i:02d}").mkdir(parents=True)
        os.utime(folder / f"units-old{i:02d}", ns=(i * 10**9, i * 10**9))
    _draft(mini)
    assert len(list(folder.glob("units-*"))) == cache.KEEP
    assert (folder / f"units-{cache.code_salt()}").is_dir()
