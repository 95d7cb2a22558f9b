"""Typed shapes of the data files (legal_refs/, rulepacks/).

Every model forbids unknown fields: a misspelt key is an error, never silently ignored
(the failure that froze values in an OpenFisca fork). Texts are Jinja strings rendered
later by `drafter.texts`; nothing here knows any Vietnamese wording.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Status = Literal["V", "P", "U"]
#: Fields of an instrument that a citation prints; if one is unverified the citation is marked.
CITED_FIELDS = ("number", "kind", "issuer", "signed", "title")


class Strict(BaseModel):
    # defer_build: a run served from the cache never validates, so it need not build validators.
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)


class When(Strict):
    """When a rule applies. Dates compare with the drafting (as-of) date; years with the plan year.

    `from` is inclusive, `until` exclusive: a rule with until 2025-07-01 is gone for a plan drafted
    on or after 1 July 2025.
    """

    from_: dt.date | None = Field(default=None, alias="from")
    until: dt.date | None = None
    min_year: int | None = None
    max_year: int | None = None

    def applies(self, as_of: dt.date, year: int) -> bool:
        if self.from_ is not None and as_of < self.from_:
            return False
        if self.until is not None and as_of >= self.until:
            return False
        if self.min_year is not None and year < self.min_year:
            return False
        if self.max_year is not None and year > self.max_year:
            return False
        return True


def ALWAYS() -> When:  # noqa: N802 - reads as a constant in field defaults
    """A rule with no `when:` applies at every date (a factory, so importing builds no model)."""
    return When()


# --------------------------------------------------------------------------- legal_refs/


class Instrument(Strict):
    """One legal instrument, recorded once. `title` is written as plans cite it, after the issuer
    ("ban hành Chương trình …", "về thực hiện …"); for a Luật it is the law's name."""

    id: str
    number: str
    kind: str
    issuer: str
    signed: dt.date | None = None
    effective: dt.date | None = None
    title: str
    replaced_by: list[str] = []
    replaced_on: dt.date | None = None
    areas: list[int] = []
    province: str | None = None
    sources: list[str] = Field(min_length=1)
    status: Status
    unverified: list[str] = []
    note: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> "Instrument":
        allowed = {"number", "kind", "issuer", "signed", "effective", "title", "replaced_by", "replaced_on"}
        bad = set(self.unverified) - allowed
        if bad:
            raise ValueError(f"unverified names unknown field(s) {sorted(bad)}; allowed: {sorted(allowed)}")
        if self.status == "V" and self.unverified:
            raise ValueError("status V (verified) cannot list unverified fields; use status P")
        if self.status == "P" and not self.unverified and not self.note:
            raise ValueError("status P needs `unverified` fields or a `note` saying what is unverified")
        return self

    def unverified_cited(self) -> list[str]:
        """Which printed parts of a citation are not verified (all of them when status is U)."""
        if self.status == "U":
            return list(CITED_FIELDS)
        return [f for f in CITED_FIELDS if f in self.unverified]


class CitationFormats(Strict):
    """Jinja formats for a full citation, by instrument kind; `default` for the others."""

    date_format: str
    date_unknown: str
    formats: dict[str, str]
    short: dict[str, str]

    @model_validator(mode="after")
    def _defaults(self) -> "CitationFormats":
        if "default" not in self.formats or "default" not in self.short:
            raise ValueError("`formats` and `short` each need a `default` entry")
        return self


# --------------------------------------------------------------------------- rulepacks/national


class Named(Strict):
    name: str
    when: When = Field(default_factory=ALWAYS)


class Agency(Strict):
    """An agency named by role. Names may change over time; a role may end (`until`) and pass its
    duties to a successor role (`merged_into`)."""

    role: str
    names: list[Named] = Field(min_length=1)
    until: dt.date | None = None
    merged_into: str | None = None
    level: Literal["tinh", "huyen", "xa", "trung_uong", "nhom"] = "tinh"
    note: str | None = None


class DatedValue(Strict):
    """A target value from a date on, with the instrument it comes from (OpenFisca-style)."""

    from_: dt.date = Field(alias="from")
    value: str
    basis: str  # instrument id the value comes from
    status: Status = "V"  # is it verified that `basis` sets this value? P/U values are marked in the draft
    source: str | None = None  # where the figure was seen (URL or seed:00N), when not in the basis itself
    note: str | None = None


class Target(Strict):
    id: str
    area: str
    text: str
    responsibility: str
    values: list[DatedValue] = []
    no_value_reason: str | None = None
    when: When = Field(default_factory=ALWAYS)

    @model_validator(mode="after")
    def _values_or_reason(self) -> "Target":
        if not self.values and not self.no_value_reason and "value" in self.text:
            raise ValueError("text uses {{ value }} but there are no `values` (or a `no_value_reason`)")
        return self


class Task(Strict):
    id: str
    text: str
    when: When = Field(default_factory=ALWAYS)


class Area(Strict):
    id: str
    number: int
    title: str
    appendix_title: str
    tasks: list[Task]


class Node(Strict):
    """One block of the plan body. `kind` gives its style and numbering; `include` expands a list
    from the rule pack (targets, areas, responsibilities) at that point."""

    id: str
    kind: Literal["muc", "khoan", "diem", "para", "bullet", "note", "include"]
    text: str | None = None
    include: Literal["targets", "areas", "responsibilities"] | None = None
    items: list["Node"] = []
    when: When = Field(default_factory=ALWAYS)

    @model_validator(mode="after")
    def _shape(self) -> "Node":
        if self.kind == "include" and self.include is None:
            raise ValueError("kind include needs `include:` (targets, areas or responsibilities)")
        if self.kind != "include" and self.text is None:
            raise ValueError(f"kind {self.kind} needs `text`")
        return self


class ResponsibilityItem(Strict):
    id: str
    text: str
    when: When = Field(default_factory=ALWAYS)


class Responsibility(Strict):
    """A numbered block of section III. `heading` is a Jinja text (usually the agency name);
    `inline` renders "N. Heading: item" on one line, as the seeds do for small blocks."""

    id: str
    heading: str
    inline: bool = False
    items: list[ResponsibilityItem]
    when: When = Field(default_factory=ALWAYS)


class AppendixRow(Strict):
    id: str
    area: str
    task: str
    product: str
    lead: list[str] = Field(min_length=1)
    coop: list[str] = []
    deadline: str
    when: When = Field(default_factory=ALWAYS)


class Recipient(Strict):
    text: str
    when: When = Field(default_factory=ALWAYS)


class DocumentPack(Strict):
    """Labels and fixed wording of the document; all Jinja strings."""

    labels: dict[str, str]
    systems: dict[str, str]
    preamble: list["PreambleItem"]
    noi_nhan: list[Recipient]


class PreambleItem(Strict):
    id: str
    cite: str  # instrument id; a replaced instrument is cited by its successor
    when: When = Field(default_factory=ALWAYS)


# --------------------------------------------------------------------------- rulepacks/provinces


class Signer(Strict):
    authority: Literal["TM", "KT"] = "TM"
    title: str  # CHỦ TỊCH / PHÓ CHỦ TỊCH
    name: str
    when: When = Field(default_factory=ALWAYS)
    status: Status
    source: str


class Province(Strict):
    """A provincial-level unit as it existed in a period. A unit that changed in the 2025 merger has
    one record before (until 2025-07-01) and one after (from 2025-07-01)."""

    id: str
    name: str
    kind: Literal["tỉnh", "thành phố"]
    official_name: str
    place: str
    centre: str
    code: str
    exists: When = Field(default_factory=ALWAYS)
    successor: str | None = None
    formed_from: list[str] = []
    aliases: list[str] = []
    signers: list[Signer] = []
    programmes: list[PreambleItem] = []
    tasks: list["ProvinceTask"] = []
    systems: dict[str, str] = {}
    agencies: dict[str, str] = {}
    noi_nhan: list[Recipient] | None = None
    drafting_unit: str = "NC"
    sources: list[str] = Field(min_length=1)
    note: str | None = None


class ProvinceTask(Strict):
    """A local task added to one of the seven areas (e.g. a provincial regulation to keep applying)."""

    id: str
    area: str
    text: str
    when: When = Field(default_factory=ALWAYS)


# Forward references (ProvinceTask, PreambleItem, Node) resolve when a model is first built
# (defer_build), so no model_rebuild() here: a run served from the cache builds none of them.
