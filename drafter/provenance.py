"""The provenance record written next to each draft (`X.provenance.json`), and `drafter explain`.

For every generated paragraph and appendix row: its text as rendered, the rule or profile it came
from (id, data file and line), the instruments it cites (registry ids), the dated values it used and
whether anything in it is unverified. `explain` finds a paragraph by text, even in a .docx that staff
have edited since, and says in plain words why it is there."""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
from pathlib import Path
from typing import Any

from .context import Para, PlanContext, Row, as_dict
from .errors import UsageError

VERSION = 1


def _para(index: int, p: Para) -> dict[str, Any]:
    return {
        "index": index,
        "kind": p.kind,
        "text": p.text,
        "source": as_dict(p.source),
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
        "source": as_dict(row.source),
        "refs": list(row.refs),
        "unverified": [r.check for runs in row.cells.values() for r in runs if r.check],
    }


def record(ctx: PlanContext, data_root: str | None = None) -> dict[str, Any]:
    paras = [*ctx.preamble, ctx.ban_hanh, *ctx.body, *ctx.extras]
    return {
        "drafter_provenance": VERSION,
        "plan": {"province": ctx.province_id, "year": ctx.year, "as_of": ctx.as_of.isoformat(),
                 "date": ctx.date.isoformat() if ctx.date else None},
        "dropped": list(ctx.dropped),
        "paragraphs": [_para(i, p) for i, p in enumerate(paras, 1) if p.text.strip()],
        "rows": [_row(r) for r in ctx.appendix],
    }


def to_json(rec: dict[str, Any]) -> bytes:
    return (json.dumps(rec, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode("utf-8")


def sidecar(docx: Path) -> Path:
    return docx.with_name(docx.stem + ".provenance.json")


def load_record(docx: Path) -> dict[str, Any]:
    path = sidecar(docx)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"no provenance record {path.name} next to {docx.name}", str(path),
                         "explain works on drafts written by `drafter new`; keep the .provenance.json beside the .docx") from None
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read {path.name}: {exc}", str(path)) from None


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
