"""The appendix table of a plan: its column headers mapped to the keys of the data format, then area rows
(a Roman numeral, or one cell across the table) and task rows, each physical cell once, keyed by the column
where it starts. A cell merged down over several rows is carried into each of them, marked `merged`; a
header row repeated on a new page and empty rows are left out."""

from __future__ import annotations

import re

from .model import Appendix, AppendixColumn, AppendixRow, Cell, ReadWarning, Source
from .text import ATTACHED_TO, first_date, fold, roman_value, split_label
from .wordfile import Para, TCell, TRow, TTable, roman

_KEYS = (  # folded header label → key; the first that matches wins
    (r"^S?TT$|^SO TT", "tt"),
    (r"MUC TIEU|CHI TIEU", "target"),
    (r"NHIEM VU CU THE|NOI DUNG CU THE|CHI TIET", "detail"),
    (r"NHIEM VU|NOI DUNG|GIAI PHAP|HOAT DONG", "task"),
    (r"KET QUA|SAN PHAM", "product"),
    (r"CHU TRI|(?:DON VI|CO QUAN) THUC HIEN", "lead"),
    (r"PHOI HOP", "coop"),
    (r"HOAN THANH|THOI HAN", "deadline"),
    (r"BAT DAU", "start"),
    (r"THOI GIAN|TIEN DO", "time"),
    (r"KINH PHI|NGUON", "funding"),
    (r"GHI CHU", "note"),
)


def column_keys(labels: list[str]) -> list[str]:
    """The data format's key for each header label; "Thời gian thực hiện" is the start where a completion
    column ("Thời gian hoàn thành") exists, else the deadline. Unknown labels are col1, col2 …"""
    raw = [next((key for pattern, key in _KEYS if re.search(pattern, fold(lab))), None) for lab in labels]
    out: list[str] = []
    for i, key in enumerate(raw):
        if key == "time":
            key = "start" if "deadline" in raw else "deadline"
        key = key or f"col{i + 1}"
        n, base = 2, key
        while key in out:
            key, n = f"{base}{n}", n + 1
        out.append(key)
    return out


def _cell_source(t: TTable, r: int, cell: TCell) -> Source:
    p = next((p for p in cell.paras if p.text), cell.paras[0] if cell.paras else None)
    if p is None:
        return Source(-1, "", f"table {t.index}, row {r + 1}")
    return Source(p.index, cell.text, f"table {t.index}, row {r + 1}")


def _header_rows(t: TTable) -> int:
    """1, or 2 when the first row spans columns that the second row labels ("Thời gian" over "Bắt đầu")."""
    if len(t.rows) < 2:
        return len(t.rows)
    first, second = t.rows[0], t.rows[1]
    spans = any(c.span > 1 for c in first.cells)
    labels = [c.text for c in second.cells if not c.merged]
    looks_header = labels and all(c and len(c) < 40 and not re.fullmatch(r"\d+|[IVX]+\.?", c) for c in labels)
    return 2 if spans and looks_header and len(second.cells) >= len(first.cells) else 1


def columns_of(t: TTable) -> tuple[AppendixColumn, ...]:
    n_head = _header_rows(t)
    labels = [""] * t.ncols
    for row in t.rows[:n_head]:
        for c in row.cells:
            for g in range(c.col, min(c.col + c.span, t.ncols)):
                if c.text and c.text not in labels[g]:
                    labels[g] = f"{labels[g]} / {c.text}" if labels[g] else c.text
    keys = column_keys([lab.split(" / ")[-1] for lab in labels])
    cols = [AppendixColumn(key, lab.replace("\n", " ")) for key, lab in zip(keys, labels)]
    return tuple(cols)


def read_appendix(titles: list[Para], tables: list[TTable]) -> tuple[Appendix, list[ReadWarning]]:
    warnings: list[ReadWarning] = []
    title_lines = tuple(p.text for p in titles if p.text)
    ref_para = next((p for p in titles if "Kèm theo" in p.text or "kèm theo" in p.text), None)
    ref_number = ref_date = None
    if ref_para is not None:
        m = ATTACHED_TO.search(ref_para.text)
        if m:
            ref_number = f"{m.group('n')}/{m.group('sym')}-{m.group('org')}" if m.group("n") else None
            ref_date, _ = first_date(ref_para.text[m.end():])
    main = tables[0]
    columns = columns_of(main)
    header_texts = [c.text for c in main.rows[0].cells]
    rows: list[AppendixRow] = []
    areas: list[AppendixRow] = []
    for t in tables:
        start = _header_rows(t) if t is main or [c.text for c in t.rows[0].cells] == header_texts else 0
        carried: dict[int, str] = {}  # grid column → text of the cell merged down from above
        for r, tr in enumerate(t.rows):
            row_texts = [c.text for c in tr.cells]
            cells = _cells(tr, columns, carried)
            if r < start or (r > 0 and row_texts == header_texts):
                continue  # the header, or the header repeated on a new page
            if all(not c.text or c.merged for c in cells):
                continue  # an empty row
            src = _cell_source(t, r, next(c for c in tr.cells if c.text and not c.merged))
            area = _area(cells, tr, t.ncols)
            if area is not None:
                tt, title = area
                current = areas[-1] if areas else None
                if current is not None and fold(current.text) == fold(title):
                    rows.append(AppendixRow("area", tt, title, tuple(cells), len(areas) - 1, src, repeated=True))
                    continue
                expected = None
                if tt and roman_value(tt) is not None and roman_value(tt) != len(areas) + 1:
                    expected = roman(len(areas) + 1)
                    warnings.append(ReadWarning("misnumbered", f"appendix area numbered {tt} where {expected} "
                                                               f"was due: {title}", src))
                row = AppendixRow("area", tt, title, tuple(cells), len(areas), src, expected=expected)
                areas.append(row)
                rows.append(row)
                continue
            tt = next((c.text for c in cells if c.key == "tt" and not c.merged), None) or None
            text = next((c.text for c in cells if c.key == "task" and c.text), None) or next(
                (c.text for c in cells if c.key not in ("tt",) and c.text and not c.merged), "")
            rows.append(AppendixRow("task", tt, text, tuple(cells), len(areas) - 1 if areas else None, src))
    src = Source(main.rows[0].cells[0].paras[0].index if main.rows and main.rows[0].cells and
                 main.rows[0].cells[0].paras else -1, " | ".join(header_texts), f"table {main.index}")
    return Appendix(title_lines, ref_para.text if ref_para else None, ref_number, ref_date, columns,
                    tuple(rows), src), warnings


def reference_source(titles: list[Para]) -> Source | None:
    p = next((p for p in titles if "Kèm theo" in p.text or "kèm theo" in p.text), None)
    return Source(p.index, p.text, p.where) if p else None


def _cells(tr: TRow, columns: tuple[AppendixColumn, ...], carried: dict[int, str]) -> list[Cell]:
    out = []
    for c in tr.cells:
        key = columns[c.col].key if c.col < len(columns) else f"col{c.col + 1}"
        if c.merged:
            out.append(Cell(key, carried.get(c.col, ""), merged=True))
        else:
            carried[c.col] = c.text
            out.append(Cell(key, c.text))
    return out


def _area(cells: list[Cell], tr: TRow, ncols: int) -> tuple[str | None, str] | None:
    """(numeral, title) when the row heads an area: "I | CẢI CÁCH THỂ CHẾ", "I. Cải cách thể chế" across
    the table, or one unnumbered cell spanning most of it."""
    filled = [(c, tc) for c, tc in zip(cells, tr.cells) if c.text and not c.merged]
    if not filled:
        return None
    first = filled[0][0].text
    if len(filled) == 2 and roman_value(first) is not None and "\n" not in filled[1][0].text:
        return first.rstrip("."), filled[1][0].text
    if len(filled) == 1:
        kind, label, rest = split_label(first)
        if kind == "muc" and rest:
            return label.rstrip(".:"), rest
        if filled[0][1].span >= max(2, ncols // 2) and not re.match(r"^\d", first):
            return None, first
    return None
