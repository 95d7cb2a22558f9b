"""The body of a plan as a tree: mục (I.), khoản (1., 1.1.), điểm (a)), bullets (-, +) and unnumbered
paragraphs (para); then, from the tree, the targets with their responsibility lines and the agency blocks of
Tổ chức thực hiện. Numbering is recorded as found, with the label the sequence called for where another
was found (misnumbered headings, lettering mistakes)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from .model import AgencyBlock, Node, ReadWarning, Source, Target
from .text import VIET_LETTERS, figures, fold, khoan_parts, roman_value, split_label
from .wordfile import Para, roman


@dataclass
class Entry:
    """A body paragraph ready for the tree: its label (typed or from Word's numbering) split off."""

    kind: str | None  # muc, khoan, diem, bullet, star or None
    label: str | None
    text: str
    source: Source
    italic: bool = False
    word_numbered: bool = False


def source_of(p: Para) -> Source:
    return Source(p.index, full_text(p), p.where)


def full_text(p: Para) -> str:
    """The paragraph as the reader sees it, Word's list number included."""
    return p.full_text


def entries(paras: list[Para]) -> list[Entry]:
    """Paragraphs as entries, a number standing alone in its paragraph ("IV." ⏎ "KINH PHÍ") joined with the
    text that follows it, and a heading continued in the next paragraph ("I. MỤC TIÊU," ⏎ "YÊU CẦU") joined."""
    out: list[Entry] = []
    pending: Entry | None = None
    for p in paras:
        if not p.text and not p.label:
            continue
        kind, label, rest = split_label(full_text(p))
        e = Entry(kind, label, rest, source_of(p), p.italic, p.label is not None)
        if pending is not None:
            if kind is None:  # the text of the lone number
                out.append(Entry(pending.kind, pending.label, rest, pending.source, e.italic, pending.word_numbered))
                pending = None
                continue
            out.append(pending)
            pending = None
        if kind in ("muc", "khoan", "diem", "bullet") and not rest:
            pending = e
            continue
        prev = out[-1] if out else None
        if (prev and prev.kind == "muc" and kind is None and rest.isupper()
                and re.search(r"(,|\bVÀ)$", prev.text)):
            out[-1] = replace(prev, text=f"{prev.text} {rest}")
            continue
        out.append(e)
    if pending is not None:
        out.append(pending)
    return out


# -- the tree ----------------------------------------------------------------------------------------------

@dataclass
class _Build:
    kind: str
    label: str | None
    text: str
    source: Source
    rank: float
    word: bool
    children: list[_Build] = field(default_factory=list)

    def freeze(self) -> Node:
        return Node(self.kind, self.label, self.text, self.source, tuple(c.freeze() for c in self.children),
                    section=section_kind(self.text) if self.kind == "muc" or (
                        self.kind == "khoan" and _short_heading(self.text)) else None,
                    word_numbered=self.word)


def _rank(e: Entry) -> float:
    if e.kind == "muc":
        return 0
    if e.kind == "khoan":
        return 4 if e.label.endswith(")") else len(khoan_parts(e.label))
    if e.kind == "diem":
        return 5
    return 6


def build_tree(items: list[Entry]) -> tuple[Node, ...]:
    root: list[_Build] = []
    stack: list[_Build] = []
    for e in items:
        if e.kind in ("muc", "khoan", "diem", "bullet"):
            rank = _rank(e)
            if e.kind == "bullet":
                rank = _bullet_rank(stack, e.label)
            while stack and stack[-1].rank >= rank:
                stack.pop()
            node = _Build(e.kind, e.label, e.text, e.source, rank, e.word_numbered)
            (stack[-1].children if stack else root).append(node)
            stack.append(node)
            continue
        kind = _leaf_kind(e, stack)
        node = _Build(kind, e.label, e.text, e.source, 99, e.word_numbered)
        top = stack[-1] if stack else None
        if top is not None and top.kind == "bullet" and not top.text.endswith(":"):
            parent = stack[-2].children if len(stack) > 1 else root  # beside the bullet it follows
        else:
            parent = top.children if top is not None else root
        parent.append(node)
    return tuple(n.freeze() for n in root)


def _bullet_rank(stack: list[_Build], char: str) -> float:
    """Bullets nest by their character: a "+" under a "-" is deeper; a "-" after a "+" goes back up."""
    bullets = [b for b in stack if b.kind == "bullet"]
    for b in reversed(bullets):
        if b.label == char:
            return b.rank
    return bullets[-1].rank + 1 if bullets else 6


def _leaf_kind(e: Entry, stack: list[_Build]) -> str:
    prev_is_bullet = bool(stack) and stack[-1].kind == "bullet"
    if e.kind == "star":
        return "responsibility" if prev_is_bullet else "note"
    if re.match(r"^[⁽(]\s*[\d¹²³⁴⁵⁶⁷⁸⁹⁰*]+\s*[⁾)]\s", e.text) or re.match(r"^[¹²³⁴⁵⁶⁷⁸⁹⁰]+\s", e.text):
        return "note"  # a footnote's text kept in the body
    if e.text.startswith("(") and e.text.rstrip(".").endswith(")"):
        return "note"
    if e.italic and prev_is_bullet and _RESPONSIBLE.search(e.text):
        return "responsibility"
    return "para"


_RESPONSIBLE = re.compile(r"chủ trì|phối hợp|theo dõi|chịu trách nhiệm|tham mưu|triển khai|thực hiện", re.I)


def section_kind(heading: str) -> str | None:
    h = fold(heading)
    for part, words in (("organisation", ("TO CHUC THUC HIEN",)), ("funding", ("KINH PHI",)),
                        ("targets", ("MUC TIEU", "CHI TIEU")), ("purpose", ("MUC DICH", "YEU CAU")),
                        ("tasks", ("NHIEM VU", "GIAI PHAP"))):
        if any(w in h for w in words):
            return part
    return None


def _short_heading(text: str) -> bool:
    return len(text.split()) <= 8 and not text.rstrip().endswith(".")


# -- numbering found against numbering expected ------------------------------------------------------------

def check_numbering(nodes: tuple[Node, ...], parent: Node | None = None) -> tuple[tuple[Node, ...], list[ReadWarning]]:
    """The nodes with `expected` set where their label is not the one their place calls for."""
    warnings: list[ReadWarning] = []
    counts: dict[tuple, int] = {}
    out = []
    for n in nodes:
        expected = None
        if n.label and n.kind in ("muc", "khoan", "diem"):
            key = (n.kind, len(khoan_parts(n.label)) if n.kind == "khoan" else 0)
            counts[key] = counts.get(key, 0) + 1
            k = counts[key]
            expected = _expected(n, k, parent)
            if expected is not None and not _same_label(n.label, expected):
                code = "lettering" if n.kind == "diem" else "misnumbered"
                what = {"muc": "section", "khoan": "item", "diem": "point"}[n.kind]
                why = " (Vietnamese lettering has no f, j, w, z and puts đ after d)" if (
                    n.kind == "diem" and n.label[0] in "fjwz") else ""
                warnings.append(ReadWarning(code, f"{what} numbered {n.label} where {expected} was due{why}: "
                                                  f"{n.text[:60]}", n.source))
            else:
                expected = None
        children, sub = check_numbering(n.children, n)
        warnings += sub
        out.append(replace(n, children=children, expected=expected))
    return tuple(out), warnings


def _expected(n: Node, k: int, parent: Node | None) -> str | None:
    if n.kind == "muc":
        return roman(k) + "."
    if n.kind == "diem":
        if n.word_numbered:  # Word letters a, b, c, d, e, f: not the author's choice
            return None
        return (VIET_LETTERS[k - 1] if k <= len(VIET_LETTERS) else "?") + ")"
    parts = khoan_parts(n.label)
    if n.label.endswith(")"):
        return f"{k})"
    prefix = khoan_parts(parent.label) if parent is not None and parent.kind == "khoan" and parent.label else ()
    if len(parts) > 1 and len(prefix) == len(parts) - 1:
        want = prefix + (k,)
    elif len(parts) > 1:
        want = parts[:-1] + (k,)
    else:
        want = (k,)
    return ".".join(map(str, want)) + "."


def _same_label(found: str, expected: str) -> bool:
    f, e = found.rstrip(".:)"), expected.rstrip(".:)")
    if f == e:
        return True
    fr, er = roman_value(f), roman_value(e)
    return fr is not None and fr == er


# -- targets -----------------------------------------------------------------------------------------------

def find_targets(body: tuple[Node, ...]) -> tuple[Target, ...]:
    """Lines with a figure (or followed by a responsibility line) under the innermost headings that name
    targets (MỤC TIÊU, CHỈ TIÊU), each with the responsibility line that follows it."""
    parts = [n for top in body for n in top.walk() if _names_targets(n)
             and not any(_names_targets(d) for d in n.walk() if d is not n)]
    out: list[Target] = []
    for part in parts:
        out += _targets_under(part)
    return tuple(out)


def _names_targets(n: Node) -> bool:
    return n.kind in ("muc", "khoan", "diem") and any(w in fold(n.text) for w in ("MUC TIEU", "CHI TIEU"))


def _targets_under(node: Node) -> list[Target]:
    out: list[Target] = []
    kids = node.children
    for i, n in enumerate(kids):
        if n.kind == "bullet":
            resp = None
            for nxt in kids[i + 1:]:
                if nxt.kind == "responsibility":
                    resp = nxt
                    break
                if nxt.kind != "note":
                    break
            figs = figures(n.text)
            if figs or resp is not None:
                out.append(Target(n.text, figs, resp.text if resp else None, n.source,
                                  resp.source if resp else None))
        out += _targets_under(n) if n.kind in ("bullet", "khoan", "diem") and n.children else []
    return out


# -- agency blocks -----------------------------------------------------------------------------------------

_AGENCY = re.compile(r"^(?:các\s+|đề\s+nghị\s+)?(?:sở|văn\s+phòng|ban|ủy\s+ban|uỷ\s+ban|ubnd|đài|báo|công\s+an|"
                     r"bộ\s+chỉ\s+huy|thủ\s+trưởng|trường|kho\s+bạc|cục|chi\s+cục|bảo\s+hiểm|ngân\s+hàng|"
                     r"chủ\s+tịch|giám\s+đốc|người\s+đứng\s+đầu|hội|liên\s+đoàn|tỉnh\s+đoàn|thanh\s+tra|"
                     r"trung\s+tâm|viện|đảng\s+ủy|mặt\s+trận|công\s+đoàn|cơ\s+quan|đơn\s+vị|bưu\s+điện|"
                     r"viễn\s+thông)\b", re.I)
_DUTY = re.compile(r"^(?:trách\s+nhiệm\s+của|nhiệm\s+vụ\s+của)\s+", re.I)
_VERB = re.compile(r"\s(?=(?:chủ\s+trì|có\s+trách\s+nhiệm|chịu\s+trách\s+nhiệm|phối\s+hợp|tham\s+mưu|"
                   r"triển\s+khai|thực\s+hiện|theo\s+dõi|hướng\s+dẫn)\b)", re.I)


def agency_blocks(body: tuple[Node, ...]) -> tuple[AgencyBlock, ...]:
    """The numbered agency headings of Tổ chức thực hiện (a heading whose sub-items are agencies is a
    container, not a block), each with its paragraphs."""
    section = next((n for n in body if n.section == "organisation"), None) or next(
        (n for top in body for n in top.walk() if n.section == "organisation"), None)
    if section is None:
        return ()
    out: list[AgencyBlock] = []

    def visit(n: Node) -> None:
        for c in n.children:
            if c.kind != "khoan":
                continue
            if _is_agency(c) and not any(_is_agency(d) for d in c.children if d.kind == "khoan"):
                out.append(_block(c))
            else:
                visit(c)

    visit(section)
    return tuple(out)


def _is_agency(n: Node) -> bool:
    return bool(_AGENCY.match(_DUTY.sub("", n.text)))


def _block(n: Node) -> AgencyBlock:
    text = _DUTY.sub("", n.text)
    name, inline = text, ""
    head, sep, tail = text.partition(":")
    if sep and len(head) <= 150:
        name, inline = head.strip(), tail.strip()
    else:
        m = _VERB.search(text)
        if m and m.start() > 2:
            name, inline = text[:m.start()].strip(), text[m.start():].strip()
    items = tuple(n.children)
    if inline:
        items = (Node("para", None, inline[0].upper() + inline[1:], n.source),) + items
    name = name.rstrip(" ,;")
    return AgencyBlock(n.label or "", name[:1].upper() + name[1:], items, n.source)
