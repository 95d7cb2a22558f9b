"""Where the shipped data lives: the repository's top-level folders in a checkout or editable
install, or `drafter/_data/` inside an installed wheel (see pyproject's force-include)."""

from __future__ import annotations

from pathlib import Path

DATA_DIRS = ("rulepacks", "legal_refs", "templates")


def default_data_dir() -> Path:
    package = Path(__file__).resolve().parent
    packaged = package / "_data"
    if all((packaged / d).is_dir() for d in DATA_DIRS):
        return packaged
    checkout = package.parent
    if all((checkout / d).is_dir() for d in DATA_DIRS):
        return checkout
    return packaged  # the loader reports what is missing
