"""On-disk caches: parse each data file once per edit, and a warm run in one read.

The cache folder holds these kinds of entry:

- `units-<code>/<folder>.units`: what each data file of one data folder contributes (a `loader.Unit`:
  its validated records, where each of its ids is written, its problems, the compiled code of its
  texts), each keyed by that file's bytes, its path and the YAML limits in force. After an edit only
  the edited file is read again.
- `data-<fingerprint>.pickle`: the assembled, validated `DataSet` with its texts' compiled code, keyed
  by the path, size and modification time (ns) of every data file and the function that checked it
  (`drafter new` and `drafter check` share it). A warm run reads this entry only, and unpickles little
  of it: each province, instrument and layer's origins is pickled on its own (`Lazy`), each text's
  code marshalled on its own (textenv), and decoded when first used.
- `<kind>-*.marshal` (`memo`): pure functions of a template's bytes (`code`: its compiled Jinja code,
  `patch`: its patched XML, `docx`: its package plan, `tplcheck`: what `drafter check` reads in it)
  and of the list of communes (`communes`).

Validated models are stored as their records (drafter.records), so reading an entry imports no
pydantic.

`<code>` (`code_salt`) digests drafter's version, the size and modification time of its modules and
of the libraries whose code shapes what is stored (pydantic, Jinja, docxtpl, python-docx, lxml, ruamel), Python's version
and this format: any change to drafter or an upgrade of those starts afresh.

Every entry is framed: a magic, the format version, a digest of its key, the payload's length and
its sha256. An entry failing any check (overwritten with random bytes, truncated, bits flipped, an
older format, another key's entry copied over it) or unpickling to the wrong shape is ignored and
rebuilt; a cache folder that cannot be read or written (read-only, full, a file in its place) is
worked around. A cache costs speed at worst, never correctness. The checksum detects damage, not
forgery: the folder is trusted like the rest of the user's home (pickle and marshal run what they
load), so DRAFTER_CACHE_DIR must not point at a folder others can write.

Racy files: a data file changed again within the same tick of its modification-time clock as the
version that was read keeps its size and mtime. So the data entry lists the files modified within
RACY_NS of its build, with their content's sha256; a run using the entry re-reads those few files
and compares, and once they are older than that the list is dropped (git's "racily clean" entries).

`DRAFTER_CACHE_DIR` chooses the folder; `DRAFTER_CACHE_DIR=off` disables the cache.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import pickle
import struct
import time
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, TypeVar

from .resources import DATA_DIRS

T = TypeVar("T")
KEEP = 8  # data entries kept (one per data folder and version; 4× as many code files); older ones go
FORMAT = 3  # of every entry's frame and payload; a different number is a miss
MAGIC = b"DRAFTER\x00"
_HEAD = struct.Struct(">8sH16sQ32s")  # magic, format, key digest, payload length, payload sha256
RACY_NS = 10 * 10**9  # mtime clocks tick in ns to 2 s (FAT); 10 s also covers a little clock skew


def cache_dir() -> Path | None:
    env = os.environ.get("DRAFTER_CACHE_DIR")
    if env is not None:
        return None if env.strip().lower() in ("", "0", "off", "no") else Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "drafter"


def _version() -> str:
    from . import __version__

    return __version__


_SALT: list[str] = []
#: The libraries whose code shapes what is cached: the pickled models (pydantic), the compiled Jinja code
#: (jinja2, markupsafe), the template's code, XML and package plan (docxtpl, python-docx, lxml), what YAML
#: reads as (ruamel and its C parser).
_LIBRARIES = ("pydantic", "pydantic_core", "jinja2", "markupsafe", "docxtpl", "docx", "lxml", "ruamel.yaml",
              "_ruamel_yaml")


def code_salt() -> str:
    """A digest of what every entry depends on besides its own key: drafter's version and modules (the
    pickled classes, the loader's rules), the libraries above (an upgrade starts afresh), Python's
    version, the pickle protocol and this format."""
    if not _SALT:
        import importlib.util
        import sys

        h = hashlib.sha256(f"{_version()}\0{sys.version}\0{pickle.HIGHEST_PROTOCOL}\0{FORMAT}".encode())
        package = Path(__file__).resolve().parent
        for path in sorted(package.glob("*.py")):
            st = path.stat()
            h.update(f"{path.name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
        for name in _LIBRARIES:
            try:
                module = sys.modules.get(name)
                spec = module.__spec__ if module is not None else importlib.util.find_spec(name)
                st = os.stat(spec.origin)  # type: ignore[union-attr,arg-type]
                h.update(f"{name}\0{spec.origin}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())  # type: ignore[union-attr]
            except Exception:  # not installed (the C parser is optional)
                h.update(f"{name}\0-\n".encode())
        _SALT.append(h.hexdigest()[:32])
    return _SALT[0]


# --------------------------------------------------------------------------- framed entries


def frame(key: bytes, payload: bytes) -> bytes:
    head = _HEAD.pack(MAGIC, FORMAT, hashlib.sha256(key).digest()[:16], len(payload),
                      hashlib.sha256(payload).digest())
    return b"".join((head, payload))


def unframe(blob: bytes, key: bytes | None) -> memoryview | None:
    """The payload of a framed entry, or None unless magic, format, key, length and checksum all match
    (with `key` None, any key: an intact entry for another version of the same thing)."""
    if len(blob) < _HEAD.size:
        return None
    magic, fmt, key_digest, length, digest = _HEAD.unpack_from(blob)
    payload = memoryview(blob)[_HEAD.size:]
    if (magic != MAGIC or fmt != FORMAT or (key is not None and key_digest != hashlib.sha256(key).digest()[:16])
            or length != len(payload) or hashlib.sha256(payload).digest() != digest):
        return None
    return payload


def read(path: Path, key: bytes | None) -> memoryview | None:
    try:
        blob = path.read_bytes()
    except Exception:  # absent, unreadable, a folder in its place: a miss
        return None
    return unframe(blob, key)


def write(path: Path, key: bytes, payload: bytes) -> bool:
    """Write one entry atomically (a reader sees the old entry or the new one, never half); never fail
    the run. Not flushed to disk: an entry torn by a power cut fails its checksum and is rebuilt."""
    import tempfile

    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(frame(key, payload))
        os.replace(tmp, path)
        return True
    except Exception:  # a read-only or full disk only costs the next run its speed
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        return False


def _prune(folder: Path, pattern: str, keep: int) -> None:
    try:
        entries = sorted(folder.glob(pattern), key=lambda p: p.stat().st_mtime, reverse=True)[keep:]
        for p in entries:
            if p.is_dir():
                import shutil

                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)
    except Exception:
        pass


class _Pickler(pickle.Pickler):
    """Stores each validated model as its record (drafter.records): loading the entry then needs no
    pydantic class. A record unpickles in C (object.__new__, then its fields into its __dict__)."""

    def __init__(self, file: Any) -> None:
        from . import records

        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.record, self.record_of = records.Record, records.record_of

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, self.record):
            return object.__new__, (self.record_of(type(obj)),), obj.__dict__
        return NotImplemented


def dumps(value: Any) -> bytes:
    """`value` pickled, its models as their records."""
    import io

    out = io.BytesIO()
    _Pickler(out).dump(value)
    return out.getvalue()


@contextlib.contextmanager
def no_gc() -> Iterator[None]:
    """The garbage collector paused. Loading creates ~10^5 objects that live until the process ends,
    and no garbage cycles: collections would only walk them, again and again (unpickling the data
    grown ten-fold took 65 ms with the collector on, 30 ms without; an edit's run, ~10 ms less)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _loads(payload: bytes | memoryview) -> Any:
    with no_gc():
        try:
            return pickle.loads(payload)
        except Exception:  # classes changed without a new salt, or a bug: a miss like any other
            return None


def _accepts(accept: Callable[[Any], Any], value: Any) -> Any:
    """`accept(value)`, or None (rejected) if checking the shape fails half-way (e.g. a missing field)."""
    try:
        return accept(value)
    except Exception:
        return None


class Lazy(Mapping[str, T]):
    """A mapping whose values stay pickled until first used. The data entry holds the provinces, the
    instruments and each layer's origins so: a warm run unpickles the province it drafts and the
    instruments it cites, not every record (data grown ten-fold costs the bytes read, not ten times
    the objects built). A value still pickled is held as its bytes (no record is bytes)."""

    __slots__ = ("_items", "_kind", "_pending", "fresh")

    def __init__(self, items: Mapping[str, T | bytes], kind: type) -> None:
        self._items: dict[str, Any] = dict(items)
        self._kind = kind
        self._pending = sum(type(v) is bytes for v in self._items.values())
        #: the same mapping, loaded afresh: used should a value not unpickle to a `kind` (the entry's
        #: checksum rules out damage; this guards against a bug, at the cost of speed only)
        self.fresh: Callable[[], Mapping[str, T]] | None = None

    @property
    def kind(self) -> type:
        return self._kind

    def __getitem__(self, key: str) -> T:
        value = self._items[key]
        if type(value) is bytes:
            value = _loads(value)
            if not isinstance(value, self._kind):
                if self.fresh is None:
                    raise RuntimeError(f"drafter cache: the record {key!r} does not unpickle")
                self._items, self._pending = dict(self.fresh()), 0
                return self._items[key]
            self._items[key] = value
            self._pending -= 1
        return value

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Lazy({len(self._items)} {self._kind.__name__}, {self._pending} pickled)"

    def values(self) -> Any:  # every value unpickled, then the dict's own (fast) view
        self._decode_all()
        return self._items.values()

    def items(self) -> Any:
        self._decode_all()
        return self._items.items()

    def _decode_all(self) -> None:
        if self._pending:
            for key in [k for k, v in self._items.items() if type(v) is bytes]:
                self[key]

    def intact(self) -> bool:
        """Whether every value is still pickled or of the expected type (checked without unpickling)."""
        kind = self._kind
        return all(type(k) is str and (type(v) is bytes or isinstance(v, kind)) for k, v in self._items.items())

    def __reduce__(self) -> tuple:
        blobs = {k: v if type(v) is bytes else dumps(v) for k, v in self._items.items()}
        return Lazy, (blobs, self._kind)


# --------------------------------------------------------------------------- per-file entries


class Units:
    """The per-file entries of one data folder, kept in one file (`units-<code>/<folder>.units`, see
    `units`): for each data file, the key its unit was built under (a digest of the file's bytes, its
    path and the limits) and the unit, pickled. One read and one write per miss, not one per file
    (writing 109 files cost a first run ~40 ms). A unit is unpickled when asked for."""

    def __init__(self, path: Path, key: bytes) -> None:
        self.path, self._key = path, key
        self._entries: dict[str, tuple[bytes, bytes]] = {}
        payload = read(path, key)
        stored = _loads(payload) if payload is not None else None
        if isinstance(stored, dict) and all(
                type(k) is str and type(v) is tuple and len(v) == 2 and type(v[0]) is bytes and type(v[1]) is bytes
                for k, v in stored.items()):
            self._entries = stored
        self._changed = False

    def get(self, source: str, key: bytes | None, accept: Callable[[Any], bool]) -> Any:
        """The intact unit of `source` stored under `key`; with `key` None, the one stored for any
        earlier version of the file (the loader reuses the compiled code of its unchanged texts)."""
        entry = self._entries.get(source)
        if entry is None or (key is not None and entry[0] != key):
            return None
        value = _loads(entry[1])
        return value if value is not None and _accepts(accept, value) else None

    def put(self, source: str, key: bytes, value: Any) -> None:
        try:
            self._entries[source] = (key, dumps(value))
        except Exception:
            return
        self._changed = True

    def save(self, sources: set[str]) -> None:
        """Write the entries back if any changed, keeping those of `sources` (the folder's files now)."""
        gone = self._entries.keys() - sources
        if not (self._changed or gone):
            return
        for source in gone:
            del self._entries[source]
        new_folder = not self.path.parent.is_dir()
        if write(self.path, self._key, pickle.dumps(self._entries, protocol=pickle.HIGHEST_PROTOCOL)):
            self._changed = False
            if new_folder:  # a new drafter or Python: drop the folders of old ones
                _prune(self.path.parent.parent, "units-*", KEEP)
            else:
                _prune(self.path.parent, "*.units", KEEP * 4)


def units(root: Path) -> Units | None:
    """The per-file entries of the data folder `root`, or None if the cache is off."""
    folder = cache_dir()
    if folder is None:
        return None
    name = hashlib.sha256(os.fsencode(str(root))).hexdigest()[:32]
    return Units(folder / f"units-{code_salt()}" / f"{name}.units", f"units\0{root}".encode("utf-8", "surrogateescape"))


# --------------------------------------------------------------------------- the data entry


def fingerprint(root: Path, extra: str = "") -> tuple[str, dict[str, int]]:
    """A digest of what the loaded data depends on (drafter's code, `extra`, every data file's path,
    size and mtime), and each data file's mtime_ns by path."""
    lines: list[str] = [f"{code_salt()}\0{root}\0{extra}\n"]
    mtimes: dict[str, int] = {}
    skip = len(str(root)) + 1

    def walk(folder: str, depth: int) -> None:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            return
        folders = []
        for e in entries:
            try:
                if e.is_dir():  # following links, as the loader's globs do
                    folders.append(e.path)
                    continue
                st = e.stat()
            except OSError:
                continue
            mtimes[e.path] = st.st_mtime_ns
            lines.append(f"{e.path[skip:]}\0{st.st_size}\0{st.st_mtime_ns}\n")
        if depth < 16:  # a link cycle is not followed for ever
            for f in folders:
                walk(f, depth + 1)

    for d in DATA_DIRS:
        walk(str(root / d), 0)
    return hashlib.sha256("".join(lines).encode("utf-8", "surrogateescape")).hexdigest()[:32], mtimes


def _sha(path: str) -> bytes | None:
    try:
        with open(path, "rb") as fh:
            return hashlib.sha256(fh.read()).digest()
    except OSError:
        return None


def dataset(root: Path, extra: str, build: Callable[[], tuple[Any, dict[str, bytes]]],
            accept: Callable[[Any], T | None]) -> T:
    """`accept(value)` of the value `build()` makes for the data folder `root`, or of its pickle from a
    run on the same files. `build` returns the value and the sha256 of each data file it read, by path;
    `accept` returns None for a value of the wrong shape (then built anew)."""
    folder = cache_dir()
    if folder is None:
        value = accept(build()[0])
        assert value is not None, "a freshly built value is always accepted"
        return value
    started = time.time_ns()
    fp, mtimes = fingerprint(root, extra)
    path = folder / f"data-{fp}.pickle"
    key = fp.encode()
    got = _entry(read(path, key), accept)
    if got is not None:
        value, racy, blob = got
        if racy and all(mtimes.get(p, started) < started - RACY_NS for p, _ in racy):
            _store_data(folder, path, key, [], blob)  # those files are now safely old: stop re-reading them
        return value
    built, hashes = build()
    value = accept(built)
    assert value is not None, "a freshly built value is always accepted"
    racy = [(p, h) for p, h in sorted(hashes.items()) if mtimes.get(p, started) >= started - RACY_NS]
    try:
        blob = dumps(built)
    except Exception:
        return value
    _store_data(folder, path, key, racy, blob)
    return value


_LENGTH = struct.Struct(">Q")


def _entry(payload: memoryview | None, accept: Callable[[Any], T | None]) -> tuple[T, list, memoryview] | None:
    """The value of a data entry's payload: the length of its racy list's pickle, that pickle, then the
    value's pickle (kept apart so that dropping the list rewrites the entry without pickling again)."""
    parts = split_data(payload)
    if parts is None:
        return None
    racy, blob = parts
    if not isinstance(racy, list):
        return None
    for item in racy:
        if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)
                and isinstance(item[1], bytes)) or _sha(item[0]) != item[1]:
            return None  # a file changed without changing its size or mtime
    inner = _loads(blob)
    value = _accepts(accept, inner) if inner is not None else None
    return (value, racy, blob) if value is not None else None


def split_data(payload: memoryview | None) -> tuple[Any, memoryview] | None:
    """(the racy list, the value's pickle) of a data entry's payload."""
    if payload is None or len(payload) < _LENGTH.size:
        return None
    (n,) = _LENGTH.unpack_from(payload)
    if n > len(payload) - _LENGTH.size:
        return None
    return _loads(payload[_LENGTH.size:_LENGTH.size + n]), payload[_LENGTH.size + n:]


def _store_data(folder: Path, path: Path, key: bytes, racy: list, blob: bytes | memoryview) -> None:
    head = pickle.dumps(racy, protocol=pickle.HIGHEST_PROTOCOL)
    if write(path, key, b"".join((_LENGTH.pack(len(head)), head, blob))):
        _prune(folder, "data-*", KEEP * 4)


# --------------------------------------------------------------------------- memo

_CODE: dict[str, object] = {}


def memo(kind: str, source: str, produce: Callable[[], T], accept: type | Callable[[Any], bool]) -> T:
    """`produce()` for `source`, from this process, the cache folder, or by calling it: for pure
    functions of a template's text (its compiled Jinja code, its patched XML). The value must be
    marshallable; it is keyed by `kind`, the source itself and `code_salt()`. A value read from the
    folder is used only if `accept` (a type, or a test of its shape) takes it; else it is produced again."""
    import marshal

    key = kind + hashlib.sha256(f"{code_salt()}\0{source}".encode()).hexdigest()[:32]
    code = _CODE.get(key)
    if code is not None:
        return code  # type: ignore[return-value]
    folder = cache_dir()
    path = folder / f"{kind}-{key[len(kind):]}.marshal" if folder else None
    if path is not None:
        payload = read(path, key.encode())
        if payload is not None:
            try:
                name, value = marshal.loads(payload)
                code = value if type(value).__name__ == name else None
            except Exception:
                code = None
            test = (lambda v: isinstance(v, accept)) if isinstance(accept, type) else accept
            if code is not None and not _accepts(test, code):
                code = None  # well framed, but not what `kind` holds: produced again (and stored over it)
    if code is None:
        code = produce()
        if path is not None:
            try:
                payload = marshal.dumps((type(code).__name__, code))
            except Exception:
                payload = None
            if payload is not None and write(path, key.encode(), payload):
                _prune(folder, f"{kind}-*", KEEP * 4)  # type: ignore[arg-type]
    _CODE[key] = code
    return code  # type: ignore[return-value]
