"""Render the Jinja strings of the data (rule texts, labels) for one plan, in a sandbox.

While a text renders, the functions it calls (cite, ref, ag, sys) record what they used, so each
paragraph knows the instruments it cites and whether anything in it is unverified. Unverified
pieces are wrapped in private-use sentinels and later become highlighted runs with a comment.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from types import CodeType
from typing import Any, Iterable

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from . import models as m
from . import selection as sel
from .errors import DataError, Location
from .loader import DataSet

MARK_OPEN, MARK_SEP, MARK_CLOSE = "\ue000", "\ue001", "\ue002"
_MARK_RE = re.compile(f"{MARK_OPEN}(.*?){MARK_SEP}(.*?){MARK_CLOSE}", re.S)


@dataclass
class Segment:
    text: str
    check: str | None = None  # what the reader must verify, if anything


@dataclass
class Rendered:
    segments: list[Segment]
    refs: list[str] = field(default_factory=list)
    values: list[dict[str, Any]] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.segments)

    @property
    def checks(self) -> list[str]:
        return [s.check for s in self.segments if s.check]


def nd30_date(day: dt.date, fmt: str) -> str:
    """ND 30: day always 2 digits; month with a leading 0 only for January and February."""
    month = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    return _compiled(fmt).render(d=f"{day.day:02d}", m=month, y=day.year)


def _capfirst(text: str) -> str:
    return text[:1].upper() + text[1:]


_ENV = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)
_ENV.filters["capfirst"] = _capfirst
#: Compiled data texts, shared by every renderer of the process (a batch compiles each text once).
_TEMPLATES: dict[str, Any] = {}


def _is_plain(source: str) -> bool:
    """Most data texts hold no Jinja syntax; they render as themselves without compiling."""
    return "{" not in source and "%}" not in source and "#}" not in source


#: Jinja's compiled code of data texts, from the data cache (see `compile_texts`).
_CODE: dict[str, CodeType] = {}


def _compiled(source: str) -> Any:
    template = _TEMPLATES.get(source)
    if template is None:
        code = _CODE.get(source)
        if code is not None:
            template = _ENV.template_class.from_code(_ENV, code, _ENV.make_globals(None), None)
        else:
            template = _ENV.from_string(source)
        _TEMPLATES[source] = template
    return template


def compile_texts(sources: Iterable[str]) -> dict[str, CodeType]:
    """Compile data texts ahead of time; the data cache stores the result so that a cold run
    renders without compiling (Jinja compiles ~100 texts in ~70 ms)."""
    out: dict[str, CodeType] = {}
    for s in dict.fromkeys(sources):
        if _is_plain(s):
            continue
        try:
            out[s] = _ENV.compile(s)
        except TemplateError:
            continue  # reported with its file and line when the text is rendered, and by `drafter check`
    return out


def preload(code: dict[str, CodeType]) -> None:
    _CODE.update(code)


class TextRenderer:
    """Renders data texts for one (province, year, drafting date)."""

    def __init__(self, data: DataSet, province: m.Province, year: int, as_of: dt.date) -> None:
        self.data, self.province, self.year, self.as_of = data, province, year, as_of
        self._refs: list[str] = []
        self._values: list[dict[str, Any]] = []
        self.base = {
            "year": year,
            "prev_year": year - 1,
            "next_year": year + 1,
            "province": {"name": province.name, "official_name": province.official_name,
                         "place": province.place, "kind": province.kind},
            "drafting_unit": province.drafting_unit,
            # How texts name the unit: "tỉnh" or "thành phố" (the six centrally-run cities).
            "tinh": province.kind,
            "ag": self.ag,
            "cite": self.cite,
            "ref": self.ref,
            "sys": self.sys,
        }
        # The unit's party committee ("Tỉnh ủy" / "Thành ủy"), worded by the label of that name.
        if "tinh_uy" in data.document.labels:
            self.base["tinh_uy"] = self.label("tinh_uy")

    # -- functions available to texts
    def ag(self, role: str) -> str:
        name = sel.agency_name(self.data, self.province, role, self.as_of, self.year)
        return self._expand(name)

    def cite(self, ident: str) -> str:
        chain = sel.replacements(self.data, ident, self.as_of)
        ins = chain[-1]
        self._refs.append(ins.id)
        fmt = self.data.citation.formats.get(ins.kind, self.data.citation.formats["default"])
        date = nd30_date(ins.signed, self.data.citation.date_format) if ins.signed else self.data.citation.date_unknown
        text = _compiled(fmt).render(kind=ins.kind, number=ins.number, date=date, issuer=ins.issuer,
                                     title=ins.title)
        return self._mark(text, chain)

    def ref(self, ident: str) -> str:
        chain = sel.replacements(self.data, ident, self.as_of)
        ins = chain[-1]
        self._refs.append(ins.id)
        fmt = self.data.citation.short.get(ins.kind, self.data.citation.short["default"])
        return self._mark(_compiled(fmt).render(kind=ins.kind, number=ins.number, title=ins.title), chain)

    def sys(self, key: str) -> str:
        name = self.province.systems.get(key) or self.data.document.systems.get(key)
        if name is not None:
            return self._expand(name)
        raise DataError(f"unknown system '{key}'", None, "add it to `systems:` in rulepacks/national/document.yaml")

    def _expand(self, name: str) -> str:
        """An agency or system name may hold {{ tinh }}; most are plain and render as themselves."""
        return name if _is_plain(name) else _compiled(name).render(**self.base)

    def _mark(self, text: str, chain: list[m.Instrument]) -> str:
        """Mark a citation whose printed parts, or the replacement that led to it, are unverified."""
        ins = chain[-1]
        checks = []
        missing = ins.unverified_cited()
        if missing:
            checks.append(self.label("check_instrument", fields=", ".join(missing), kind=ins.kind, number=ins.number))
        for old, new in zip(chain, chain[1:]):
            if old.status == "U" or {"replaced_by", "replaced_on"} & set(old.unverified):
                checks.append(self.label("check_replacement", old=f"{old.kind} {old.number}",
                                         new=f"{new.kind} {new.number}"))
        if not checks:
            return text
        return f"{MARK_OPEN}{' '.join(checks)}{MARK_SEP}{text}{MARK_CLOSE}"

    def label(self, key: str, **extra: Any) -> str:
        """A label of document.yaml rendered as plain text (marks dropped)."""
        labels = self.data.document.labels
        if key not in labels:
            raise DataError(f"missing label '{key}'", self.data.origins.get("labels"),
                            "add it under `labels:` in rulepacks/national/document.yaml")
        try:
            out = _compiled(labels[key]).render(**self.base, **extra)
        except DataError:
            raise
        except Exception as exc:  # TemplateError, or an expression that fails while rendering
            raise DataError(f"label '{key}': {exc}", self.data.origins.get(f"labels.{key}") or self.data.origins.get("labels"),
                            "fix the {{ … }} expression of this label") from None
        return plain(out)

    # -- rendering
    def render(self, source: str, where: Location | str | None, **extra: Any) -> Rendered:
        self._refs, self._values = [], []
        try:
            if _is_plain(source):
                out = source[:-1] if source.endswith("\n") else source  # as Jinja would render it
            else:
                out = _compiled(source).render(**self.base, **extra)
        except DataError as exc:
            raise DataError(exc.message, exc.where or where, exc.hint) from None
        except TemplateError as exc:
            raise DataError(f"text template error: {exc}", where, "fix the {{ … }} expression in this text") from None
        except Exception as exc:  # e.g. {{ 1/0 }}: an expression that fails while rendering
            raise DataError(f"text cannot be rendered: {type(exc).__name__}: {exc}", where,
                            "fix the {{ … }} expression in this text") from None
        return Rendered(_segments(out), list(dict.fromkeys(self._refs)), list(self._values))

    def value(self, target: m.Target) -> tuple[str | None, Segment | None]:
        """The target's value for the plan year, recorded for provenance; marked if not verified."""
        v = sel.value_for(self.data, target, self.year, self.as_of)
        if v is None:
            return None, None
        record = {"target": target.id, "value": v.value, "from": v.from_.isoformat(), "basis": v.basis,
                  "status": v.status, "source": v.source}
        self._pending_value = record
        if v.status != "V":
            basis = self.data.instruments.get(v.basis)
            check = self.label("check_value", value=v.value, kind=basis.kind if basis else "",
                               number=basis.number if basis else v.basis)
            return f"{MARK_OPEN}{check}{MARK_SEP}{v.value}{MARK_CLOSE}", Segment(v.value, check)
        return v.value, Segment(v.value)

    def render_target(self, target: m.Target, where: Location | None) -> Rendered | None:
        value, _ = self.value(target)
        record = self._pending_value if value is not None else None
        if value is None and target.no_value_reason:
            return None  # the target does not apply this year; no_value_reason says why
        if value is None and "value" in target.text:
            raise DataError(f"target '{target.id}' has no value for {self.year} drafted {self.as_of:%d/%m/%Y}",
                            where, "add a dated value that applies to this year")
        out = self.render(target.text, where, value=value if value is not None else "")
        if record:
            out.values.append(record)
        return out


def plain(text: str) -> str:
    """`text` without the marks around unverified pieces."""
    return "".join(s.text for s in _segments(text))


def _segments(text: str) -> list[Segment]:
    segs: list[Segment] = []
    pos = 0
    for mt in _MARK_RE.finditer(text):
        if mt.start() > pos:
            segs.append(Segment(text[pos:mt.start()]))
        segs.append(Segment(mt.group(2), mt.group(1)))
        pos = mt.end()
    if pos < len(text):
        segs.append(Segment(text[pos:]))
    return segs or [Segment("")]
