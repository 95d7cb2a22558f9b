"""The validated data as a run drafts from it: plain frozen records, no pydantic.

`drafter.models` declares the shape of every data file as a pydantic model and validates with it.
Each model class also derives from the record class of the same name here, which holds what the
record *does* (`When.applies`, …); the fields are the model's. The cache stores each validated model
as its record (drafter.cache), so a run served from the cache creates no pydantic class: importing
pydantic's model machinery and building the ~40 model classes cost a warm `drafter new` ~60 ms, more
than all of its drafting.

So the code after loading (resolve, layers, selection, the builders) names these classes, and works
the same on a validated model (a miss, or a test building models) and on its record (a cached run).
A record's fields are its `__dict__`: exactly the model's fields, every one set (validation filled in
the defaults). Keep this module free of pydantic and of field declarations: pydantic would read
annotations here as fields of the models.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

#: Fields of an instrument that a citation prints; if one is unverified the citation is marked.
CITED_FIELDS = ("number", "kind", "issuer", "signed", "title")


class Record:
    """A frozen record of validated data. Its fields are its `__dict__`; it copies (`model_copy`) and
    is built from known-good fields (`model_construct`) as a pydantic model does."""

    __slots__ = ()

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen: use model_copy(update={{...}})")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen")

    @classmethod
    def model_construct(cls, **fields: Any) -> Any:
        """A record of `fields`, not validated: the caller passes every field, each already valid."""
        obj = cls.__new__(cls)
        object.__setattr__(obj, "__dict__", fields)
        return obj

    def model_copy(self, *, update: dict[str, Any] | None = None) -> Any:
        """A copy with the fields of `update` replaced (shallow, as pydantic's)."""
        return record_of(type(self)).model_construct(**{**self.__dict__, **(update or {})})

    def __eq__(self, other: object) -> bool:
        # a record equals the model it was stored from: the same kind of record, the same fields
        if not isinstance(other, Record):
            return NotImplemented
        return record_of(type(self)) is record_of(type(other)) and self.__dict__ == other.__dict__

    def __hash__(self) -> int:
        return hash((record_of(type(self)), *self.__dict__.values()))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.__dict__.items())})"


_OF: dict[type, type] = {}


def record_of(cls: type) -> type:
    """The record class of `cls` (a record class, or a model class deriving from one): the first class of
    its MRO defined here."""
    found = _OF.get(cls)
    if found is None:
        found = _OF[cls] = next(c for c in cls.__mro__ if c.__module__ == __name__)
    return found


class When(Record):
    """When a rule applies (see models.When)."""

    def applies(self, as_of: dt.date, year: int) -> bool:
        if self.from_ is not None and as_of < self.from_:
            return False
        if self.until is not None and as_of >= self.until:
            return False
        if self.min_year is not None and year < self.min_year:
            return False
        if self.max_year is not None and year > self.max_year:
            return False
        return True


class Instrument(Record):
    def unverified_cited(self) -> list[str]:
        """Which printed parts of a citation are not verified (all of them when status is U)."""
        if self.status == "U":
            return list(CITED_FIELDS)
        return [f for f in CITED_FIELDS if f in self.unverified]


# The other records hold fields only; each is named as its model in drafter.models.
class CitationFormats(Record): pass  # noqa: E701
class Named(Record): pass  # noqa: E701
class Agency(Record): pass  # noqa: E701
class DatedValue(Record): pass  # noqa: E701
class Target(Record): pass  # noqa: E701
class Task(Record): pass  # noqa: E701
class Area(Record): pass  # noqa: E701
class Node(Record): pass  # noqa: E701
class ResponsibilityItem(Record): pass  # noqa: E701
class Responsibility(Record): pass  # noqa: E701
class AppendixRow(Record): pass  # noqa: E701
class Recipient(Record): pass  # noqa: E701
class DocumentPack(Record): pass  # noqa: E701
class PreambleItem(Record): pass  # noqa: E701
class Signer(Record): pass  # noqa: E701
class Province(Record): pass  # noqa: E701
class ProvincePlan(Record): pass  # noqa: E701
class ProvinceTask(Record): pass  # noqa: E701
class Placed(Record): pass  # noqa: E701
class LayerNode(Node, Placed): pass  # noqa: E701
class LayerTarget(Target, Placed): pass  # noqa: E701
class LayerResponsibility(Responsibility, Placed): pass  # noqa: E701
class LayerItem(ResponsibilityItem, Placed): pass  # noqa: E701
class LayerRow(AppendixRow, Placed): pass  # noqa: E701
class Drop(Record): pass  # noqa: E701
class AppendixColumn(Record): pass  # noqa: E701
class Shape(Record): pass  # noqa: E701
class Layer(Record): pass  # noqa: E701
class FormChoice(Record): pass  # noqa: E701
class ProfileOverlay(Record): pass  # noqa: E701
class Overlay(Record): pass  # noqa: E701
class Kind(Record): pass  # noqa: E701
class PackNode(Record): pass  # noqa: E701
class PackScope(Record): pass  # noqa: E701
class Pack(Record): pass  # noqa: E701
class DeptNode(Record): pass  # noqa: E701
class DeptUnit(Record): pass  # noqa: E701
class DeptProfile(Record): pass  # noqa: E701
class DeptDocument(Record): pass  # noqa: E701
class DepartmentPack(Record): pass  # noqa: E701
class DepartmentLocal(Record): pass  # noqa: E701
