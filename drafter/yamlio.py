"""Read YAML with ruamel.yaml, keep every node's line and column, and NFC-normalise all text.

Validation errors from pydantic carry a path such as ("targets", 3, "values", 0, "from"); `Positions`
turns that path back into `file:line:col`, so every data error points at the line to edit.

Data files are untrusted input, so reading one is bounded and constructs nothing but plain data:

- a file larger than `DRAFTER_MAX_YAML_BYTES` (default 1 MB; the largest shipped file is under 40 kB,
  and ruamel's pure-Python parser reads dense YAML at about 100 kB/s) is refused before it is read;
- any explicit tag (`!!python/object:…`, `!!binary`, `!!set`, `!foo`, even `!!str`) is refused, and so
  is a plain value that YAML itself would read as something other than text, a number, a boolean,
  null or a date (`=` is `!!value`): drafter data is only mappings, lists and those scalars;
- aliases are counted while the file is composed, before anything is built from it: an alias that
  refers to the node containing it (`&a [*a]`) is refused, and so is a file whose aliases would
  expand to more than `DRAFTER_MAX_YAML_NODES` (default 100 000) nodes (a "billion laughs" file);
- nesting deeper than `MAX_DEPTH` levels is refused (the real data nests about 10 deep);
- any other error from ruamel (a bad date such as 2024-02-30, a duplicate key) becomes a DataError
  at the line of the offending value.

Two parsers, one result. ruamel's round-trip loader (pure Python, ~1 s for the shipped data) is the
reference: it reads everything drafter accepts and locates every error. Where ruamel's C extension
(ruamel.yaml.clib, libyaml) is installed, `parse` first reads the file from libyaml's events (~30 times
faster): same lines and columns, and the scalars resolved and built by ruamel's own YAML 1.2 resolver
and round-trip constructor. That path takes only the plain subset of YAML the data is written in
(mappings with text or integer keys, lists, untagged scalars, one document, printable characters and
no tabs) and gives up at the first thing outside it: a tag, an anchor or alias, a merge key, a
duplicate key, nesting deeper than MAX_DEPTH, a directive, a second document, or any libyaml error.
The file is then read by the round-trip loader with all the guards above, which refuses it with its
located message or reads it. So every limit holds on every path, and both paths give the same data
and positions (tests/test_loader_keys.py compares them on the shipped data and on generated YAML).
"""

from __future__ import annotations

import datetime as dt
import re
import stat
import unicodedata
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.composer import Composer
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent, MappingStartEvent, SequenceStartEvent
from ruamel.yaml.nodes import MappingNode
from ruamel.yaml.scanner import RoundTripScanner

from .envlimits import positive_int
from .errors import DataError, Location

PathKey = tuple[Any, ...]

MAX_BYTES = 1_000_000  # per file; override with DRAFTER_MAX_YAML_BYTES
MAX_NODES = 100_000  # nodes reached through aliases, per file; override with DRAFTER_MAX_YAML_NODES
MAX_DEPTH = 64  # nesting levels of mappings and lists

_STD = "tag:yaml.org,2002:"
_MERGE = _STD + "merge"  # the `<<` key
#: the tags YAML may resolve an untagged scalar to that drafter reads
_IMPLICIT_OK = {_STD + t for t in ("str", "int", "float", "bool", "null", "timestamp")}


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


class Positions:
    """1-based (line, col) of every key and item of one file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._pos: dict[PathKey, tuple[int, int]] = {}
        self._keys: dict[Any, tuple[int, int]] = {}  # the top-level keys themselves (not their values)

    def add(self, key: PathKey, line: int, col: int) -> None:
        self._pos[key] = (line + 1, col + 1)

    def add_key(self, key: Any, line: int, col: int) -> None:
        self._keys[key] = (line + 1, col + 1)

    def key_at(self, key: Any) -> Location:
        """Where the top-level key `key` itself is written (for an unknown key)."""
        found = self._keys.get(key)
        return Location(self.path, *found) if found else self.at((key,))

    def at(self, key: PathKey) -> Location:
        """The position of `key`, or of its nearest ancestor that has one."""
        key = tuple(key)
        while key:
            if key in self._pos:
                return Location(self.path, *self._pos[key])
            key = key[:-1]
        return Location(self.path, *self._pos.get((), (1, 1)))


class _Refused(Exception):
    """Raised inside ruamel's composer or constructor; `load_yaml` turns it into a located DataError."""

    def __init__(self, message: str, mark: Any, hint: str | None = None) -> None:
        super().__init__(message)
        self.message, self.mark, self.hint = message, mark, hint


def _tag_text(ctag: Any) -> str:
    """A tag as written in the file: `!!binary`, `!foo`, `!<tag:example.com:x>`."""
    handle, suffix = getattr(ctag, "handle", None), getattr(ctag, "suffix", None)
    if handle is not None:
        return f"{handle}{suffix or ''}"
    text = str(suffix if suffix is not None else ctag)
    if text == "!":  # the non-specific tag, as in `! 12`
        return text
    return "!!" + text[len(_STD):] if text.startswith(_STD) else f"!<{text}>"


class _GuardedScanner(RoundTripScanner):
    """ruamel's scanner, refusing deep `[`/`{` nesting up front: the scanner keeps one possible simple
    key per open bracket and walks them all for every token, so 5 MB of `[` would take hours."""

    def fetch_flow_collection_start(self, TokenClass: Any, to_push: Any) -> None:
        if self.flow_level >= MAX_DEPTH:
            raise _Refused(f"lists and mappings nested more than {MAX_DEPTH} levels deep", self.reader.get_mark(),
                           "flatten the data")
        super().fetch_flow_collection_start(TokenClass, to_push)


class _GuardedComposer(Composer):
    """ruamel's composer, refusing tags, deep nesting and alias bombs as the nodes are composed.

    `expanded` counts the nodes of the document as if every alias were replaced by a copy of its
    anchor's node; `aliased` counts those reached through aliases. Both are known before anything is
    constructed, so a "billion laughs" file is refused after reading it once, in linear time."""

    max_nodes = MAX_NODES

    def __init__(self, loader: Any = None) -> None:
        super().__init__(loader)
        self.warn_double_anchors = False  # legal YAML (the later anchor wins); ruamel's warning is noise
        self.expanded = 0
        self.aliased = 0
        self._sizes: dict[int, int] = {}  # id(anchored node) -> expanded size, set once it is complete
        self._level = 0

    def compose_document(self) -> Any:
        self.expanded = self.aliased = 0
        self._sizes = {}
        return super().compose_document()

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.parser.peek_event()
        if isinstance(event, AliasEvent):
            node = super().compose_node(parent, index)  # raises on an undefined alias
            size = self._sizes.get(id(node))
            if size is None:  # the anchored node is still being composed: it contains this alias
                raise _Refused(f"alias *{event.anchor} refers to a node that contains it (a recursive structure)",
                               event.start_mark, "drafter data cannot be recursive; remove the alias")
            self.expanded += size
            self.aliased += size
            if self.aliased > self.max_nodes:
                raise _Refused(
                    f"the aliases of this file expand to more than {self.max_nodes} nodes "
                    f"(limit DRAFTER_MAX_YAML_NODES={self.max_nodes}); remove the aliases, or if the data really "
                    "needs them raise the limit by setting the environment variable DRAFTER_MAX_YAML_NODES",
                    event.start_mark)
            return node
        ctag = getattr(event, "ctag", None)
        if ctag is not None:
            tag = _tag_text(ctag)
            raise _Refused(f"tag {tag} is not allowed in drafter data; remove the tag", event.start_mark,
                           "drafter data holds only text, numbers, dates, true/false, lists and mappings"
                           + ("; to keep a value as text, put it in quotes" if tag in ("!!str", "!") else ""))
        collection = isinstance(event, (MappingStartEvent, SequenceStartEvent))
        if collection:
            self._level += 1
            if self._level > MAX_DEPTH:
                raise _Refused(f"lists and mappings nested more than {MAX_DEPTH} levels deep", event.start_mark,
                               "flatten the data")
        start = self.expanded
        node = super().compose_node(parent, index)
        if collection:
            self._level -= 1
        elif node.tag not in _IMPLICIT_OK and not (node.tag == _MERGE and isinstance(parent, MappingNode)
                                                    and index is None):  # e.g. `=`, read by YAML as !!value
            raise _Refused(f"'{node.value}' is read by YAML as {_tag_text(node.tag)}, which drafter data does "
                           "not use; put the value in quotes", node.start_mark)
        self.expanded += 1
        if node.anchor is not None:
            self._sizes[id(node)] = self.expanded - start
        return node


class _GuardedConstructor(RoundTripConstructor):
    """ruamel's round-trip constructor; an error building one value is reported at that value."""

    def construct_non_recursive_object(self, node: Any, tag: Any = None) -> Any:
        try:
            return super().construct_non_recursive_object(node, tag)
        except (YAMLError, _Refused, RecursionError):
            raise
        except Exception as exc:  # e.g. ValueError for the date 2024-02-30, or an over-long integer
            raise _Refused(f"cannot read the value '{_short(node.value)}': {exc}", node.start_mark,
                           "fix the value, or put it in quotes if it is text") from None


def _short(value: Any) -> str:
    text = str(value) if not isinstance(value, list) else "…"
    return text if len(text) <= 40 else text[:37] + "…"


def _limit(name: str, default: int) -> int:
    return positive_int(name, default)


def _where(path: Path, mark: Any) -> Location:
    return Location(path, mark.line + 1, mark.column + 1) if mark is not None else Location(path)


def _lc(node: CommentedMap, k: Any, block: bool) -> tuple[int, int]:
    """0-based (line, col) of key `k` of `node`: of the key for a block, of the value for a scalar. A key
    merged in with `<<:` is found in the mapping it comes from."""
    if k in node.lc.data:
        return node.lc.key(k) if block else node.lc.value(k)
    for merged in getattr(node, "merge", None) or []:
        source = merged[1] if isinstance(merged, tuple) else merged
        if isinstance(source, CommentedMap) and source is not node and k in source:
            return _lc(source, k, block)
    return node.lc.line or 0, node.lc.col or 0


class _Budget:
    """Nodes `_plain` may still create: a second guard, behind the composer's, on alias expansion."""

    def __init__(self, left: int, pos: Positions) -> None:
        self.left, self.pos = left, pos

    def take(self, key: PathKey) -> None:
        self.left -= 1
        if self.left < 0:
            raise DataError("the file expands to too many nodes (limit DRAFTER_MAX_YAML_NODES)", self.pos.at(key),
                            "remove the aliases (&name / *name) from the file")


def _plain(node: Any, key: PathKey, pos: Positions, budget: _Budget) -> Any:
    budget.take(key)
    if isinstance(node, CommentedMap):
        out: dict[Any, Any] = {}
        for k, v in node.items():
            name = nfc(k) if isinstance(k, str) else k
            budget.take(key + (name,))
            # a scalar is located at its value (what to fix), a block at its key
            line, col = _lc(node, k, isinstance(v, (CommentedMap, CommentedSeq)))
            pos.add(key + (name,), line, col)
            if not key:
                pos.add_key(name, *_lc(node, k, True))
            out[name] = _plain(v, key + (name,), pos, budget)
        return out
    if isinstance(node, CommentedSeq):
        items = []
        for i, v in enumerate(node):
            line, col = node.lc.item(i)
            pos.add(key + (i,), line, col)
            items.append(_plain(v, key + (i,), pos, budget))
        return items
    if isinstance(node, str):
        return nfc(str(node))
    if isinstance(node, dt.datetime):
        return node
    return node


# --------------------------------------------------------------------------- the fast path


class _GiveUp(Exception):
    """The fast path met something outside the plain subset: the round-trip loader decides."""


_UNSET: Any = object()
_CPARSER: Any = _UNSET


def c_parser() -> Any:
    """ruamel's C parser (libyaml), or None where its extension is not installed."""
    global _CPARSER
    if _CPARSER is _UNSET:
        try:
            from _ruamel_yaml import CParser  # ruamel.yaml.clib (the `ruamel.yaml[oldlibyaml]` extra)
        except ImportError:
            try:
                from _ruamel_yaml_clibz import CParser  # ruamel.yaml.clibz (the `libyaml` extra)
            except ImportError:
                CParser = None
        _CPARSER = CParser
    return _CPARSER


#: Characters the fast path leaves to the round-trip loader: anything but newlines, printable ASCII and
#: printable Unicode (tabs, control characters, NEL, the line and paragraph separators, a byte-order mark),
#: where libyaml (YAML 1.1) and ruamel could read a file differently or one of them refuse it.
_ODD = re.compile("[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")


class _Scalars:
    """ruamel's YAML 1.2 resolver table and round-trip constructor, for the fast path's scalars."""

    def __init__(self) -> None:
        from ruamel.yaml.nodes import ScalarNode
        from ruamel.yaml.resolver import VersionedResolver
        from ruamel.yaml.tag import Tag

        yaml = YAML(typ="rt")
        yaml.Constructor = _GuardedConstructor
        self.constructor = yaml.constructor
        self.node, self.tag = ScalarNode, Tag
        table = VersionedResolver().versioned_resolver  # the 1.2 rules (no loader, no %YAML directive)
        self.first: dict[str, list[tuple[str, Any]]] = {k: list(v) for k, v in table.items() if k is not None}
        self.always = list(table.get(None, []))
        self.built: dict[tuple[str, str], Any] = {}

    def resolve(self, value: str) -> str:
        """The tag YAML gives the plain scalar `value` (ruamel's VersionedResolver.resolve)."""
        for tag, regexp in self.first.get(value[0] if value else "", []) + self.always:
            if regexp.match(value):
                return tag
        return _STD + "str"

    def build(self, tag: str, value: str, style: Any) -> Any:
        """The value ruamel's round-trip constructor builds for a non-text scalar (a number, date, …)."""
        if tag not in _IMPLICIT_OK:  # `=` (!!value), `<<` (!!merge), …: the round-trip loader says why
            raise _GiveUp
        key = (tag, value)
        if key not in self.built:
            if len(self.built) > 50_000:  # numbers and dates seen so far, across files: keep it bounded
                self.built.clear()
            try:
                obj = self.constructor.construct_non_recursive_object(
                    self.node(self.tag(suffix=tag), value, None, None, style=style))
            except Exception:  # e.g. the date 2024-02-30: the round-trip loader locates it
                raise _GiveUp from None
            self.built[key] = nfc(str(obj)) if isinstance(obj, str) else obj
        return self.built[key]


_SCALARS: _Scalars | None = None


def _fast(text: str, pos: Positions, parser_class: Any) -> Any:
    """Read `text` from libyaml's events into plain data, recording positions as `_plain` does; raise
    _GiveUp at anything outside the plain subset (see the module's docstring)."""
    global _SCALARS
    from ruamel.yaml.events import (AliasEvent, DocumentEndEvent, DocumentStartEvent, MappingEndEvent,
                                    MappingStartEvent, ScalarEvent, SequenceEndEvent, SequenceStartEvent,
                                    StreamEndEvent, StreamStartEvent)

    if _ODD.search(text):
        raise _GiveUp
    if _SCALARS is None:
        _SCALARS = _Scalars()
    first, always, build, add = _SCALARS.first, _SCALARS.always, _SCALARS.build, pos.add
    str_tag = _STD + "str"
    try:
        get = parser_class(text).get_event
    except Exception:
        raise _GiveUp from None

    def scalar(e: Any) -> Any:
        if e.anchor is not None or e.ctag is not None:
            raise _GiveUp
        value = e.value
        if not value and e.implicit[0]:
            raise _GiveUp  # an empty value (null): libyaml places it after the `:`, ruamel at the next token
        if e.implicit[0] and (always or value[0] in first):
            tag = _SCALARS.resolve(value)  # type: ignore[union-attr]
            if tag != str_tag:
                return build(tag, value, e.style)
        return nfc(value)

    def mapping(key: PathKey, depth: int) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        while True:
            k = get()
            kind = type(k)
            if kind is MappingEndEvent:
                return out
            if kind is not ScalarEvent:
                raise _GiveUp  # a list, mapping or alias as a key
            name = scalar(k)
            if not (type(name) is str or type(name) is int) or name in out:
                raise _GiveUp  # a key other than text or an integer, or a duplicate key
            v = get()
            here = key + (name,)
            kind = type(v)
            if kind is ScalarEvent:
                m = v.start_mark
                add(here, m.line, m.column)
                out[name] = scalar(v)
                if not key:
                    m = k.start_mark
                    pos.add_key(name, m.line, m.column)
            else:
                m = k.start_mark
                add(here, m.line, m.column)
                if not key:
                    pos.add_key(name, m.line, m.column)
                out[name] = node(v, here, depth)

    def sequence(key: PathKey, depth: int) -> list[Any]:
        out: list[Any] = []
        while True:
            v = get()
            kind = type(v)
            if kind is SequenceEndEvent:
                return out
            here = key + (len(out),)
            m = v.start_mark
            add(here, m.line, m.column)
            out.append(scalar(v) if kind is ScalarEvent else node(v, here, depth))

    def node(e: Any, key: PathKey, depth: int) -> Any:
        kind = type(e)
        if kind is AliasEvent or e.anchor is not None or e.ctag is not None or depth >= MAX_DEPTH:
            raise _GiveUp
        if kind is MappingStartEvent:
            return mapping(key, depth + 1)
        if kind is SequenceStartEvent:
            return sequence(key, depth + 1)
        raise _GiveUp

    try:
        if type(get()) is not StreamStartEvent:
            raise _GiveUp
        start = get()
        if type(start) is not DocumentStartEvent or start.version or start.tags:
            raise _GiveUp  # no document (an empty file), or a %YAML / %TAG directive
        root = get()
        if type(root) not in (MappingStartEvent, SequenceStartEvent):
            raise _GiveUp  # a scalar or alias as the whole document
        pos.add((), 0, 0)
        data = node(root, (), 0)
        if type(get()) is not DocumentEndEvent or type(get()) is not StreamEndEvent:
            raise _GiveUp  # a second document
    except _GiveUp:
        raise
    except Exception:  # any libyaml error (syntax, encoding): the round-trip loader locates it
        raise _GiveUp from None
    return data


# --------------------------------------------------------------------------- reading


def read_bytes(path: Path) -> bytes:
    """The bytes of `path`, refusing a file over the size limit before reading it."""
    max_bytes = _limit("DRAFTER_MAX_YAML_BYTES", MAX_BYTES)
    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):
            raise DataError("not a regular file", path, "data files must be ordinary .yaml files")
        if st.st_size > max_bytes:
            raise DataError(_too_big(st.st_size, max_bytes), Location(path, 1, 1), _too_big_hint(max_bytes))
        with path.open("rb") as f:
            raw = f.read(max_bytes + 1)  # bounded, should the file grow after stat()
    except FileNotFoundError:
        raise DataError("file not found", path, "check the data directory (see `drafter check`)") from None
    except OSError as exc:
        raise DataError(f"cannot read the file: {exc.strerror}", path) from None
    if len(raw) > max_bytes:
        raise DataError(_too_big(len(raw), max_bytes), Location(path, 1, 1), _too_big_hint(max_bytes))
    return raw


def _decode(path: Path, raw: bytes) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"not UTF-8 text (byte {exc.start})", path, "save the file as UTF-8") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")  # as reading in text mode did


def _read(path: Path) -> str:
    """The text of `path`, refusing a file over the size limit before reading it."""
    return _decode(path, read_bytes(path))


def _too_big(size: int, max_bytes: int) -> str:
    return (f"file is {size} bytes, over the limit of {max_bytes} bytes (DRAFTER_MAX_YAML_BYTES); "
            "split the file, or if it really must be this large raise DRAFTER_MAX_YAML_BYTES")


def _too_big_hint(max_bytes: int) -> str:
    return f"drafter's data files are well under 100 kB; set DRAFTER_MAX_YAML_BYTES above {max_bytes} to allow it"


def load_yaml(path: Path) -> tuple[Any, Positions]:
    """Parse `path`; raise DataError with the position of a syntax error, a refused construct (tag,
    alias bomb, recursive alias, too large a file), or for an empty file."""
    return parse(path, read_bytes(path))


def parse(path: Path, raw: bytes, fast: bool = True) -> tuple[Any, Positions]:
    """Parse the bytes `raw` read from `path` (see `read_bytes`): with libyaml's events where the file
    keeps to the plain subset and the C extension is installed (`fast`), else, or if that gives up,
    with the guarded round-trip loader."""
    max_bytes = _limit("DRAFTER_MAX_YAML_BYTES", MAX_BYTES)  # read_bytes checked it; so does every path
    if len(raw) > max_bytes:
        raise DataError(_too_big(len(raw), max_bytes), Location(path, 1, 1), _too_big_hint(max_bytes))
    text = _decode(path, raw)
    max_nodes = _limit("DRAFTER_MAX_YAML_NODES", MAX_NODES)  # a bad setting is an error on every path
    if fast:
        parser = c_parser()
        if parser is not None:
            pos = Positions(path)
            try:
                return _fast(text, pos, parser), pos
            except _GiveUp:
                pass
    return _load_rt(path, text, max_nodes)


def _load_rt(path: Path, text: str, max_nodes: int) -> tuple[Any, Positions]:
    pos = Positions(path)
    yaml = YAML(typ="rt")
    yaml.Scanner = _GuardedScanner
    yaml.Composer = _GuardedComposer
    yaml.Constructor = _GuardedConstructor
    yaml.composer.max_nodes = max_nodes
    try:
        data = yaml.load(text)
        if data is None:
            raise DataError("file is empty", Location(path, 1, 1), "add the data or delete the file")
        pos.add((), 0, 0)
        return _plain(data, (), pos, _Budget(yaml.composer.expanded + max_nodes, pos)), pos
    except _Refused as exc:
        raise DataError(exc.message, _where(path, exc.mark), exc.hint) from None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = " ".join(p for p in (exc.context, exc.problem) if p)
        raise DataError(f"YAML syntax error: {what}", _where(path, mark), "fix the YAML at that line") from None
    except YAMLError as exc:
        raise DataError(f"YAML error: {exc}", path) from None
    except RecursionError:
        raise DataError("the YAML is nested too deeply to read", Location(path, 1, 1), "flatten the data") from None
    except DataError:
        raise
    except Exception as exc:  # anything else ruamel raises is still a problem of this file, not a crash
        raise DataError(f"cannot read the YAML: {type(exc).__name__}: {exc}", Location(path, 1, 1),
                        "fix the YAML, or report this file to the drafter maintainers") from None


def validate(model: type[BaseModel], data: Any, pos: Positions, key: PathKey = ()) -> Any:
    """Validate `data` (found at `key` in the file) against `model`; one DataError per problem."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _problems(exc, model, pos, key) from None


def _problems(exc: ValidationError, model: type[BaseModel], pos: Positions, key: PathKey) -> DataError:
    from .errors import Problems

    found = []
    for err in exc.errors():
        loc = key + tuple(err["loc"])
        field = ".".join(str(p) for p in err["loc"]) or "(top)"
        if err["type"] == "extra_forbidden":
            allowed = _allowed_fields(model, err["loc"][:-1])
            msg = f"unknown field '{err['loc'][-1]}'" + (f"; allowed: {', '.join(allowed)}" if allowed else "")
        elif err["type"] == "missing":
            msg = f"missing required field '{err['loc'][-1]}'"
        else:
            msg = f"{field}: {err['msg']}"
        found.append(DataError(msg, pos.at(loc)))
    return found[0] if len(found) == 1 else Problems(found)


def _allowed_fields(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Walk the model along `loc` to list the field names allowed where an unknown one was found."""
    import typing

    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return []
        field = current.model_fields.get(part) or next(
            (f for f in current.model_fields.values() if f.alias == part), None
        )
        if field is None:
            return []
        current = _inner_model(field.annotation, typing)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or n for n, f in current.model_fields.items()]
    return []


def _inner_model(annotation: Any, typing: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _inner_model(arg, typing)
        if found is not None:
            return found
    return None
