"""The provenance record written next to each draft (`X.provenance.json`), and `drafter explain`.

For every generated paragraph and appendix row: its text as rendered, the rule or profile it came
from (id, data file and line), the instruments it cites (registry ids), the dated values it used and
whether anything in it is unverified. `explain` finds a paragraph by text, even in a .docx that staff
have edited since, and says in plain words why it is there."""

from __future__ import annotations

import dataclasses
import difflib
import json
import re
import unicodedata
from pathlib import Path
from typing import Any

from .context import Para, PlanContext, Row, as_dict
from .errors import UsageError

VERSION = 1


_SCALARS = frozenset({str, int, float, bool, type(None)})
_FIELDS: dict[type, tuple[str, ...]] = {}


def _source(src: Any) -> dict[str, Any]:
    """as_dict(src) for a record of plain values, without dataclasses.asdict's deep copy (half of
    `record`'s time); any other record goes through as_dict."""
    names = _FIELDS.get(type(src))
    if names is None:
        names = _FIELDS[type(src)] = tuple(f.name for f in dataclasses.fields(src))
    out = {}
    for name in names:
        value = getattr(src, name)
        if type(value) not in _SCALARS:
            return as_dict(src)
        if value is not None:
            out[name] = value
    return out


def _para(index: int, p: Para, text: str) -> dict[str, Any]:
    return {
        "index": index,
        "kind": p.kind,
        "text": text,
        "source": _source(p.source),
        "refs": list(p.refs),
        "values": list(p.values),
        "unverified": [r.check for r in p.runs if r.check],
    }


def _row(row: Row) -> dict[str, Any]:
    cells = {k: "".join(r.text for r in runs) for k, runs in row.cells.items()}
    return {
        "tt": row.tt,
        "kind": row.kind,
        "cells": cells,
        "text": " | ".join(v for v in cells.values() if v),
        "source": _source(row.source),
        "refs": list(row.refs),
        "unverified": [r.check for runs in row.cells.values() for r in runs if r.check],
    }


def record(ctx: PlanContext, data_root: str | None = None) -> dict[str, Any]:
    paras = [*ctx.preamble, ctx.ban_hanh, *ctx.articles, *ctx.body, *ctx.extras]
    return {
        "drafter_provenance": VERSION,
        "plan": {"province": ctx.province_id, "year": ctx.year, "as_of": ctx.as_of.isoformat(),
                 "date": ctx.date.isoformat() if ctx.date else None, "kind": ctx.kind,
                 **({"commune": ctx.commune} if ctx.commune else {}),  # a commune's plan: its official code
                 **({"agency": ctx.agency} if ctx.agency else {})},  # a department's plan: its role
        "dropped": list(ctx.dropped),
        "paragraphs": [_para(i, p, text) for i, p in enumerate(paras, 1) if (text := p.text).strip()],
        "rows": [_row(r) for r in ctx.appendix],
    }


_ENCODE = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode  # no indent: json's C encoder


def to_json(rec: dict[str, Any]) -> bytes:
    """The record as JSON, one key of the record per line and one paragraph or row per line: each
    line is dumped by json's C encoder (an indented dump goes through its pure-Python one, ~3× as
    long). `json.load` reads the same record as from the indented layout written before."""
    lines = []
    for key in sorted(rec):
        value = rec[key]
        if isinstance(value, list) and value:
            items = ",\n  ".join(map(_ENCODE, value))
            lines.append(f"{_ENCODE(key)}: [\n  {items}\n ]")
        else:
            lines.append(f"{_ENCODE(key)}: {_ENCODE(value)}")
    return ("{\n " + ",\n ".join(lines) + "\n}\n").encode("utf-8")


def sidecar(docx: Path) -> Path:
    return docx.with_name(docx.stem + ".provenance.json")


def load_record(docx: Path) -> dict[str, Any]:
    """The provenance record beside `docx`, checked to have the shape `record` writes: a clean error
    (naming the file) for a missing, unreadable, non-JSON or wrongly shaped one."""
    path = sidecar(docx)
    if path.exists() and not path.is_file():  # a folder, FIFO or device: never read (it may never end)
        raise UsageError("not a provenance record: it is not a regular file", str(path), _REWRITE)
    try:
        rec = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"no provenance record {path.name} next to {docx.name}", str(path),
                         "explain works on drafts written by `drafter new`; keep the .provenance.json beside the .docx") from None
    except (OSError, ValueError, RecursionError) as exc:
        raise UsageError(f"cannot read {path.name}: {exc}", str(path), _REWRITE) from None
    problem = _shape_problem(rec)
    if problem:
        raise UsageError(f"not a provenance record written by drafter: {problem}", str(path), _REWRITE)
    return rec


_REWRITE = "write the draft again with `drafter new … --force` to get a new record"

_STR, _INT = (str,), (int,)
#: field → accepted types (None: may be missing or null), for the parts `explain` reads.
_SOURCE = {"kind": _STR, "id": _STR, "layer": (str, None), "file": (str, None), "line": (int, None)}
_VALUE = {"target": _STR, "value": _STR, "for_year": (int, None), "from": _STR, "basis": (str, None),
          "status": _STR, "source": (str, None)}


def _shape_problem(rec: Any) -> str | None:
    """What is wrong with the shape of a provenance record, or None."""
    if not isinstance(rec, dict):
        return f"it holds a JSON {type(rec).__name__}, not an object"
    if "drafter_provenance" not in rec:
        return "no 'drafter_provenance' version"
    if rec["drafter_provenance"] != VERSION:
        return f"version {rec['drafter_provenance']!r}, this drafter reads version {VERSION}"
    plan = rec.get("plan")
    if not isinstance(plan, dict):
        return "'plan' is not an object"
    for key, types in {"province": _STR, "year": _INT, "as_of": _STR, "kind": (str, None)}.items():
        if bad := _bad(plan, key, types):
            return f"plan.{bad}"
    try:
        import datetime as dt

        dt.date.fromisoformat(plan["as_of"])
    except ValueError:
        return f"plan.as_of {plan['as_of']!r} is not a date"
    if not 2021 <= plan["year"] <= 2030:
        return f"plan.year {plan['year']} is outside 2021–2030"
    for name, fields in (("paragraphs", {"index": _INT, "text": _STR}), ("rows", {"tt": (str, int), "text": _STR})):
        items = rec.get(name)
        if not isinstance(items, list):
            return f"'{name}' is not a list"
        for n, e in enumerate(items):
            where = f"{name}[{n}]"
            if not isinstance(e, dict):
                return f"{where} is not an object"
            for key, types in fields.items():
                if bad := _bad(e, key, types):
                    return f"{where}.{bad}"
            if not isinstance(e.get("source"), dict):
                return f"{where}.source is not an object"
            for key, types in _SOURCE.items():
                if bad := _bad(e["source"], key, types):
                    return f"{where}.source.{bad}"
            for key in ("refs", "unverified", "values"):
                items_ = e.get(key, [])
                if not isinstance(items_, list):
                    return f"{where}.{key} is not a list"
                for i, x in enumerate(items_):
                    if key != "values" and not isinstance(x, str):
                        return f"{where}.{key}[{i}] is not a string"
                    if key == "values":
                        if not isinstance(x, dict):
                            return f"{where}.values[{i}] is not an object"
                        for k, types in _VALUE.items():
                            if bad := _bad(x, k, types):
                                return f"{where}.values[{i}].{bad}"
    return None


def _bad(obj: dict, key: str, types: tuple) -> str | None:
    value = obj.get(key)
    if value is None:
        return None if None in types else f"{key} is missing"
    if isinstance(value, bool) or not isinstance(value, tuple(t for t in types if t is not None)):
        return f"{key} is a JSON {type(value).__name__}, not {' or '.join(_JSON[t] for t in types if t is not None)}"
    return None


_JSON = {str: "a string", int: "a number"}


def norm(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip().casefold()


def find(rec: dict[str, Any], edited_paragraphs: list[str], query: str) -> tuple[dict[str, Any], float] | None:
    """The provenance entry for the paragraph that contains `query` (in the edited .docx if given),
    matched to the generated text by similarity, so small edits do not lose the trail."""
    q = norm(query)
    entries = [*rec["paragraphs"], *rec["rows"]]
    hits = [t for t in edited_paragraphs if q in norm(t)] or [e["text"] for e in entries if q in norm(e["text"])]
    if not hits:
        return None
    target = norm(hits[0])
    best, score = None, 0.0
    for e in entries:
        s = difflib.SequenceMatcher(None, norm(e["text"]), target, autojunk=False).ratio()
        if s > score:
            best, score = e, s
    return (best, score) if best is not None else None
