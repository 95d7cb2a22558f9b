"""Load and validate a data directory (rulepacks/, legal_refs/, templates/) into a `DataSet`.

All problems of all files are collected before failing, so one run lists every mistake.

Each data file is read and validated on its own into a `Unit`: its records, a log of where each of
its ids is written and of its problems, and the compiled code of its texts, a pure function of the
file's bytes (and path, and the YAML limits). Units are cached per file (drafter.cache), so after an
edit only the edited file is parsed again; `load` then assembles them in a fixed order, finding
duplicate ids across files and each kind's template. `load_cached` adds the caller's whole-data checks
and keeps the validated result under a fingerprint of every file's stat, for warm runs."""

from __future__ import annotations

import functools
import hashlib
import os
import re
import unicodedata
from collections import abc
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, TypeVar

from . import records as m  # the run-time records; the models (pydantic) are imported to validate only
from .cache import Lazy
from .errors import DataError, Location, Problems
from .frozen import record

if TYPE_CHECKING:
    from pydantic import BaseModel

    from .yamlio import Positions

T = TypeVar("T", bound="BaseModel")


@record(frozen=False)
class DataSet:
    """The validated data. The registry's instruments, the provinces and their layers' origins are
    `cache.Lazy` mappings: cached, each record is unpickled when first used."""

    root: Path
    citation: m.CitationFormats
    document: m.DocumentPack
    instruments: Mapping[str, m.Instrument]
    agencies: dict[str, m.Agency]
    body: list[m.Node]
    areas: list[m.Area]
    targets: list[m.Target]
    responsibilities: list[m.Responsibility]
    rows: list[m.AppendixRow]
    provinces: Mapping[str, m.Province]
    kinds: dict[str, m.Kind]
    #: where each record with an id was defined (rule id -> file:line), for provenance and errors
    origins: dict[str, Location] = field(default_factory=dict)
    #: the same for each province layer's rules (province id -> rule id -> file:line)
    layer_origins: Mapping[str, dict[str, Location]] = field(default_factory=dict)
    #: the ids of the provinces each name key (`name_key`) names: finding the province to draft
    #: unpickles no other
    names: dict[str, list[str]] = field(default_factory=dict)
    #: the rule packs of documents drafted for units below the province, by folder (rulepacks/commune/)
    packs: dict[str, m.Pack | m.DepartmentPack] = field(default_factory=dict)

    def template(self, kind: m.Kind) -> Path:
        return self.root / "templates" / kind.template


#: The list files: file kind -> (its one top-level key, the name of the model (and record) of each item).
_LISTS: dict[str, tuple[str, str]] = {
    "instruments": ("instruments", "Instrument"),
    "agencies": ("agencies", "Agency"),
    "body": ("body", "Node"),
    "areas": ("areas", "Area"),
    "targets": ("targets", "Target"),
    "responsibilities": ("responsibilities", "Responsibility"),
    "rows": ("rows", "AppendixRow"),
    "kinds": ("kinds", "Kind"),
}
_NATIONAL = "rulepacks/national/"


def _files(root: Path) -> list[tuple[str, str]]:
    """(path relative to `root`, kind) of every data file, in the order problems are reported."""
    return [
        ("legal_refs/citation.yaml", "citation"),
        (_NATIONAL + "document.yaml", "document"),
        *((str(f.relative_to(root)), "instruments") for f in sorted((root / "legal_refs").glob("*/*.yaml"))),
        (_NATIONAL + "agencies.yaml", "agencies"),
        (_NATIONAL + "plan.yaml", "body"),
        (_NATIONAL + "areas.yaml", "areas"),
        (_NATIONAL + "targets.yaml", "targets"),
        (_NATIONAL + "responsibilities.yaml", "responsibilities"),
        (_NATIONAL + "appendix.yaml", "rows"),
        *((str(f.relative_to(root)), "province") for f in sorted((root / "rulepacks/provinces").glob("*.yaml"))),
        *((str(f.relative_to(root)), "pack") for f in sorted((root / "rulepacks").glob("*/pack.yaml"))),
        ("rulepacks/kinds.yaml", "kinds"),
    ]


@record(frozen=False)
class Unit:
    """What one data file contributes, computed from its bytes alone (so it can be cached per file).

    `log` holds, in the order they were found: ("error", DataError), ("id", scope, id, where) for a
    record's id (a duplicate within the scope is an error, found when the units are assembled), and
    ("at", scope, name, where) for a name's first position. The scope is None for the national
    origins, else the id of the province whose layer it is."""

    value: Any = None
    log: list[tuple] = field(default_factory=list)
    code: dict[str, bytes] = field(default_factory=dict)  # the marshal of each text's compiled Jinja code


class _Recorder:
    """Reads one file into a Unit."""

    def __init__(self) -> None:
        self.log: list[tuple] = []

    def error(self, err: DataError) -> None:
        self.log.append(("error", err))

    def one(self, model: type[T], data: Any, pos: Positions, key: tuple) -> T | None:
        try:
            from .yamlio import validate

            return validate(model, data, pos, key)
        except Problems as exc:
            for p in exc.problems:
                self.error(p)
        except DataError as exc:
            self.error(exc)
        return None

    def top(self, data: Any, pos: Positions, top: str) -> bool:
        """Whether `data` is a mapping holding `top`; each other top-level key is an error at that key."""
        if not isinstance(data, dict):
            self.error(DataError(f"expected a top-level '{top}:' key", pos.at(())))
            return False
        for k in data:
            if k != top:
                self.error(DataError(f"unknown top-level key '{k}'; allowed: {top}", pos.key_at(k),
                                     f"remove it, or move it into a record under '{top}:' if it belongs there"))
        if top not in data:
            self.error(DataError(f"expected a top-level '{top}:' key", pos.at(())))
            return False
        return True

    def items(self, data: Any, pos: Positions, top: str, model: type[T]) -> list[T]:
        if not self.top(data, pos, top):
            return []
        seq = data[top]
        if not isinstance(seq, list):
            self.error(DataError(f"'{top}' must be a list", pos.at((top,))))
            return []
        out = []
        for i, item in enumerate(seq):
            obj = self.one(model, item, pos, (top, i))
            if obj is not None:
                out.append(obj)
                self.remember(obj, pos, (top, i))
        return out

    def remember(self, obj: Any, pos: Positions, key: tuple, scope: str | None = None) -> None:
        """Record where every id in `obj` (and its nested items) is defined."""
        ident = getattr(obj, "id", None) or getattr(obj, "role", None)
        if isinstance(ident, str):
            where = pos.at(key + ("id",)) if getattr(obj, "id", None) else pos.at(key + ("role",))
            self.log.append(("id", scope, ident, where))
        for name in ("items", "tasks"):
            for j, child in enumerate(getattr(obj, name, []) or []):
                self.remember(child, pos, key + (name, j), scope)

    def at(self, scope: str | None, name: str, where: Location) -> None:
        self.log.append(("at", scope, name, where))


def _unit(root: Path, rel: str, kind: str, raw: bytes, compiled: dict[str, Any] | None = None) -> Unit:
    """Parse and validate the bytes `raw` of the data file `rel` (of `kind`, see `_files`); `compiled`
    holds code already compiled for some texts (of an earlier version of the file)."""
    from . import models
    from .yamlio import parse

    r = _Recorder()
    path = root / rel
    try:
        data, pos = parse(path, raw)
    except DataError as exc:
        r.error(exc)
        return Unit(None, r.log)
    value: Any = None
    if kind == "citation":
        value = r.one(models.CitationFormats, data, pos, ())
    elif kind == "document":
        value = r.one(models.DocumentPack, data, pos, ())
        if value is not None:
            for i, item in enumerate(value.preamble):
                r.remember(item, pos, ("preamble", i))
            for key in value.labels:  # each label's own line, for provenance ("labels.trich_yeu")
                r.at(None, f"labels.{key}", pos.at(("labels", key)))
            for name in ("labels", "noi_nhan", "systems"):
                r.at(None, name, pos.at((name,)))
    elif kind == "province":
        value = _province(r, data, pos, Path(rel).stem)
    elif kind == "pack":
        value = _pack(r, data, pos, Path(rel).parent.name)
    else:
        top, model = _LISTS[kind]
        value = r.items(data, pos, top, getattr(models, model))
        if kind == "kinds":
            _kind_origins(r, value, data, pos)
    return Unit(value, r.log, _compiled(value, compiled or {}))


def _kind_origins(r: _Recorder, kinds: list[m.Kind], data: Any, pos: Positions) -> None:
    """Each kind's own labels and legal bases, located for provenance and errors (scope "kind:<id>")."""
    index = {item.get("id"): i for i, item in enumerate(data["kinds"]) if isinstance(item, dict)}
    for k in kinds:
        i = index[k.id]
        for key in k.labels:
            r.at(f"kind:{k.id}", f"labels.{key}", pos.at(("kinds", i, "labels", key)))
        for j, item in enumerate(k.preamble):
            r.remember(item, pos, ("kinds", i, "preamble", j))
        if k.noi_nhan is not None:
            r.at(f"kind:{k.id}", "noi_nhan", pos.at(("kinds", i, "noi_nhan")))


def _pack(r: _Recorder, data: Any, pos: Positions, name: str) -> m.Pack | m.DepartmentPack | None:
    """A pack of its own (rulepacks/<name>/pack.yaml); its rules located in the scope "pack:<name>". A pack
    with `documents:` holds several kinds of document (a department's plans: m.DepartmentPack)."""
    from . import models

    scope = f"pack:{name}"
    if isinstance(data, dict) and "documents" in data:
        dept = r.one(models.DepartmentPack, data, pos, ())
        if dept is not None:
            for kind, doc in dept.documents.items():
                for j, node in enumerate(doc.body):
                    r.remember(node, pos, ("documents", kind, "body", j), scope)
                for key in doc.labels:
                    r.at(scope, f"{kind}.labels.{key}", pos.at(("documents", kind, "labels", key)))
                r.at(scope, f"{kind}.noi_nhan", pos.at(("documents", kind, "noi_nhan")))
            for key in dept.labels:
                r.at(scope, f"labels.{key}", pos.at(("labels", key)))
            for j, prof in enumerate(dept.profiles):
                r.at(scope, f"profile:{prof.role}", pos.at(("profiles", j, "role")))
                for k, unit in enumerate(prof.units):
                    r.at(scope, f"unit:{prof.role}:{unit.id}", pos.at(("profiles", j, "units", k, "id")))
                for k, act in enumerate(prof.activities):
                    r.remember(act, pos, ("profiles", j, "activities", k), scope)
            for k, unit in enumerate(dept.shared_units):
                r.at(scope, f"unit:*:{unit.id}", pos.at(("shared_units", k, "id")))
            for key in ("labels", "scope", "profiles"):
                r.at(scope, key, pos.at((key,)))
        return dept
    value = r.one(models.Pack, data, pos, ())
    if value is not None:
        for j, node in enumerate(value.body):
            r.remember(node, pos, ("body", j), scope)
        for key in value.labels:
            r.at(scope, f"labels.{key}", pos.at(("labels", key)))
        for key in ("noi_nhan", "labels", "scope"):
            r.at(scope, key, pos.at((key,)))
    return value


def _province(r: _Recorder, data: Any, pos: Positions, stem: str) -> m.Province | None:
    from . import models

    if not r.top(data, pos, "province"):
        return None
    p = r.one(models.Province, data["province"], pos, ("province",))
    if p is None:
        return None
    if p.id != stem:
        r.error(DataError(f"province id '{p.id}' does not match the file name '{stem}'",
                          pos.at(("province", "id")), f"rename the file to {p.id}.yaml"))
    for name in ("body", "tasks", "targets", "responsibilities", "items", "rows", "drop"):
        for j, rule in enumerate(getattr(p.layer, name)):
            r.remember(rule, pos, ("province", "layer", name, j), p.id)
    for j, dep in enumerate(p.layer.departments):
        r.at(p.id, f"department:{dep.role}", pos.at(("province", "layer", "departments", j, "role")))
        for k, unit in enumerate(dep.units):
            r.at(p.id, f"unit:{dep.role}:{unit.id}", pos.at(("province", "layer", "departments", j, "units", k, "id")))
        for k, act in enumerate(dep.activities):
            r.remember(act, pos, ("province", "layer", "departments", j, "activities", k), p.id)
        if dep.signers:
            r.at(p.id, f"department:{dep.role}.signers", pos.at(("province", "layer", "departments", j, "signers")))
    for target_id in p.layer.values:
        r.at(p.id, f"values.{target_id}", pos.at(("province", "layer", "values", target_id)))
    for key in p.layer.labels:
        r.at(p.id, f"labels.{key}", pos.at(("province", "layer", "labels", key)))
    # the profile's own records (programmes, signers) are the province's layer too
    for j, prog in enumerate(p.programmes):
        r.remember(prog, pos, ("province", "programmes", j), p.id)
    r.at(p.id, p.id, pos.at(("province", "id")))
    if p.signers:
        r.at(p.id, f"{p.id}.signers", pos.at(("province", "signers")))
    return p


def _compiled(value: Any, known: dict[str, bytes]) -> dict[str, bytes]:
    """The compiled Jinja code of the texts in `value`, each marshalled: a cold run renders without
    compiling. The code of a text in `known` is reused (it depends on the text alone)."""
    import marshal

    from . import textenv

    if value is None:
        return {}
    code: dict[str, bytes] = {}
    for text in dict.fromkeys(strings(value)):
        if text in known:
            code[text] = known[text]
            continue
        try:
            for source, compiled in textenv.compile_texts((text,)).items():
                code[source] = marshal.dumps(compiled)
        except Exception:  # a text Jinja cannot compile is reported where it is rendered, and by `check`
            continue
    return code


def _is_code(code: Any) -> bool:
    """Whether `code` has the shape of a unit's or the data entry's code (text -> marshalled code; what
    the marshal holds is checked when the text is first rendered, see textenv._code)."""
    return isinstance(code, dict) and all(type(k) is str and type(v) is bytes for k, v in code.items())


def _code(unit: Unit | None) -> dict[str, bytes]:
    """The compiled code a (cached) unit holds, or nothing if it does not look like compiled code."""
    code = unit.code if unit is not None else None
    return code if _is_code(code) else {}  # type: ignore[return-value]


def _limits() -> str:
    """The YAML limits in force (they decide whether a file is read at all)."""
    return "\0".join(os.environ.get(n, "") for n in ("DRAFTER_MAX_YAML_BYTES", "DRAFTER_MAX_YAML_NODES"))


#: The type of a unit's value for each single-record kind (the list kinds hold lists of their model).
_SINGLE: dict[str, type | tuple[type, ...]] = {"citation": m.CitationFormats, "document": m.DocumentPack,
                                       "province": m.Province, "pack": (m.Pack, m.DepartmentPack)}


def _is_unit(value: Any, kind: str) -> bool:
    """Whether a cached value has the shape `_unit` gives a file of `kind` (else it is built anew)."""
    if not (isinstance(value, Unit) and isinstance(value.log, list) and _is_code(value.code)):
        return False
    for e in value.log:
        ok = (isinstance(e, tuple) and len(e) == 2 and e[0] == "error" and isinstance(e[1], DataError)) or (
            isinstance(e, tuple) and len(e) == 4 and e[0] in ("id", "at") and (e[1] is None or isinstance(e[1], str))
            and isinstance(e[2], str) and isinstance(e[3], Location))
        if not ok:
            return False
    if value.value is None:
        return True
    if kind in _SINGLE:
        return isinstance(value.value, _SINGLE[kind])
    model = getattr(m, _LISTS[kind][1])
    return isinstance(value.value, list) and all(isinstance(v, model) for v in value.value)


def _units(root: Path, files: list[tuple[str, str]]) -> tuple[list[Unit], dict[str, bytes]]:
    """The unit of each file (from the per-file cache where its bytes are unchanged), and the sha256
    of each file read, by path."""
    from . import cache
    from .yamlio import read_bytes

    store = cache.units(root)
    limits = _limits()
    out: list[Unit] = []
    hashes: dict[str, bytes] = {}
    for rel, kind in files:
        path = root / rel
        try:
            raw = read_bytes(path)
        except DataError as exc:  # missing, too large, not a file: cheap to find again, not cached
            out.append(Unit(None, [("error", exc)]))
            continue
        digest = hashlib.sha256(raw).digest()
        hashes[str(path)] = digest
        key = hashlib.sha256(f"{kind}\0{path}\0{limits}\0".encode() + digest).digest()
        accept = functools.partial(_is_unit, kind=kind)
        unit = store.get(rel, key, accept) if store is not None else None
        if unit is None:
            earlier = store.get(rel, None, accept) if store is not None else None
            unit = _unit(root, rel, kind, raw, _code(earlier))
            if store is not None:
                store.put(rel, key, unit)
        out.append(unit)
    if store is not None:
        store.save({rel for rel, _ in files})
    return out, hashes


def load(root: Path) -> DataSet:
    """Load the data directory `root`; raise Problems listing every error found."""
    from .cache import no_gc

    with no_gc():  # see load_cached
        return _load(Path(root))[0]


def _load(root: Path) -> tuple[DataSet, list[Unit], dict[str, bytes]]:
    if not root.is_dir():
        raise Problems([DataError(f"data folder {root} not found", "--data-dir",
                                  "point --data-dir at a folder holding rulepacks/, legal_refs/ and templates/")])
    missing = [DataError(f"missing folder {d}/", root, "point --data-dir at a copy of drafter's data")
               for d in ("rulepacks/national", "rulepacks/provinces", "legal_refs/national", "templates")
               if not (root / d).is_dir()]
    if missing:
        raise Problems(missing)
    _exit_quickly()
    files = _files(root)
    units, hashes = _units(root, files)
    data = _assemble(root, files, units)
    from . import textenv

    textenv.preload(_merged(units))  # `check` and the caller's checks compile no text twice
    return data, units, hashes


def _merged(units: list[Unit]) -> dict[str, bytes]:
    code: dict[str, bytes] = {}
    for unit in units:
        code.update(_code(unit))
    return code


def _assemble(root: Path, files: list[tuple[str, str]], units: list[Unit]) -> DataSet:
    problems: list[DataError] = []
    origins: dict[str, Location] = {}
    layer_origins: dict[str, dict[str, Location]] = {}
    by_kind: dict[str, list[Any]] = {}
    for (_, kind), unit in zip(files, units):
        for entry in unit.log:
            if entry[0] == "error":
                problems.append(entry[1])
                continue
            _, scope, name, where = entry
            seen = origins if scope is None else layer_origins.setdefault(scope, {})
            if entry[0] == "at":
                seen.setdefault(name, where)
            elif name in seen:
                problems.append(DataError(f"duplicate id '{name}' (first defined at {seen[name]})", where,
                                          "give each record its own id"))
            else:
                seen[name] = where
        by_kind.setdefault(kind, []).append(unit.value)

    def one(kind: str) -> Any:
        return by_kind[kind][0]

    def every(kind: str) -> list[Any]:
        return [v for value in by_kind.get(kind, []) if value is not None for v in value]

    citation, document = one("citation"), one("document")
    instruments: dict[str, m.Instrument] = {}
    for ins in every("instruments"):
        instruments.setdefault(ins.id, ins)
    agencies = {a.role: a for a in every("agencies")}
    provinces = {p.id: p for p in by_kind.get("province", []) if p is not None}
    kinds = {k.id: k for k in every("kinds")}
    for k in kinds.values():
        if not (root / "templates" / k.template).is_file():
            problems.append(DataError(f"template {k.template} of kind '{k.id}' not found", root / "templates",
                                      "restore it from the repository or fix `template:` in rulepacks/kinds.yaml"))
    if problems or citation is None or document is None:
        raise Problems(problems or [DataError("data incomplete", root)])
    names: dict[str, list[str]] = {}
    for p in provinces.values():
        for key in name_keys(p):
            names.setdefault(key, []).append(p.id)
    return DataSet(root, citation, document, Lazy(instruments, m.Instrument), agencies, every("body"),
                   every("areas"), every("targets"), every("responsibilities"), every("rows"),
                   Lazy(provinces, m.Province), kinds, origins, Lazy(layer_origins, dict), names,
                   {Path(rel).parent.name: u.value for (rel, kind), u in zip(files, units)
                    if kind == "pack" and u.value is not None})


@functools.lru_cache(maxsize=8192)
def name_key(text: str) -> str:
    """Case, diacritics, spacing, punctuation and Unicode form do not matter: 'KON TUM' = 'kontum'."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = re.sub(r"^(tinh|thanh pho|tp\.?)\s+", "", text.strip())
    return re.sub(r"[^a-z0-9]", "", text)


def name_keys(p: m.Province) -> set[str]:
    """The keys (name_key) of every name of `p`: its name, official name, id and aliases."""
    return {name_key(x) for x in (p.name, p.official_name, p.id, *p.aliases)}


def load_cached(root: Path, validate: Callable[[DataSet], None]) -> DataSet:
    """One load per process and directory (batch runs and tests share it), and one parse per
    edited file across runs (see drafter.cache), with the data texts' Jinja code compiled ahead.
    `validate` raises Problems for data that must not be drafted from (the caller's checks: loading
    does not depend on them)."""
    key = (root, validate)
    if key not in _LOADED:
        from . import textenv
        from .cache import dataset, no_gc

        name = f"{getattr(validate, '__module__', '')}.{getattr(validate, '__qualname__', '')}\0{_limits()}"
        with no_gc():  # a miss parses, validates, checks and pickles: collections would only walk it all
            data, code = dataset(Path(root), name, lambda: _build(Path(root), validate), _accept)
        for lazy in (data.instruments, data.provinces, data.layer_origins):
            lazy.fresh = functools.partial(_fresh, Path(root), lazy)  # type: ignore[attr-defined]
        textenv.preload(code)
        _exit_quickly()
        if len(_LOADED) >= 4:
            _LOADED.pop(next(iter(_LOADED)))
        _LOADED[key] = data
    return _LOADED[key]


_LOADED: dict[tuple[Path, Callable[[DataSet], None]], DataSet] = {}
_EXIT: list[bool] = []


def _exit_quickly() -> None:
    """At exit, stop the garbage collector from walking the loaded data again. While the interpreter
    shuts down, its collections walk every object still alive: with the data loaded that took 65 ms of
    a 350 ms `drafter new` (120 ms with the data grown ten-fold). Frozen, objects are still freed by
    reference counting; only cycles still alive at exit are left to the operating system."""
    if not _EXIT:
        import atexit
        import gc

        atexit.register(gc.freeze)
        _EXIT.append(True)


def _fresh(root: Path, lazy: Lazy) -> Mapping[str, Any]:
    """The field of a freshly loaded DataSet that `lazy` is (see cache.Lazy.fresh)."""
    data = load(root)
    return next(f for f in (data.instruments, data.provinces, data.layer_origins)
                if f.kind is lazy.kind)  # type: ignore[attr-defined]


def _build(root: Path, validate: Callable[[DataSet], None]
           ) -> tuple[tuple[DataSet, dict[str, bytes]], dict[str, bytes]]:
    """The validated data with its texts' compiled code (each marshalled), and each file's sha256 by path."""
    data, units, hashes = _load(root)
    validate(data)
    return (data, _merged(units)), hashes


def _load_compiled(root: Path, validate: Callable[[DataSet], None]) -> tuple[DataSet, dict[str, bytes]]:
    """`load` and `validate`, with the texts' compiled code (marshalled): what `load_cached` caches."""
    return _build(Path(root), validate)[0]


def _accept(value: Any) -> tuple[DataSet, dict[str, bytes]] | None:
    """A cached (DataSet, code) in the shape `load_cached` stored it, or None."""
    if not (isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], DataSet)
            and _is_code(value[1]) and _is_dataset(value[0])):
        return None
    return value[0], value[1]


def _is_dataset(d: DataSet) -> bool:
    """A shallow check of a cached DataSet's fields (their containers and first-level records; the
    lazy ones' records are checked when unpickled)."""
    lists = {"body": m.Node, "areas": m.Area, "targets": m.Target, "responsibilities": m.Responsibility,
             "rows": m.AppendixRow}
    dicts = {"agencies": m.Agency, "kinds": m.Kind}
    lazy = {"instruments": m.Instrument, "provinces": m.Province, "layer_origins": dict}
    return (isinstance(d.root, Path) and isinstance(d.citation, m.CitationFormats)
            and isinstance(d.document, m.DocumentPack)
            and all(isinstance(getattr(d, n), list) and all(isinstance(x, t) for x in getattr(d, n))
                    for n, t in lists.items())
            and all(isinstance(getattr(d, n), dict) and all(isinstance(x, t) for x in getattr(d, n).values())
                    for n, t in dicts.items())
            and all(isinstance(getattr(d, n), Lazy) and getattr(d, n).kind is t and getattr(d, n).intact()
                    for n, t in lazy.items())
            and isinstance(d.origins, dict) and isinstance(d.names, dict)
            and isinstance(d.packs, dict)
            and all(isinstance(x, (m.Pack, m.DepartmentPack)) for x in d.packs.values())
            and all(type(k) is str and isinstance(v, list) for k, v in d.names.items()))


def strings(obj: Any, out: list[str] | None = None, keys: bool = False) -> list[str]:
    """Every string held in `obj` (texts, labels, formats; mapping keys too with `keys`), for ahead-of-time
    compiling and for the character check. Appended to a list: a generator per node cost a first run ~15 ms."""
    out = [] if out is None else out
    if isinstance(obj, str):
        out.append(obj)
    elif isinstance(obj, m.Record):  # a model or its record
        for v in obj.__dict__.values():  # its fields' values
            strings(v, out, keys)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            strings(v, out, keys)
    elif isinstance(obj, (dict, abc.Mapping)):  # a dict, or the lazy mappings of a DataSet (cache.Lazy)
        for k, v in obj.items():
            if keys:
                strings(k, out, keys)
            strings(v, out, keys)
    elif isinstance(obj, DataSet):
        for name in ("citation", "document", "instruments", "agencies", "body", "areas", "targets",
                     "responsibilities", "rows", "provinces", "kinds", "packs"):
            strings(getattr(obj, name), out, keys)
    return out


load_cached.cache_clear = _LOADED.clear  # type: ignore[attr-defined]  # tests drop the per-process memo
