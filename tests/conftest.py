from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

# The tests use their own parse cache (drafter.cache), never the user's.
_CACHE = tempfile.mkdtemp(prefix="drafter-test-cache-")
os.environ["DRAFTER_CACHE_DIR"] = _CACHE
atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)  # forked children exit without running it

import pytest
from hypothesis import HealthCheck, settings

# Hypothesis: under CI (.ci/run exports HYPOTHESIS_PROFILE=ci; any CI variable does the same) every run
# draws the same examples, so a red build is reproducible and a green one is not luck; on a developer's
# machine Hypothesis's default profile keeps exploring new random examples. `--hypothesis-profile` wins.
settings.register_profile("ci", derandomize=True, deadline=None, database=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
_profile = os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if "CI" in os.environ else None)
if _profile:
    settings.load_profile(_profile)

from drafter import pipeline
from drafter.docx_text import open_docx

ROOT = Path(__file__).resolve().parent.parent
MINI = Path(__file__).resolve().parent / "fixtures" / "mini"


@pytest.fixture(scope="session")
def data():
    return pipeline.load(ROOT)


@pytest.fixture(scope="session")
def kontum_2024(data):
    return pipeline.draft(data, "Kon Tum", 2024)


@pytest.fixture(scope="session")
def doc(kontum_2024):
    return open_docx(kontum_2024.docx)


@pytest.fixture()
def mini(tmp_path: Path) -> Path:
    """A private copy of the small fixture data set, safe to break."""
    dst = tmp_path / "data"
    shutil.copytree(MINI, dst)
    return dst
