"""The parse cache (drafter.cache) must never serve stale data: an edit to any data file is seen by
the next run, and a corrupt or unwritable cache costs speed, never correctness."""

from __future__ import annotations

import os

from drafter import cache, pipeline
from drafter.loader import load_cached


def _fresh(root):
    load_cached.cache_clear()  # the per-process memo; the on-disk cache is what is tested
    return pipeline.load(root)


def _label(root, text: str) -> None:
    p = root / "rulepacks" / "national" / "document.yaml"
    p.write_text(p.read_text(encoding="utf-8").replace("ten_loai: KẾ HOẠCH", f"ten_loai: {text}"), encoding="utf-8")


def test_edit_is_seen_by_the_next_run(mini, tmp_path, monkeypatch):
    monkeypatch.setenv("DRAFTER_CACHE_DIR", str(tmp_path / "cache"))
    assert _fresh(mini).document.labels["ten_loai"] == "KẾ HOẠCH"
    assert list((tmp_path / "cache").glob("data-*.pickle"))
    _label(mini, "KẾ HOẠCH MỚI")
    assert _fresh(mini).document.labels["ten_loai"] == "KẾ HOẠCH MỚI"


def test_same_size_edit_within_the_same_second_is_seen(mini, tmp_path, monkeypatch):
    monkeypatch.setenv("DRAFTER_CACHE_DIR", str(tmp_path / "cache"))
    p = mini / "rulepacks" / "national" / "document.yaml"
    _fresh(mini)
    st = p.stat()
    _label(mini, "KẾ HOẠCX")  # same byte length as "KẾ HOẠCH"
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns + 1))  # as a fast editor could leave it
    assert _fresh(mini).document.labels["ten_loai"] == "KẾ HOẠCX"


def test_corrupt_cache_is_rebuilt(mini, tmp_path, monkeypatch):
    monkeypatch.setenv("DRAFTER_CACHE_DIR", str(tmp_path / "cache"))
    _fresh(mini)
    for f in (tmp_path / "cache").glob("data-*.pickle"):
        f.write_bytes(b"not a pickle")
    assert _fresh(mini).document.labels["ten_loai"] == "KẾ HOẠCH"


def test_unwritable_cache_folder_only_costs_speed(mini, tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("DRAFTER_CACHE_DIR", str(blocker / "cache"))  # cannot be created
    assert _fresh(mini).document.labels["ten_loai"] == "KẾ HOẠCH"


def test_cache_can_be_turned_off(mini, monkeypatch):
    monkeypatch.setenv("DRAFTER_CACHE_DIR", "off")
    assert cache.cache_dir() is None
    assert _fresh(mini).document.labels["ten_loai"] == "KẾ HOẠCH"
