"""Local layers: a folder of province overlays (`drafter import` writes them) read over the shipped data.

A layers folder holds one `<province-id>.yaml` per province, top-level key `overlay:` (models.Overlay).
Applying it gives a new DataSet in which that province's profile and layer are the overlay's over the
shipped ones (rules by id: same id replaces, a new id adds), its local instruments are in the registry,
and every rule it adds is located in the overlay file (`drafter explain` names it). The shipped data
and its cache are untouched: the overlay is applied after loading, per run.
"""

from __future__ import annotations

import dataclasses
import os
from collections import ChainMap
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from . import layers
from . import records as m  # the models (pydantic) only validate an overlay file: see read()
from .errors import DataError, Problems, UsageError
from .loader import DataSet, _Recorder

if TYPE_CHECKING:  # yamlio imports ruamel: only a run that reads a layer pays for it
    from .yamlio import Positions

#: The folder `drafter new`, `batch`, `check`, `explain` and `diff` read when no --layers is given.
DEFAULT_DIR = "drafter-layers"

_LAYER_LISTS = ("body", "tasks", "targets", "responsibilities", "items", "rows")


def folder(option: Path | None) -> Path | None:
    """The layers folder of this run: --layers (which must exist), else ./drafter-layers if present."""
    if option is not None:
        if not option.is_dir():
            raise UsageError(f"{option} is not a folder of layers", "--layers",
                             "give the folder `drafter import` wrote (default ./drafter-layers)")
        return option
    default = Path(DEFAULT_DIR)
    return default if default.is_dir() else None


def files(layers: Path) -> list[Path]:
    return sorted(p for p in layers.glob("*.yaml") if p.is_file() and not p.name.startswith("."))


def read(path: Path) -> tuple[m.Overlay, dict[str, Any], dict[str, Any]]:
    """(the overlay, its rules' origins, its instruments' origins) of one file; located errors."""
    from .models import Overlay
    from .yamlio import parse, read_bytes

    data, pos = parse(path, read_bytes(path))
    r = _Recorder()
    ov = r.one(Overlay, data.get("overlay") if isinstance(data, dict) else None, pos, ("overlay",)) \
        if r.top(data, pos, "overlay") else None
    errors = [e[1] for e in r.log if e[0] == "error"]
    if errors or ov is None:
        raise Problems(errors or [DataError("expected a top-level 'overlay:' key", pos.at(()))])
    if ov.province != path.stem:
        raise DataError(f"overlay of '{ov.province}' in a file named '{path.name}'", pos.at(("overlay", "province")),
                        f"rename the file to {ov.province}.yaml")
    rules, instruments = _origins(ov, pos)
    return ov, rules, instruments


def _origins(ov: m.Overlay, pos: Positions) -> tuple[dict[str, Any], dict[str, Any]]:
    rules: dict[str, Any] = {}
    for name in (*_LAYER_LISTS, "drop"):
        for j, rule in enumerate(getattr(ov.layer, name)):
            rules.setdefault(rule.id, pos.at(("overlay", "layer", name, j, "id")))
            for k, child in enumerate(getattr(rule, "items", []) or []):
                if getattr(child, "id", None):
                    rules.setdefault(child.id, pos.at(("overlay", "layer", name, j, "items", k, "id")))
    for target_id in ov.layer.values:
        rules[f"values.{target_id}"] = pos.at(("overlay", "layer", "values", target_id))
    for key in ov.layer.labels:
        rules[f"labels.{key}"] = pos.at(("overlay", "layer", "labels", key))
    for j, prog in enumerate(ov.profile.programmes or []):
        rules[prog.id] = pos.at(("overlay", "profile", "programmes", j, "id"))
    if ov.profile.signers:
        rules[f"{ov.province}.signers"] = pos.at(("overlay", "profile", "signers"))
    instruments = {ins.id: pos.at(("overlay", "instruments", j, "id")) for j, ins in enumerate(ov.instruments)}
    return rules, instruments


def _merge(base: list, over: list) -> list:
    """Rules by id: an overlay rule replaces the one of the same id in place; a new one goes last."""
    ids = {r.id: r for r in over}
    out = [ids.pop(r.id, r) for r in base]
    return out + [r for r in over if r.id in ids]


def merge_layer(base: m.Layer, over: m.Layer) -> m.Layer:
    """The province's layer with the overlay's rules over it (both already validated)."""
    fields = {name: _merge(getattr(base, name), getattr(over, name)) for name in _LAYER_LISTS}
    return m.Layer.model_construct(
        shape=layers.merge_shape(base.shape, over.shape), labels={**base.labels, **over.labels},
        values={**base.values, **over.values}, drop=[*base.drop, *over.drop],
        forms=over.forms or base.forms, departments=[*base.departments, *over.departments], **fields)


def apply(data: DataSet, overlays: Iterable[tuple[Path, m.Overlay, dict, dict]]) -> DataSet:
    """A DataSet with each overlay applied to its province (the shipped DataSet is not changed)."""
    provinces: dict[str, m.Province] = {}
    instruments: dict[str, m.Instrument] = {}
    layer_origins: dict[str, dict] = {}
    origins = dict(data.origins)
    problems: list[DataError] = []
    for path, ov, rules, ins_origins in overlays:
        p = data.provinces.get(ov.province)
        if p is None:
            problems.append(DataError(f"overlay for unknown province id '{ov.province}'", path,
                                      "use an id `drafter provinces` lists (the file name is the id)"))
            continue
        for ins in ov.instruments:
            if ins.id in data.instruments or ins.id in instruments:
                problems.append(DataError(f"instrument id '{ins.id}' is already in the registry", ins_origins[ins.id],
                                          "cite the registry's record by its id instead of repeating it"))
            instruments[ins.id] = ins
        prof = {k: v for k, v in ov.profile.model_dump(exclude_defaults=True).items()}
        update: dict[str, Any] = {k: getattr(ov.profile, k) for k in prof if k not in ("agencies", "systems")}
        update["agencies"] = {**p.agencies, **ov.profile.agencies}
        update["systems"] = {**p.systems, **ov.profile.systems}
        update["layer"] = merge_layer(p.layer, ov.layer)
        provinces[p.id] = p.model_copy(update=update)
        layer_origins[p.id] = {**data.layer_origins.get(p.id, {}), **rules}
        origins.update(ins_origins)
    if problems:
        raise Problems(problems)
    return dataclasses.replace(
        data, provinces=ChainMap(provinces, data.provinces),  # type: ignore[arg-type]
        instruments=ChainMap(instruments, data.instruments),  # type: ignore[arg-type]
        layer_origins=ChainMap(layer_origins, data.layer_origins), origins=origins)  # type: ignore[arg-type]


def load(data: DataSet, layers: Path) -> tuple[DataSet, list[str]]:
    """`data` with every overlay of the folder `layers` applied, and the ids of the provinces they cover."""
    found, problems = [], []
    for path in files(layers):
        try:
            ov, rules, ins = read(path)
            found.append((path, ov, rules, ins))
        except Problems as exc:
            problems += exc.problems
        except DataError as exc:
            problems.append(exc)
    if problems:
        raise Problems(problems)
    return apply(data, found), [ov.province for _, ov, _, _ in found]


def describe(layers: Path, ids: list[str]) -> str:
    """One line for the CLI: which local layers this run reads."""
    where = os.path.relpath(layers) if not layers.is_absolute() else str(layers)
    return f"local layers from {where}: {', '.join(ids) if ids else 'none'}"
