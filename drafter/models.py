"""Typed shapes of the data files (legal_refs/, rulepacks/).

Every model forbids unknown fields: a misspelt key is an error, never silently ignored
(the failure that froze values in an OpenFisca fork). Texts are Jinja strings rendered
later by `drafter.texts`; nothing here knows any Vietnamese wording.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from . import records as r

Status = Literal["V", "P", "U"]


class Strict(BaseModel):
    # Each model also derives from its record (drafter.records), which gives it its behaviour; the cache
    # stores records, so a run served from it imports no model. defer_build: a run that validates one
    # edited file builds the validators of that file's models only.
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)


class When(Strict, r.When):
    """When a rule applies. Dates compare with the drafting (as-of) date; years with the plan year.

    `from` is inclusive, `until` exclusive: a rule with until 2025-07-01 is gone for a plan drafted
    on or after 1 July 2025.
    """

    from_: dt.date | None = Field(default=None, alias="from")
    until: dt.date | None = None
    min_year: int | None = None
    max_year: int | None = None


def ALWAYS() -> When:  # noqa: N802 - reads as a constant in field defaults
    """A rule with no `when:` applies at every date (a factory, so importing builds no model)."""
    return When()


# --------------------------------------------------------------------------- legal_refs/


class Instrument(Strict, r.Instrument):
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
    #: instruments that amend this one (each recorded on its own); cited with it once in force
    amended_by: list[str] = []
    areas: list[int] = []
    province: str | None = None
    sources: list[str] = Field(min_length=1)
    status: Status
    unverified: list[str] = []
    note: str | None = None
    #: how real plans introduce it in their Căn cứ, where that differs from citation.yaml's verb for its
    #: kind (a Bộ Nội vụ letter most plans cite with "Căn cứ", though letters are "Thực hiện" by default)
    verb: str | None = None

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


class CitationFormats(Strict, r.CitationFormats):
    """Jinja formats for a full citation, by instrument kind; `default` for the others."""

    date_format: str
    date_unknown: str
    formats: dict[str, str]
    short: dict[str, str]
    #: an amended instrument: `citation` and its `amendments` (each worded by `amendment`, joined by `join`)
    amended: str
    amendment: dict[str, str]
    join: str
    #: the verb that introduces an instrument in the preamble, by kind ("Căn cứ", "Thực hiện")
    verbs: dict[str, str]
    #: how a comment names an unverified part of a citation ("signed" → "ngày ký")
    field_names: dict[str, str] = {}

    @model_validator(mode="after")
    def _defaults(self) -> "CitationFormats":
        for name in ("formats", "short", "amendment", "verbs"):
            if "default" not in getattr(self, name):
                raise ValueError(f"`{name}` needs a `default` entry")
        return self


# --------------------------------------------------------------------------- rulepacks/national


class Named(Strict, r.Named):
    name: str
    when: When = Field(default_factory=ALWAYS)


class Agency(Strict, r.Agency):
    """An agency named by role. Names may change over time; a role may end (`until`) and pass its
    duties to a successor role (`merged_into`)."""

    role: str
    names: list[Named] = Field(min_length=1)
    until: dt.date | None = None
    merged_into: str | None = None
    level: Literal["tinh", "huyen", "xa", "trung_uong", "nhom"] = "tinh"
    note: str | None = None


class DatedValue(Strict, r.DatedValue):
    """A target value from a date on, with the instrument it comes from (OpenFisca-style)."""

    from_: dt.date = Field(alias="from")
    value: str
    #: the year the figure is set for (an end point such as 2025 applies to plans up to that year)
    for_year: int = Field(ge=2021, le=2035)
    #: the instrument that sets the figure; none for a province's own figure (its layer's plan sets it)
    basis: str | None = None
    status: Status = "V"  # is it verified that `basis` sets this value? P/U values are marked in the draft
    source: str | None = None  # where the figure was seen (URL or seed:00N), when not in the basis itself
    note: str | None = None


class Target(Strict, r.Target):
    id: str
    area: str
    text: str
    responsibility: str
    values: list[DatedValue] = []
    no_value_reason: str | None = None
    when: When = Field(default_factory=ALWAYS)


class Task(Strict, r.Task):
    id: str
    text: str
    when: When = Field(default_factory=ALWAYS)


class Area(Strict, r.Area):
    id: str
    number: int
    title: str
    appendix_title: str
    tasks: list[Task]


class Node(Strict, r.Node):
    """One block of the plan body. `kind` gives its style and numbering; `include` expands a list
    from the rule pack (targets, areas, responsibilities) at that point."""

    id: str
    kind: Literal["muc", "khoan", "diem", "para", "bullet", "note", "include"]
    text: str | None = None
    include: Literal["targets", "targets_by_area", "areas", "responsibilities"] | None = None
    items: list["Node"] = []
    when: When = Field(default_factory=ALWAYS)

    @model_validator(mode="after")
    def _shape(self) -> "Node":
        if self.kind == "include" and self.include is None:
            raise ValueError("kind include needs `include:` (targets, areas or responsibilities)")
        if self.kind != "include" and self.text is None:
            raise ValueError(f"kind {self.kind} needs `text`")
        return self


class ResponsibilityItem(Strict, r.ResponsibilityItem):
    id: str
    text: str
    when: When = Field(default_factory=ALWAYS)


class Responsibility(Strict, r.Responsibility):
    """A numbered block of section III. `heading` is a Jinja text (usually the agency name);
    `inline` renders "N. Heading: item" on one line, as the seeds do for small blocks."""

    id: str
    heading: str
    inline: bool = False
    items: list[ResponsibilityItem]
    when: When = Field(default_factory=ALWAYS)


class AppendixRow(Strict, r.AppendixRow):
    id: str
    area: str
    task: str
    product: str
    lead: list[str] = Field(min_length=1)
    coop: list[str] = []
    deadline: str
    # columns some provinces' appendices carry (seed 000, 004); empty unless the row or the column sets them
    target: str = ""
    detail: str = ""
    start: str = ""
    funding: str = ""
    note: str = ""
    when: When = Field(default_factory=ALWAYS)


class Recipient(Strict, r.Recipient):
    text: str
    when: When = Field(default_factory=ALWAYS)


class DocumentPack(Strict, r.DocumentPack):
    """Labels and fixed wording of the document; all Jinja strings."""

    labels: dict[str, str]
    shape: Shape
    systems: dict[str, str]
    preamble: list["PreambleItem"]
    noi_nhan: list[Recipient]


class PreambleItem(Strict, r.PreambleItem):
    id: str
    cite: str  # instrument id; a replaced instrument is cited by its successor
    when: When = Field(default_factory=ALWAYS)


# --------------------------------------------------------------------------- rulepacks/provinces


class Signer(Strict, r.Signer):
    authority: Literal["TM", "KT"] = "TM"
    title: str  # CHỦ TỊCH / PHÓ CHỦ TỊCH
    name: str
    when: When = Field(default_factory=ALWAYS)
    status: Status
    source: str


class Province(Strict, r.Province):
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
    systems: dict[str, str] = {}
    agencies: dict[str, str] = {}
    noi_nhan: list[Recipient] | None = None
    drafting_unit: str = "NC"
    #: the province's own yearly CCHC plans (instruments of legal_refs/provinces/<id>.yaml), which the
    #: plans of its communes for that year implement ("Thực hiện Kế hoạch số …")
    plans: list["ProvincePlan"] = []
    #: the province's own rules, merged over the national pack by rule id (see drafter.layers)
    layer: "Layer" = Field(default_factory=lambda: Layer())
    sources: list[str] = Field(min_length=1)
    note: str | None = None


class ProvincePlan(Strict, r.ProvincePlan):
    """The province's CCHC plan for one plan year, as the registry records it."""

    year: int = Field(ge=2021, le=2035)
    cite: str  # instrument id


class ProvinceTask(Strict, r.ProvinceTask):
    """A local task added to one of the seven areas (e.g. a provincial regulation to keep applying)."""

    id: str
    area: str
    text: str
    when: When = Field(default_factory=ALWAYS)
    after: str | None = None  # place it after (or before) this task; default: at the end of its area
    before: str | None = None


# --------------------------------------------------------------------------- layers and shape


class Placed(Strict, r.Placed):
    """Where an overlay rule goes when it is new, or moves to when it replaces one: after or before
    a sibling rule of the same list (default: where the replaced rule was, or at the end)."""

    after: str | None = None
    before: str | None = None


class LayerNode(Node, Placed, r.LayerNode):
    """A body node of a layer. Same id as a national node: replaces it (with its children);
    a new id: added under `parent` (a node id; default: top level)."""

    parent: str | None = None


class LayerTarget(Target, Placed, r.LayerTarget):
    pass


class LayerResponsibility(Responsibility, Placed, r.LayerResponsibility):
    pass


class LayerItem(ResponsibilityItem, Placed, r.LayerItem):
    """An item added to (or replacing one of) a national block of Tổ chức thực hiện."""

    block: str


class LayerRow(AppendixRow, Placed, r.LayerRow):
    pass


class Drop(Strict, r.Drop):
    """A national rule this province leaves out, and why (the reason is kept in provenance)."""

    id: str
    reason: str = Field(min_length=3)
    when: When = Field(default_factory=ALWAYS)  # e.g. only for the plans the province's own plan covers


class AppendixColumn(Strict, r.AppendixColumn):
    """One column of the appendix table: `key` names the row field it shows; `label` is its header
    (a Jinja text); `default` fills rows that give no value (e.g. "Năm {{ year }}")."""

    key: Literal["tt", "target", "task", "detail", "product", "lead", "coop", "start", "deadline", "funding",
                 "note"]
    label: str
    width: float = Field(gt=0, le=20)  # cm
    default: str = ""
    align: Literal["left", "center"] = "left"


class Shape(Strict, r.Shape):
    """The plan's own shape: which top-level sections, in what order, under which headings; how the
    agency blocks of Tổ chức thực hiện are numbered; and the appendix's columns."""

    sections: list[str] | None = None  # top-level body node ids, in order
    headings: dict[str, str] = {}  # node id -> heading text, where the province words it otherwise
    responsibility_number: str | None = None  # Jinja: "{{ n }}. " or "{{ parent }}.{{ n }}. "
    appendix_columns: list[AppendixColumn] | None = None
    #: the legal bases one paragraph each (seed 002), or joined in one paragraph (seeds 000, 004) worded
    #: by the label `can_cu_list`
    preamble: Literal["each", "joined"] | None = None


class Layer(Strict, r.Layer):
    """A province's overlay of the national pack. Each list merges by rule id: same id replaces,
    a new id adds, `drop` removes (with a reason)."""

    shape: Shape = Field(default_factory=lambda: Shape())
    labels: dict[str, str] = {}
    body: list[LayerNode] = []
    tasks: list[ProvinceTask] = []
    targets: list[LayerTarget] = []
    #: the province's own figures for targets of the national pack (target id -> dated values); for
    #: the years they are set for they take precedence over a national end point
    values: dict[str, list[DatedValue]] = {}
    responsibilities: list[LayerResponsibility] = []
    items: list[LayerItem] = []
    rows: list[LayerRow] = []
    drop: list[Drop] = []
    #: how the province issues its plan, by date (the first that applies; else the national `kh`)
    forms: list["FormChoice"] = []
    #: the province's own facts about its departments (their units, signers), over the national profiles
    #: of rulepacks/department/pack.yaml
    departments: list["DepartmentLocal"] = []


class FormChoice(Strict, r.FormChoice):
    """A province's form of issuing the plan: a document kind of rulepacks/kinds.yaml, and who issues
    it: the Chủ tịch (`chu_tich`) or the Ủy ban nhân dân as a collective body (`ubnd`)."""

    form: str
    issuer: Literal["chu_tich", "ubnd"] = "chu_tich"
    #: the province's own wording of this form (over the kind's labels)
    labels: dict[str, str] = {}
    when: When = Field(default_factory=ALWAYS)
    source: str | None = None


# --------------------------------------------------------------------------- local layers (drafter import)


class ProfileOverlay(Strict, r.ProfileOverlay):
    """What a local layer replaces in a province's profile: the fields it gives (not None)."""

    signers: list[Signer] | None = None
    programmes: list[PreambleItem] | None = None
    noi_nhan: list[Recipient] | None = None
    drafting_unit: str | None = None
    agencies: dict[str, str] = {}
    systems: dict[str, str] = {}


class Overlay(Strict, r.Overlay):
    """A local layer (a file of a layers folder, written by `drafter import`): a province's own plan as
    its last signed plan shows it, over the shipped profile and layer. Its rules merge over the
    province's layer by rule id; its instruments join the registry (status P: seen in one plan)."""

    province: str
    source: str  # the plan it was read from: file name, number and date
    imported: dt.date | None = None
    profile: ProfileOverlay = Field(default_factory=lambda: ProfileOverlay())
    layer: "Layer" = Field(default_factory=lambda: Layer())
    instruments: list[Instrument] = []


# --------------------------------------------------------------------------- document kinds


class Kind(Strict, r.Kind):
    """A document kind, declared in rulepacks/kinds.yaml: its template, rule pack, builder and the
    names its template may use."""

    id: str
    title: str
    template: str
    pack: str  # folder under rulepacks/
    builder: Literal["plan", "decision", "commune", "department"]
    file_name: str  # Python format: {year}, {unit}
    template_names: list[str] = Field(min_length=1)
    call_labels: list[str] = []  # labels rendered per use with their own arguments
    #: the kind's own wording: added to the labels of document.yaml, and taking precedence
    labels: dict[str, str] = {}
    #: legal bases the kind cites before the plan's own (a QĐ's competence: the law on local government)
    preamble: list[PreambleItem] = []
    #: the kind's own Nơi nhận (a QĐ: "Như Điều 3;" …), instead of the province's or the national list
    noi_nhan: list[Recipient] | None = None
    #: a department's plan (builder `department`): the value of `drafter new --agency A --kind K` that picks it
    option: str | None = None


# --------------------------------------------------------------------------- rule packs of their own


class PackNode(Strict, r.PackNode):
    """One block of the body of a pack's document (rulepacks/<pack>/pack.yaml). The kinds of a body
    Node, and two more: `sub` ("+ …" under a bullet, seed 001) and `target`: a target of the province's
    plan (`target:` its id), worded for the unit, printed with the province's figure for the year."""

    id: str
    kind: Literal["muc", "khoan", "diem", "para", "bullet", "sub", "note", "target"]
    text: str
    target: str | None = None
    items: list["PackNode"] = []
    when: When = Field(default_factory=ALWAYS)
    #: why the rule is there (kept in the data, not printed)
    note: str | None = None

    @model_validator(mode="after")
    def _shape(self) -> "PackNode":
        if (self.kind == "target") != (self.target is not None):
            raise ValueError("`target:` goes with kind target, and kind target needs `target:` (a target id)")
        return self


class PackScope(Strict, r.PackScope):
    """When the pack's document exists (drafting date, plan year), and why not otherwise."""

    when: When
    reason: str = Field(min_length=3)


class Pack(Strict, r.Pack):
    """The rule pack of a document drafted for a unit below the province: the commune plan
    (rulepacks/commune/pack.yaml). Its labels go over document.yaml's; its body is the whole document."""

    scope: PackScope
    #: a target of the province's plan is the unit's when its responsibility names one of these roles
    assigned_roles: list[str] = Field(min_length=1)
    labels: dict[str, str] = {}
    noi_nhan: list[Recipient]
    body: list[PackNode] = Field(min_length=1)


# --------------------------------------------------------------------------- a department's plans


class DeptNode(Strict, r.DeptNode):
    """One block of a department's plan (rulepacks/department/pack.yaml). The kinds of a pack's body, and:
    `item` (a khoản without a title: numbered as one, in body text, not bold (ND 30));
    `activity` (an activity of the plan, numbered as a khoản, then "- Đơn vị chủ trì thực hiện: …",
    "- Đơn vị phối hợp: …", "- Thời gian thực hiện: …" from `lead`, `coop` (unit slots of the agency's
    profile or the pack's shared units) and `time`); and three places where the agency's own rules go:
    `rows` (the provincial plan's rows it leads or cooperates on, by area), `duties` (the items of its block
    in the provincial plan's Tổ chức thực hiện) and `activities` (its profile's own activities)."""

    id: str
    kind: Literal["muc", "khoan", "item", "diem", "para", "bullet", "sub", "note", "activity", "rows", "duties",
                  "activities"]
    text: str = ""
    lead: list[str] = []
    coop: list[str] = []
    time: str | None = None
    items: list["DeptNode"] = []
    when: When = Field(default_factory=ALWAYS)
    #: what the reader must check in this block (a Jinja text): its text is highlighted with this comment
    check: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _shape(self) -> "DeptNode":
        if self.kind == "activity" and (not self.lead or self.time is None):
            raise ValueError("kind activity needs `lead:` (unit slots) and `time:`")
        if self.kind not in ("rows", "duties", "activities") and not self.text:
            raise ValueError(f"kind {self.kind} needs `text`")
        return self


class DeptUnit(Strict, r.DeptUnit):
    """An internal unit of a department (Văn phòng Sở, Phòng …, Chi cục …, Trung tâm …), under a slot id
    that activities and assignments name. `status` says whether its name was seen in a source for that
    period (V), partly (P) or not (U); an unverified name is highlighted where it prints."""

    id: str
    name: str
    #: its short form in the "Lưu:" line ("VP", "HCTH")
    abbr: str | None = None
    status: Status = "U"
    source: str | None = None
    note: str | None = None
    when: When = Field(default_factory=ALWAYS)


class DeptProfile(Strict, r.DeptProfile):
    """A department (a role of agencies.yaml) as its own plans present it: the abbreviation of its
    ký hiệu ("SKHCN"), its head's and deputy's titles, how texts call it for short ("Sở"), its units, which
    unit answers for each area's rows (`assign`: area id or row id -> unit slot) and its own activities.
    The national default; a province's layer adds to it (`layer.departments`)."""

    role: str
    abbreviations: list[Named] = Field(min_length=1)
    head: str = "Giám đốc"
    deputy: str = "Phó Giám đốc"
    short: str = "Sở"
    units: list[DeptUnit] = Field(min_length=1)
    assign: dict[str, str] = {}
    activities: list[DeptNode] = []
    when: When = Field(default_factory=ALWAYS)
    sources: list[str] = []
    note: str | None = None


class DeptDocument(Strict, r.DeptDocument):
    """One kind of a department's plan: its labels (over the pack's), Nơi nhận and body."""

    labels: dict[str, str] = {}
    noi_nhan: list[Recipient]
    body: list[DeptNode] = Field(min_length=1)


class DepartmentPack(Strict, r.DepartmentPack):
    """rulepacks/department/pack.yaml: the plans a department (sở, ban, ngành) issues to implement the
    province's plan: its own CCHC plan and its CCHC propaganda plan (document kinds by id)."""

    scope: PackScope
    #: roles that name every department: a row they lead (or cooperate on) is each department's
    groups: list[str] = []
    labels: dict[str, str] = {}
    #: which unit slot answers for an area's rows by default (a profile's `assign` goes first)
    area_units: dict[str, str] = {}
    #: units every department has or that texts name as a group ("Các phòng, đơn vị thuộc Sở")
    shared_units: list[DeptUnit] = []
    documents: dict[str, DeptDocument] = Field(min_length=1)
    profiles: list[DeptProfile] = Field(min_length=1)


class DepartmentLocal(Strict, r.DepartmentLocal):
    """A province's own facts about one of its departments: units (a same id replaces the national one),
    assignments, activities and signers."""

    role: str
    units: list[DeptUnit] = []
    assign: dict[str, str] = {}
    activities: list[DeptNode] = []
    signers: list[Signer] = []
    source: str | None = None


# Forward references (ProvinceTask, PreambleItem, Node) resolve when a model is first built
# (defer_build), so no model_rebuild() here: a run served from the cache builds none of them.
