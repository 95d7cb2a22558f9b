"""Property-based: malformed and random YAML, or broken Jinja in a text, gives only clean DataErrors,
never a crash, along the whole path `drafter new` takes (load, checks, compiling the texts, building
the plan's context)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drafter import pipeline
from drafter.errors import DrafterError
from drafter.loader import _load_compiled

from conftest import MINI

FILES = ["rulepacks/national/areas.yaml", "rulepacks/national/targets.yaml", "legal_refs/national/core.yaml",
         "rulepacks/provinces/kon-tum.yaml", "rulepacks/national/document.yaml"]

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20),
                    st.dates().map(str))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                        st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                      max_leaves=12)


def _try(rel: str, text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "d"
        shutil.copytree(MINI, root)
        (root / rel).write_text(text, encoding="utf-8")
        try:
            data, _ = _load_compiled(root, pipeline.validate)
            pipeline.plan_context(data, "Kon Tum", 2024)
        except DrafterError as exc:
            assert str(exc)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rel=st.sampled_from(FILES), text=st.text(max_size=200))
def test_random_text_never_crashes(rel, text):
    _try(rel, text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rel=st.sampled_from(FILES), data=values)
def test_random_structures_never_crash(rel, data):
    import json

    _try(rel, json.dumps(data, ensure_ascii=False))  # JSON is YAML


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rel=st.sampled_from(FILES), cut=st.integers(min_value=0, max_value=2000), junk=st.sampled_from(
    ["", ":", "- ", "{", "[", "'", '"', "\t", "&a", "*a", "!!python/object:os.system", "\x00", "%YAML 9"]))
def test_truncated_and_corrupted_files(rel, cut, junk):
    original = (MINI / rel).read_text(encoding="utf-8")
    _try(rel, original[:cut] + junk + original[cut:cut + 40])


JINJA = st.sampled_from(["{{", "}}", "{%", "%}", "{#", "{{ year }}", "{{ ag('x') }}", "{{ cite('nope') }}",
                         "{{ value }}", "{% if %}", "{{ 1/0 }}", "{{ year.__class__ }}", "|", "'", '"'])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pos=st.integers(min_value=0, max_value=60), token=JINJA)
def test_broken_jinja_in_a_text_never_crashes(pos, token):
    rel = "rulepacks/national/targets.yaml"
    original = (MINI / rel).read_text(encoding="utf-8")
    start = original.index("text: ") + len('text: "')
    _try(rel, original[:start + pos] + token.replace('"', "'") + original[start + pos:])
