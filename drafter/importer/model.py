"""What the reader finds in a past plan: plain frozen dataclasses. Every item keeps its `Source` (where in
the file it was read and the text as read), so that a review file can show where each fact came from."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Source:
    index: int  # position in reading order over all paragraphs, table-cell paragraphs included (0-based)
    text: str  # the paragraph (or cell) text as read, normalised
    where: str  # for people: "paragraph 12" or "table 3, row 5, cell 2"


@dataclass(frozen=True)
class ReadWarning:
    code: str  # misnumbered, lettering, unsigned, number-recovered, date-recovered, repeated-area, …
    message: str
    source: Source | None = None


@dataclass(frozen=True)
class Header:
    issuer_lines: tuple[str, ...]  # ("ỦY BAN NHÂN DÂN", "TỈNH NAM ĐỊNH"); () when the file has none
    province: str | None  # as written: "NAM ĐỊNH" from "TỈNH NAM ĐỊNH", else the place ("Kon Tum")
    number: str | None  # "117/KH-UBND"; None when the number is blank ("Số: /KH-UBND") and not recovered
    symbol: str | None  # the kind in the number: "KH", "QĐ" (also read from a blank "Số: /KH-UBND")
    place: str | None  # "Nam Định"
    date: dt.date | None  # signing date; None when day or month is blank (an unsigned draft)
    year: int | None  # the year on the date line, even when day and month are blank ("năm 2022")
    number_recovered: bool  # the number was blank in the header and read from `number_source` instead
    date_recovered: bool
    number_source: Source | None
    date_source: Source | None


@dataclass(frozen=True)
class Title:
    kind: str  # tên loại as written: "KẾ HOẠCH"
    summary: str  # trích yếu: "CẢI CÁCH HÀNH CHÍNH TỈNH NAM ĐỊNH NĂM 2021"
    year: int | None  # the plan year, from the trích yếu
    source: Source


@dataclass(frozen=True)
class Instrument:
    text: str  # as written, from the kind to the end of its clause
    kind: str  # Nghị quyết, Chỉ thị, Quyết định, Kế hoạch, Công văn, Văn bản, Đề án, Luật, Thông tư, …
    number: str | None  # "76/NQ-CP", "05-ĐA/TU" (spaces removed); None for a law cited by name and year
    date: dt.date | None
    issuer: str | None  # "Chính phủ", "Ủy ban nhân dân tỉnh", "Tỉnh ủy Tuyên Quang"
    title: str | None  # "ban hành Chương trình tổng thể …", "về việc hướng dẫn …"
    year: int | None  # the year of the date, else of the number ("02/2017/TT-VPCP") or a law's "năm 2015"
    local: bool  # issued in the province (…-UBND, …/TU, a Sở's code, or "… tỉnh" as issuer)


@dataclass(frozen=True)
class PreambleItem:
    verb: str | None  # "Căn cứ", "Thực hiện" (an item of a joined paragraph inherits the paragraph's verb)
    instrument: Instrument | None  # None for a basis that names no instrument ("Căn cứ tình hình thực tế …")
    text: str  # the item as written, without the verb and the separator
    source: Source


@dataclass(frozen=True)
class Citation:
    instrument: Instrument
    source: Source  # where it is cited: the preamble, a body paragraph or an appendix cell
    part: str  # "preamble", "body", "appendix"


@dataclass(frozen=True)
class Node:
    """A paragraph of the body and what it heads. kind: muc (I.), khoan (1., 1.1.), diem (a)), bullet (-, +),
    para (an unnumbered paragraph), note ("(…)" or a footnote text), responsibility (the "* …" line that
    follows a target)."""

    kind: str
    label: str | None  # the numbering as found: "I.", "1.", "1.1.", "a)", "-", "+", "*"
    text: str  # without the label; NFC, single spaces, line breaks joined
    source: Source
    children: tuple[Node, ...] = ()
    expected: str | None = None  # the label the sequence called for, when another was found ("VI." for "V.")
    section: str | None = None  # a heading's part: targets, purpose, tasks, organisation, funding
    word_numbered: bool = False  # the label came from Word's numbering (w:numPr), not from the text

    def walk(self):
        """This node and its descendants, depth first."""
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass(frozen=True)
class Figure:
    text: str  # as written with its qualifier: "tối thiểu 80%", "100%", "1/3"
    value: float | None  # 80.0 for "80%"; None for a fraction or count


@dataclass(frozen=True)
class Target:
    text: str
    figures: tuple[Figure, ...]  # () for a line of the target list that states no figure
    responsibility: str | None  # the line that follows it naming who does it (seed 002), without its "*"
    source: Source
    responsibility_source: Source | None


@dataclass(frozen=True)
class AgencyBlock:
    label: str  # numbering as found: "1.", "1.1.", "9."
    agency: str  # "Sở Nội vụ", "Thủ trưởng các sở, ban, ngành, …" ("Trách nhiệm của" left out)
    items: tuple[Node, ...]  # its paragraphs; text after the name in the heading comes first, as a para node
    source: Source


@dataclass(frozen=True)
class Cell:
    key: str  # the column's key: tt target task detail product lead coop start deadline funding note, else colN
    text: str  # paragraphs of the cell joined by "\n"
    merged: bool = False  # continues a vertical merge: the text is the merged cell's, carried down


@dataclass(frozen=True)
class AppendixColumn:
    key: str
    label: str  # as written: "Cơ quan chủ trì"


@dataclass(frozen=True)
class AppendixRow:
    kind: str  # "area" or "task"
    tt: str | None  # "I", "12" as found; None when the row has no number of its own
    text: str  # area: its title; task: the task (or first filled) cell
    cells: tuple[Cell, ...]  # one per physical cell, keyed by the column where it starts (merged spans once)
    area: int | None  # index into `Appendix.areas` (distinct areas, repeated area rows not counted)
    source: Source
    expected: str | None = None  # area rows: the numeral the sequence called for, when another was found
    repeated: bool = False  # an area row repeating the current area (after a page break)

    def cell(self, key: str) -> str | None:
        return next((c.text for c in self.cells if c.key == key), None)


@dataclass(frozen=True)
class Appendix:
    title_lines: tuple[str, ...]  # ("PHỤ LỤC", "NHIỆM VỤ CỤ THỂ …", "(Kèm theo Kế hoạch số …)")
    reference: str | None  # the "(Kèm theo …)" line
    reference_number: str | None  # "225/KH-UBND" from the reference line
    reference_date: dt.date | None
    columns: tuple[AppendixColumn, ...]
    rows: tuple[AppendixRow, ...]  # area and task rows in order (empty rows and repeated headers left out)
    source: Source

    @property
    def areas(self) -> tuple[AppendixRow, ...]:
        return tuple(r for r in self.rows if r.kind == "area" and not r.repeated)

    @property
    def tasks(self) -> tuple[AppendixRow, ...]:
        return tuple(r for r in self.rows if r.kind == "task")


@dataclass(frozen=True)
class Signature:
    authority: str | None  # "TM. ỦY BAN NHÂN DÂN"
    deputy: str | None  # "KT. CHỦ TỊCH" (also TL., TUQ., Q.)
    title: str | None  # "CHỦ TỊCH", "PHÓ CHỦ TỊCH"
    name: str | None  # "Trần Lê Đoài"; None when unsigned
    source: Source | None


@dataclass(frozen=True)
class Recipients:
    lines: tuple[str, ...]  # each Nơi nhận line as written, without its dash ("Bộ Nội vụ;")
    filing: str | None  # "Lưu: VP1, VP8."
    filing_units: tuple[str, ...]  # ("VP1", "VP8")
    drafting_unit: str | None  # the last unit, without the drafter's initials: "VP8", "NC"
    source: Source | None


@dataclass(frozen=True)
class PastPlan:
    name: str  # the file name given
    header: Header
    title: Title
    preamble: tuple[PreambleItem, ...]
    enacting: str | None  # "UBND tỉnh ban hành Kế hoạch … như sau:"
    enacting_source: Source | None
    body: tuple[Node, ...]  # the mục (and anything before the first mục) in order
    targets: tuple[Target, ...]
    agency_blocks: tuple[AgencyBlock, ...]
    citations: tuple[Citation, ...]  # every instrument cited, preamble included, in reading order
    appendices: tuple[Appendix, ...]
    recipients: Recipients
    signature: Signature
    warnings: tuple[ReadWarning, ...] = field(default=())

    @property
    def plan_year(self) -> int | None:
        return self.title.year

    @property
    def signed(self) -> bool:
        """Numbered, dated and signed by name (a number recovered from the appendix counts)."""
        return bool(self.header.number and self.header.date and self.signature.name)

    @property
    def appendix(self) -> Appendix | None:
        return self.appendices[0] if self.appendices else None

    @property
    def instruments(self) -> tuple[Instrument, ...]:
        """Each instrument cited, once (by number, else by kind and title), in order of first citation."""
        seen: dict[tuple, Instrument] = {}
        for c in self.citations:
            i = c.instrument
            seen.setdefault((i.kind, i.number) if i.number else (i.kind, i.title, i.year), i)
        return tuple(seen.values())

    def sections(self) -> tuple[Node, ...]:
        return tuple(n for n in self.body if n.kind == "muc")

    def section(self, part: str) -> Node | None:
        """The heading of a part (targets, purpose, tasks, organisation, funding): a mục, else a khoản."""
        for depth_kinds in (("muc",), ("khoan",)):
            for top in self.body:
                for n in top.walk():
                    if n.kind in depth_kinds and n.section == part:
                        return n
        return None
