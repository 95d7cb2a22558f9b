"""What `drafter import` writes: the layer file (YAML, top-level `overlay:`) and its review (Markdown)."""

from __future__ import annotations

import io
from typing import Any

from .layer import Imported

DECISIONS = {  # how the review names each decision, for the officer
    "matched": "trùng quy định chung (không lặp lại)",
    "reworded": "giữ cách diễn đạt của tỉnh cho quy định chung",
    "local": "giữ làm nội dung riêng của tỉnh",
    "dropped": "bỏ (hết hiệu lực / đã thay thế)",
    "figure": "cần điền chỉ tiêu năm mới",
    "kept": "giữ như kế hoạch cũ",
}


def layer_yaml(imp: Imported, header: str) -> bytes:
    """The overlay as YAML, with a comment saying where it came from."""
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.default_flow_style = False
    yaml.width = 120
    yaml.allow_unicode = True
    buf = io.StringIO()
    buf.write("".join(f"# {line}\n" for line in header.splitlines()))
    yaml.dump({"overlay": _plain(imp.overlay)}, buf)
    return buf.getvalue().encode("utf-8")


def _plain(value: Any) -> Any:
    """Plain containers (ruamel writes dicts, lists, str, int, date) with empty lists, maps and None left
    out (an empty text stays: a required cell the officer fills)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None and v != [] and v != {}}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def review_md(imp: Imported, title: str, layer_file: str) -> str:
    lines = [f"# {title}", "", f"Lớp dữ liệu: `{layer_file}`. Mọi nội dung nhập đều ở trạng thái P (thấy trong một kế hoạch "
             "đã ban hành, chưa đối chiếu văn bản gốc).", ""]
    lines += ["| quyết định | số mục |", "|---|---|"]
    lines += [f"| {DECISIONS[k]} | {imp.count(k)} |" for k in DECISIONS if imp.count(k)]
    lines.append("")
    if imp.notes:
        lines += ["## Lưu ý", ""] + [f"- {n}" for n in imp.notes] + [""]
    parts: dict[str, list] = {}
    for d in imp.decisions:
        parts.setdefault(d.part, []).append(d)
    for part, items in parts.items():
        lines += [f"## {part}", "", "| nguồn | nội dung | quyết định | mã | cần xác nhận |", "|---|---|---|---|---|"]
        for d in items:
            text = d.text.replace("|", "\\|")
            lines.append(f"| {d.where} | {text} | {DECISIONS[d.decision]} | {d.rule} | {d.confirm} |")
        lines.append("")
    return "\n".join(lines)


def summary(imp: Imported) -> list[str]:
    """A few lines for the terminal."""
    counts = ", ".join(f"{imp.count(k)} {k}" for k in DECISIONS if imp.count(k))
    out = [f"{len(imp.decisions)} item(s): {counts}"]
    out += [f"  ! {n}" for n in imp.notes[:8]]
    confirm = [d for d in imp.decisions if d.confirm]
    if confirm:
        out.append(f"{len(confirm)} item(s) for the officer to confirm (see the review file)")
    return out

