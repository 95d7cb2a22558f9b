from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

# The tests use their own parse cache (drafter.cache), never the user's.
os.environ["DRAFTER_CACHE_DIR"] = tempfile.mkdtemp(prefix="drafter-test-cache-")

import pytest

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
