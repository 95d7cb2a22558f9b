"""Turn a past plan (importer.model.PastPlan) into a local layer for its province, and a review of what
was decided for each item.

What the plan says that the national pack (and the province's shipped layer) already says is
recognised and not repeated; what it words its own way keeps the province's wording under the same
rule id; what it adds is kept as the province's own. Years move on: the old plan year becomes
`{{ year }}`, the year before `{{ prev_year }}`, while ranges ("giai đoạn 2021-2025") stay. Figures
are never carried silently: each becomes a value for the old year, which the next draft shows as a
marked blank with last year's figure as the hint. Everything imported is status P (seen in one plan).
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .. import models as m
from .. import pipeline, selection
from ..context import PlanContext
from ..loader import DataSet
from .model import Instrument, Node, PastPlan, Source
from .text import fold

#: How alike two texts must be (difflib ratio on folded text, years and figures removed) to be one rule.
SAME = 0.86
#: Below SAME but above this, the province words a national rule its own way: kept under its id.
REWORDED = 0.72

_NATIONAL_WIDTH = {"tt": 1.2, "target": 4.0, "task": 6.5, "detail": 4.0, "product": 3.0, "lead": 3.2,
                   "coop": 3.8, "start": 2.2, "deadline": 2.4, "funding": 2.6, "note": 1.8}
_CENTRED = {"tt", "start", "deadline"}


@dataclass
class Decision:
    part: str  # Căn cứ, Mục tiêu, Nhiệm vụ, Tổ chức thực hiện, Phụ lục, Nơi nhận, Ký
    where: str
    text: str
    decision: str  # matched, reworded, local, dropped, figure, kept
    rule: str = ""  # the rule id it became or matched
    confirm: str = ""  # what the officer must confirm


@dataclass
class Imported:
    overlay: dict[str, Any]
    decisions: list[Decision] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def count(self, decision: str) -> int:
        return sum(1 for d in self.decisions if d.decision == decision)


# -- texts ---------------------------------------------------------------------------------------------

# a year standing alone, or ending a month, quarter or date ("01/2022", "Quý IV/2022", "31/01/2022"); not
# the year inside a number ("18/2021/QĐ-UBND") or a range
_YEAR = re.compile(r"(?<![\d.\-–])(20\d\d)(?![\d/])")
_RANGE = re.compile(r"20\d\d\s*[-–—]\s*20\d\d")
# the date of a cited instrument stays as it is: "số 1085/QĐ-TTg ngày 15/9/2022", "… ngày 15 tháng 9 năm 2022"
_CITED_DATE = re.compile(r"số\s+\S+\s+ngày\s+(?:\d{1,2}/\d{1,2}/20\d\d|\d{1,2}\s+tháng\s+\d{1,2}\s+năm\s+20\d\d)",
                         re.IGNORECASE)


def yearly(text: str, old: int) -> str:
    """`text` as a data text for any year: Jinja braces escaped, the old plan year → {{ year }}, the
    year before → {{ prev_year }}, the year after → {{ next_year }}; ranges, the dates of cited
    instruments and other years stay."""
    text = re.sub(r"[{}]", lambda mt: "{{ '%s' }}" % mt.group(), text)  # braces as text, not Jinja
    kept = [(mt.start(), mt.end()) for rx in (_RANGE, _CITED_DATE) for mt in rx.finditer(text)]

    def swap(mt: re.Match) -> str:
        if any(a <= mt.start() < b for a, b in kept):
            return mt.group()
        y = int(mt.group(1))
        return {old: "{{ year }}", old - 1: "{{ prev_year }}", old + 1: "{{ next_year }}"}.get(y, mt.group())

    return _YEAR.sub(swap, text)


#: Abbreviations plans use for the words the pack spells out, for comparing only.
_ABBREVIATIONS = {"QPPL": "QUY PHAM PHAP LUAT", "TTHC": "THU TUC HANH CHINH", "CCHC": "CAI CACH HANH CHINH",
                  "UBND": "UY BAN NHAN DAN", "HDND": "HOI DONG NHAN DAN", "DVC": "DICH VU CONG",
                  "CNTT": "CONG NGHE THONG TIN", "CBCCVC": "CAN BO CONG CHUC VIEN CHUC"}


@lru_cache(maxsize=4096)
def _key(text: str) -> tuple[str, ...]:
    """For comparing texts across years and figures: the folded words."""
    words = re.sub(r"[\d%.,;:()/-]+", " ", fold(text)).split()
    return tuple(w for word in words for w in _ABBREVIATIONS.get(word, word).split())


def slug(text: str) -> str:
    """An id part from a number as written: "05-ĐA/TU" -> "05-da-tu"."""
    return re.sub(r"[^a-z0-9]+", "-", fold(text).lower()).strip("-")


def _ratio(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, _key(a), _key(b), autojunk=False).ratio()


def _best(text: str, candidates: list[tuple[str, str]]) -> tuple[str | None, float]:
    """(id, ratio) of the candidate (id, text) most like `text`, word by word (a character-level
    comparison of every pair costs seconds on a real plan)."""
    best: tuple[str | None, float] = (None, 0.0)
    words = _key(text)
    sm = difflib.SequenceMatcher(None, autojunk=False)
    sm.set_seq2(words)
    for ident, cand in candidates:
        sm.set_seq1(_key(cand))
        if sm.real_quick_ratio() <= best[1] or sm.quick_ratio() <= best[1]:
            continue
        r = sm.ratio()
        if r > best[1]:
            best = (ident, r)
    return best


def _sentence(text: str, unit: m.Province) -> str:
    """A trích yếu extracted in capitals ("CẢI CÁCH HÀNH CHÍNH TỈNH NAM ĐỊNH NĂM 2021") in sentence case."""
    if text != text.upper():
        return text
    low = text.lower()
    for proper in (unit.official_name, unit.name):
        low = re.sub(re.escape(proper.lower()), proper, low)
    return low[:1].upper() + low[1:]


# -- the mapping ---------------------------------------------------------------------------------------

class _Mapper:
    def __init__(self, plan: PastPlan, data: DataSet, unit: m.Province, year: int, as_of: dt.date) -> None:
        self.plan, self.data, self.unit, self.year, self.as_of = plan, data, unit, year, as_of
        self.old = plan.plan_year or (year - 1)
        self.pid = unit.id
        self.out = Imported(overlay={})
        self.ctx: PlanContext = pipeline.plan_context(data, unit.name, year, as_of, kind="kh")
        self.source = self._source_line()
        self.signed_on = plan.header.date or dt.date(self.old - 1, 12, 31)
        self._ids: dict[str, int] = {}
        self.roles = self._roles()
        self.local_agencies: dict[str, str] = {}

    def _source_line(self) -> str:
        h = self.plan.header
        number = h.number or "…/KH-UBND"
        date = f" ngày {h.date:%d/%m/%Y}" if h.date else " (chưa ký)"
        return f"{self.plan.name}: Kế hoạch số {number}{date}"

    def ident(self, what: str) -> str:
        n = self._ids[what] = self._ids.get(what, 0) + 1
        return f"{self.pid}-{what}-{n}"

    def note(self, part: str, src: Source | None, text: str, decision: str, rule: str = "", confirm: str = "") -> None:
        self.out.decisions.append(Decision(part, src.where if src else "", text[:160], decision, rule, confirm))

    # agencies: every name a role has had -> role (a plan of 2021 names agencies merged in 2025: their
    # roles resolve to the successor at the new drafting date)
    def _roles(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for role in self.data.agencies:
            try:
                name = selection.agency_name(self.data, self.unit, role, self.as_of, self.year)
            except Exception:  # a role that no longer exists: named below by its old names
                continue
            out.setdefault(" ".join(_key(name)), role)
        for role, agency in self.data.agencies.items():
            for named in agency.names:
                out.setdefault(" ".join(_key(named.name.replace("{{ tinh }}", self.unit.kind))), role)
        for role, name in self.unit.agencies.items():
            out[" ".join(_key(name))] = role
        return out

    def merged(self, role: str) -> str | None:
        """The agency a role of the old plan is merged into by the new drafting date, if it is."""
        agency = self.data.agencies.get(role)
        if agency is None or agency.until is None or self.as_of < agency.until:
            return None
        try:
            return selection.agency_name(self.data, self.unit, role, self.as_of, self.year)
        except Exception:
            return None

    def reorganised(self) -> None:
        """A plan from before the 2025 reorganisation: the units the new one was formed from, every
        "huyện" the plan mentions and every department since merged, for the officer to rewrite."""
        if not self.unit.formed_from and self.as_of < dt.date(2025, 7, 1):
            return
        if self.unit.formed_from:
            names = ", ".join(self.data.provinces[i].official_name for i in self.unit.formed_from
                              if i in self.data.provinces)
            self.out.notes.append(f"{self.unit.official_name} được hình thành từ {names} (01/7/2025); kế hoạch cũ "
                                  f"là của {self.plan.header.province or 'một trong các tỉnh đó'}.")
        if self.as_of < dt.date(2025, 7, 1):
            return
        for node in (n for top in self.plan.body for n in top.walk()):
            if re.search(r"\bhuyện\b", node.text, re.IGNORECASE):
                self.note("Sau sắp xếp 2025", node.source, node.text, "kept", "",
                          "không còn cấp huyện từ 01/7/2025: viết lại cho cấp xã")
        seen: set[str] = set()
        for block in self.plan.agency_blocks:
            role = self.roles.get(" ".join(_key(block.agency)))
            successor = self.merged(role) if role else None
            if successor and role not in seen:
                seen.add(role)
                self.note("Sau sắp xếp 2025", block.source, block.agency, "kept", role,
                          f"đã hợp nhất: nay là {successor}")

    def role(self, name: str) -> str:
        """The role of an agency named in the plan ("Văn phòng UBND tỉnh" is the pack's van_phong_ubnd); a
        name drafter does not know becomes a local agency of the province."""
        name = name.strip(" ;,.-–")
        key = " ".join(_key(name))
        if key in self.roles:
            return self.roles[key]
        near = difflib.get_close_matches(key, list(self.roles), n=1, cutoff=0.88)
        if near:
            return self.roles[near[0]]
        role = self.ident("ag").replace("-", "_")
        self.roles[key] = role
        self.local_agencies[role] = name
        return role

    def roles_of(self, cell: str) -> list[str]:
        # agencies are listed with ";" or a new line, sometimes with "," before the next agency's name
        parts = [p for p in re.split(r"\s*;\s*|\n|,\s*(?=(?:Sở|Ban|UBND|Ủy ban|Văn phòng|Công an|Cục|Kho bạc|"
                                     r"Bảo hiểm|Đài|Trường|Thanh tra)\s)", cell) if p.strip(" ;,.-")]
        return list(dict.fromkeys(self.role(p) for p in parts))

    # -- parts
    def instruments(self) -> list[dict[str, Any]]:
        """The preamble: national instruments are the pack's (not repeated); local ones join the registry
        as status P and are cited, unless expired by the new drafting date."""
        programmes, records = [], []
        by_number = {fold(ins.number): ins for ins in self.data.instruments.values()}
        seen: set[str] = set()
        for item in self.plan.preamble:
            ins = item.instrument
            if ins is None or not ins.number:
                self.note("Căn cứ", item.source, item.text, "kept" if ins is None else "dropped",
                          confirm="không nêu số văn bản: thêm vào căn cứ nếu còn dùng")
                continue
            known = by_number.get(fold(ins.number))
            if known is not None:
                current = selection.effective(self.data, known.id, self.as_of)
                if not ins.local:
                    self.note("Căn cứ", item.source, item.text, "matched", known.id)
                    continue
                if current.id != known.id or not selection.in_force(current, self.as_of):
                    self.note("Căn cứ", item.source, item.text, "dropped", known.id,
                              f"đã được thay thế hoặc hết hiệu lực trước {self.as_of:%d/%m/%Y}")
                    continue
                ident = known.id
            else:
                if not ins.local:
                    self.note("Căn cứ", item.source, item.text, "kept", "",
                              "văn bản trung ương chưa có trong registry: bổ sung vào legal_refs/ nếu kế hoạch mới vẫn căn cứ")
                    continue
                expired = self._expired(ins)
                if expired:
                    self.note("Căn cứ", item.source, item.text, "dropped", "", expired)
                    continue
                ident = f"{self.pid}-{slug(ins.number)}"
                if ident not in seen:
                    records.append(self._record(ident, ins))
            if ident in seen:
                continue
            seen.add(ident)
            programmes.append({"id": f"{self.pid}-pre-{len(programmes) + 1}", "cite": ident})
            self.note("Căn cứ", item.source, item.text, "local", ident, "xác nhận văn bản còn hiệu lực, đúng số, ngày")
        # the province's other instruments (cited in the body or the appendix) join its registry too, for
        # texts to cite; they are not legal bases of the new plan
        recorded = {r["id"] for r in records}
        for c in self.plan.citations:
            ins = c.instrument
            if c.part == "preamble" or not ins.local or not ins.number or fold(ins.number) in by_number:
                continue
            ident = f"{self.pid}-{slug(ins.number)}"
            if ident in recorded:
                continue
            recorded.add(ident)
            records.append(self._record(ident, ins))
            self.note("Văn bản của tỉnh", c.source, ins.text, "kept", ident, "xác nhận số, ngày, trích yếu")
        self.records = records
        return programmes

    def _expired(self, ins: Instrument) -> str:
        period = re.search(r"giai đoạn\s*(20\d\d)\s*[-–—]\s*(20\d\d)", ins.title or "")
        if period and int(period.group(2)) < self.year:
            return f"kế hoạch giai đoạn đã kết thúc năm {period.group(2)}: không còn là căn cứ cho năm {self.year}"
        single = re.search(r"năm\s*(20\d\d)\b", ins.title or "")
        if single and int(single.group(1)) < self.year and "giai đoạn" not in (ins.title or ""):
            return f"văn bản cho năm {single.group(1)}: không còn là căn cứ cho năm {self.year}"
        return ""

    def _record(self, ident: str, ins: Instrument) -> dict[str, Any]:
        unverified = [f for f, v in (("signed", ins.date), ("title", ins.title), ("issuer", ins.issuer)) if not v]
        rec: dict[str, Any] = {"id": ident, "number": ins.number, "kind": ins.kind,
                               "issuer": ins.issuer or "Ủy ban nhân dân tỉnh", "title": ins.title or ins.text}
        if ins.date:
            rec["signed"] = ins.date
        rec.update({"province": self.pid, "sources": [self.source], "status": "P",
                    "unverified": sorted(set(unverified) | {"effective"}),
                    "note": "Đọc từ kế hoạch cũ của tỉnh (drafter import); chưa đối chiếu văn bản gốc."})
        return rec

    def targets(self) -> tuple[dict[str, list], list[dict[str, Any]]]:
        """Targets with a figure: a national one gets last year's figure as a value for the old year (the
        next draft shows a marked blank with it as the hint); the province's own become local targets."""
        national = [(p.source.id, p.text) for p in self.ctx.body if p.source.kind == "target"]
        values: dict[str, list] = {}
        local: list[dict[str, Any]] = []
        for t in self.plan.targets:
            if not t.figures:
                continue
            figure = t.figures[0].text
            value = {"from": self.signed_on,
                     "value": re.sub(r"^(tối thiểu|ít nhất|trên|đạt)\s+", "", figure, flags=re.IGNORECASE),
                     "for_year": self.old, "status": "P", "source": self.source}
            ident, ratio = _best(t.text, national)
            if ident and ratio >= REWORDED:
                values.setdefault(ident, []).append(value)
                self.note("Mục tiêu", t.source, t.text, "figure", ident,
                          f"chỉ tiêu năm {self.old}: {figure}; điền chỉ tiêu năm {self.year}")
                continue
            text = yearly(t.text.replace(figure, "\x00", 1), self.old).replace("\x00", "{{ value }}")
            rid = self.ident("target")
            local.append({"id": rid, "area": self._area_of(t.text), "text": text,
                          "responsibility": yearly(t.responsibility or "", self.old) or "Các cơ quan, đơn vị thực hiện.",
                          "values": [value]})
            self.note("Mục tiêu", t.source, t.text, "local", rid, f"chỉ tiêu riêng của tỉnh; năm {self.old}: {figure}")
        return values, local

    def _area_of(self, text: str) -> str:
        areas = [(a.id, f"{a.title} {a.appendix_title}") for a in self.data.areas]
        ident, _ = _best(text, areas)
        return ident or self.data.areas[-1].id

    def tasks(self) -> list[dict[str, Any]]:
        """II. Nhiệm vụ: under each area heading, the tasks the pack already has are recognised; a task
        worded the province's own way keeps its wording under the pack's id; a new task is the province's."""
        section = self.plan.section("tasks")
        if section is None:
            return []
        national = {(p.source.id): p.text.removeprefix("- ") for p in self.ctx.body if p.source.kind == "task"}
        task_area = {t.id: ra.area.id for ra in self._areas() for t in ra.tasks}
        out = []
        for head in section.children:
            if head.kind not in ("khoan", "diem"):
                continue
            area = self._area_of(head.text)
            for node in head.walk():
                if node is head or node.kind not in ("bullet", "diem", "para", "khoan") or len(node.text) < 25:
                    continue
                ident, ratio = _best(node.text, [(i, t) for i, t in national.items() if task_area.get(i) == area])
                if ident and ratio >= SAME:
                    self.note("Nhiệm vụ", node.source, node.text, "matched", ident)
                    continue
                if ident and ratio >= REWORDED:
                    out.append({"id": ident, "area": task_area[ident], "text": yearly(node.text, self.old)})
                    self.note("Nhiệm vụ", node.source, node.text, "reworded", ident, "giữ cách diễn đạt của tỉnh")
                    continue
                rid = self.ident("task")
                out.append({"id": rid, "area": area, "text": yearly(node.text, self.old)})
                self.note("Nhiệm vụ", node.source, node.text, "local", rid, "nhiệm vụ riêng của tỉnh: còn thực hiện?")
        return out

    def _areas(self):
        return pipeline.snapshot(self.data, self.unit.name, self.year, self.as_of, kind="kh").areas

    def responsibilities(self) -> list[dict[str, Any]]:
        """Tổ chức thực hiện: each agency block; a block of an agency the pack has keeps the province's
        items under the pack's id."""
        national = [(p.source.id, p.text) for p in self.ctx.body
                    if p.source.kind == "responsibility" and p.kind in ("khoan", "para")]
        out = []
        for block in self.plan.agency_blocks:
            ident, ratio = _best(block.agency, [(i, re.sub(r"^[\d.]+\s*", "", t).split(":")[0]) for i, t in national])
            items = [{"id": f"{ident or 'x'}-{self.pid}-{k}", "text": yearly(n.text, self.old)}
                     for k, n in enumerate((n for n in block.items if n.text.strip()), 1)]
            if not items:
                continue
            if ident and ratio >= SAME:
                rid = ident
                self.note("Tổ chức thực hiện", block.source, block.agency, "reworded", rid,
                          "nhiệm vụ của cơ quan theo kế hoạch cũ của tỉnh")
            else:
                rid = self.ident("block")
                self.note("Tổ chức thực hiện", block.source, block.agency, "local", rid, "tên cơ quan sau sắp xếp?")
            for it in items:
                it["id"] = f"{rid}-i{it['id'].rsplit('-', 1)[-1]}"
            out.append({"id": rid, "heading": yearly(block.agency, self.old), "items": items})
        return out

    def appendix(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]] | None]:
        app = self.plan.appendix
        if app is None:
            return [], None
        national = [(r.source.id, " ".join(run.text for run in r.cells.get("task", []))) for r in self.ctx.appendix
                    if r.kind == "task"]
        row_area = {r.id: r.area for r in self.data.rows}
        areas = app.areas  # the area rows, repeats after a page break left out: AppendixRow.area indexes these
        out = []
        for row in app.rows:
            if row.kind != "task":
                continue
            cells = {c.key: c.text for c in row.cells}
            task = cells.get("task") or row.text
            if not task.strip():
                continue
            area_title = areas[row.area].text if row.area is not None and row.area < len(areas) else task
            area = self._area_of(area_title)
            ident, ratio = _best(task, national)
            if ident and ratio >= SAME and not cells.get("detail"):
                self.note("Phụ lục", row.source, task, "matched", ident)
                continue
            rid = ident if ident and ratio >= REWORDED else self.ident("row")
            lead = self.roles_of(cells.get("lead", "")) or ["cac_co_quan_lien_quan"]
            rec: dict[str, Any] = {"id": rid, "area": row_area.get(rid, area), "task": yearly(task, self.old),
                                   "product": yearly(cells.get("product", ""), self.old), "lead": lead,
                                   "coop": self.roles_of(cells.get("coop", "")),
                                   "deadline": yearly(cells.get("deadline", ""), self.old)}
            for key in ("target", "detail", "start", "funding", "note"):
                if cells.get(key):
                    rec[key] = yearly(cells[key], self.old)
            out.append(rec)
            shown = f"{task} — {cells['detail']}" if cells.get("detail") else task  # a merged task cell repeats
            self.note("Phụ lục", row.source, shown, "reworded" if rid == ident else "local", rid,
                      "thời gian, cơ quan chủ trì năm mới" if rid != ident else "giữ cách diễn đạt của tỉnh")
        columns = None
        if app.columns:
            total = sum(_NATIONAL_WIDTH.get(c.key, 2.5) for c in app.columns)
            columns = [{"key": c.key, "label": yearly(c.label, self.old),
                        "width": round(_NATIONAL_WIDTH.get(c.key, 2.5) * 25.2 / total, 2),
                        **({"align": "center"} if c.key in _CENTRED else {})}
                       for c in app.columns if c.key in _NATIONAL_WIDTH]
        return out, columns

    def profile(self) -> dict[str, Any]:
        prof: dict[str, Any] = {}
        sig = self.plan.signature
        if sig.name:
            authority = "KT" if sig.deputy and sig.deputy.startswith("KT") else "TM"
            prof["signers"] = [{"authority": authority, "title": sig.title or "CHỦ TỊCH", "name": sig.name,
                                "status": "P", "source": self.source}]
            self.note("Ký", sig.source, f"{sig.deputy or sig.authority or ''} {sig.title or ''} {sig.name}".strip(),
                      "kept", f"{self.pid}.signers", "người ký năm mới")
        rec = self.plan.recipients
        if rec.lines:
            prof["noi_nhan"] = [{"text": yearly(line, self.old)} for line in rec.lines]
            for line in rec.lines:
                self.note("Nơi nhận", rec.source, line, "kept")
        return prof

    def labels(self) -> dict[str, str]:
        out: dict[str, str] = {}
        if self.plan.title.summary:
            out["trich_yeu"] = yearly(_sentence(self.plan.title.summary, self.unit), self.old)
        if self.plan.enacting:
            out["ban_hanh"] = yearly(self.plan.enacting, self.old)
        if self.plan.recipients.filing:
            out["luu"] = self.plan.recipients.filing if self.plan.recipients.filing.endswith(".") \
                else self.plan.recipients.filing + "."
        return out


def build(plan: PastPlan, data: DataSet, unit: m.Province, year: int, as_of: dt.date,
          imported: dt.date) -> Imported:
    """The overlay (as YAML-ready data) and the review for `unit`'s plan for `year` from `plan`."""
    mp = _Mapper(plan, data, unit, year, as_of)
    mp.reorganised()
    programmes = mp.instruments()
    values, targets = mp.targets()
    tasks = mp.tasks()
    responsibilities = mp.responsibilities()
    rows, columns = mp.appendix()
    profile = mp.profile()
    if programmes:
        profile["programmes"] = programmes
    if mp.local_agencies:
        profile["agencies"] = mp.local_agencies
    layer: dict[str, Any] = {}
    labels = mp.labels()
    if labels:
        layer["labels"] = labels
    shape: dict[str, Any] = {}
    if columns:
        shape["appendix_columns"] = columns
    if any(re.fullmatch(r"\d+\.\d+\.?", b.label) for b in plan.agency_blocks):
        shape["responsibility_number"] = "{{ parent }}.{{ n }}. "
    if shape:
        layer["shape"] = shape
    for name, value in (("tasks", tasks), ("targets", targets), ("values", values),
                        ("responsibilities", responsibilities), ("rows", rows)):
        if value:
            layer[name] = value
    mp.out.overlay = {"province": unit.id, "source": mp.source, "imported": imported, "profile": profile,
                      "layer": layer, "instruments": mp.records}
    if not plan.signed:
        mp.out.notes.append("Kế hoạch cũ chưa ký (thiếu số, ngày hoặc người ký): chỉ dùng làm mẫu, không ghi ngày.")
    for w in plan.warnings:
        mp.out.notes.append(f"{w.message}" + (f" ({w.source.where})" if w.source else ""))
    return mp.out
