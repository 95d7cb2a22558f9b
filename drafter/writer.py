"""Write output files atomically: a temporary file in the same folder, then a rename, so an
interrupted run never leaves a half-written .docx; never overwrite unless asked."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import UsageError


def ensure_writable(path: Path, force: bool) -> None:
    """Fail before any work if `path` exists (without --force) or is a folder."""
    if path.is_dir():
        raise UsageError(f"{path} is a folder", "--output", "give a file name ending in .docx")
    if path.exists() and not force:
        raise UsageError(f"{path} already exists and may hold staff's edits", "--output",
                         "choose another --output, or add --force to overwrite it")


def write_atomic(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise UsageError(f"cannot write to {path.parent}: {exc.strerror}", "--output",
                         "choose a folder you can write to") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise UsageError(f"cannot write {path}: {exc.strerror}", "--output", "choose another --output") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
