"""`record`: a dataclass at a seventh of the cost of creating one.

The run's own values (errors, the resolved snapshot, the laid-out context) are small dataclasses: about
26 classes on the way of every `drafter new`. `dataclasses.dataclass` writes six methods per class from
source text (exec), ~0.55 ms a class: ~14 ms of a ~200 ms warm run, spent before any work. `record`
writes only `__init__` from source (~0.07 ms) and shares one `__eq__`, `__hash__` and `__repr__`.

What it makes is a dataclass to the standard library: `dataclasses.fields`, `replace`, `asdict` and
`is_dataclass` work on it, as do `field(default_factory=…)` and class-level defaults. Not supported (and
not used here): slots and `__post_init__` (refused), order, InitVar, field(init=False).
"""

from __future__ import annotations

import dataclasses
from dataclasses import MISSING, FrozenInstanceError
from typing import Any, Callable, TypeVar

C = TypeVar("C", bound=type)

# The marker `dataclasses.fields` keeps a field by. Private to dataclasses, the same since 3.7.
_FIELD = dataclasses._FIELD  # type: ignore[attr-defined]


def record(cls: C | None = None, /, *, frozen: bool = True, kw_only: bool = False) -> Any:
    """Decorate `cls` as `@dataclass(frozen=frozen, kw_only=kw_only)` would, more cheaply."""
    def wrap(c: C) -> C:
        return _make(c, frozen, kw_only)

    return wrap if cls is None else wrap(cls)


def _make(cls: C, frozen: bool, kw_only: bool) -> C:
    fields: dict[str, dataclasses.Field] = {}
    for base in reversed(cls.__mro__[1:]):
        fields.update(getattr(base, "__dataclass_fields__", {}))
    for name, annotation in cls.__dict__.get("__annotations__", {}).items():
        if isinstance(annotation, str) and annotation.replace("typing.", "").startswith("ClassVar"):
            continue
        value = cls.__dict__.get(name, MISSING)
        f = value if isinstance(value, dataclasses.Field) else dataclasses.field(default=value)
        f.name, f.type, f._field_type = name, annotation, _FIELD  # type: ignore[attr-defined]
        f.kw_only = kw_only  # type: ignore[attr-defined]
        if isinstance(value, dataclasses.Field):  # a class attribute only for a plain default, as dataclass
            if f.default is MISSING:
                delattr(cls, name)
            else:
                setattr(cls, name, f.default)
        fields[name] = f
    if "__post_init__" in cls.__dict__ or "__slots__" in cls.__dict__:
        raise TypeError(f"{cls.__qualname__}: record supports neither __post_init__ nor __slots__; use dataclass")
    cls.__dataclass_fields__ = fields  # type: ignore[attr-defined]
    names = tuple(fields)
    methods = {"__init__": _init(cls, list(fields.values()), frozen), "__eq__": _eq(names),
               "__hash__": _hash(names) if frozen else None, "__repr__": _repr(names)}
    if frozen:
        methods.update(__setattr__=_frozen_setattr, __delattr__=_frozen_delattr)
    for name, method in methods.items():
        if name not in cls.__dict__:  # as dataclass does, a method the class defines itself stays
            setattr(cls, name, method)
    return cls


def _init(cls: type, fields: list[dataclasses.Field], frozen: bool) -> Callable[..., None]:
    """The class's __init__, written from source once: positional-or-keyword parameters in field order
    (keyword-only after a kw_only field), defaults and factories as dataclass gives them."""
    env: dict[str, Any] = {"_set": object.__setattr__ if frozen else None, "_MISSING": MISSING}
    params: list[str] = []
    body: list[str] = []
    star = False
    for f in fields:
        if f.kw_only and not star:  # type: ignore[attr-defined]
            params.append("*")
            star = True
        if f.default is not MISSING:
            env[f"_d_{f.name}"] = f.default
            params.append(f"{f.name}=_d_{f.name}")
            value = f.name
        elif f.default_factory is not MISSING:
            env[f"_f_{f.name}"] = f.default_factory
            params.append(f"{f.name}=_MISSING")
            value = f"_f_{f.name}() if {f.name} is _MISSING else {f.name}"
        else:
            params.append(f.name)
            value = f.name
        body.append(f"    _set(self, {f.name!r}, {value})" if frozen else f"    self.{f.name} = {value}")
    src = f"def __init__(self, {', '.join(params)}):\n" + ("\n".join(body) or "    pass") + "\n"
    exec(src, env)  # noqa: S102 - our own field names, as dataclasses does
    init = env["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    return init


def _eq(names: tuple[str, ...]) -> Callable[[Any, Any], Any]:
    def __eq__(self: Any, other: Any) -> Any:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in names)

    return __eq__


def _hash(names: tuple[str, ...]) -> Callable[[Any], int]:
    def __hash__(self: Any) -> int:
        return hash(tuple(getattr(self, n) for n in names))

    return __hash__


def _repr(names: tuple[str, ...]) -> Callable[[Any], str]:
    def __repr__(self: Any) -> str:
        return f"{type(self).__qualname__}({', '.join(f'{n}={getattr(self, n)!r}' for n in names)})"

    return __repr__


def _frozen_setattr(self: Any, name: str, value: Any) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _frozen_delattr(self: Any, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}")
