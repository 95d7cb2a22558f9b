"""The sandboxed Jinja environment of data texts, and their compiled code.

Loading (to compile texts ahead of time) and rendering both use it; it depends on nothing else of
drafter but its errors, so neither needs the other.

Data texts come from YAML files anyone may edit, so a text is treated as untrusted code: Jinja's
immutable sandbox keeps it away from Python's internals, and the limits below keep it from hanging
or exhausting memory. Every text renders under a budget (one per text; the citations and agency
names it renders inside share it):

- `MAX_TEXT_CHARS`: the rendered text, and any one string or list it builds (counted in characters
  and items, nested ones included), e.g. `{{ 'x' * 1000000000 }}` or `{{ ('ab' ~ x) * 9999 }}`;
- `MAX_TEXT_LOOPS`: loop iterations and calls, all of the text's loops and macros together, and the
  length of any `range()`, e.g. two nested `range(100000)` loops;
- `MAX_TEXT_WORK`: the characters and items a text builds, converts and compares in all, e.g. a loop
  that joins or sorts a long list on every turn.

A real text is under 2 000 characters and uses no loop. Each limit can be raised for a legitimate
text through the environment variable of its name (`DRAFTER_MAX_TEXT_CHARS=200000 drafter new …`),
read when a draft or a check starts (`limits()`).
What no text can do at all (include other templates, reach attributes starting with `_`, recurse
loops) is refused when it is compiled, so `drafter check` reports it like a syntax error."""

from __future__ import annotations

import contextvars
import datetime as dt
import functools
import marshal
import math
import re
import types
from types import CodeType
from typing import Any, Callable, Iterable, Iterator, Mapping

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, nodes
from jinja2.compiler import CodeGenerator, Frame, operators as _COMPARE, optimizeconst
from jinja2.environment import Environment, Template
from jinja2.nodes import EvalContext
from jinja2.runtime import Context, markup_join, str_join
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedEscapeFormatter, SandboxedFormatter, SecurityError
from markupsafe import Markup

from .envlimits import positive_int

# --------------------------------------------------------------------------- limits

#: Limits of one text (see the module's docstring); each is overridden by the environment
#: variable of its name.
MAX_TEXT_CHARS = 100_000
MAX_TEXT_LOOPS = 10_000
MAX_TEXT_WORK = 1_000_000
LIMITS = {"DRAFTER_MAX_TEXT_CHARS": MAX_TEXT_CHARS, "DRAFTER_MAX_TEXT_LOOPS": MAX_TEXT_LOOPS,
          "DRAFTER_MAX_TEXT_WORK": MAX_TEXT_WORK}


def _number(n: int) -> str:
    return f"{n:,}".replace(",", " ") if n < 10 ** 30 else "countless"


class TextLimitError(SecurityError):
    """A text went over one of the limits. `limit` names the environment variable that raises it."""

    def __init__(self, what: str, limit: str, value: int) -> None:
        self.limit, self.value = limit, value
        super().__init__(f"{what} (limit {limit}={value})")

    @property
    def hint(self) -> str:
        return (f"a real text is under 2 000 characters and needs no loop: look for `*`, `~`, `join`, `range()` or "
                f"loops that repeat text; if this text is legitimate, raise the limit, e.g. "
                f"{self.limit}={self.value * 10} drafter …")


def _read(name: str) -> int:
    return positive_int(name, LIMITS[name])


#: The limits in force: read from the environment by `limits()`, when a draft or a check starts
#: (reading the environment for each of a plan's ~300 texts would cost more than rendering them).
_IN_FORCE: dict[str, int] = {}


def limits() -> dict[str, int]:
    """Read the limits from the environment (each text rendered from now on is held to them), and
    return them; raises DataError for a setting that is not a positive whole number."""
    values = {name: _read(name) for name in LIMITS}
    _IN_FORCE.update(values)
    return values


def limit(name: str) -> int:
    """The limit `name` (one of LIMITS) in force."""
    if not _IN_FORCE:
        limits()
    return _IN_FORCE[name]


class _Budget:
    """What one text (with the texts it renders inside) may still do."""

    __slots__ = ("chars", "loops", "work", "steps", "spent", "_sizes")

    def __init__(self) -> None:
        if not _IN_FORCE:
            limits()
        self.chars = _IN_FORCE["DRAFTER_MAX_TEXT_CHARS"]
        self.loops = _IN_FORCE["DRAFTER_MAX_TEXT_LOOPS"]
        self.work = _IN_FORCE["DRAFTER_MAX_TEXT_WORK"]
        self.steps = 0
        self.spent = 0
        self._sizes: dict[int, tuple[Any, int]] = {}

    def step(self) -> None:
        self.steps += 1
        if self.steps > self.loops:
            raise TextLimitError(f"the text runs more than {_number(self.loops)} loop iterations and calls",
                                 "DRAFTER_MAX_TEXT_LOOPS", self.loops)

    def charge(self, n: int) -> None:
        self.spent += n
        if self.spent > self.work:
            raise TextLimitError(f"the text builds, converts or compares more than {_number(self.work)} characters "
                                 f"and items in all", "DRAFTER_MAX_TEXT_WORK", self.work)

    def fits(self, n: int | float, what: str = "the text builds a value of {n} characters or items") -> None:
        if n > self.chars:
            raise TextLimitError(what.format(n=_number(int(n))), "DRAFTER_MAX_TEXT_CHARS", self.chars)

    def built(self, value: Any) -> Any:
        """`value`, once it is known to fit; what it holds is charged to the work budget."""
        n = self.size(value)
        self.fits(n)
        self.charge(n)
        return value

    def size(self, obj: Any) -> int:
        """Characters and items in `obj`, nested ones included (a list holding one string ten
        times counts it ten times: printing it costs that much). Counting stops past the limit."""
        if isinstance(obj, (str, bytes, bytearray)):
            return len(obj)
        if isinstance(obj, bool) or obj is None:
            return 1
        if isinstance(obj, int):
            return int(obj.bit_length() * 0.30103) + 1  # decimal digits
        if isinstance(obj, range):
            try:
                return len(obj) + 1
            except OverflowError:
                return self.chars + 1
        if not isinstance(obj, (list, tuple, dict, set, frozenset)):
            return 1
        hit = self._sizes.get(id(obj))
        if hit is not None and hit[0] is obj:
            return hit[1]
        self._sizes[id(obj)] = (obj, self.chars + 1)  # while counting (a cycle counts as too big)
        total = len(obj) + 1
        children: Iterable[Any] = obj if not isinstance(obj, dict) else (x for kv in obj.items() for x in kv)
        for child in children:
            total += self.size(child)
            if total > self.chars:
                break
        self._sizes[id(obj)] = (obj, total)
        return total


_BUDGET: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("drafter_text_budget", default=None)


def rendering() -> bool:
    """Whether a text is rendering (a limit reached now may be that text's, not the caller's)."""
    return _BUDGET.get() is not None


def _budget() -> _Budget:
    # Outside a render (Jinja folding constants while it compiles) each operation has its own budget.
    return _BUDGET.get() or _Budget()


# --------------------------------------------------------------------------- size estimates
# Checked before an operation that could allocate far more than its inputs hold.

_PERCENT = re.compile(r"%(?:\([^)]*\))?[#0 +\-]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?([a-zA-Z%])")
_SPEC = re.compile(r"(?:.?[<>=^])?[+\- ]?z?#?0?(\d*)[,_]?(?:\.(\d+))?")


def _int(text: str) -> int:
    return int(text) if len(text) < 20 else 10 ** 20


def _percent_size(b: _Budget, fmt: Any, values: Any) -> int:
    """Characters of `fmt % values`, at most."""
    if not isinstance(fmt, (str, bytes)):
        return 0
    fmt_s = fmt if isinstance(fmt, str) else fmt.decode("latin-1")
    specs = list(_PERCENT.finditer(fmt_s))
    if isinstance(values, dict):  # each spec may name the largest value
        args: tuple = tuple(values.values())
        total = len(fmt_s) + len(specs) * max((b.size(a) for a in args), default=0)
    else:
        args = values if isinstance(values, tuple) else (values,)
        total = len(fmt_s) + sum(b.size(a) for a in args)
    for m in specs:
        for g in m.group(1, 2):
            if g == "*":
                total += sum(a for a in args if isinstance(a, int) and a > 0)
            elif g:
                total += _int(g)
    return total


def _binop_size(b: _Budget, op: str, left: Any, right: Any) -> int:
    seq = (str, bytes, list, tuple)
    if op == "*":
        if isinstance(left, int) and isinstance(right, seq):
            left, right = right, left
        if isinstance(left, seq) and isinstance(right, int):
            return b.size(left) * max(right, 0)
        if isinstance(left, int) and isinstance(right, int):
            return b.size(left) + b.size(right)
    elif op == "**":
        if isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1:
            return int(right * math.log10(abs(left))) + 1
    elif op == "+":
        if isinstance(left, seq) and isinstance(right, seq):
            return b.size(left) + b.size(right)
    elif op == "%":
        return _percent_size(b, left, right)
    return 0


def _method_size(b: _Budget, method: Any, args: tuple, kwargs: dict) -> int:
    """Characters of the result of a str/bytes/int method that can grow far past its inputs
    (`'x'.center(10**9)`), at most."""
    owner, name = getattr(method, "__self__", None), getattr(method, "__name__", "")
    if isinstance(owner, (str, bytes, bytearray)):
        n = len(owner)
        if name in ("center", "ljust", "rjust", "zfill") and args:
            return max(n, int(args[0]))
        if name == "expandtabs":
            tab = int(args[0]) if args else int(kwargs.get("tabsize", 8))
            return n + owner.count("\t" if isinstance(owner, str) else b"\t") * max(tab, 0)
        if name == "replace" and len(args) >= 2:
            old, new = args[0], args[1]
            count = args[2] if len(args) > 2 else kwargs.get("count", -1)
            times = owner.count(old) if len(old) else n + 1
            if count is not None and count >= 0:
                times = min(times, count)
            return n + times * max(len(new) - len(old), 0)
        if name == "join" and args and isinstance(args[0], list):
            return sum(b.size(i) for i in args[0]) + n * max(len(args[0]) - 1, 0)
        if name == "translate" and args and isinstance(args[0], dict):
            longest = max((len(v) for v in args[0].values() if isinstance(v, (str, bytes))), default=1)
            return n * max(longest, 1)
    elif isinstance(owner, int) and name == "to_bytes":
        return int(args[0]) if args else int(kwargs.get("length", 1))
    return 0


# --------------------------------------------------------------------------- filters


def _split_pass_arg(args: tuple) -> tuple[tuple, tuple]:
    """Jinja passes some filters its environment, evaluation context or context first."""
    i = 0
    while i < len(args) and isinstance(args[i], (Environment, EvalContext, Context)):
        i += 1
    return args[:i], args[i:]


def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def _pre_center(b: _Budget, args: tuple, kwargs: dict) -> tuple:
    width = args[1] if len(args) > 1 else kwargs.get("width", 80)
    b.fits(max(len(_text(args[0])), int(width)))
    return args


def _pre_indent(b: _Budget, args: tuple, kwargs: dict) -> tuple:
    s = _text(args[0])
    width = args[1] if len(args) > 1 else kwargs.get("width", 4)
    per_line = len(width) if isinstance(width, str) else int(width)
    b.fits(len(s) + (s.count("\n") + 1) * max(per_line, 0))
    return args


def _pre_format(b: _Budget, args: tuple, kwargs: dict) -> tuple:
    b.fits(_percent_size(b, _text(args[0]), kwargs or tuple(args[1:])))
    return args


def _pre_join(b: _Budget, args: tuple, kwargs: dict) -> tuple:
    items = list(args[0])
    sep = args[1] if len(args) > 1 else kwargs.get("d", "")
    b.fits(sum(b.size(i) for i in items) + b.size(sep) * max(len(items) - 1, 0))
    return (items, *args[1:])


def _pre_replace(b: _Budget, args: tuple, kwargs: dict) -> tuple:
    s, old, new = (_text(a) for a in args[:3])
    count = args[3] if len(args) > 3 else kwargs.get("count")
    b.fits(_method_size(b, s.replace, (old, new, -1 if count is None else count), {}))
    return args


def _pre_wordwrap(b: _Budget, args: tuple, kwargs: dict) -> tuple:
    s = _text(args[0])
    wrap = args[3] if len(args) > 3 else kwargs.get("wrapstring")
    b.fits(len(s) * (1 + len(_text(wrap or "\n"))))
    return args


def _pre_batch(b: _Budget, args: tuple, kwargs: dict) -> tuple:
    fill = args[2] if len(args) > 2 else kwargs.get("fill_with")
    if fill is not None:  # the last batch is filled up to `linecount` items
        b.fits(int(args[1] if len(args) > 1 else kwargs["linecount"]), "the text fills a batch to {n} items")
    return args


def _pre_slice(b: _Budget, args: tuple, kwargs: dict) -> tuple:
    b.fits(int(args[1] if len(args) > 1 else kwargs["slices"]), "the text slices a list into {n} parts")
    return args


def _pre_sum(b: _Budget, args: tuple, kwargs: dict) -> tuple:
    start = args[2] if len(args) > 2 else kwargs.get("start", 0)
    if isinstance(start, (int, float)):
        return args  # numbers (a list cannot be added to a number)
    items = list(args[0])
    total = b.size(start) + sum(b.size(i) for i in items)
    b.fits(total)
    b.charge(total * len(items))  # each addition copies what came before
    return (items, *args[1:])


_PRE: dict[str, Callable[[_Budget, tuple, dict], tuple]] = {
    "center": _pre_center, "indent": _pre_indent, "format": _pre_format, "join": _pre_join, "replace": _pre_replace,
    "wordwrap": _pre_wordwrap, "batch": _pre_batch, "slice": _pre_slice, "sum": _pre_sum,
}


def _guard(name: str, f: Callable[..., Any], test: bool = False) -> Callable[..., Any]:
    """A filter or test that charges what it reads and what it builds to the text's budget, and
    checks first when its arguments could make it build far more than it reads."""
    pre = _PRE.get(name)

    @functools.wraps(f)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        b = _budget()
        b.charge(sum(b.size(a) for a in args) + sum(b.size(v) for v in kwargs.values()))
        if pre is not None:
            lead, rest = _split_pass_arg(args)
            try:
                args = (*lead, *pre(b, rest, kwargs))
            except (TypeError, ValueError, IndexError, KeyError, AttributeError, OverflowError):
                pass  # bad arguments: the filter itself says what is wrong
        result = f(*args, **kwargs)
        return result if test else b.built(result)

    return guarded


def _capfirst(text: str) -> str:
    return text[:1].upper() + text[1:]


def _range(*args: Any) -> range:
    rng = range(*args)
    b = _budget()
    try:
        n = len(rng)
    except OverflowError:
        n = b.loops + 1
    if n > b.loops:
        raise TextLimitError(f"range() of {_number(n)} numbers is longer than the loops of a text may run",
                             "DRAFTER_MAX_TEXT_LOOPS", b.loops)
    return rng


class _Counted:
    """A loop's iterable, counting each turn against the text's budget."""

    __slots__ = ("iterable", "budget")

    def __init__(self, iterable: Any, budget: _Budget) -> None:
        self.iterable, self.budget = iterable, budget

    def __iter__(self) -> Iterator[Any]:
        step = self.budget.step
        for item in self.iterable:
            step()
            yield item

    def __len__(self) -> int:
        return len(self.iterable)


# --------------------------------------------------------------------------- compiling


class _CodeGenerator(CodeGenerator):
    """Jinja's code, with the places where a text could build without bound routed through the
    environment: loops, `~`, list/tuple/dict displays and the operands of comparisons."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._loops: dict[int, nodes.Node] = {}  # the iterables of the loops (Jinja allows no new node types)
        #: the names the text reads from its context, as jinja2.meta.find_undeclared_variables finds them
        self.undeclared: set[str] = set()

    def enter_frame(self, frame: Frame) -> None:
        super().enter_frame(frame)
        for _, (action, param) in frame.symbols.loads.items():
            if action == "resolve" and param not in self.environment.globals:
                self.undeclared.add(param)

    def visit(self, node: nodes.Node, *args: Any, **kwargs: Any) -> Any:
        if id(node) in self._loops:
            self.write("environment.guard_loop(")
            super().visit(node, *args, **kwargs)
            self.write(")")
            return None
        return super().visit(node, *args, **kwargs)

    def visit_For(self, node: nodes.For, frame: Frame) -> None:
        self._loops[id(node.iter)] = node.iter
        super().visit_For(node, frame)

    @optimizeconst
    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.guard_join((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("), context.eval_ctx.autoescape)")

    def _display(self, visit: Callable[..., None], node: nodes.Expr, frame: Frame) -> None:
        self.write("environment.guard_value(")
        visit(self, node, frame)
        self.write(")")

    def visit_List(self, node: nodes.List, frame: Frame) -> None:
        self._display(CodeGenerator.visit_List, node, frame)

    def visit_Dict(self, node: nodes.Dict, frame: Frame) -> None:
        self._display(CodeGenerator.visit_Dict, node, frame)

    def visit_Tuple(self, node: nodes.Tuple, frame: Frame) -> None:
        if node.ctx == "load":
            self._display(CodeGenerator.visit_Tuple, node, frame)
        else:
            super().visit_Tuple(node, frame)

    @optimizeconst
    def visit_Compare(self, node: nodes.Compare, frame: Frame) -> None:
        self.write("(environment.guard_operand(")
        self.visit(node.expr, frame)
        self.write(")")
        for op in node.ops:
            self.write(f" {_COMPARE[op.op]} environment.guard_operand(")
            self.visit(op.expr, frame)
            self.write(")")
        self.write(")")


class _LimitedFormatter(SandboxedFormatter):
    def format_field(self, value: Any, format_spec: str) -> Any:
        b = _budget()
        m = _SPEC.match(format_spec)
        if m:
            b.fits(sum(_int(g) for g in m.group(1, 2) if g), "the text formats a field {n} characters wide")
        b.charge(b.size(value))
        return b.built(super().format_field(value, format_spec))


class _LimitedEscapeFormatter(_LimitedFormatter, SandboxedEscapeFormatter):
    pass


class _Template(Template):
    def render(self, *args: Any, **kwargs: Any) -> str:
        """Render within a budget: a fresh one, or the budget of the text rendering this one."""
        token = _BUDGET.set(_Budget()) if _BUDGET.get() is None else None
        try:
            return super().render(*args, **kwargs)
        finally:
            if token is not None:
                _BUDGET.reset(token)


_STATIC = {nodes.Extends: "extends", nodes.Include: "include", nodes.Import: "import", nodes.FromImport: "from … import"}


def _reads_templates(node: nodes.Node) -> str | None:
    if type(node) in _STATIC:
        return f"{{% {_STATIC[type(node)]} %}} is not allowed in a data text (a text cannot read other templates)"
    return None


def _recursive_loop(node: nodes.Node) -> str | None:
    if isinstance(node, nodes.For) and node.recursive:
        return "recursive loops are not allowed in a data text"
    return None


def _private_attribute(node: nodes.Node) -> str | None:
    if isinstance(node, nodes.Getattr):
        attr: Any = node.attr
    elif isinstance(node, nodes.Getitem):
        attr = node.arg.value if isinstance(node.arg, nodes.Const) else None
    elif isinstance(node, nodes.Filter):
        attr = node.args[0].value if node.name == "attr" and node.args and isinstance(node.args[0], nodes.Const) else None
    else:
        return None
    if isinstance(attr, str) and attr.startswith("_"):
        return f"access to attribute '{attr}' is unsafe: a data text may not use names starting with '_'"
    return None


#: What no text may do, checked when it is parsed, in the order reported (see TextEnvironment._parse).
_REFUSALS: tuple[Callable[[nodes.Node], str | None], ...] = (_reads_templates, _recursive_loop, _private_attribute)
_REFUSED = (*_STATIC, nodes.For, nodes.Getattr, nodes.Getitem, nodes.Filter)


class TextEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox of data texts, with their limits (see the module's docstring)."""

    code_generator_class = _CodeGenerator
    template_class = _Template
    intercepted_binops = frozenset({"+", "-", "*", "/", "//", "**", "%"})

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(finalize=self._finalize, **kwargs)
        self.globals.pop("lipsum", None)  # lipsum(n) writes n paragraphs of filler
        self.globals["range"] = _range
        self.filters.pop("urlize", None)  # repeats its `target` argument for every link: not for plain text
        self.filters["capfirst"] = _capfirst
        self.filters = {k: _guard(k, f) for k, f in self.filters.items()}
        self.tests = {k: _guard(k, f, test=True) for k, f in self.tests.items()}

    # -- refused outright
    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        # One walk of the tree (one per rule cost a cold run ~8 ms); the first offence of the first rule
        # that has one is reported, as a walk per rule, in this order, would report it.
        first: list[tuple[str, int] | None] = [None] * len(_REFUSALS)
        for node in tree.find_all(_REFUSED):
            for i, refusal in enumerate(_REFUSALS):
                if first[i] is None:
                    message = refusal(node)
                    if message is not None:
                        first[i] = (message, node.lineno)
            if first[0] is not None:
                break  # nothing would be reported before it
        for found in first:
            if found is not None:
                raise TemplateSyntaxError(found[0], found[1], name, filename)
        return tree

    # -- limited while rendering
    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        b = _budget()
        b.fits(_binop_size(b, operator, left, right))
        return b.built(self.binop_table[operator](left, right))

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        b = _budget()
        b.step()
        if isinstance(__obj, (types.BuiltinMethodType, types.MethodWrapperType)):
            if __obj.__name__ == "join" and args and isinstance(getattr(__obj, "__self__", None), (str, bytes)):
                args = (list(args[0]), *args[1:])
            try:
                size = _method_size(b, __obj, args, kwargs)
            except (TypeError, ValueError, AttributeError, OverflowError):
                size = 0  # bad arguments: the call itself says what is wrong
            b.fits(size)
        return b.built(super().call(__context, __obj, *args, **kwargs))

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """`'{:>99999999}'.format(x)` through a formatter that checks widths (else as Jinja's)."""
        if not isinstance(value, (types.MethodType, types.BuiltinMethodType)) or value.__name__ not in (
                "format", "format_map"):
            return None
        owner = value.__self__
        if not isinstance(owner, str):
            return None
        formatter = (_LimitedEscapeFormatter(self, escape=owner.escape) if isinstance(owner, Markup)
                     else _LimitedFormatter(self))
        is_map = value.__name__ == "format_map"

        def wrapper(*args: Any, **kwargs: Any) -> str:
            if is_map:
                if kwargs or len(args) != 1:
                    raise TypeError("format_map() takes exactly one argument")
                args, kwargs = (), args[0]
            return type(owner)(formatter.vformat(owner, args, kwargs))

        return functools.update_wrapper(wrapper, value)

    def concat(self, pieces: Iterable[str]) -> str:  # type: ignore[override]
        """The text's output (and each block or macro of it), up to the limit."""
        cap = _budget().chars
        out: list[str] = []
        append = out.append
        n = 0
        for piece in pieces:
            n += len(piece)
            if n > cap:
                raise TextLimitError(f"the text renders more than {_number(cap)} characters", "DRAFTER_MAX_TEXT_CHARS",
                                     cap)
            append(piece)
        return "".join(out)

    @staticmethod
    def _finalize(value: Any) -> Any:
        """What `{{ … }}` prints, converted here so that its size is known."""
        if isinstance(value, str) or hasattr(value, "__html__"):
            return value
        b = _budget()
        b.fits(b.size(value), "the text prints a value of {n} characters or items")
        text = str(value)
        b.fits(len(text), "the text prints a value of {n} characters")
        b.charge(len(text))
        return text

    def guard_loop(self, iterable: Any) -> _Counted:
        return _Counted(iterable, _budget())

    def guard_join(self, parts: tuple, autoescape: bool) -> str:
        b = _budget()
        b.fits(sum(b.size(p) for p in parts), "the text joins (~) a string of {n} characters")
        return b.built(markup_join(parts) if autoescape else str_join(parts))

    def guard_value(self, value: Any) -> Any:
        return _budget().built(value)

    def guard_operand(self, value: Any) -> Any:
        if isinstance(value, (list, tuple, dict, set, frozenset)):
            b = _budget()
            b.charge(b.size(value))
        return value


ENV = TextEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)
#: Compiled data texts, shared by every renderer of the process (a batch compiles each text once).
_TEMPLATES: dict[str, Any] = {}
#: Jinja's compiled code of data texts: compiled here, or from the data cache as its marshal, decoded
#: when the text is first rendered (a draft renders only some of the data's texts).
_CODE: dict[str, CodeType | bytes] = {}
#: The names each text compiled here reads from its context (`names`).
_NAMES: dict[str, frozenset[str]] = {}


def is_plain(source: str) -> bool:
    """Most data texts hold no Jinja syntax; they render as themselves without compiling."""
    return "{" not in source and "%}" not in source and "#}" not in source


def compiled(source: str) -> Any:
    template = _TEMPLATES.get(source)
    if template is None:
        code = _code(source) or _compile(source)
        template = ENV.template_class.from_code(ENV, code, ENV.make_globals(None), None)
        _TEMPLATES[source] = template
    return template


def _code(source: str) -> CodeType | None:
    """The code of `source` compiled earlier (here or, marshalled, by an earlier run), if any."""
    code = _CODE.get(source)
    if type(code) is bytes:
        try:
            code = marshal.loads(code)
        except Exception:
            code = None
        if isinstance(code, CodeType):
            _CODE[source] = code
        else:  # not code after all (the cache checks its entries' shape, not each text's): compile again
            del _CODE[source]
            code = None
    return code  # type: ignore[return-value]


def _compile(source: str) -> CodeType:
    """`ENV.compile(source)`, noting the names the text reads as it goes (one parse serves the code and
    `drafter check`); raises TemplateSyntaxError as ENV.compile does."""
    try:
        tree = ENV._parse(source, None, None)
        generator = _CodeGenerator(ENV, None, None, optimized=ENV.optimized)
        generator.visit(tree)
        code = ENV._compile(generator.stream.getvalue(), "<template>")
    except TemplateSyntaxError:
        ENV.handle_exception(source=source)
    _CODE[source] = code
    _NAMES[source] = frozenset(generator.undeclared)
    return code


def names(source: str) -> frozenset[str]:
    """The names `source` reads from its context (jinja2.meta.find_undeclared_variables), noted when it
    was compiled; raises TemplateSyntaxError for a text that does not compile (an unknown filter too)."""
    found = _NAMES.get(source)
    if found is None:
        from jinja2 import meta

        found = _NAMES[source] = frozenset(meta.find_undeclared_variables(ENV.parse(source)))
    return found


def fit_plain(text: str) -> str:
    """A text printed as it is written (no Jinja) is held to the same length limit."""
    cap = limit("DRAFTER_MAX_TEXT_CHARS")
    if len(text) > cap:
        raise TextLimitError(f"the text is {_number(len(text))} characters long", "DRAFTER_MAX_TEXT_CHARS", cap)
    return text


def text_line(exc: BaseException) -> int | None:
    """The line of the text (not of the YAML file) where rendering failed, if Jinja knows it."""
    lineno = getattr(exc, "lineno", None)
    if isinstance(exc, TemplateSyntaxError):
        return lineno
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            return tb.tb_lineno
        tb = tb.tb_next
    return lineno


def compile_texts(sources: Iterable[str]) -> dict[str, CodeType]:
    """Compile data texts ahead of time; the data cache stores the result so that a cold run
    renders without compiling (Jinja compiles ~300 texts in ~110 ms). Texts compiled already (by
    `drafter check`, or an earlier run) are not compiled again."""
    out: dict[str, CodeType] = {}
    for s in dict.fromkeys(sources):
        if is_plain(s):
            continue
        code = _code(s)
        if code is None:
            try:
                code = _compile(s)
            except TemplateError:
                continue  # reported with its file and line when the text is rendered, and by `drafter check`
        out[s] = code
    return out


def preload(code: Mapping[str, CodeType | bytes]) -> None:
    """Code of texts compiled by an earlier run, or its marshal (decoded when first rendered)."""
    for source, value in code.items():
        _CODE.setdefault(source, value)  # code compiled here is as good, and decoded already


def nd30_date(day: dt.date, fmt: str) -> str:
    """ND 30: day always 2 digits; month with a leading 0 only for January and February."""
    month = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    return compiled(fmt).render(d=f"{day.day:02d}", m=month, y=day.year)
