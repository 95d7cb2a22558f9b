"""What changes between two plans, grouped by section, and the newer draft as a Word redline.

`compare` works on two PlanContexts (rule ids pair the paragraphs, so a moved or reworded task is
seen as such); `compare_texts` on two .docx files (paragraphs paired by text similarity).
`redline` writes the newer draft with the differences as real tracked changes (w:ins / w:del, word
level), which Word's Review pane can accept or reject."""

from __future__ import annotations

import copy
import datetime as dt
import difflib
import re
from dataclasses import dataclass, field

from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from .context import Para, PlanContext
from docx.text.paragraph import Paragraph

from .docx_text import blocks, open_docx
from .docx_package import save_deterministic

AUTHOR = "drafter"


@dataclass
class Report:
    sections: dict[str, list[str]] = field(default_factory=dict)

    def add(self, section: str, line: str) -> None:
        self.sections.setdefault(section, []).append(line)

    def lines(self) -> list[str]:
        out = []
        for name, items in self.sections.items():
            out.append(f"== {name} ({len(items)})")
            out += [f"  {x}" for x in items]
        return out or ["no differences"]


def _key(p: Para) -> str:
    # A target gives two paragraphs (its text, then the agencies' note) with one source id.
    return f"{p.source.kind}:{p.source.id}:{p.kind}"


def compare(old: PlanContext, new: PlanContext, instruments: dict) -> Report:
    rep = Report()

    def name(ident: str) -> str:
        ins = instruments.get(ident)
        return f"{ins.kind} {ins.number}" if ins else ident

    for key in ("trich_yeu", "phu_luc_title"):
        if old.labels.get(key) != new.labels.get(key):
            rep.add("Đầu văn bản (heading)", f"~ {_word_diff(old.labels.get(key, ''), new.labels.get(key, ''))}")
    if old.ban_hanh.text != new.ban_hanh.text:
        rep.add("Đầu văn bản (heading)", f"~ {_word_diff(old.ban_hanh.text, new.ban_hanh.text)}")
    old_refs = [r for p in old.preamble for r in p.refs]
    new_refs = [r for p in new.preamble for r in p.refs]
    for r in new_refs:
        if r not in old_refs:
            rep.add("Căn cứ (legal bases)", f"+ {name(r)}")
    for r in old_refs:
        if r not in new_refs:
            rep.add("Căn cứ (legal bases)", f"- {name(r)}")

    old_body = {_key(p): p for p in old.body}
    new_body = {_key(p): p for p in new.body}
    for k, p in new_body.items():
        o = old_body.get(k)
        section = _section_of(new.body, p)
        if o is None:
            rep.add(section, f"+ {p.text}")
        elif o.text != p.text:
            old_vals = {v["target"]: v for v in o.values}
            new_vals = {v["target"]: v for v in p.values}
            changed = False
            for target in dict.fromkeys([*old_vals, *new_vals]):
                ov, nv = old_vals.get(target), new_vals.get(target)
                if (ov and ov["value"]) != (nv and nv["value"]):
                    rep.add("Chỉ tiêu (target values)", f"{target}: {_value(ov, name)} → {_value(nv, name)}")
                    changed = True
            if not changed:
                rep.add(section, f"~ {_word_diff(o.text, p.text)}")
    for k, p in old_body.items():
        if k not in new_body:
            rep.add(_section_of(old.body, p), f"- {p.text}")

    old_rows = [r.source.id for r in old.appendix if r.kind == "task"]
    new_rows = [r.source.id for r in new.appendix if r.kind == "task"]
    texts_new = {r.source.id: r for r in new.appendix}
    texts_old = {r.source.id: r for r in old.appendix}
    for rid in new_rows:
        if rid not in old_rows:
            rep.add("Phụ lục (appendix rows)", f"+ {texts_new[rid].tt}. {_cell(texts_new[rid], 'task')}")
        elif old_rows.index(rid) != new_rows.index(rid):
            rep.add("Phụ lục (appendix rows)", f"moved {texts_old[rid].tt} → {texts_new[rid].tt}: {_cell(texts_new[rid], 'task')}")
        elif _cells(texts_old[rid]) != _cells(texts_new[rid]):
            rep.add("Phụ lục (appendix rows)", f"~ {texts_new[rid].tt}. {_word_diff(' | '.join(_cells(texts_old[rid])), ' | '.join(_cells(texts_new[rid])))}")
    for rid in old_rows:
        if rid not in new_rows:
            rep.add("Phụ lục (appendix rows)", f"- {texts_old[rid].tt}. {_cell(texts_old[rid], 'task')}")
    if old.signature != new.signature:
        rep.add("Ký (signature)", f"{old.signature.name.text} → {new.signature.name.text}")
    return rep


def agency_changes(names_old: dict[str, str], names_new: dict[str, str]) -> list[str]:
    return [f"{names_old[r]} → {names_new[r]}" for r in names_old if r in names_new and names_old[r] != names_new[r]]


def _cell(row, name: str) -> str:
    return "".join(r.text for r in row.cells.get(name, []))


def _cells(row) -> list[str]:
    return ["".join(r.text for r in runs) for runs in row.cells.values()]


def _value(v: dict | None, name) -> str:
    """A target value as the diff shows it: the figure and who set it for which year, or a blank."""
    if v is None:
        return "blank (to fill)"
    who = name(v["basis"]) if v.get("basis") else "the province's own plan"
    return f"{v['value']} ({who}, for {v.get('for_year')})"


def _section_of(body: list[Para], p: Para) -> str:
    current = "Nội dung"
    for q in body:
        if q.kind == "muc":
            current = q.text
        if q is p:
            return current
    return current


TOKEN = re.compile(r"\s+|[^\s]+")


def tokens(text: str) -> list[str]:
    return TOKEN.findall(text)


def _word_diff(a: str, b: str) -> str:
    out = []
    sm = difflib.SequenceMatcher(None, tokens(a), tokens(b), autojunk=False)
    ta, tb = tokens(a), tokens(b)
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op == "equal":
            out.append("".join(ta[i1:i2]))
        if op in ("delete", "replace"):
            out.append("[-" + "".join(ta[i1:i2]) + "-]")
        if op in ("insert", "replace"):
            out.append("{+" + "".join(tb[j1:j2]) + "+}")
    return "".join(out)


# --------------------------------------------------------------------------- two .docx files


def paragraphs_of(data: bytes) -> list[tuple[str, str]]:
    """(style, text) of every non-empty paragraph, body and tables, in order."""
    out = []
    doc = open_docx(data)
    for b in blocks(doc):
        if isinstance(b, Paragraph):
            if b.text.strip():
                out.append((b.style.name, b.text))
        else:
            for row in b.rows:
                texts = []
                for c in row.cells:
                    t = " / ".join(p.text for p in c.paragraphs if p.text.strip())
                    if not texts or texts[-1] != t:
                        texts.append(t)
                out.append(("table", " | ".join(texts)))
    return out


def compare_texts(a: bytes, b: bytes) -> Report:
    rep = Report()
    pa, pb = paragraphs_of(a), paragraphs_of(b)
    ta, tb = [t for _, t in pa], [t for _, t in pb]
    section = "Đầu văn bản"
    sm = difflib.SequenceMatcher(None, ta, tb, autojunk=False)
    heads_b = {i: t for i, (s, t) in enumerate(pb) if s == "KH Muc"}
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        for j in range(j1, j2):
            if j in heads_b:
                section = heads_b[j]
        if op == "equal":
            continue
        if op == "replace" and (i2 - i1) == (j2 - j1):
            for x, y in zip(ta[i1:i2], tb[j1:j2]):
                rep.add(section, f"~ {_word_diff(x, y)}")
            continue
        for x in ta[i1:i2]:
            rep.add(section, f"- {x}")
        for y in tb[j1:j2]:
            rep.add(section, f"+ {y}")
    return rep


# --------------------------------------------------------------------------- redline


class _Ids:
    def __init__(self) -> None:
        self.n = 1000

    def next(self) -> str:
        self.n += 1
        return str(self.n)


def _mark(tag: str, ids: _Ids, when: str) -> OxmlElement:
    el = OxmlElement(tag)
    el.set(qn("w:id"), ids.next())
    el.set(qn("w:author"), AUTHOR)
    el.set(qn("w:date"), when)
    return el


def _run(text: str, rpr, deleted: bool = False):
    r = OxmlElement("w:r")
    if rpr is not None:
        r.append(copy.deepcopy(rpr))
    for i, part in enumerate(text.split("\n")):  # a line break of the paragraph (a two-line trích yếu) stays one
        if i:
            r.append(OxmlElement("w:br"))
        t = OxmlElement("w:delText" if deleted else "w:t")
        t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        t.text = part
        r.append(t)
    return r


def _rewrite(p_el, old: str, new: str, ids: _Ids, when: str) -> None:
    """Replace the runs of paragraph `p_el` (whose text is `new`) with a word-level redline from `old`."""
    runs = [r for r in p_el if r.tag == qn("w:r")]
    rpr = None
    for r in runs:
        cand = r.find(qn("w:rPr"))
        if cand is not None and cand.find(qn("w:rStyle")) is None:
            rpr = cand
            break
    for r in runs:
        p_el.remove(r)
    ta, tb = tokens(old), tokens(new)
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, ta, tb, autojunk=False).get_opcodes():
        if op == "equal":
            p_el.append(_run("".join(tb[j1:j2]), rpr))
            continue
        if op in ("delete", "replace"):
            d = _mark("w:del", ids, when)
            d.append(_run("".join(ta[i1:i2]), rpr, deleted=True))
            p_el.append(d)
        if op in ("insert", "replace"):
            ins = _mark("w:ins", ids, when)
            ins.append(_run("".join(tb[j1:j2]), rpr))
            p_el.append(ins)


def _whole(p_el, ids: _Ids, when: str, deleted: bool) -> None:
    """Mark a whole paragraph inserted (or deleted), including its paragraph mark."""
    ppr = p_el.find(qn("w:pPr"))
    if ppr is None:
        ppr = OxmlElement("w:pPr")
        p_el.insert(0, ppr)
    rpr = ppr.find(qn("w:rPr"))
    if rpr is None:
        rpr = OxmlElement("w:rPr")
        ppr.append(rpr)
    rpr.append(_mark("w:del" if deleted else "w:ins", ids, when))
    for r in [r for r in p_el if r.tag == qn("w:r")]:
        wrap = _mark("w:del" if deleted else "w:ins", ids, when)
        p_el.replace(r, wrap)
        if deleted:
            for t in r.iter(qn("w:t")):
                t.tag = qn("w:delText")
        wrap.append(r)


#: The children of w:settings that come after w:trackRevisions (ECMA-376, CT_Settings).
SETTINGS_AFTER_TRACK_REVISIONS = tuple(f"w:{t}" for t in (
    "doNotTrackMoves", "doNotTrackFormatting", "documentProtection", "autoFormatOverride", "styleLockTheme",
    "styleLockQFSet", "defaultTabStop", "autoHyphenation", "consecutiveHyphenLimit", "hyphenationZone",
    "doNotHyphenateCaps", "showEnvelope", "summaryLength", "clickAndTypeStyle", "defaultTableStyle",
    "evenAndOddHeaders", "bookFoldRevPrinting", "bookFoldPrinting", "bookFoldPrintingSheets",
    "drawingGridHorizontalSpacing", "drawingGridVerticalSpacing", "displayHorizontalDrawingGridEvery",
    "displayVerticalDrawingGridEvery", "doNotUseMarginsForDrawingGridOrigin", "drawingGridHorizontalOrigin",
    "drawingGridVerticalOrigin", "doNotShadeFormData", "noPunctuationKerning", "characterSpacingControl",
    "printTwoOnOne", "strictFirstAndLastChars", "noLineBreaksAfter", "noLineBreaksBefore", "savePreviewPicture",
    "doNotValidateAgainstSchema", "saveInvalidXml", "ignoreMixedContent", "alwaysShowPlaceholderText",
    "doNotDemarcateInvalidXml", "saveXmlDataOnly", "useXSLTWhenSaving", "saveThroughXslt", "showXMLTags",
    "alwaysMergeEmptyNamespace", "updateFields", "hdrShapeDefaults", "footnotePr", "endnotePr", "compat",
    "docVars", "rsids", "mathPr", "attachedSchema", "themeFontLang", "clrSchemeMapping",
    "doNotIncludeSubdocsInStats", "doNotAutoCompressPictures", "forceUpgrade", "captions", "readModeInkLockDown",
    "smartTagType", "schemaLibrary", "shapeDefaults", "doNotEmbedSmartTags", "decimalSymbol", "listSeparator"))


def redline(old_docx: bytes, new_docx: bytes, when: dt.date) -> bytes:
    """The new draft with every paragraph-level difference from the old one as tracked changes."""
    stamp = f"{when.isoformat()}T00:00:00Z"
    ids = _Ids()
    old_doc, new_doc = open_docx(old_docx), open_docx(new_docx)
    olds = [p for p in old_doc.element.body.iter(qn("w:p")) if _text(p).strip()]
    news = [p for p in new_doc.element.body.iter(qn("w:p")) if _text(p).strip()]
    ta, tb = [_text(p) for p in olds], [_text(p) for p in news]
    sm = difflib.SequenceMatcher(None, ta, tb, autojunk=False)
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op == "equal":
            continue
        pairs = _pair(ta[i1:i2], tb[j1:j2])
        used_old: set[int] = set()
        for jb, ia in pairs.items():
            p = news[j1 + jb]
            if ia is None:
                _whole(p, ids, stamp, deleted=False)
            else:
                used_old.add(ia)
                _rewrite(p, ta[i1 + ia], tb[j1 + jb], ids, stamp)
        anchor = news[j2 - 1] if j2 > j1 else (news[j1 - 1] if j1 > 0 else None)
        for ia in range(i2 - i1):
            if ia in used_old:
                continue
            gone = copy.deepcopy(olds[i1 + ia])
            _whole(gone, ids, stamp, deleted=True)
            if anchor is not None:
                anchor.addnext(gone)
                anchor = gone
    _drop_comments(new_doc)
    settings = new_doc.settings.element
    if settings.find(qn("w:trackRevisions")) is None:
        # in the schema's place (CT_Settings): Word repairs a settings part whose children are out of order
        settings.insert_element_before(OxmlElement("w:trackRevisions"), *SETTINGS_AFTER_TRACK_REVISIONS)
    return save_deterministic(new_doc.part.package)


def _drop_comments(doc) -> None:
    """Rewritten and copied paragraphs would leave the drafts' comment anchors broken or doubled; the
    redline is for reading changes, so it keeps the yellow marks but not the comments."""
    body = doc.element.body
    for tag in ("w:commentRangeStart", "w:commentRangeEnd"):
        for el in list(body.iter(qn(tag))):
            el.getparent().remove(el)
    for ref in list(body.iter(qn("w:commentReference"))):
        run = ref.getparent()
        run.getparent().remove(run)
    for rel in list(doc.part.rels.values()):
        if rel.reltype.endswith("/comments"):
            root = rel.target_part.element
            for c in list(root):
                root.remove(c)


def _pair(a: list[str], b: list[str]) -> dict[int, int | None]:
    """For each new paragraph, the most similar unused old one (ratio ≥ 0.5), else None (inserted)."""
    out: dict[int, int | None] = {}
    used: set[int] = set()
    for j, tb in enumerate(b):
        best, score = None, 0.5
        for i, ta in enumerate(a):
            if i in used:
                continue
            s = difflib.SequenceMatcher(None, ta, tb, autojunk=False).ratio()
            if s >= score:
                best, score = i, s
        out[j] = best
        if best is not None:
            used.add(best)
    return out


def _text(p_el) -> str:
    t, br = qn("w:t"), qn("w:br")
    return "".join(el.text or "" if el.tag == t else "\n" for el in p_el.iter(t, br))
