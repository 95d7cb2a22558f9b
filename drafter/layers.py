"""Merge a province's layer over the national rule pack, by rule id.

Each list of rules merges the same way: a layer rule with the id of a national rule replaces it (in
place, or where `after`/`before` puts it); a new id is added (at `after`/`before`, else at the end);
`drop` removes a rule and keeps the reason. Merging asks no date question: `when` is applied later,
once, by the resolver."""

from __future__ import annotations

from .frozen import record
from typing import Any, Callable, Iterable, Sequence, TypeVar

from . import records as m
from .errors import DataError

R = TypeVar("R")

NATIONAL = "national"


class PlacementError(DataError):
    """A layer rule placed relative to a rule that is not there; `rule` is its id, to locate it."""

    def __init__(self, message: str, rule: str, hint: str) -> None:
        super().__init__(message, None, hint)
        self.rule = rule


@record
class Dropped:
    id: str
    reason: str
    layer: str


def _where(anchor: str, ids: Sequence[str]) -> int | None:
    try:
        return list(ids).index(anchor)
    except ValueError:
        return None


def _insert(out: list[Any], rec: Any, placed: m.Placed, layer: str, default: int | None = None) -> None:
    ids = [r.id for r in out]
    if placed.after or placed.before:
        anchor = placed.after or placed.before
        i = _where(anchor, ids)
        if i is None:
            raise PlacementError(f"rule '{rec.id}' of the {layer} layer is placed relative to '{anchor}', which is "
                                 f"not in the same list", rec.id, "name a rule of the same list in `after:`/`before:`")
        out.insert(i + 1 if placed.after else i, rec)
    elif default is not None:
        out.insert(default, rec)
    else:
        out.append(rec)


def merge(base: Iterable[R], overlay: Iterable[Any], dropped: set[str], layer: str,
          convert: Callable[[Any], R] = lambda r: r) -> list[R]:
    """`base` with `overlay` merged by id and the ids in `dropped` removed."""
    out: list[Any] = [r for r in base if r.id not in dropped]
    for o in overlay:
        rec = convert(o)
        i = _where(o.id, [r.id for r in out])
        if i is not None:
            out.pop(i)
        _insert(out, rec, o, layer, default=i)
    return out


def merge_tree(nodes: list[m.Node], overlay: list[m.LayerNode], dropped: set[str], layer: str) -> list[m.Node]:
    """The body tree with the layer's nodes merged: a known id is replaced wherever it sits; a new id
    goes under its `parent` (default: the top level)."""
    tree = _drop(nodes, dropped)
    for o in overlay:
        node = _plain_node(o)
        if _find(tree, o.id) is not None:
            tree = _replace(tree, node, o, layer)
        elif o.parent is None:
            _insert(tree, node, o, layer)
        else:
            if _find(tree, o.parent) is None:
                raise PlacementError(f"body node '{o.id}' of the {layer} layer names parent '{o.parent}', which is "
                                     f"not a node of the body", o.id, "name an existing node id in `parent:`")
            tree = _add_child(tree, o.parent, node, o, layer)
    return tree


_PLACEMENT = ("after", "before", "parent")  # LayerNode's fields that Node has not


def _plain_node(o: m.Node) -> m.Node:
    """The node without its placement (after/before/parent). model_construct: the layer node is validated
    already, and building Node's validator at draft time costs a run ~25 ms."""
    if not isinstance(o, m.LayerNode):
        return o
    fields = {name: v for name, v in vars(o).items() if name not in _PLACEMENT}
    fields["items"] = [_plain_node(i) for i in o.items]
    return m.Node.model_construct(**fields)


def _drop(nodes: list[m.Node], dropped: set[str]) -> list[m.Node]:
    return [n.model_copy(update={"items": _drop(n.items, dropped)}) if n.items else n
            for n in nodes if n.id not in dropped]


def _find(nodes: list[m.Node], ident: str) -> m.Node | None:
    for n in nodes:
        if n.id == ident:
            return n
        hit = _find(n.items, ident)
        if hit is not None:
            return hit
    return None


def _replace(nodes: list[m.Node], node: m.Node, placed: m.Placed, layer: str) -> list[m.Node]:
    i = _where(node.id, [n.id for n in nodes])
    if i is not None:
        out = list(nodes)
        out.pop(i)
        _insert(out, node, placed, layer, default=i)
        return out
    return [n.model_copy(update={"items": _replace(n.items, node, placed, layer)}) if n.items else n for n in nodes]


def _add_child(nodes: list[m.Node], parent: str, node: m.Node, placed: m.Placed, layer: str) -> list[m.Node]:
    out = []
    for n in nodes:
        if n.id == parent:
            items = list(n.items)
            _insert(items, node, placed, layer)
            n = n.model_copy(update={"items": items})
        elif n.items:
            n = n.model_copy(update={"items": _add_child(n.items, parent, node, placed, layer)})
        out.append(n)
    return out


def walk_ids(nodes: list[m.Node]) -> Iterable[str]:
    for n in nodes:
        yield n.id
        yield from walk_ids(n.items)


def merge_shape(base: m.Shape, over: m.Shape) -> m.Shape:
    """A plan's shape with `over`'s parts where it gives them (a province's over the national, a local
    layer's over the province's). model_construct: both are validated already, and building a validator
    at draft time costs a warm run ~25 ms."""
    return m.Shape.model_construct(
        sections=over.sections if over.sections is not None else base.sections,
        headings={**base.headings, **over.headings},
        responsibility_number=over.responsibility_number or base.responsibility_number,
        appendix_columns=over.appendix_columns or base.appendix_columns,
        preamble=over.preamble or base.preamble,
    )
