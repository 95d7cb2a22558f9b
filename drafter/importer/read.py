"""Read a past provincial plan (.docx bytes) into a `PastPlan`: header, title, preamble, enacting sentence,
body tree, targets, agency blocks, appendix, Nơi nhận and signature, each with where it came from, and the
warnings a reviewer should see. A file that is not a readable plan is one UsageError saying what to do.

The plan is found by its landmarks, in order: the KẾ HOẠCH title (what is before it is the header), the
first section I. (what is between is the preamble), the Nơi nhận list or the signature table (the end of the
body), and the tables after it (the appendix)."""

from __future__ import annotations

import dataclasses

from ..errors import UsageError
from .appendix import read_appendix, reference_source
from .body import agency_blocks, build_tree, check_numbering, entries, find_targets, full_text, source_of
from .front import (is_title, plan_year, read_header, read_preamble, read_recipients, read_signature,
                    split_title, title_kind, _AUTHORITY, _DEPUTY, _SIGNED_MARK, _is_name)
from .model import (Appendix, Citation, Header, Node, PastPlan, ReadWarning, Recipients, Signature, Title)
from .text import find_instruments, fold, split_label
from .wordfile import Body, Para, TTable, open_docx, read_body

_NOT_PLAN_HINT = ("give the signed plan itself (a Kế hoạch with its sections I., II., …), "
                  "as the .docx the province issued")


def read_plan(data: bytes, name: str) -> PastPlan:
    """The plan in `data` (a .docx file's bytes); `name` is used in messages."""
    doc = open_docx(data, name)
    try:
        body = read_body(doc)
    except Exception as exc:  # lxml or python-docx on a damaged part
        raise UsageError(f"a damaged .docx that cannot be read ({type(exc).__name__}: {str(exc)[:120]})", name,
                         "open it in Word, let Word repair it, and save it again as .docx") from None
    try:
        return _Reader(body, name).read()
    except UsageError:
        raise
    except (IndexError, KeyError, ValueError, AttributeError, TypeError) as exc:  # a layout the reader missed
        raise UsageError(f"not read as a plan: its layout defeated the reader ({type(exc).__name__}: {exc})"[:300],
                         name, "check that it is a Kế hoạch laid out as Nghị định 30 requires; if it is, report "
                               "this file with --debug") from None


class _Reader:
    def __init__(self, body: Body, name: str) -> None:
        self.blocks = list(body.blocks)
        self.body = body
        self.name = name
        self.warnings: list[ReadWarning] = []

    def read(self) -> PastPlan:
        blocks = self.blocks
        ti = next((i for i, b in enumerate(blocks) if isinstance(b, Para) and is_title(b)), None)
        if ti is None:
            raise UsageError("not a plan: no KẾ HOẠCH title found", self.name, _NOT_PLAN_HINT)
        title_para = blocks[ti]
        following = []
        for b in blocks[ti + 1:]:
            if not isinstance(b, Para):
                break
            following.append(b)
        summary, taken = split_title(title_para, following)
        title = Title(title_kind(title_para)[0], summary, plan_year(summary), source_of(title_para))

        end = self._end_of_body(ti + 1 + taken)
        paras = self._paras(blocks[ti + 1 + taken:end])
        first = next((k for k, p in enumerate(paras) if split_label(full_text(p))[0] == "muc"), None)
        items = entries(paras[first:]) if first is not None else []
        if sum(1 for e in items if e.kind == "muc") < 2:
            raise UsageError("not a plan: no sections I., II. found", self.name, _NOT_PLAN_HINT)
        preamble, enacting, enacting_source, pre_cited = read_preamble(paras[:first])

        signer_paras, body_items = self._signer_above(items, end)
        tree, numbering_warnings = check_numbering(build_tree(body_items))
        self.warnings += numbering_warnings

        recipients, signature, after = self._signature(end, signer_paras)
        appendices = self._appendices(blocks[after:])
        header = self._header(read_header(blocks[:ti]), appendices)

        citations = [Citation(i, s, "preamble") for i, s in pre_cited]
        citations += self._cited(tree, appendices)
        plan = PastPlan(self.name, header, title, preamble, enacting, enacting_source, tree, find_targets(tree),
                        agency_blocks(tree), tuple(citations), tuple(a for a, _ in appendices), recipients,
                        signature)
        self._general_warnings(plan)
        return dataclasses.replace(plan, warnings=tuple(self.warnings))

    # -- landmarks ---------------------------------------------------------------------------------------

    def _end_of_body(self, start: int) -> int:
        """The block where the body ends: the signature table, the Nơi nhận paragraph, or the appendix."""
        for i in range(start, len(self.blocks)):
            b = self.blocks[i]
            if isinstance(b, TTable) and _is_signature_table(b):
                return i
            if isinstance(b, Para) and fold(b.text).startswith("NOI NHAN"):
                return i
            if isinstance(b, Para) and fold(b.text).startswith("PHU LUC") and i > start:
                return i
        return len(self.blocks)

    @staticmethod
    def _paras(blocks: list) -> list[Para]:
        """Body paragraphs in order; a table inside the body is read cell by cell."""
        out: list[Para] = []
        for b in blocks:
            out += b.paras() if isinstance(b, TTable) else [b]
        return out

    def _signer_above(self, items: list, end: int) -> tuple[list[Para], list]:
        """A signature typed as paragraphs just before "Nơi nhận:" (no table): taken out of the body."""
        if end >= len(self.blocks) or not isinstance(self.blocks[end], Para):
            return [], items
        k = len(items)
        while k > 0 and items[k - 1].kind is None and _signer_line(items[k - 1].text):
            k -= 1
        tail = items[k:]
        if not any(_AUTHORITY.match(e.text) or _DEPUTY.match(e.text) for e in tail):
            return [], items
        paras = [p for p in self._paras(self.blocks[:end]) if p.index in {e.source.index for e in tail}]
        return paras, items[:k]

    def _signature(self, end: int, signer_above: list[Para]) -> tuple[Recipients, Signature, int]:
        """Nơi nhận and the signature, and the block where the appendix may start."""
        blocks = self.blocks
        if end >= len(blocks) or (isinstance(blocks[end], Para) and not fold(blocks[end].text).startswith("NOI NHAN")):
            # no Nơi nhận and no signature table (the body ran into the appendix or the end of the file)
            return Recipients((), None, (), None, None), read_signature(
                [(ln, p) for p in signer_above for ln in p.full_lines]), end
        b = blocks[end]
        if isinstance(b, TTable):
            rec: list[tuple[str, Para]] = []
            sig: list[tuple[str, Para]] = []
            for row in b.rows:
                for c in row.cells:
                    lines = [(ln, p) for p in c.paras for ln in p.full_lines]
                    if lines and fold(lines[0][0]).startswith("NOI NHAN"):
                        rec += lines
                    else:
                        sig += lines
            return read_recipients(rec), read_signature(sig), end + 1
        rec, sig = [], [(ln, p) for p in signer_above for ln in p.full_lines]
        k = end
        while k < len(blocks) and isinstance(blocks[k], Para):
            p = blocks[k]
            text = p.text
            if k > end and (fold(text).startswith("PHU LUC") or "Kèm theo" in text):
                break
            if not text:
                k += 1
                continue
            if k == end or p.full_text[:1] in "-–+•" or fold(text).startswith("LUU"):
                rec += [(ln, p) for ln in p.full_lines]
            elif _signer_line(text):
                sig += [(ln, p) for ln in p.full_lines]
            else:
                break
            k += 1
        if k < len(blocks) and isinstance(blocks[k], TTable) and _is_signature_table(blocks[k]):
            for row in blocks[k].rows:
                for c in row.cells:
                    sig += [(ln, p) for p in c.paras for ln in p.full_lines]
            k += 1
        return read_recipients(rec), read_signature(sig), k

    def _appendices(self, blocks: list) -> list[tuple[Appendix, object]]:
        groups: list[tuple[list[Para], list[TTable]]] = []
        titles: list[Para] = []
        for b in blocks:
            if isinstance(b, Para):
                if b.text:
                    titles.append(b)
                continue
            if _is_signature_table(b) or len(b.rows) < 2:
                continue
            if groups and not titles:
                groups[-1][1].append(b)  # the table goes on after a page or section break
            else:
                groups.append((titles, [b]))
            titles = []
        out = []
        for t, tables in groups:
            appendix, warnings = read_appendix(t, tables)
            self.warnings += warnings
            out.append((appendix, reference_source(t)))
        return out

    # -- header and its recovery -------------------------------------------------------------------------

    def _header(self, header: Header, appendices: list) -> Header:
        ref = next(((a, s) for a, s in appendices if a.reference_number or a.reference_date), None)
        if ref is None:
            return header
        appendix, src = ref
        changes = {}
        if header.number is None and appendix.reference_number:
            changes.update(number=appendix.reference_number, number_recovered=True, number_source=src,
                           symbol=header.symbol or appendix.reference_number.split("/")[1].split("-")[0])
            self.warnings.append(ReadWarning(
                "number-recovered", f"the header's number is blank; {appendix.reference_number} read from the "
                                    f"appendix's reference line", src))
        elif header.number and appendix.reference_number and header.number != appendix.reference_number:
            self.warnings.append(ReadWarning(
                "number-mismatch", f"the header says {header.number}, the appendix {appendix.reference_number}",
                src))
        if header.date is None and appendix.reference_date:
            changes.update(date=appendix.reference_date, date_recovered=True, date_source=src,
                           year=header.year or appendix.reference_date.year)
            self.warnings.append(ReadWarning(
                "date-recovered", f"the header's date is blank; {appendix.reference_date:%d/%m/%Y} read from the "
                                  f"appendix's reference line", src))
        elif header.date and appendix.reference_date and header.date != appendix.reference_date:
            self.warnings.append(ReadWarning(
                "date-mismatch", f"the header says {header.date:%d/%m/%Y}, the appendix "
                                 f"{appendix.reference_date:%d/%m/%Y}", src))
        return dataclasses.replace(header, **changes)

    # -- citations and general warnings ------------------------------------------------------------------

    @staticmethod
    def _cited(tree: tuple[Node, ...], appendices: list) -> list[Citation]:
        out: list[Citation] = []
        for top in tree:
            for n in top.walk():
                for inst, _, _ in find_instruments(n.text):
                    out.append(Citation(inst, n.source, "body"))
        for appendix, _ in appendices:
            for row in appendix.rows:
                for c in row.cells:
                    if c.merged or not c.text:
                        continue
                    for inst, _, _ in find_instruments(c.text):
                        out.append(Citation(inst, dataclasses.replace(row.source, text=c.text), "appendix"))
        return out

    def _general_warnings(self, plan: PastPlan) -> None:
        h, s = plan.header, plan.signature
        if not h.issuer_lines:
            self.warnings.append(ReadWarning("no-issuer", "no issuing body (ỦY BAN NHÂN DÂN TỈNH …) in the header; "
                                                          f"the province is read from the place ({h.place})"))
        missing = []
        if h.number is None:
            missing.append("the number is blank (Số: /KH-UBND)" if h.symbol else "no number")
        if h.date is None:
            missing.append("day and month are blank" if h.year else "no date")
        if s.name is None:
            missing.append("no signer's name")
        if missing:
            self.warnings.append(ReadWarning("unsigned", "an unsigned draft: " + "; ".join(missing),
                                             h.number_source or h.date_source))
        if not plan.recipients.lines:
            self.warnings.append(ReadWarning("no-recipients", "no Nơi nhận list found after the body"))
        if plan.enacting is None:
            self.warnings.append(ReadWarning("no-enacting", "no enacting sentence (“… ban hành Kế hoạch … như sau:”)"))
        if not plan.appendices:
            ref = next((n for top in plan.body for n in top.walk() if "phụ lục" in n.text.lower()), None)
            if ref is not None:
                self.warnings.append(ReadWarning("appendix-missing", "the plan refers to an appendix (Phụ lục) that "
                                                                     "is not in the file", ref.source))
        if self.body.insertions or self.body.deletions:
            self.warnings.append(ReadWarning(
                "tracked-changes", f"the file holds tracked changes ({self.body.insertions} insertions kept, "
                                   f"{self.body.deletions} deletions dropped): read as if all were accepted"))
        if self.body.comments:
            self.warnings.append(ReadWarning("comments", f"{self.body.comments} comment(s) in the file, left out"))
        for a in plan.appendices:
            for r in a.rows:
                if r.repeated:
                    self.warnings.append(ReadWarning("repeated-area", f"appendix area row repeated (after a page "
                                                                      f"break?): {r.tt or ''} {r.text}".strip(),
                                                     r.source))


def _is_signature_table(t: TTable) -> bool:
    lines = [ln for p in t.paras() for ln in p.lines]
    return any(fold(ln).startswith("NOI NHAN") for ln in lines) or (
        len(t.rows) <= 3 and any(_AUTHORITY.match(ln) or _DEPUTY.match(ln) for ln in lines))


def _signer_line(text: str) -> bool:
    return bool(_AUTHORITY.match(text) or _DEPUTY.match(text) or _SIGNED_MARK.match(text)
                or (text.isupper() and len(text.split()) <= 6) or _is_name(text))
