"""The commune-level units of the two-tier local government (xã, phường, đặc khu; 3,321 from
01/7/2025), and finding one by name.

The list is the one the `vietnam-provinces` package ships (the statistics office's list of units and
their official codes; README says which release). drafter reads the package's JSON file, not its Python
modules (importing them builds two enums of 3,355 members, ~80 ms), and keeps a compact index of it in
the cache (drafter.cache.memo), so a run pays ~1 ms for it. Names match as province names do: case,
diacritics, spacing, punctuation and the "xã"/"phường"/"đặc khu" prefix do not matter; where that leaves
several units, the name written exactly (with its diacritics) decides."""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from .errors import DataError, UsageError

PACKAGE = "vietnam-provinces"
#: The release drafter is tested with (constraints.txt pins it; pyproject asks for at least it).
PINNED = "2025.10.1"
#: How the package names each kind of unit, and how a plan writes it.
KINDS = {"xã": "Xã", "phường": "Phường", "đặc khu": "Đặc khu"}
INSTALL = f"install the list of communes: pip install '{PACKAGE}=={PINNED}'"


@dataclass(frozen=True, slots=True)
class Commune:
    """One commune-level unit: "Xã Tịnh Khê" (code 21211) of Quảng Ngãi (province code 51)."""

    code: int
    name: str  # without its kind: "Tịnh Khê"
    kind: str  # "xã", "phường" or "đặc khu"
    province_code: int

    @property
    def official_name(self) -> str:
        """As a text names it: "xã Tịnh Khê"."""
        return f"{self.kind} {self.name}"

    @property
    def title(self) -> str:
        """As the list writes it: "Xã Tịnh Khê"."""
        return f"{KINDS[self.kind]} {self.name}"

    @property
    def code_text(self) -> str:
        """The official code, five digits: "21211", "00070"."""
        return f"{self.code:05d}"

    @property
    def place(self) -> str:
        """The địa danh of the date line (ND 30 II.4: a unit named with a number is written in full)."""
        return self.title if any(ch.isdigit() for ch in self.name) else self.name


@dataclass(frozen=True)
class Units:
    """The package's list: its release, the date its data were retrieved, the 34 provinces and the
    communes (as rows: code, name, kind, province code), indexed by name key."""

    version: str
    data_version: str
    provinces: dict[int, str]
    rows: tuple[tuple[int, str, str, int], ...]
    #: name_key → codes: each unit under its bare name ("tinhkhe")
    by_key: dict[str, tuple[int, ...]]

    @functools.cached_property
    def by_code(self) -> dict[int, tuple[int, str, str, int]]:
        return {r[0]: r for r in self.rows}

    def commune(self, code: int) -> Commune:
        return Commune(*self.by_code[code])

    def of_province(self, province_code: int) -> list[Commune]:
        """The communes of a province, in the list's order of codes."""
        return [Commune(*r) for r in sorted(r for r in self.rows if r[3] == province_code)]

    def all(self) -> list[Commune]:
        return [Commune(*r) for r in sorted(self.rows, key=lambda r: (r[3], r[0]))]


def _strip(text: str) -> str:
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in text if not unicodedata.combining(ch)).lower()


@functools.lru_cache(maxsize=8192)
def name_key(text: str) -> str:
    """What names match on: no case, diacritics, spacing, punctuation or Unicode form."""
    return re.sub(r"[^a-z0-9]", "", _strip(text))


_PREFIX = re.compile(r"^\s*(xa|phuong|dac\s*khu)\b[\s.:-]*(.+)$")
_KIND_OF = {"xa": "xã", "phuong": "phường", "dackhu": "đặc khu"}


def _exact(text: str) -> str:
    """A name as written, only case, spacing, dashes and Unicode form set aside (diacritics kept)."""
    text = unicodedata.normalize("NFC", text).casefold().replace("–", "-").replace("’", "'")
    return " ".join(text.split())


# --------------------------------------------------------------------------- the package's list


def _source() -> tuple[Path, str, str]:
    """The package's JSON list, its release and its data's retrieval date, read without importing it."""
    import importlib.util

    try:
        spec = importlib.util.find_spec("vietnam_provinces")
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise DataError(f"the list of communes is missing: the package {PACKAGE} is not installed", PACKAGE, INSTALL)
    folder = Path(next(iter(spec.submodule_search_locations)))
    try:
        init = (folder / "__init__.py").read_text(encoding="utf-8")
    except OSError:
        init = ""

    def meta(name: str) -> str:
        found = re.search(rf"^{name}\s*=\s*['\"]([^'\"]+)['\"]", init, re.M)
        return found.group(1) if found else "?"

    return folder / "data" / "nested-divisions.json", meta("__version__"), meta("__data_version__")


def _parse(path: Path) -> tuple:
    """The list as marshallable values: ((province code, name) …), ((code, name, kind, province code) …) and
    {name key: (code …)}."""
    import json

    try:
        tree = json.loads(path.read_bytes())
        provinces = tuple((int(p["code"]), str(p["name"])) for p in tree)
        rows = []
        for p in tree:
            for w in p["wards"]:
                kind, full = str(w["division_type"]), unicodedata.normalize("NFC", str(w["name"]))
                prefix = KINDS[kind] + " "
                rows.append((int(w["code"]), full[len(prefix):] if full.startswith(prefix) else full, kind,
                             int(p["code"])))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DataError(f"the list of communes cannot be read ({type(exc).__name__}: {exc})", path,
                        f"reinstall the package: pip install --force-reinstall '{PACKAGE}=={PINNED}'") from None
    keys: dict[str, list[int]] = {}
    for code, bare, _, _ in rows:
        keys.setdefault(name_key(bare), []).append(code)
    return provinces, tuple(rows), {k: tuple(v) for k, v in keys.items()}


def _is_list(value: object) -> bool:
    """Whether a cached value has the shape `_parse` gives (else the list is read again)."""
    return (isinstance(value, tuple) and len(value) == 3 and isinstance(value[0], tuple)
            and isinstance(value[1], tuple) and isinstance(value[2], dict)
            and all(isinstance(p, tuple) and len(p) == 2 for p in value[0])
            and all(isinstance(r, tuple) and len(r) == 4 for r in value[1]))


_UNITS: list[Units] = []


def units() -> Units:
    """The package's list, once per process (and from the cache across runs)."""
    if not _UNITS:
        from . import cache

        path, version, data_version = _source()
        try:
            st = path.stat()
        except OSError:
            raise DataError(f"the list of communes is missing from the package {PACKAGE}", path, INSTALL) from None
        provinces, rows, keys = cache.memo("communes", f"{path}\0{st.st_size}\0{st.st_mtime_ns}\0{version}",
                                           lambda: _parse(path), _is_list)
        _UNITS.append(Units(version, data_version, dict(provinces), rows, keys))
    return _UNITS[0]


# --------------------------------------------------------------------------- finding one


def find(name: str, province_code: int | None = None, province_name: str | None = None,
         names: dict[int, str] | None = None) -> Commune:
    """The commune named `name` (or with that code), in the province `province_code` if given.
    `names` says how to name each province in a message (drafter's official names by code)."""
    u = units()
    text = unicodedata.normalize("NFC", name).strip()
    where = f" in {province_name}" if province_name else ""

    def label(c: Commune) -> str:
        prov = (names or {}).get(c.province_code) or u.provinces.get(c.province_code, str(c.province_code))
        return f"{c.title} ({prov}, mã {c.code_text})"

    if text.isdigit():
        row = u.by_code.get(int(text))
        if row is None or (province_code is not None and row[3] != province_code):
            raise UsageError(f"no commune has the code {text}{where}", "--commune",
                             "give the commune's name, or a code `drafter communes --province P` lists")
        return Commune(*row)
    found: dict[int, Commune] = {}
    for code in u.by_key.get(name_key(text), ()):
        found[code] = u.commune(code)
    pre = _PREFIX.match(_strip(text))
    if pre:  # "xã Tịnh Khê", "phuong 1 bao loc": the kind, then the name
        kind = _KIND_OF[re.sub(r"\s", "", pre.group(1))]
        for code in u.by_key.get(name_key(pre.group(2)), ()):
            c = u.commune(code)
            if c.kind == kind:
                found[code] = c
    matches = [c for c in found.values() if province_code is None or c.province_code == province_code]
    if len(matches) > 1:  # written exactly as one of them (diacritics and kind): that one
        exact = [c for c in matches if _exact(text) in (_exact(c.name), _exact(c.title))]
        if len(exact) == 1:
            matches = exact
    if len(matches) == 1:
        return matches[0]
    if not matches:
        import difflib  # for a name not found only

        pool = u.rows if province_code is None else [r for r in u.rows if r[3] == province_code]
        lookup = {name_key(r[1]): r[1] for r in pool}
        near = difflib.get_close_matches(name_key(pre.group(2) if pre else text), lookup, n=3, cutoff=0.8)
        elsewhere = [c for c in found.values() if c not in matches]
        hint = "run `drafter communes --province P` for the list"
        if elsewhere:
            hint = (f"that name is in {', '.join(label(c) for c in elsewhere)}: give its province, or "
                    + hint)
        elif near:
            hint = "did you mean " + ", ".join(f'"{lookup[k]}"' for k in near) + "? " + hint
        raise UsageError(f'unknown commune "{name}"{where}: no xã, phường or đặc khu has that name', "--commune", hint)
    listed = "; ".join(label(c) for c in sorted(matches, key=lambda c: (c.province_code, c.code)))
    first = matches[0]
    if len({c.province_code for c in matches}) > 1:
        hint = f'add --province to say which, e.g. --province "{u.provinces.get(first.province_code, "")}"'
    elif len({c.kind for c in matches}) > 1:
        hint = f'write its kind too, e.g. --commune "{first.title}", or give its code, e.g. --commune {first.code_text}'
    else:
        hint = (f'write the name exactly as listed, with its diacritics (e.g. --commune "{first.title}"), or give '
                f"its code, e.g. --commune {first.code_text}")
    raise UsageError(f'"{name}" names {len(matches)} communes{where}: {listed}', "--commune", hint)
