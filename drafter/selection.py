"""Select what applies to a (province, plan year, drafting date): the province record, instruments in
force, agency names, dated target values and the signer. Pure functions over a loaded DataSet."""

from __future__ import annotations

import datetime as dt
from typing import Iterable

from . import records as m
from .errors import DataError, UsageError
from .loader import DataSet, name_key  # name_key: what names match (see DataSet.names)

YEARS = range(2021, 2031)


def default_as_of(year: int) -> dt.date:
    """Plans for year N are drafted in December of N−1."""
    return dt.date(year - 1, 12, 15)


def check_year(year: int) -> None:
    if year not in YEARS:
        raise UsageError(f"year {year} is outside 2021–2030, the period of Nghị quyết 76/NQ-CP",
                         "--year", "give a plan year from 2021 to 2030, e.g. --year 2024")


# --------------------------------------------------------------------------- provinces


def find_province(data: DataSet, name: str, as_of: dt.date, year: int) -> m.Province:
    import difflib  # for a name not found only

    key = name_key(name)
    matches = [data.provinces[i] for i in data.names.get(key, ())]  # DataSet.names, built when loading
    if not matches:
        names = sorted({p.name for p in data.provinces.values()})
        # 0.8: typos still match ("Kom Tum", "Dak Lac"); an old name sharing one syllable ("Hà Tây") does not
        near = difflib.get_close_matches(key, {name_key(n): n for n in names}, n=3, cutoff=0.8)
        hint = "run `drafter provinces` for the list"
        if near:
            lookup = {name_key(n): n for n in names}
            hint = "did you mean " + ", ".join(f'"{lookup[k]}"' for k in near) + "? " + hint
        raise UsageError(f'unknown province "{name}": no provincial unit of 2021–2030 has that name', "--province",
                         hint)
    current = [p for p in matches if p.exists.applies(as_of, year)]
    if current:
        return current[0]
    gone = matches[0]
    if gone.successor and gone.exists.until and as_of >= gone.exists.until:
        succ = data.provinces.get(gone.successor)
        succ_name = succ.official_name if succ else gone.successor
        raise UsageError(
            f"{gone.official_name} no longer exists for a plan drafted on {as_of:%d/%m/%Y}: "
            f"it became part of {succ_name} on {gone.exists.until:%d/%m/%Y}",
            "--province",
            f'draft the plan of {succ_name} instead: drafter new --province "{succ.name if succ else gone.successor}" '
            f"--year {year}",
        )
    raise UsageError(f"{gone.official_name} did not exist for a plan drafted on {as_of:%d/%m/%Y}", "--province",
                     "run `drafter provinces --year N` to list the units of that year")


def first_year(p: m.Province) -> int | None:
    """The first plan year (2021–2030) for which the unit drafts a plan."""
    return next((y for y in YEARS if p.exists.applies(default_as_of(y), y)), None)


def provinces_for(data: DataSet, year: int, as_of: dt.date | None = None) -> list[m.Province]:
    when = as_of or default_as_of(year)
    return sorted((p for p in data.provinces.values() if p.exists.applies(when, year)), key=lambda p: name_key(p.name))


# --------------------------------------------------------------------------- instruments


def in_force(ins: m.Instrument, as_of: dt.date) -> bool:
    signed_ok = ins.signed is None or ins.signed <= as_of
    replaced = ins.replaced_on is not None and ins.replaced_on <= as_of
    return signed_ok and not replaced


def effective(data: DataSet, ident: str, as_of: dt.date) -> m.Instrument:
    """The instrument to cite for `ident` at `as_of`: itself, or its successor once it was replaced."""
    return replacements(data, ident, as_of)[-1]


def replacements(data: DataSet, ident: str, as_of: dt.date) -> list[m.Instrument]:
    """`ident`, then each successor followed to reach the one in force at `as_of` (last)."""
    seen: set[str] = set()
    ins = instrument(data, ident)
    chain = [ins]
    while not in_force(ins, as_of) and ins.replaced_by and ins.id not in seen:
        seen.add(ins.id)
        ins = instrument(data, ins.replaced_by[0])
        chain.append(ins)
    if ins.signed is not None and ins.signed > as_of:
        raise DataError(f"instrument {ins.id} was signed on {ins.signed:%d/%m/%Y}, after the drafting date "
                        f"{as_of:%d/%m/%Y}", data.origins.get(ident), "gate the rule that cites it with `when: {from: …}`")
    return chain


def instrument(data: DataSet, ident: str) -> m.Instrument:
    try:
        return data.instruments[ident]
    except KeyError:
        raise unknown_instrument(data.instruments, ident) from None


def unknown_instrument(known: Iterable[str], ident: str) -> DataError:
    import difflib

    near = difflib.get_close_matches(ident, list(known), n=3)
    return DataError(f"unknown instrument id '{ident}'", None,
                     ("did you mean " + ", ".join(near) + "?") if near else "add it to legal_refs/")


# --------------------------------------------------------------------------- agencies, values, signer


def agency_name(data: DataSet, profile: m.Province, role: str, as_of: dt.date, year: int) -> str:
    seen: set[str] = set()
    while True:
        if role in profile.agencies:
            return profile.agencies[role]
        agency = data.agencies.get(role)
        if agency is None:
            raise DataError(f"unknown agency role '{role}'", None, "add it to rulepacks/national/agencies.yaml")
        if agency.until is not None and as_of >= agency.until:
            if agency.merged_into and agency.merged_into not in seen:
                seen.add(role)
                role = agency.merged_into
                continue
            raise DataError(f"agency role '{role}' no longer exists on {as_of:%d/%m/%Y} (ended {agency.until:%d/%m/%Y})",
                            data.origins.get(role), "gate the rule that names it with `when: {until: …}`")
        for named in agency.names:
            if named.when.applies(as_of, year):
                return named.name
        raise DataError(f"agency role '{role}' has no name on {as_of:%d/%m/%Y}", data.origins.get(role))


def value_for(data: DataSet, target: m.Target, year: int, as_of: dt.date) -> m.DatedValue | None:
    """The latest value dated on or before 1 January of the plan year, set for this year or a later
    one (an end point that has passed is not this year's figure), whose basis existed at drafting."""
    start = dt.date(year, 1, 1)
    chosen = None
    for v in sorted(target.values, key=lambda v: v.from_):
        basis = data.instruments.get(v.basis) if v.basis else None
        signed = basis is None or basis.signed is None or basis.signed <= as_of
        if v.from_ <= start and signed and year <= v.for_year:
            chosen = v
    return chosen


def previous_value(data: DataSet, target: m.Target, year: int, as_of: dt.date) -> m.DatedValue | None:
    """The last value set for an earlier year: a hint for the officer who fills this year's blank."""
    earlier = [v for v in target.values if v.for_year < year]
    return max(earlier, key=lambda v: (v.for_year, v.from_)) if earlier else None


def signer_for(profile: m.Province, year: int, as_of: dt.date) -> m.Signer | None:
    return next((s for s in profile.signers if s.when.applies(as_of, year)), None)


def form_for(profile: m.Province, year: int, as_of: dt.date) -> m.FormChoice | None:
    """How the province issues its plan on that date (its layer's `forms:`), if it says."""
    return next((f for f in profile.layer.forms if f.when.applies(as_of, year)), None)


# --------------------------------------------------------------------------- communes (a pack's units)


def check_scope(scope: m.PackScope, year: int, as_of: dt.date, what: str) -> None:
    """Refuse a plan year or drafting date outside the pack's scope, saying why (`what`: "commune plan")."""
    when = scope.when
    if when.min_year is not None and year < when.min_year or when.max_year is not None and year > when.max_year:
        first = when.min_year or year
        raise UsageError(f"no {what} for {year}: {scope.reason}", "--year",
                         f"give --year {first} or later (the province's own plan for {year}: "
                         f"drafter new --province P --year {year})")
    if not when.applies(as_of, year):
        start = f"{when.from_:%Y-%m-%d}" if when.from_ else "?"
        raise UsageError(f"no {what} drafted on {as_of:%d/%m/%Y}: {scope.reason}", "--as-of",
                         f"give a drafting date from {start}, or leave --as-of out (default "
                         f"{default_as_of(year):%Y-%m-%d})")


def pack_as_of(year: int, parent_date: dt.date | None) -> dt.date:
    """The default drafting date of a plan that implements another (the province's plan of `parent_date`):
    December of N−1, or the day of that plan if it is later (a commune drafts once it has it)."""
    default = default_as_of(year)
    return max(default, parent_date) if parent_date is not None else default


def province_by_code(data: DataSet, code: int, year: int, as_of: dt.date) -> m.Province | None:
    """The provincial unit with the official code `code` on the drafting date."""
    return next((p for p in provinces_for(data, year, as_of) if p.code.isdigit() and int(p.code) == code), None)


def role_at(data: DataSet, role: str, as_of: dt.date) -> str:
    """The role that answers for `role` on the drafting date: itself, or the role it merged into after it
    ended (`ubnd_huyen` → `ubnd_xa` from 01/7/2025)."""
    seen: set[str] = set()
    agency = data.agencies.get(role)
    while agency is not None and agency.until is not None and as_of >= agency.until and agency.merged_into \
            and role not in seen:
        seen.add(role)
        role = agency.merged_into
        agency = data.agencies.get(role)
    return role


# --------------------------------------------------------------------------- departments (rulepacks/department/)


def _nd30(day: dt.date) -> str:
    """"01/3/2025", "15/02/2026": a date as plans write it (ND 30: a month below 3 with a leading zero)."""
    return f"{day.day:02d}/{day.month:02d}/{day.year}" if day.month <= 2 else f"{day.day:02d}/{day.month}/{day.year}"


def _plain_name(name: str, unit) -> str:
    """An agency's name as data writes it, its "{{ tinh }}" read for the province."""
    import re

    return re.sub(r"\{\{\s*tinh\s*\}\}", unit.kind, name)


def find_agency(data: DataSet, pack: m.DepartmentPack, name: str, unit: m.Province, year: int,
                as_of: dt.date) -> str:
    """The role of the department named `name` (any name it has had, its role or the abbreviation of its
    ký hiệu; case, diacritics and spacing do not matter), as it exists on the drafting date; a department
    merged into another, renamed, or without a profile is refused with the reason."""
    key = name_key(name)
    profiles = {p.role for p in pack.profiles}
    matches: dict[str, str | None] = {}  # role -> the dated name matched (None: role or abbreviation)
    for role, agency in data.agencies.items():
        if key in (name_key(role), name_key(role.replace("_", " "))):
            matches.setdefault(role, None)
        for named in agency.names:
            if name_key(_plain_name(named.name, unit)) == key:
                matches[role] = named.name
    for p in pack.profiles:
        if any(name_key(a.name) == key for a in p.abbreviations):
            matches.setdefault(p.role, None)
    existing = agencies_of(data, pack, unit, year, as_of)
    listed = "; ".join(n for _, n in existing)
    if not matches:
        raise UsageError(f'unknown agency "{name}": no department of {unit.official_name} has that name', "--agency",
                         f"give a department's name, e.g. --agency \"{existing[0][1] if existing else 'Sở Nội vụ'}\"; "
                         f"those of {_nd30(as_of)}: {listed}")
    role, matched = next(iter(matches.items()))
    agency = data.agencies[role]
    label = _plain_name(matched, unit) if matched else _plain_name(agency.names[0].name, unit)
    if agency.until is not None and as_of >= agency.until:
        if agency.merged_into:
            successor = _plain_name(agency_name(data, unit, agency.merged_into, as_of, year), unit)
            raise UsageError(f"{label} no longer exists for a plan drafted on {_nd30(as_of)}: it merged into "
                             f"{successor} on {_nd30(agency.until)}", "--agency",
                             f'draft the plan of {successor} instead: --agency "{successor}"')
        raise UsageError(f"{label} no longer exists for a plan drafted on {_nd30(as_of)}: it ended on "
                         f"{_nd30(agency.until)}", "--agency", f"departments of that date: {listed}")
    if matched is not None:
        current = _plain_name(agency_name(data, unit, role, as_of, year), unit)
        if name_key(current) != name_key(label):
            raise UsageError(f"{label} is not the name of that agency for a plan drafted on {_nd30(as_of)}: on that "
                             f"date it was {current}", "--agency", f'use its name of that date: --agency "{current}"')
    if role not in profiles:
        raise UsageError(f"{label} is not a department (sở, ban, ngành) drafter has a profile for", "--agency",
                         f"departments of {_nd30(as_of)}: {listed}")
    if not any(p.role == role and p.when.applies(as_of, year) for p in pack.profiles):
        raise UsageError(f"{label} has no profile for a plan drafted on {_nd30(as_of)}", "--agency",
                         f"departments of that date: {listed}")
    return role


def agencies_of(data: DataSet, pack: m.DepartmentPack, unit: m.Province, year: int,
                as_of: dt.date) -> list[tuple[str, str]]:
    """(role, name) of every department with a profile that exists on the drafting date, by name."""
    out = []
    for p in pack.profiles:
        agency = data.agencies.get(p.role)
        if agency is None or not p.when.applies(as_of, year) or (agency.until is not None and as_of >= agency.until):
            continue
        out.append((p.role, _plain_name(agency_name(data, unit, p.role, as_of, year), unit)))
    return sorted(dict(out).items(), key=lambda rn: name_key(rn[1]))


def department_abbr(pack: m.DepartmentPack, role: str, year: int, as_of: dt.date) -> str:
    """The abbreviation of the ký hiệu of the department's documents on the drafting date ("SKHCN")."""
    prof = next((p for p in pack.profiles if p.role == role), None)
    if prof is None:
        return role
    return next((a.name for a in prof.abbreviations if a.when.applies(as_of, year)), prof.abbreviations[-1].name)
