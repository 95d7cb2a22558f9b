"""Render the Jinja strings of the data (rule texts, labels) for one resolved snapshot, in a sandbox.

While a text renders, the functions it calls (cite, ref, ag, sys) record what they used, so each
paragraph knows the instruments it cites and whether anything in it is unverified. Unverified
pieces are wrapped in private-use sentinels and later become highlighted runs with a comment.
Every answer comes from the snapshot: nothing here asks what was in force when."""

from __future__ import annotations

import re
from dataclasses import field
from typing import TYPE_CHECKING, Any, Callable

from jinja2 import TemplateError

from . import records as m
from .errors import DataError, Location
from .frozen import record
from .textenv import TextLimitError, compiled, fit_plain, is_plain, limits, nd30_date, rendering, text_line

if TYPE_CHECKING:
    from .resolve import Citation, ResolvedTarget, Snapshot

MARK_OPEN, MARK_SEP, MARK_CLOSE = "\ue000", "\ue001", "\ue002"
_MARK_RE = re.compile(f"{MARK_OPEN}(.*?){MARK_SEP}(.*?){MARK_CLOSE}", re.S)

#: Names every text may use (see TextRenderer.base), and those that particular texts receive from
#: their caller: a target's `value`; the arguments of the labels rendered per use. `drafter check`
#: accepts exactly these.
BASE_NAMES = frozenset({"year", "prev_year", "next_year", "province", "drafting_unit", "tinh", "tinh_uy", "ag",
                        "cite", "ref", "sys", "collective", "commune", "agency"})
CALL_NAMES = frozenset({"value", "id", "verb", "place", "d", "m", "y", "fields", "kind", "number", "old", "new",
                        "basis", "for_year", "prev", "prev_for", "n", "parent", "items", "to_trinh", "thay_the",
                        "ngay", "so_ngay", "name"})
TEXT_NAMES = BASE_NAMES | CALL_NAMES


def _probe_call(fn: str) -> Callable[[str], str]:
    def call(ident: str) -> str:
        return f"{fn}({ident})"

    call.__name__ = fn
    return call


def probe_names(other: bool = False) -> dict[str, Any]:
    """Every name a text may use, with a value of the type TextRenderer gives it: `drafter check`
    renders each text with these, under the same sandbox and limits as a draft. `other` gives other
    values (a text that fails with both sets fails whatever the draft)."""
    year = 2030 if other else 2025
    names: dict[str, Any] = {
        "year": year, "prev_year": year - 1, "next_year": year + 1,
        "province": {"name": "Kon Tum", "official_name": "tỉnh Kon Tum", "place": "Kon Tum", "kind": "tỉnh"},
        "drafting_unit": "NC", "tinh": "thành phố" if other else "tỉnh", "tinh_uy": "Thành ủy" if other else "Tỉnh ủy",
        "ag": _probe_call("ag"), "cite": _probe_call("cite"), "ref": _probe_call("ref"), "sys": _probe_call("sys"),
        "value": "1" if other else "90%", "id": "instrument", "verb": "Thực hiện" if other else "Căn cứ",
        "place": "Kon Tum", "d": None if other else "01", "m": None if other else "01", "y": year,
        "fields": "number" if other else "number, signed", "kind": "Luật" if other else "Nghị định",
        "number": "1/2024/NĐ-CP", "old": "Nghị định 1/2020/NĐ-CP", "new": "Nghị định 1/2024/NĐ-CP",
        "basis": "Quyết định 1/QĐ-TTg", "for_year": year, "prev": None if other else "80%",
        "prev_for": None if other else year - 1, "n": 2 if other else 1, "parent": 2 if other else 1,
        "items": lambda sep: sep.join(["cite(a)", "cite(b)"]),
        "collective": other, "to_trinh": "……/TTr-SNV ngày ……" if other else "125/TTr-SNV ngày 10 tháng 12 năm 2023",
        "thay_the": "" if other else " và thay thế Quyết định số 1/QĐ-UBND ngày 02 tháng 01 năm 2023",
        "ngay": "ngày 10 tháng 12 năm 2023",
        # a commune's plan (rulepacks/commune/): the commune, and the number and date of the province's plan
        "commune": ({"name": "Côn Đảo", "kind": "đặc khu", "official_name": "đặc khu Côn Đảo", "place": "Côn Đảo",
                     "code": "26732"} if other else
                    {"name": "Tịnh Khê", "kind": "xã", "official_name": "xã Tịnh Khê", "place": "Tịnh Khê",
                     "code": "21211"}),
        "so_ngay": "……/KH-UBND ngày ……" if other else "125/KH-UBND ngày 10 tháng 12 năm 2026",
        "name": "Phòng Kế hoạch - Tài chính" if other else "Văn phòng Sở",  # a unit's name (label check_unit)
        # a department's plan (rulepacks/department/): the agency that issues it
        "agency": ({"name": "Văn phòng Ủy ban nhân dân thành phố", "role": "van_phong_ubnd", "abbr": "VP",
                    "short": "Văn phòng", "head": "Chánh Văn phòng", "deputy": "Phó Chánh Văn phòng",
                    "office": "Phòng Hành chính - Tổ chức", "office_abbr": "HCTC"} if other else
                   {"name": "Sở Khoa học và Công nghệ", "role": "khoa_hoc_cong_nghe", "abbr": "SKHCN",
                    "short": "Sở", "head": "Giám đốc", "deputy": "Phó Giám đốc", "office": "Văn phòng Sở",
                    "office_abbr": "VP"}),
    }
    assert set(names) == TEXT_NAMES
    return names


def limit_error(exc: TextLimitError, source: str, where: Location | str | None) -> DataError:
    """A text over a limit, located, saying which limit and how to raise it."""
    line = text_line(exc) if "\n" in source.strip() else None
    return DataError(f"{exc.message}{f' (line {line} of the text)' if line else ''}", where, exc.hint)


@record(frozen=False)
class Segment:
    text: str
    check: str | None = None  # what the reader must verify, if anything


@record(frozen=False)
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


def mark(check: str, text: str) -> str:
    return f"{MARK_OPEN}{check}{MARK_SEP}{text}{MARK_CLOSE}"


class TextRenderer:
    """Renders data texts for one resolved snapshot."""

    def __init__(self, snap: Snapshot) -> None:
        limits()  # as set in the environment now (DRAFTER_MAX_TEXT_*; raises DataError for a bad setting)
        self.snap = snap
        unit = snap.unit
        self._refs: list[str] = []
        self._values: list[dict[str, Any]] = []
        self.base = {
            "year": snap.year,
            "prev_year": snap.year - 1,
            "next_year": snap.year + 1,
            "province": {"name": unit.name, "official_name": unit.official_name, "place": unit.place,
                         "kind": unit.kind},
            "drafting_unit": unit.drafting_unit,
            # How texts name the unit: "tỉnh" or "thành phố" (the six centrally-run cities).
            "tinh": unit.kind,
            "ag": self.ag,
            "cite": self.cite,
            "ref": self.ref,
            "sys": self.sys,
            # the Ủy ban nhân dân issues the document as a body (a QĐ of the UBND, not of its Chủ tịch)
            "collective": snap.collective,
        }
        if snap.commune is not None:  # a commune's plan: the commune, as its texts name it
            c = snap.commune.unit
            self.base["commune"] = {"name": c.name, "kind": c.kind, "official_name": c.official_name,
                                    "place": c.place, "code": c.code_text}
        if snap.department is not None:  # a department's plan: the agency, as its texts name it
            d = snap.department
            self.base["agency"] = {"name": self._expand(snap.agency(d.role), d.role), "role": d.role,
                                   "abbr": d.abbr, "short": d.short, "head": d.head, "deputy": d.deputy,
                                   "office": d.office, "office_abbr": d.office_abbr}
        assert set(self.base) <= BASE_NAMES
        # The unit's party committee ("Tỉnh ủy" / "Thành ủy"), worded by the label of that name.
        if "tinh_uy" in snap.labels:
            self.base["tinh_uy"] = self.label("tinh_uy")

    # -- functions available to texts
    def ag(self, role: str) -> str:
        return self._expand(self.snap.agency(role), role)

    def cite(self, ident: str) -> str:
        c = self.snap.cited(ident)
        text = self._full(c.instrument)
        if c.amendments:
            fmt = self.snap.citation.amended
            parts = [self._amendment(a) for a in c.amendments]
            text = compiled(fmt).render(citation=text, amendments=self.snap.citation.join.join(parts))
        return self._mark(text, c)

    def ref(self, ident: str) -> str:
        c = self.snap.cited(ident)
        ins = c.instrument
        self._refs.append(ins.id)
        fmt = self.snap.citation.short.get(ins.kind, self.snap.citation.short["default"])
        return self._mark(compiled(fmt).render(kind=ins.kind, number=ins.number, title=ins.title), c)

    def citations(self, idents: list[str], sep: str) -> str:
        """Several full citations joined by `sep`, their marks kept (a joined preamble)."""
        return sep.join(self.cite(i) for i in idents)

    def verb(self, ident: str) -> str:
        """How a preamble introduces the instrument: "Căn cứ" a legal basis, "Thực hiện" a guidance letter."""
        ins = self.snap.cited(ident).instrument
        verbs = self.snap.citation.verbs
        return ins.verb or verbs.get(ins.kind, verbs["default"])

    def _full(self, ins: m.Instrument) -> str:
        self._refs.append(ins.id)
        fmt = self.snap.citation.formats.get(ins.kind, self.snap.citation.formats["default"])
        return compiled(fmt).render(kind=ins.kind, number=ins.number, date=self._date(ins), issuer=ins.issuer,
                                    title=ins.title)

    def _amendment(self, ins: m.Instrument) -> str:
        self._refs.append(ins.id)
        fmt = self.snap.citation.amendment.get(ins.kind, self.snap.citation.amendment["default"])
        return compiled(fmt).render(kind=ins.kind, number=ins.number, date=self._date(ins), issuer=ins.issuer,
                                    title=ins.title)

    def _date(self, ins: m.Instrument) -> str:
        c = self.snap.citation
        return nd30_date(ins.signed, c.date_format) if ins.signed else c.date_unknown

    def sys(self, key: str) -> str:
        name = self.snap.systems.get(key)
        if name is not None:
            return self._expand(name, "systems")
        raise DataError(f"unknown system '{key}'", None, "add it to `systems:` in rulepacks/national/document.yaml")

    def _expand(self, name: str, ident: str) -> str:
        """An agency or system name may hold {{ tinh }}; most are plain and render as themselves.
        A name that fails is located at its record (`ident`), not at the text that used it."""
        if is_plain(name):
            return name
        nested = rendering()  # then a limit reached is the calling text's
        try:
            return compiled(name).render(**self.base)
        except DataError:
            raise
        except TextLimitError as exc:
            if nested:
                raise
            raise limit_error(exc, name, self.snap.origin(ident).where) from None
        except Exception as exc:  # TemplateError, or an expression that fails while rendering
            raise DataError(f"name {name!r} cannot be rendered: {exc}", self.snap.origin(ident).where,
                            "fix the {{ … }} expression of this name") from None

    def _mark(self, text: str, c: Citation) -> str:
        """Mark a citation whose printed parts, or the replacement that led to it, are unverified."""
        checks = []
        for ins in (c.instrument, *c.amendments):
            missing = ins.unverified_cited()
            if missing:
                names = self.snap.citation.field_names
                checks.append(self.label("check_instrument", fields=", ".join(names.get(f, f) for f in missing),
                                         kind=ins.kind, number=ins.number))
        for old, new in zip(c.chain, c.chain[1:]):
            if old.status == "U" or {"replaced_by", "replaced_on"} & set(old.unverified):
                checks.append(self.label("check_replacement", old=f"{old.kind} {old.number}",
                                         new=f"{new.kind} {new.number}"))
        return mark(" ".join(checks), text) if checks else text

    def label(self, key: str, **extra: Any) -> str:
        """A label of the document rendered as plain text (marks dropped)."""
        return plain(self.label_marked(key, **extra))

    def label_marked(self, key: str, **extra: Any) -> str:
        labels = self.snap.labels
        if key not in labels:
            raise DataError(f"missing label '{key}'", None, "add it under `labels:` in rulepacks/national/document.yaml")
        nested = rendering()  # then a limit reached is the calling text's
        try:
            if is_plain(labels[key]):  # most labels: as Jinja would render them, without compiling them
                return _as_plain(labels[key])
            return compiled(labels[key]).render(**self.base, **extra)
        except DataError:
            raise
        except TextLimitError as exc:
            if nested:
                raise
            raise limit_error(exc, labels[key], self.snap.origin(f"labels.{key}").where) from None
        except Exception as exc:  # TemplateError, or an expression that fails while rendering
            where = self.snap.origin(f"labels.{key}").where
            raise DataError(f"label '{key}': {exc}", where, "fix the {{ … }} expression of this label") from None

    # -- rendering
    def render(self, source: str, where: Location | str | None, **extra: Any) -> Rendered:
        self._refs, self._values = [], []
        try:
            if is_plain(source):
                out = _as_plain(source)
            else:
                out = compiled(source).render(**self.base, **extra)
        except DataError as exc:
            raise DataError(exc.message, exc.where or where, exc.hint) from None
        except TextLimitError as exc:
            raise limit_error(exc, source, where) from None
        except TemplateError as exc:
            raise DataError(f"text template error: {exc}", where, "fix the {{ … }} expression in this text") from None
        except Exception as exc:  # e.g. {{ 1/0 }}: an expression that fails while rendering
            raise DataError(f"text cannot be rendered: {type(exc).__name__}: {exc}", where,
                            "fix the {{ … }} expression in this text") from None
        return Rendered(_segments(out), list(dict.fromkeys(self._refs)), list(self._values))

    def render_target(self, rt: ResolvedTarget, where: Location | None) -> Rendered | None:
        """A target worded for the plan year: its value with the instrument and year that set it, the
        province's own figure, or a marked blank for the officer to fill."""
        t, tv = rt.target, rt.value
        v = tv.value
        if v is None and t.no_value_reason:
            return None  # the target does not apply this year; no_value_reason says why
        record: dict[str, Any] | None = None
        suffix = ""
        if v is None:
            prev = tv.previous
            check = self.label("check_blank", prev=prev.value if prev else None, prev_for=prev.for_year if prev else None)
            value = mark(check, self.label("value_blank"))
        else:
            record = {"target": t.id, "value": v.value, "for_year": v.for_year, "from": v.from_.isoformat(),
                      "basis": v.basis, "status": v.status, "source": v.source}
            basis = self.ref(v.basis) if v.basis else None
            value = v.value
            if v.status != "V":
                value = mark(self.label("check_value", value=v.value,
                                        basis=plain(basis) if basis else self.label("own_basis")), v.value)
            if basis:
                suffix = self.label_marked("target_basis", basis=basis, for_year=v.for_year)
        out = self.render(t.text, where, value=value)
        if suffix:
            out = _with_suffix(out, _segments(" " + suffix))
            out.refs = list(dict.fromkeys([*out.refs, self.snap.cited(v.basis).instrument.id]))  # type: ignore[arg-type]
        if record:
            out.values.append(record)
        return out


def _as_plain(text: str) -> str:
    """A text without Jinja syntax as Jinja renders it (its one trailing newline dropped), within the
    length limit."""
    return fit_plain(text[:-1] if text.endswith("\n") else text)


def _with_suffix(r: Rendered, extra: list[Segment]) -> Rendered:
    """Put `extra` before the text's closing full stop."""
    segs = list(r.segments)
    last = segs[-1] if segs else Segment("")
    if not last.check and last.text.endswith("."):
        segs[-1] = Segment(last.text[:-1])
        return Rendered([*segs, *extra, Segment(".")], r.refs, r.values)
    return Rendered([*segs, *extra], r.refs, r.values)


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
