"""On-disk cache of a loaded data directory.

Parsing ~220 YAML files with ruamel's round-trip loader (which keeps the line numbers that errors
and provenance need) takes about a second; `drafter new` needs that data on every run. The parsed,
validated `DataSet` is pickled under the user's cache folder, keyed by drafter's version and the
path, size and modification time of every data file, so any edit invalidates it. A cache that
cannot be read or written is ignored: drafter then parses the YAML, as it would without one.
Only data that loaded without errors is cached.

`DRAFTER_CACHE_DIR` chooses the folder; `DRAFTER_CACHE_DIR=off` disables the cache.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path
from typing import Callable, TypeVar

from .resources import DATA_DIRS

T = TypeVar("T")
KEEP = 8  # data files kept (one per data folder and version; 4× as many code files); older ones go


def cache_dir() -> Path | None:
    env = os.environ.get("DRAFTER_CACHE_DIR")
    if env is not None:
        return None if env.strip().lower() in ("", "0", "off", "no") else Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "drafter"


def _version() -> str:
    from . import __version__

    return __version__


def fingerprint(root: Path) -> str:
    """A digest of what the loaded data depends on: drafter's version and every data file's stat."""
    h = hashlib.sha256(f"{_version()}\0{root}\0{pickle.HIGHEST_PROTOCOL}".encode())
    # drafter's own modules too: the pickled classes and the compiled texts depend on them.
    package = Path(__file__).resolve().parent
    for path in sorted(package.glob("*.py")):
        st = path.stat()
        h.update(f"{path.name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    for d in DATA_DIRS:
        base = root / d
        for dirpath, dirnames, filenames in os.walk(base, followlinks=True):
            dirnames.sort()
            for name in sorted(filenames):
                path = os.path.join(dirpath, name)
                try:
                    st = os.stat(path)
                except OSError:
                    continue
                h.update(f"{os.path.relpath(path, root)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:32]


def cached(root: Path, build: Callable[[Path], T], kind: type | tuple[type, ...] = object) -> T:
    """`build(root)`, or its pickled result from a previous run on unchanged files.
    A cached value that is not an instance of `kind` is treated as stale."""
    folder = cache_dir()
    if folder is None:
        return build(root)
    path = folder / f"data-{fingerprint(root)}.pickle"
    try:
        value = pickle.loads(path.read_bytes())
        if isinstance(value, kind):
            return value
    except FileNotFoundError:
        pass
    except Exception:  # stale or corrupt cache (e.g. classes changed): rebuild it
        pass
    value = build(root)
    _store(folder, path, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    return value


def _store(folder: Path, path: Path, blob: bytes) -> None:
    """Write one cache file (atomically) and keep the newest few of its kind; never fail the run."""
    from .writer import write_atomic

    try:
        write_atomic(path, blob)
        kind = path.name.split("-", 1)[0]
        old = sorted(folder.glob(f"{kind}-*"), key=lambda p: p.stat().st_mtime, reverse=True)[KEEP * 4:]
        for p in old:
            p.unlink(missing_ok=True)
    except Exception:  # a read-only or full disk only costs the next run its speed
        pass


_CODE: dict[str, object] = {}


def memo(kind: str, source: str, produce: Callable[[], T]) -> T:
    """`produce()` for `source`, from this process, the cache folder, or by calling it: for pure
    functions of a template's text (its compiled Jinja code, its patched XML). The value must be
    marshallable; it is keyed by `kind`, the source itself and the Python version."""
    import marshal
    import sys

    key = kind + hashlib.sha256(f"{sys.version}\0{_version()}\0{source}".encode()).hexdigest()[:32]
    code = _CODE.get(key)
    if code is not None:
        return code  # type: ignore[return-value]
    folder = cache_dir()
    path = folder / f"{kind}-{key[len(kind):]}.marshal" if folder else None
    if path is not None:
        try:
            code = marshal.loads(path.read_bytes())
        except Exception:
            code = None
    if code is None:
        code = produce()
        if path is not None:
            _store(folder, path, marshal.dumps(code))  # type: ignore[arg-type]
    _CODE[key] = code
    return code  # type: ignore[return-value]
