"""Read YAML with ruamel.yaml, keep every node's line and column, and NFC-normalise all text.

Validation errors from pydantic carry a path such as ("targets", 3, "values", 0, "from"); `Positions`
turns that path back into `file:line:col`, so every data error points at the line to edit.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from .errors import DataError, Location

PathKey = tuple[Any, ...]


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


class Positions:
    """1-based (line, col) of every key and item of one file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._pos: dict[PathKey, tuple[int, int]] = {}

    def add(self, key: PathKey, line: int, col: int) -> None:
        self._pos[key] = (line + 1, col + 1)

    def at(self, key: PathKey) -> Location:
        """The position of `key`, or of its nearest ancestor that has one."""
        key = tuple(key)
        while key:
            if key in self._pos:
                return Location(self.path, *self._pos[key])
            key = key[:-1]
        return Location(self.path, *self._pos.get((), (1, 1)))


def _plain(node: Any, key: PathKey, pos: Positions) -> Any:
    if isinstance(node, CommentedMap):
        out: dict[Any, Any] = {}
        for k, v in node.items():
            # a scalar is located at its value (what to fix), a block at its key
            line, col = node.lc.value(k) if not isinstance(v, (CommentedMap, CommentedSeq)) else node.lc.key(k)
            pos.add(key + (k,), line, col)
            out[nfc(k) if isinstance(k, str) else k] = _plain(v, key + (k,), pos)
        return out
    if isinstance(node, CommentedSeq):
        items = []
        for i, v in enumerate(node):
            line, col = node.lc.item(i)
            pos.add(key + (i,), line, col)
            items.append(_plain(v, key + (i,), pos))
        return items
    if isinstance(node, str):
        return nfc(str(node))
    if isinstance(node, dt.datetime):
        return node
    return node


def load_yaml(path: Path) -> tuple[Any, Positions]:
    """Parse `path`; raise DataError with the position of a syntax error, or for an empty file."""
    pos = Positions(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError("file not found", path, "check the data directory (see `drafter check`)") from None
    except UnicodeDecodeError as exc:
        raise DataError(f"not UTF-8 text (byte {exc.start})", path, "save the file as UTF-8") from None
    except OSError as exc:
        raise DataError(f"cannot read the file: {exc.strerror}", path) from None
    yaml = YAML(typ="rt")
    try:
        data = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Location(path, mark.line + 1, mark.column + 1) if mark else Location(path)
        what = " ".join(p for p in (exc.context, exc.problem) if p)
        raise DataError(f"YAML syntax error: {what}", where, "fix the YAML at that line") from None
    except YAMLError as exc:
        raise DataError(f"YAML error: {exc}", path) from None
    if data is None:
        raise DataError("file is empty", Location(path, 1, 1), "add the data or delete the file")
    pos.add((), 0, 0)
    return _plain(data, (), pos), pos


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
