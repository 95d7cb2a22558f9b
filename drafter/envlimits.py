"""Limits a user may raise through the environment (DRAFTER_MAX_*), read one way everywhere."""

from __future__ import annotations

import os

from .errors import DataError


def positive_int(name: str, default: int) -> int:
    """The whole number in environment variable `name` ("1_000_000" allowed), or `default` when unset;
    anything else is an error naming the variable."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw.replace("_", ""))
    except ValueError:
        value = 0
    if value <= 0:
        raise DataError(f"{name}={raw!r} is not a positive whole number", name,
                        f"unset it (the limit is then {default}) or give a larger whole number")
    return value
