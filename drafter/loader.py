"""Load and validate a data directory (rulepacks/, legal_refs/, templates/) into a `DataSet`.

All problems of all files are collected before failing, so one run lists every mistake."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, TypeVar

from pydantic import BaseModel

from . import models as m
from .errors import DataError, Location, Problems

if TYPE_CHECKING:
    from .yamlio import Positions

T = TypeVar("T", bound=BaseModel)


@dataclass
class DataSet:
    root: Path
    citation: m.CitationFormats
    document: m.DocumentPack
    instruments: dict[str, m.Instrument]
    agencies: dict[str, m.Agency]
    body: list[m.Node]
    areas: list[m.Area]
    targets: list[m.Target]
    responsibilities: list[m.Responsibility]
    rows: list[m.AppendixRow]
    provinces: dict[str, m.Province]
    kinds: dict[str, m.Kind]
    #: where each record with an id was defined (rule id -> file:line), for provenance and errors
    origins: dict[str, Location] = field(default_factory=dict)
    #: the same for each province layer's rules (province id -> rule id -> file:line)
    layer_origins: dict[str, dict[str, Location]] = field(default_factory=dict)

    def template(self, kind: m.Kind) -> Path:
        return self.root / "templates" / kind.template


class _Collector:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: list[DataError] = []
        self.origins: dict[str, Location] = {}

    def file(self, rel: str) -> tuple[Any, Positions] | None:
        try:
            from .yamlio import load_yaml  # ruamel is only needed when the cache misses

            return load_yaml(self.root / rel)
        except DataError as exc:
            self.problems.append(exc)
            return None

    def one(self, model: type[T], data: Any, pos: Positions, key: tuple) -> T | None:
        try:
            from .yamlio import validate

            return validate(model, data, pos, key)
        except Problems as exc:
            self.problems.extend(exc.problems)
        except DataError as exc:
            self.problems.append(exc)
        return None

    def section(self, rel: str, top: str, model: type[T]) -> list[T]:
        loaded = self.file(rel)
        if loaded is None:
            return []
        data, pos = loaded
        return self.items(data, pos, top, model)

    def items(self, data: Any, pos: Positions, top: str, model: type[T]) -> list[T]:
        if not isinstance(data, dict) or top not in data:
            self.problems.append(DataError(f"expected a top-level '{top}:' key", pos.at(())))
            return []
        seq = data[top]
        if not isinstance(seq, list):
            self.problems.append(DataError(f"'{top}' must be a list", pos.at((top,))))
            return []
        out = []
        for i, item in enumerate(seq):
            obj = self.one(model, item, pos, (top, i))
            if obj is not None:
                out.append(obj)
                self._remember(obj, pos, (top, i))
        return out

    def _remember(self, obj: Any, pos: Positions, key: tuple, origins: dict[str, Location] | None = None) -> None:
        """Record where every id in `obj` (and its nested items) is defined; report duplicates."""
        origins = self.origins if origins is None else origins
        ident = getattr(obj, "id", None) or getattr(obj, "role", None)
        if isinstance(ident, str):
            where = pos.at(key + ("id",)) if getattr(obj, "id", None) else pos.at(key + ("role",))
            if ident in origins:
                self.problems.append(
                    DataError(f"duplicate id '{ident}' (first defined at {origins[ident]})", where,
                              "give each record its own id")
                )
            else:
                origins[ident] = where
        for name in ("items", "tasks"):
            for j, child in enumerate(getattr(obj, name, []) or []):
                self._remember(child, pos, key + (name, j), origins)


def load(root: Path) -> DataSet:
    """Load the data directory `root`; raise Problems listing every error found."""
    root = Path(root)
    c = _Collector(root)
    if not root.is_dir():
        raise Problems([DataError(f"data folder {root} not found", "--data-dir",
                                  "point --data-dir at a folder holding rulepacks/, legal_refs/ and templates/")])
    for d in ("rulepacks/national", "rulepacks/provinces", "legal_refs/national", "templates"):
        if not (root / d).is_dir():
            c.problems.append(DataError(f"missing folder {d}/", root, "point --data-dir at a copy of drafter's data"))
    if c.problems:
        raise Problems(c.problems)

    citation, _ = _single(c, "legal_refs/citation.yaml", m.CitationFormats)
    document, doc_pos = _single(c, "rulepacks/national/document.yaml", m.DocumentPack)
    if document is not None and doc_pos is not None:
        for i, item in enumerate(document.preamble):
            c._remember(item, doc_pos, ("preamble", i))
        for key in document.labels:  # each label's own line, for provenance ("labels.trich_yeu")
            c.origins.setdefault(f"labels.{key}", doc_pos.at(("labels", key)))
        for name in ("labels", "noi_nhan", "systems"):
            c.origins.setdefault(name, doc_pos.at((name,)))
    instruments: dict[str, m.Instrument] = {}
    for f in sorted((root / "legal_refs").glob("*/*.yaml")):
        for ins in c.section(str(f.relative_to(root)), "instruments", m.Instrument):
            instruments.setdefault(ins.id, ins)
    agencies = {a.role: a for a in c.section("rulepacks/national/agencies.yaml", "agencies", m.Agency)}
    body = c.section("rulepacks/national/plan.yaml", "body", m.Node)
    areas = c.section("rulepacks/national/areas.yaml", "areas", m.Area)
    targets = c.section("rulepacks/national/targets.yaml", "targets", m.Target)
    resp = c.section("rulepacks/national/responsibilities.yaml", "responsibilities", m.Responsibility)
    rows = c.section("rulepacks/national/appendix.yaml", "rows", m.AppendixRow)
    provinces: dict[str, m.Province] = {}
    layer_origins: dict[str, dict[str, Location]] = {}
    for f in sorted((root / "rulepacks/provinces").glob("*.yaml")):
        loaded = c.file(str(f.relative_to(root)))
        if loaded is None:
            continue
        data, pos = loaded
        if not isinstance(data, dict) or "province" not in data:
            c.problems.append(DataError("expected a top-level 'province:' key", pos.at(())))
            continue
        p = c.one(m.Province, data["province"], pos, ("province",))
        if p is not None:
            if p.id != f.stem:
                c.problems.append(DataError(f"province id '{p.id}' does not match the file name '{f.stem}'",
                                            pos.at(("province", "id")), f"rename the file to {p.id}.yaml"))
            provinces[p.id] = p
            own: dict[str, Location] = layer_origins.setdefault(p.id, {})
            for name in ("body", "tasks", "targets", "responsibilities", "items", "rows", "drop"):
                for j, rule in enumerate(getattr(p.layer, name)):
                    c._remember(rule, pos, ("province", "layer", name, j), own)
            for target_id in p.layer.values:
                own.setdefault(f"values.{target_id}", pos.at(("province", "layer", "values", target_id)))
            for key in p.layer.labels:
                own.setdefault(f"labels.{key}", pos.at(("province", "layer", "labels", key)))
            # the profile's own records (programmes, signers) are the province's layer too
            for j, prog in enumerate(p.programmes):
                c._remember(prog, pos, ("province", "programmes", j), own)
            own.setdefault(p.id, pos.at(("province", "id")))
            if p.signers:
                own.setdefault(f"{p.id}.signers", pos.at(("province", "signers")))
    kinds = {k.id: k for k in c.section("rulepacks/kinds.yaml", "kinds", m.Kind)}
    for k in kinds.values():
        if not (root / "templates" / k.template).is_file():
            c.problems.append(DataError(f"template {k.template} of kind '{k.id}' not found", root / "templates",
                                        "restore it from the repository or fix `template:` in rulepacks/kinds.yaml"))
    if c.problems or citation is None or document is None:
        raise Problems(c.problems or [DataError("data incomplete", root)])
    return DataSet(root, citation, document, instruments, agencies, body, areas, targets, resp, rows,
                   provinces, kinds, c.origins, layer_origins)


def _single(c: _Collector, rel: str, model: type[T]) -> tuple[T | None, Positions | None]:
    loaded = c.file(rel)
    if loaded is None:
        return None, None
    data, pos = loaded
    return c.one(model, data, pos, ()), pos


def load_cached(root: Path, validate: Callable[[DataSet], None]) -> DataSet:
    """One load per process and directory (batch runs and tests share it), and one parse per
    edit across runs (see drafter.cache), with the data texts' Jinja code compiled ahead.
    `validate` raises Problems for data that must not be drafted from (the caller's checks: loading
    does not depend on them)."""
    key = (root, validate)
    if key not in _LOADED:
        import marshal

        from . import textenv
        from .cache import cached

        data, code = cached(root, lambda r: _load_compiled(r, validate), tuple)
        textenv.preload(marshal.loads(code))
        if len(_LOADED) >= 4:
            _LOADED.pop(next(iter(_LOADED)))
        _LOADED[key] = data
    return _LOADED[key]


_LOADED: dict[tuple[Path, Callable[[DataSet], None]], DataSet] = {}


def _load_compiled(root: Path, validate: Callable[[DataSet], None]) -> tuple[DataSet, bytes]:
    import marshal

    from . import textenv

    data = load(root)
    validate(data)
    return data, marshal.dumps(textenv.compile_texts(_strings(data)))


def _strings(obj: Any) -> Iterator[str]:
    """Every string held in the data set (texts, labels, formats), for ahead-of-time compiling."""
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            yield from _strings(getattr(obj, name))
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _strings(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from _strings(v)
    elif isinstance(obj, DataSet):
        for name in ("citation", "document", "instruments", "agencies", "body", "areas", "targets",
                     "responsibilities", "rows", "provinces", "kinds"):
            yield from _strings(getattr(obj, name))


load_cached.cache_clear = _LOADED.clear  # type: ignore[attr-defined]  # tests drop the per-process memo
