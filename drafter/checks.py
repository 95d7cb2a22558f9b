"""`drafter check`: validate a data directory before anyone drafts from it.

Problems are reported as `path:line:col: severity: message`. Errors make the check fail; warnings
(unverified facts) are listed so reviewers see what a draft will mark."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Iterable, Iterator

from jinja2 import TemplateSyntaxError, UndefinedError
from jinja2.sandbox import SecurityError

from . import records as m
from .errors import DataError, Location, Problems
from .frozen import record
from .loader import DataSet, load, strings
from .render import CHECK_STYLE, jinja_env
from .textenv import TextLimitError, compiled, fit_plain, is_plain, limits, text_line
from .textenv import names as used_names
from .texts import BASE_NAMES, MARK_CLOSE, MARK_OPEN, MARK_SEP, TEXT_NAMES, probe_names

CALL_RE = re.compile(r"\b(cite|ref|ag|sys)\(\s*['\"]([^'\"]+)['\"]\s*\)")


@record
class Finding:
    where: Location | str
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        return f"{self.where}: {self.severity}: {self.message}"


def check(root: Path, layers: Path | None = None) -> list[Finding]:
    """Every finding on the data folder `root`, with the local layers of `layers` over it if given."""
    try:
        data = _load(Path(root))
        if layers is not None:
            from . import overlays

            data, _ = overlays.load(data, layers)
    except Problems as exc:
        return [Finding(p.where or root, p.message) for p in exc.problems]
    except DataError as exc:
        return [Finding(exc.where or root, exc.message)]
    return [*blocking(data, errors_only=False), *check_template(data), *warn_unverified(data)]


def _load(root: Path) -> DataSet:
    """The data as `drafter new` loads it, from the cache entry they share, when it passes the blocking
    checks (their findings are gathered again below, warnings too: ~15 ms); else loaded afresh, so that
    every finding is listed rather than the first run's refusal."""
    from .loader import load_cached

    try:
        return load_cached(root, validate)
    except Problems:
        return load(root)


def validate(data: DataSet) -> None:
    """Raise Problems for what `drafter check` calls errors: they stop a draft too (a bad text, an unknown
    area or role, dates out of order, a misplaced layer rule)."""
    bad = blocking(data)
    if bad:
        raise Problems([DataError(f.message, f.where) for f in bad])


def blocking(data: DataSet, errors_only: bool = True) -> list[Finding]:
    """The checks a draft must pass too (`drafter new` refuses data with any of these errors)."""
    found = [*check_characters(data), *check_texts(data), *check_references(data), *check_packs(data),
             *check_dates(data), *check_layers(data)]
    return [f for f in found if f.severity == "error"] if errors_only else found


# --------------------------------------------------------------------------- texts


ROW_TEXTS = ("task", "product", "deadline", "target", "detail", "start", "funding", "note")
Text = tuple[str, str, "m.When | None"]


def _nodes(items: list[m.Node]) -> Iterator[Text]:
    for n in items:
        if n.text:
            yield n.id, n.text, n.when
        yield from _nodes(n.items)


def _rules(tasks, targets, responsibilities, items, rows) -> Iterator[Text]:
    """The texts of rule lists, national or a layer's (the same shapes)."""
    for t in tasks:
        yield t.id, t.text, t.when
    for t in targets:
        yield t.id, t.text, t.when
        yield t.id, t.responsibility, t.when
    for r in responsibilities:
        yield r.id, r.heading, r.when
        for i in r.items:
            yield i.id, i.text, i.when
    for i in items:
        yield i.id, i.text, i.when
    for row in rows:
        for name in ROW_TEXTS:
            yield row.id, getattr(row, name), row.when


def _shape(owner: str, shape: m.Shape) -> Iterator[Text]:
    for text in shape.headings.values():
        yield owner, text, None
    for col in shape.appendix_columns or []:
        yield owner, col.label, None
        yield owner, col.default, None
    if shape.responsibility_number:
        yield owner, shape.responsibility_number, None


def _texts(data: DataSet) -> Iterator[Text]:
    """(record id, Jinja text, when) for every text of the rule pack and profiles."""
    for key, text in data.document.labels.items():
        yield "labels", text, None
    for item in data.document.noi_nhan:
        yield "noi_nhan", item.text, item.when
    yield from _nodes(data.body)
    for a in data.areas:
        yield a.id, a.title, None
        yield a.id, a.appendix_title, None
    tasks = [t for a in data.areas for t in a.tasks]
    yield from _rules(tasks, data.targets, data.responsibilities, [], data.rows)
    yield from _shape("shape", data.document.shape)
    for p in data.provinces.values():
        lay = p.layer
        yield from _nodes(lay.body)
        yield from _rules(lay.tasks, lay.targets, lay.responsibilities, lay.items, lay.rows)
        for text in lay.labels.values():
            yield p.id, text, None
        yield from _shape(p.id, lay.shape)
        for r in p.noi_nhan or []:
            yield p.id, r.text, r.when
        for f in lay.forms:
            for text in f.labels.values():
                yield p.id, text, f.when
    for k in data.kinds.values():
        for text in k.labels.values():
            yield k.id, text, None
        for r in k.noi_nhan or []:
            yield k.id, r.text, r.when


def _packs(data: DataSet) -> Iterator[tuple[str, "m.Pack | m.DepartmentPack", dict[str, Location], Path]]:
    """(folder name, pack, where its rules are written, its file) of each pack of its own."""
    for name, pack in data.packs.items():
        yield name, pack, data.layer_origins.get(f"pack:{name}", {}), data.root / "rulepacks" / name / "pack.yaml"


def _pack_texts(data: DataSet) -> Iterator[tuple[Location | Path, str, "m.When | None"]]:
    """(where, Jinja text, when) for every text of the packs of their own (rulepacks/<pack>/pack.yaml)."""
    for name, pack, own, where in _packs(data):
        if isinstance(pack, m.DepartmentPack):
            yield from _department_texts(data, pack, own, where)
            continue
        for key, text in pack.labels.items():
            yield own.get(f"labels.{key}", where), text, None
        for r in pack.noi_nhan:
            yield own.get("noi_nhan", where), r.text, r.when
        stack = list(reversed(pack.body))
        while stack:
            node = stack.pop()
            yield own.get(node.id, where), node.text, node.when
            stack.extend(reversed(node.items))


def _department_texts(data: DataSet, pack: "m.DepartmentPack", own, where
                      ) -> Iterator[tuple[Location | Path, str, "m.When | None"]]:
    """Every text of a department pack (labels, each document's labels, Nơi nhận and body, units' names,
    the profiles' activities) and of the provinces' `layer.departments`."""
    def nodes(items, scope):
        stack = list(reversed(items))
        while stack:
            node = stack.pop()
            at = scope.get(node.id, where)
            for text in (node.text, node.time, node.check):
                if text:
                    yield at, text, node.when
            stack.extend(reversed(node.items))

    for key, text in pack.labels.items():
        yield own.get(f"labels.{key}", where), text, None
    for kind, doc in pack.documents.items():
        for key, text in doc.labels.items():
            yield own.get(f"{kind}.labels.{key}", where), text, None
        for r in doc.noi_nhan:
            yield own.get(f"{kind}.noi_nhan", where), r.text, r.when
        yield from nodes(doc.body, own)
    for u in pack.shared_units:
        yield own.get(f"unit:*:{u.id}", where), u.name, u.when
    for prof in pack.profiles:
        for u in prof.units:
            yield own.get(f"unit:{prof.role}:{u.id}", where), u.name, u.when
        yield from nodes(prof.activities, own)
    for p in data.provinces.values():
        scope = data.layer_origins.get(p.id, {})
        for dep in p.layer.departments:
            for u in dep.units:
                yield scope.get(f"unit:{dep.role}:{u.id}", where), u.name, u.when
            yield from nodes(dep.activities, scope)


def _origin(data: DataSet, ident: str) -> Location | Path:
    loc = data.origins.get(ident)
    if loc is None:
        loc = next((o[ident] for o in data.layer_origins.values() if ident in o), None)
    return loc or data.root


#: The names each citation format of legal_refs/citation.yaml is rendered with (drafter.texts).
FORMAT_NAMES = {"formats": ("kind", "number", "date", "issuer", "title"), "amendment": ("kind", "number", "date",
                "issuer", "title"), "short": ("kind", "number", "title"), "amended": ("citation", "amendments"),
                "date_format": ("d", "m", "y")}


class _ProbeStore:
    """What probing each text found, kept across runs in one cache entry: a probe is a pure function of
    the text, its allowed names, the limits and drafter's code, so after an edit only new texts are
    rendered again (probing all ~700 texts takes ~0.09 s)."""

    def __init__(self, path: Path | None, key: bytes, known: dict[tuple[str, str, str], list[tuple[str, str]]]
                 ) -> None:
        self.path, self.key, self.known, self.changed = path, key, known, False
        self.used: set[tuple[str, str, str]] = set()
        self._tags: dict[frozenset[str], str] = {}

    @classmethod
    def open(cls) -> "_ProbeStore":
        import hashlib
        import marshal

        from . import cache

        key = f"probes\0{cache.code_salt()}\0{limits()!r}".encode()
        folder = cache.cache_dir()
        path = folder / f"probes-{hashlib.sha256(key).hexdigest()[:32]}.marshal" if folder else None
        known: dict = {}
        payload = cache.read(path, key) if path is not None else None
        if payload is not None:
            try:
                value = marshal.loads(payload)
                known = value if isinstance(value, dict) else {}
            except Exception:  # a damaged entry is only a miss
                known = {}
        return cls(path, key, known)

    def get(self, text: str, allowed: frozenset[str], names: dict | None, produce) -> list[tuple[str, str]]:
        tag = self._tags.get(allowed)
        if tag is None:
            tag = self._tags[allowed] = ",".join(sorted(allowed))
        # keyed by the text itself, not a digest of it: hashing ~700 texts cost every edit ~3 ms
        ident = (text, tag, repr(sorted(names)) if names else "")
        self.used.add(ident)
        found = self.known.get(ident)
        if not (isinstance(found, list) and all(isinstance(x, tuple) and len(x) == 2 for x in found)):
            found = produce()
            self.known[ident] = found
            self.changed = True
        return found

    def save(self) -> None:
        import marshal

        from . import cache

        stale = len(self.known) > 2 * len(self.used)  # texts edited away since: keep the entry small
        if (self.changed or stale) and self.path is not None:
            keep = {k: v for k, v in self.known.items() if k in self.used} if stale else self.known
            cache.write(self.path, self.key, marshal.dumps(keep))
            self.changed = False


class _Probe:
    """Checks one Jinja text as a draft would render it: its syntax and names, then a render with
    values of the right types (texts.probe_names), in the same sandbox and under the same limits, so
    that what `drafter new` refuses whatever the province and year (an unsafe attribute, an include,
    a text too long or looping too much) `check` refuses too. A text that fails only with some values
    (`{{ 100 / value | int }}`) is a warning. Each distinct text is checked once."""

    def __init__(self, store: "_ProbeStore") -> None:
        self.store = store
        self._probes: tuple[dict, dict] | None = None
        self.seen: dict[tuple[str, frozenset[str]], list[tuple[str, str]]] = {}
        self._by_names: dict[frozenset[str], list[dict]] = {}

    @property
    def probes(self) -> tuple[dict, dict]:
        if self._probes is None:
            self._probes = (probe_names(), probe_names(other=True))
        return self._probes

    def _limited(self, allowed: frozenset[str]) -> list[dict]:
        """The probes' values of the names `allowed` (one of a few sets)."""
        found = self._by_names.get(allowed)
        if found is None:
            found = self._by_names[allowed] = [{k: v for k, v in p.items() if k in allowed} for p in self.probes]
        return found

    def __call__(self, where: Location | Path | str, text: str, allowed: frozenset[str],
                 names: dict | None = None) -> Iterator[Finding]:
        key = (text, allowed)
        if key not in self.seen:
            self.seen[key] = self.store.get(text, allowed, names, lambda: list(self._problems(text, allowed, names)))
        for message, severity in self.seen[key]:
            yield Finding(where, message, severity)

    def _problems(self, text: str, allowed: frozenset[str], names: dict | None) -> Iterator[tuple[str, str]]:
        try:
            fit_plain(text)
        except TextLimitError as exc:
            yield f"{exc.message}; {exc.hint}", "error"
            return
        if is_plain(text):
            return
        try:
            used = used_names(text)  # noted when the text was compiled: it is not parsed again
        except TemplateSyntaxError as exc:  # an unknown filter or test too (found when compiling)
            yield f"text template syntax error: {exc.message} in {text!r}", "error"
            return
        unknown = used - allowed
        if unknown:
            yield f"text uses unknown name(s) {sorted(unknown)}; available: {sorted(allowed)}", "error"
            return
        probes = [names] if names is not None else self._limited(allowed)
        failed = [self._render(text, probe) for probe in probes]
        if all(failed):
            yield failed[0], "error"
        elif any(failed):
            yield f"{next(f for f in failed if f)} (with some values only: check what the text does with them)", \
                "warning"

    @staticmethod
    def _render(text: str, probe: dict) -> str | None:
        """What is wrong with rendering `text` with the names `probe`, if anything."""
        try:
            compiled(text).render(**probe)
        except TextLimitError as exc:
            return f"{exc.message}{_line(exc, text)}; {exc.hint}"
        except TemplateSyntaxError as exc:  # e.g. an unknown filter, found when compiling
            return f"text template syntax error: {exc.message} in {text!r}"
        except SecurityError as exc:
            return f"text does something unsafe{_line(exc, text)}: {exc.message}; a text may only show values"
        except UndefinedError as exc:
            return f"text uses a value that does not exist{_line(exc, text)}: {exc.message} in {text!r}"
        except DataError:
            return None  # from the data, not the text (the probe's functions raise none)
        except Exception as exc:  # e.g. {{ 1/0 }}: an expression that fails
            return f"text cannot be rendered{_line(exc, text)}: {type(exc).__name__}: {exc} in {text!r}"
        return None


def _line(exc: BaseException, text: str) -> str:
    line = text_line(exc) if "\n" in text.strip() else None
    return f" (line {line} of the text)" if line else ""


def check_texts(data: DataSet) -> Iterator[Finding]:
    try:
        limits()
    except DataError as exc:  # a limit set to something that is not a number: no text can render
        yield Finding(exc.where or data.root, exc.message)
        return
    probe = _Probe(_ProbeStore.open())
    for ident, text, when in _texts(data):
        where = _origin(data, ident)
        yield from probe(where, text, TEXT_NAMES)
        for fn, arg in CALL_RE.findall(text):
            yield from _check_call(data, where, fn, arg, when)
    for where, text, when in _pack_texts(data):
        yield from probe(where, text, TEXT_NAMES)
        for fn, arg in CALL_RE.findall(text):
            yield from _check_call(data, where, fn, arg, when)
    # names rendered with the base names only (TextRenderer._expand): agencies and systems
    for role, agency in data.agencies.items():
        for named in agency.names:
            yield from probe(_origin(data, role), named.name, BASE_NAMES)
    for key, name in data.document.systems.items():
        yield from probe(_origin(data, "systems"), name, BASE_NAMES)
    for p in data.provinces.values():
        where = data.layer_origins.get(p.id, {}).get(p.id, data.root)
        for name in [*p.agencies.values(), *p.systems.values()]:
            yield from probe(where, name, BASE_NAMES)
    citation = Location(data.root / "legal_refs" / "citation.yaml")
    for field, allowed in FORMAT_NAMES.items():
        value = getattr(data.citation, field)
        names = {k: "…" for k in allowed}
        for fmt in value.values() if isinstance(value, dict) else [value]:
            yield from probe(citation, fmt, frozenset(allowed), names)
    probe.store.save()


#: What a Word document cannot hold (XML 1.0 forbids the C0 controls but tab, line feed and carriage
#: return; carriage return, DEL and the C1 controls have no place in a plan either), and the
#: private-use characters drafter marks unverified facts with.
BAD_CHARS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff"
                       f"{MARK_OPEN}{MARK_SEP}{MARK_CLOSE}]")


def bad_char(text: str) -> str | None:
    """What is wrong with the first character of `text` a plan cannot hold, if any."""
    mt = BAD_CHARS.search(text)
    if mt is None:
        return None
    ch = mt.group()
    what = "character reserved by drafter" if ch in (MARK_OPEN, MARK_SEP, MARK_CLOSE) else "control character"
    before = text[max(0, mt.start() - 20):mt.start()]
    return (f"{what} U+{ord(ch):04X} at character {mt.start() + 1} (after {before!r}): a Word document cannot hold "
            f"it, and it would cost the text's other characters; remove it (in YAML it is often an escape such as "
            f"\"\\x{ord(ch) & 0xff:02x}\" in a double-quoted string; a line break is \"\\n\", a tab \"\\t\")")


def check_characters(data: DataSet) -> Iterator[Finding]:
    """Every string of the data, texts and names alike, holds only characters a .docx can hold;
    each problem is located at the record holding it."""
    everything = strings([data.citation, data.document, data.instruments, data.agencies, data.body, data.areas,
                          data.targets, data.responsibilities, data.rows, data.kinds, data.provinces, data.packs],
                         keys=True)
    if BAD_CHARS.search("\n".join(everything)) is None:
        return  # the usual case, found in one search (every edit re-runs this check: ~4 ms, not ~20)
    seen: set[tuple[object, str]] = set()

    def walk(obj: object, where: Location | Path, own: dict[str, Location], skip: tuple[str, ...] = ()
             ) -> Iterator[Finding]:
        if isinstance(obj, str):
            problem = bad_char(obj)
            if problem and (where, problem) not in seen:
                seen.add((where, problem))
                yield Finding(where, problem)
        elif isinstance(obj, m.Record):  # a model or its record: its fields are its __dict__
            ident = getattr(obj, "id", None) or getattr(obj, "role", None)
            if isinstance(ident, str) and ident in own:
                where = own[ident]
            for name, value in vars(obj).items():
                if name not in skip:
                    yield from walk(value, where, own)
        elif isinstance(obj, Mapping):  # a dict, or the lazy mappings of a DataSet (cache.Lazy)
            for k, v in obj.items():
                yield from walk(k, where, own)
                yield from walk(v, where, own)
        elif isinstance(obj, (list, tuple)):
            for v in obj:
                yield from walk(v, where, own)

    root, national = data.root, data.origins
    yield from walk(data.citation, Location(root / "legal_refs" / "citation.yaml"), national)
    document = Location(root / "rulepacks" / "national" / "document.yaml")
    for key, text in data.document.labels.items():
        yield from walk(text, national.get(f"labels.{key}", document), national)
    yield from walk(data.document, document, national, skip=("labels",))
    for part in (data.instruments, data.agencies, data.body, data.areas, data.targets, data.responsibilities,
                 data.rows, data.kinds):
        yield from walk(part, root, national)
    for p in data.provinces.values():
        own = data.layer_origins.get(p.id, {})
        where = own.get(p.id, root)
        for key, text in p.layer.labels.items():
            yield from walk(text, own.get(f"labels.{key}", where), own)
        yield from walk(p.layer, where, own, skip=("labels",))
        yield from walk(p, where, own, skip=("layer",))
    for name, pack in data.packs.items():
        own = data.layer_origins.get(f"pack:{name}", {})
        where = Location(root / "rulepacks" / name / "pack.yaml")
        for key, text in pack.labels.items():
            yield from walk(text, own.get(f"labels.{key}", where), own)
        yield from walk(pack, where, own, skip=("labels",))


def _check_call(data: DataSet, where, fn: str, arg: str, when: m.When | None) -> Iterator[Finding]:
    if fn in ("cite", "ref"):
        ins = data.instruments.get(arg)
        if ins is None:
            yield Finding(where, f"{fn}('{arg}'): no such instrument in legal_refs/")
        elif when and when.from_ and ins.replaced_on and when.from_ >= ins.replaced_on and not ins.replaced_by:
            yield Finding(where, f"{fn}('{arg}') applies from {when.from_} but {ins.number} no longer applies from "
                                 f"{ins.replaced_on} and has no successor")
    elif fn == "ag":
        agency = data.agencies.get(arg)
        if agency is None and not any(arg in p.agencies for p in data.provinces.values()):
            yield Finding(where, f"ag('{arg}'): no such agency role in rulepacks/national/agencies.yaml")
        elif agency is not None and agency.until and not agency.merged_into:
            if when is None or when.until is None or when.until > agency.until:
                yield Finding(where, f"ag('{arg}') names a role that ends on {agency.until} with no successor; "
                                     f"gate this rule with `when: {{until: {agency.until}}}`")
    elif fn == "sys":
        if arg not in data.document.systems:
            yield Finding(where, f"sys('{arg}'): no default in `systems:` of rulepacks/national/document.yaml")


# --------------------------------------------------------------------------- references


def check_references(data: DataSet) -> Iterator[Finding]:
    o = data.origins
    areas = {a.id for a in data.areas}
    for item in [*data.document.preamble, *(i for k in data.kinds.values() for i in k.preamble)]:
        if item.cite not in data.instruments:
            yield Finding(o.get(item.id, data.root), f"preamble cites unknown instrument '{item.cite}'")
    for p in data.provinces.values():  # a province issues its plan in a form drafter knows
        for f in p.layer.forms:
            if f.form not in data.kinds:
                yield Finding(data.layer_origins.get(p.id, {}).get(p.id, data.root),
                              f"layer form '{f.form}' is not a document kind; use one of: {', '.join(data.kinds)}")
    for ins in data.instruments.values():
        for succ in ins.replaced_by:
            if succ not in data.instruments:
                yield Finding(o.get(ins.id, data.root), f"replaced_by names unknown instrument '{succ}'")
        if ins.province and ins.province not in data.provinces:
            yield Finding(o.get(ins.id, data.root), f"province '{ins.province}' has no profile")
    for a in data.agencies.values():
        if a.merged_into and a.merged_into not in data.agencies:
            yield Finding(o.get(a.role, data.root), f"merged_into names unknown role '{a.merged_into}'")
    for t in data.targets:
        if t.area not in areas:
            yield Finding(o.get(t.id, data.root), f"target area '{t.area}' is not one of {sorted(areas)}")
        for v in t.values:
            where = o.get(t.id, data.root)
            if v.basis is None:
                yield Finding(where, f"national value {v.value} names no instrument that sets it; a province's own "
                                     f"figure goes in that province's layer (`layer.values`)")
            elif v.basis not in data.instruments:
                yield Finding(where, f"value basis '{v.basis}' is not in legal_refs/")
            elif (v.source or "").startswith("seed:"):
                yield Finding(where, f"value {v.value} is attributed to '{v.basis}' on the strength of {v.source}, a "
                                     f"province's plan; record it in that province's layer, without a basis")
    for row in data.rows:
        where = o.get(row.id, data.root)
        if row.area not in areas:
            yield Finding(where, f"appendix row area '{row.area}' is not one of {sorted(areas)}")
        for role in (*row.lead, *row.coop):
            if role not in data.agencies:
                yield Finding(where, f"appendix row names unknown role '{role}'")
    for p in data.provinces.values():
        where = data.layer_origins.get(p.id, {}).get(p.id, data.root)
        for ref in [p.successor] if p.successor else []:
            if ref not in data.provinces:
                yield Finding(where, f"successor '{ref}' has no profile")
        for ref in p.formed_from:
            if ref not in data.provinces:
                yield Finding(where, f"formed_from '{ref}' has no profile")
        for prog in p.programmes:
            if prog.cite not in data.instruments:
                yield Finding(where, f"programme cites unknown instrument '{prog.cite}'")
        own = data.layer_origins.get(p.id, {})
        for t in [*p.layer.tasks, *p.layer.targets, *p.layer.rows]:
            if t.area not in areas:
                yield Finding(own.get(t.id, where), f"area '{t.area}' is not one of {sorted(areas)}")
        for row in p.layer.rows:
            for role in (*row.lead, *row.coop):
                if role not in data.agencies and role not in p.agencies:  # the province's own agencies too
                    yield Finding(own.get(row.id, where), f"appendix row names unknown role '{role}'")
        for t in p.layer.targets:
            for v in t.values:
                if v.basis and v.basis not in data.instruments:
                    yield Finding(own.get(t.id, where), f"value basis '{v.basis}' is not in legal_refs/")
        for role in p.agencies:
            if role not in data.agencies:
                yield Finding(where, f"agencies overrides unknown role '{role}'", "warning")


def check_packs(data: DataSet) -> Iterator[Finding]:
    """A pack of its own names targets and roles that exist; a kind's pack exists; a province's yearly
    plans (`plans:`) are in the registry."""
    targets = {t.id for t in data.targets} | {t.id for p in data.provinces.values() for t in p.layer.targets}
    for k in data.kinds.values():
        if k.builder in ("commune", "department") and k.pack not in data.packs:
            yield Finding(data.root / "rulepacks" / "kinds.yaml",
                          f"kind '{k.id}' names the pack '{k.pack}', which has no rulepacks/{k.pack}/pack.yaml")
        elif k.builder == "department" and k.id not in getattr(data.packs[k.pack], "documents", {}):
            yield Finding(data.root / "rulepacks" / "kinds.yaml",
                          f"kind '{k.id}' has no document in rulepacks/{k.pack}/pack.yaml (`documents: {{{k.id}: …}}`)")
    for name, pack, own, where in _packs(data):
        if isinstance(pack, m.DepartmentPack):
            yield from _check_department(data, pack, own, where)
            continue
        for role in pack.assigned_roles:
            if role not in data.agencies:
                yield Finding(where, f"assigned_roles names unknown role '{role}'")
        stack = list(pack.body)
        while stack:
            node = stack.pop()
            stack.extend(node.items)
            if node.target is not None and node.target not in targets:
                yield Finding(own.get(node.id, where), f"target '{node.target}' is not a target of the national pack "
                                                       f"or of a province's layer")
    for p in data.provinces.values():
        for f in p.layer.forms:  # a province issues its own plan in a province's form, not a commune's
            if f.form in data.kinds and data.kinds[f.form].builder == "commune":
                yield Finding(data.layer_origins.get(p.id, {}).get(p.id, data.root),
                              f"layer form '{f.form}' is the plan of a commune, not a form of the province's plan")
        for plan in p.plans:
            if plan.cite not in data.instruments:
                yield Finding(data.layer_origins.get(p.id, {}).get(p.id, data.root),
                              f"plans: the plan for {plan.year} cites unknown instrument '{plan.cite}'")


def _check_department(data: DataSet, pack: "m.DepartmentPack", own, where) -> Iterator[Finding]:
    """A department pack's roles exist, its profiles are of agencies, its activities name units."""
    for role in pack.groups:
        if role not in data.agencies:
            yield Finding(own.get("labels", where), f"groups names unknown role '{role}'")
    areas = {a.id for a in data.areas}
    for area, slot in pack.area_units.items():
        if area not in areas:
            yield Finding(where, f"area_units names unknown area '{area}'")
    shared = {u.id for u in pack.shared_units}
    locals_ = {(d.role, u.id) for p in data.provinces.values() for d in p.layer.departments for u in d.units}
    for prof in pack.profiles:
        at = own.get(f"profile:{prof.role}", where)
        if prof.role not in data.agencies:
            yield Finding(at, f"profile of unknown agency role '{prof.role}'")
        slots = {u.id for u in prof.units} | shared | {s for r, s in locals_ if r == prof.role}
        if "van_phong" not in {u.id for u in prof.units}:
            yield Finding(at, f"the profile of '{prof.role}' has no unit `van_phong` (the unit that keeps its records)")
        for key, slot in prof.assign.items():
            if slot not in slots:
                yield Finding(at, f"assign: '{key}' names '{slot}', which is not a unit of the profile")
        for act in prof.activities:
            for slot in [*act.lead, *act.coop]:
                if slot not in slots and slot not in prof.assign:
                    yield Finding(own.get(act.id, at), f"activity '{act.id}' names the unit '{slot}', which the "
                                                       f"profile of '{prof.role}' does not have")
    roles = {p.role for p in pack.profiles}
    for p in data.provinces.values():
        for dep in p.layer.departments:
            if dep.role not in roles:
                yield Finding(data.layer_origins.get(p.id, {}).get(f"department:{dep.role}", data.root),
                              f"layer.departments names '{dep.role}', which has no profile in rulepacks/department/")


def check_dates(data: DataSet) -> Iterator[Finding]:
    for ins in data.instruments.values():
        where = data.origins.get(ins.id, data.root)
        if ins.signed and ins.effective and ins.effective < ins.signed:
            yield Finding(where, f"{ins.number}: effective {ins.effective} is before signed {ins.signed}")
        if ins.signed and ins.replaced_on and ins.replaced_on < ins.signed:
            yield Finding(where, f"{ins.number}: replaced_on {ins.replaced_on} is before signed {ins.signed}")
        for succ in ins.replaced_by:
            s = data.instruments.get(succ)
            if s and s.signed and ins.replaced_on and s.signed > ins.replaced_on:
                yield Finding(where, f"{ins.number} is replaced on {ins.replaced_on} by {s.number}, signed later "
                                     f"({s.signed})")
    layered = [(t, _origin(data, t.id)) for p in data.provinces.values() for t in p.layer.targets]
    for t, where in [*((t, _origin(data, t.id)) for t in data.targets), *layered]:
        for a, b in zip(t.values, t.values[1:]):
            if b.from_ <= a.from_:
                yield Finding(where, f"target values are not in date order ({a.from_}, {b.from_})")
        for v in t.values:
            if v.for_year < v.from_.year:
                yield Finding(where, f"value {v.value} is set for {v.for_year} but applies from {v.from_}")


def check_layers(data: DataSet) -> Iterator[Finding]:
    """A province's layer must merge: what it drops, replaces or places relative to must exist, and its
    shape must name the body's sections. Merged as the resolver merges, for the unit's first plan year."""
    from .resolve import resolve
    from .selection import default_as_of, first_year

    national = _national_ids(data)
    kinds = list(data.kinds.values())
    for p in data.provinces.values():
        lay = p.layer
        own = data.layer_origins.get(p.id, {})
        where = data.layer_origins.get(p.id, {}).get(p.id, data.root)
        for d in lay.drop:
            if d.id not in national:
                yield Finding(own.get(d.id, where), f"drop names '{d.id}', which is not a rule of the national pack")
        targets = {t.id for t in data.targets} | {t.id for t in lay.targets}
        for target_id in lay.values:
            if target_id not in targets:
                yield Finding(own.get(f"values.{target_id}", where), f"values for '{target_id}', which is not a "
                              f"target of the national pack or of this layer")
        blocks = {r.id for r in data.responsibilities} | {r.id for r in lay.responsibilities}
        for item in lay.items:
            if item.block not in blocks:
                yield Finding(own.get(item.id, where), f"item '{item.id}' names block '{item.block}', which is not a "
                              f"block of Tổ chức thực hiện (responsibilities)")
        if _empty(lay) or not kinds:
            continue
        year = first_year(p)
        if year is None:
            continue
        try:
            resolve(data, kinds[0], p, year, default_as_of(year))
        except DataError as exc:
            yield Finding(exc.where or where, f"layer of {p.id}: {exc.message}")


def _empty(layer: m.Layer) -> bool:
    """Whether a layer changes nothing: every field empty, its shape too. (Comparing with a `Layer()` built
    here built the validators of every layer model, ~30 ms of a run re-validating one edited file.)"""
    return not any(v for k, v in vars(layer).items() if k != "shape") and not any(vars(layer.shape).values())


def _national_ids(data: DataSet) -> set[str]:
    from .layers import walk_ids

    ids = set(walk_ids(data.body))
    ids |= {t.id for a in data.areas for t in a.tasks}
    ids |= {x.id for x in (*data.targets, *data.responsibilities, *data.rows, *data.document.preamble)}
    ids |= {i.id for r in data.responsibilities for i in r.items}
    return ids


def warn_unverified(data: DataSet) -> Iterator[Finding]:
    for ins in data.instruments.values():
        if ins.status != "V":
            what = ", ".join(ins.unverified) or "see note"
            yield Finding(data.origins.get(ins.id, data.root), f"{ins.number} status {ins.status} (unverified: {what})",
                          "warning")


# --------------------------------------------------------------------------- template

TAG_RE = re.compile(r"\{[{%#].*?[}%#]\}")


def check_template(data: DataSet) -> Iterator[Finding]:
    for kind in data.kinds.values():
        yield from _check_template(data, kind)


def _check_template(data: DataSet, kind: m.Kind) -> Iterator[Finding]:
    names = kind.template_names
    path = data.template(kind)
    rel = path.relative_to(data.root) if path.is_relative_to(data.root) else path
    try:
        raw = path.read_bytes()
    except OSError as exc:
        yield Finding(rel, f"not a readable .docx ({type(exc).__name__}); restore it or re-save it in Word as .docx")
        return
    from .cache import memo

    # What the template says depends on its bytes alone: worked out once per template (and kept across
    # runs), not for each kind using it on every `drafter check` (~40 ms a template).
    facts = memo("tplcheck", raw.decode("latin-1"), lambda: _template_facts(raw),
                 lambda v: isinstance(v, dict) and v.keys() == _FACTS)
    if facts["unreadable"]:
        yield Finding(rel, f"not a readable .docx ({facts['unreadable']}); restore it or re-save it in Word as .docx")
        return
    for i, full, smart, two_p, split in facts["paragraphs"]:
        where = f"{rel}: paragraph {i + 1}"
        if smart:
            yield Finding(where, f"Word smart quotes inside a tag (use straight quotes ' \"): {full!r}")
        if two_p:
            yield Finding(where, f"two {{%p … %}} tags in one paragraph (each needs its own paragraph): {full!r}")
        if split:
            yield Finding(where, f"a tag is split across Word runs (select it, cut and retype it in one go): {full!r}")
    if facts["syntax"] is not None:
        message, lineno = facts["syntax"]
        yield Finding(rel, f"template syntax error: {message} (line {lineno})")
        return
    if facts["unparsed"] is not None:
        yield Finding(rel, f"template cannot be parsed: {facts['unparsed']}")
        return
    used = set(facts["used"])
    for name in sorted(used - set(names)):
        yield Finding(rel, f"template uses '{name}', which the plan context does not provide; "
                           f"available: {', '.join(names)}")
    for name in sorted(set(names) - used):
        yield Finding(rel, f"template never shows '{name}' (the plan would lose that part)", "warning")
    # Fields of the context: `labels.x` must be a label of document.yaml (the edit staff most often
    # make), and the other records' fields must exist on their types.
    known = (set(data.document.labels) | set(kind.labels)) - set(kind.call_labels)
    for key in sorted(set(facts["labels"]) - known):
        yield Finding(rel, f"template uses 'labels.{key}', which is not a label of rulepacks/national/document.yaml",
                      "error")
    if CHECK_STYLE not in facts["styles"]:
        yield Finding(rel, f"character style '{CHECK_STYLE}' (highlight for unverified facts) is missing")


_FACTS = {"unreadable", "paragraphs", "syntax", "unparsed", "used", "labels", "styles"}


def _template_facts(raw: bytes) -> dict:
    """What `_check_template` needs of a template, from its bytes alone (marshallable, for cache.memo): why it
    cannot be read, its paragraphs with a tag Word broke (index, text, smart quotes, two {%p}, split across
    runs), its Jinja syntax error or parse failure, the names it uses, the `labels.x` keys it names and its
    style ids."""
    facts: dict = {"unreadable": None, "paragraphs": [], "syntax": None, "unparsed": None, "used": [],
                   "labels": [], "styles": []}
    try:
        from docx import Document
        from docxtpl import DocxTemplate

        zipfile.ZipFile(io.BytesIO(raw)).testzip()
        doc = Document(io.BytesIO(raw))
    except Exception as exc:  # any failure here means Word could not open it either
        facts["unreadable"] = type(exc).__name__
        return facts
    from docx.oxml.ns import qn

    for i, p_el in enumerate(doc.element.body.iter(qn("w:p"))):
        runs = [r for r in p_el.iter(qn("w:r"))]
        texts = ["".join(t.text or "" for t in r.iter(qn("w:t"))) for r in runs]
        full = "".join(texts)
        smart = any(q in tag for tag in re.findall(r"\{[{%].*?[}%]\}", full) for q in "“”‘’")
        two_p = full.count("{%p") > 1
        split = any(full.count(tok) > sum(t.count(tok) for t in texts) for tok in ("{{", "{%", "}}", "%}"))
        split = split or any(t.count("{{") != t.count("}}") or t.count("{%") != t.count("%}") for t in texts)
        if smart or two_p or split:
            facts["paragraphs"].append((i, full, smart, two_p, split))
    try:
        tpl = DocxTemplate(io.BytesIO(raw))
        facts["used"] = sorted(tpl.get_undeclared_template_variables(jinja_env()))
    except TemplateSyntaxError as exc:
        facts["syntax"] = (exc.message, exc.lineno)
    except Exception as exc:
        facts["unparsed"] = str(exc)
    xml = "".join(t.text or "" for t in doc.element.body.iter(qn("w:t")))
    for part in (doc.sections[0].header, doc.sections[0].footer):
        xml += "".join(t.text or "" for t in part._element.iter(qn("w:t")))
    facts["labels"] = sorted(set(re.findall(r"\blabels\.(\w+)", xml)))
    facts["styles"] = sorted(s.style_id for s in doc.styles if s.style_id)
    return facts


def errors(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == "error"]
