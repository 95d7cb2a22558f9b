"""Data texts are untrusted code (anyone may edit the YAML): every text finishes or is refused within
seconds and a few hundred MB, with a located error naming the limit and how to raise it; `drafter
check` refuses exactly the texts `drafter new` refuses; and no character of a text is lost on its way
into the .docx (a character Word cannot hold is a located error instead).

The hostile texts run in child processes under RLIMIT_AS, RLIMIT_CPU and an alarm, so that a
regression fails fast here instead of hanging or swapping CI."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from drafter import loader, pipeline, textenv
from drafter.checks import check, errors
from drafter.cli import main
from drafter.docx_text import open_docx
from drafter.errors import DataError, Problems
from drafter.render import _Template
from drafter.textenv import TextLimitError, compiled
from drafter.texts import probe_names

ROOT = Path(__file__).resolve().parent.parent
AREAS = "rulepacks/national/areas.yaml"
#: The text of task tc-1 in the mini fixture, on line 7 of areas.yaml; its id is at column 14.
TC1 = 'text: "Ban hành Kế hoạch năm {{ next_year }} & <kiểm tra> \\"đúng\\"."'
TC1_AT = re.compile(r"rulepacks/national/areas\.yaml:7:14\b")
MEMORY = 640 * 2**20  # address space of a child: Python, Jinja, lxml and python-docx take ~60 MB of it
SECONDS = 5  # per hostile text; the guarded ones take milliseconds

_CHILD_PRELUDE = f"""
import json, resource, signal, sys, time
resource.setrlimit(resource.RLIMIT_AS, ({MEMORY}, {MEMORY}))
resource.setrlimit(resource.RLIMIT_CPU, (120, 120))

def _alarm(signum, frame):
    raise TimeoutError("no answer within {SECONDS} s")

signal.signal(signal.SIGALRM, _alarm)

def timed(run):
    signal.alarm({SECONDS})
    start = time.perf_counter()
    try:
        result = run()
    except MemoryError:
        result = "MemoryError"
    except TimeoutError as exc:
        result = f"TimeoutError: {{exc}}"
    finally:
        signal.alarm(0)
    return {{"result": result, "seconds": time.perf_counter() - start, "rss_mb": peak_mb()}}

def peak_mb():
    # VmHWM belongs to this process's own memory: ru_maxrss would carry over the peak of the pytest
    # process that forked it (Linux keeps it across fork and exec)
    try:
        with open("/proc/self/status") as f:
            return next(int(l.split()[1]) for l in f if l.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
"""


@pytest.fixture(autouse=True)
def _limits_from_the_environment(monkeypatch):
    """The limits in force are read when a draft or check starts; after a test that set them, read
    them again from the restored environment."""
    yield
    monkeypatch.undo()
    textenv.limits()


def _child(body: str, *args: str) -> dict:
    """Run `body` (after _CHILD_PRELUDE) in a resource-limited Python; it prints one JSON line."""
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.run([sys.executable, "-c", _CHILD_PRELUDE + body, *args], capture_output=True, text=True,
                          timeout=300, env=env, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _dq(text: str) -> str:
    """`text` as a YAML double-quoted scalar (JSON strings are), with every character YAML would not
    read as itself written as an escape (raw, U+0085 is a line break to YAML)."""
    return re.sub("[\x7f-\x9f\ue000-\uf8ff\ufffe\uffff]", lambda mt: f"\\u{ord(mt.group()):04x}",
                  json.dumps(text, ensure_ascii=False))


def _set_tc1(data: Path, text: str) -> None:
    f = data / AREAS
    yaml = f.read_text(encoding="utf-8")
    assert TC1 in yaml
    f.write_text(yaml.replace(TC1, f"text: {_dq(text)}", 1), encoding="utf-8")


def _new_problems(data: Path) -> list[str]:
    """What `drafter new` says about the data folder (it validates at load), as printed."""
    loader.load_cached.cache_clear()
    try:
        pipeline.draft(pipeline.load(data), "Kon Tum", 2024)
    except Problems as exc:
        return [str(p) for p in exc.problems]
    except DataError as exc:
        return [str(exc)]
    return []


def _check_errors(data: Path) -> list[str]:
    return [f"{f.where}: {f.message}" for f in errors(check(data))]


# --------------------------------------------------------------------------- 1. hangs and memory

HOSTILE = {
    # the issue's own
    "{{ 'x' * 1000000000 }}": "DRAFTER_MAX_TEXT_CHARS",
    "{{ range(100000) | list }}{{ range(100000) | list }}": "DRAFTER_MAX_TEXT_LOOPS",
    "{% for i in range(10000) %}{{ range(10000) | list | length }}{% endfor %}": "DRAFTER_MAX_TEXT_WORK",
    "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}": "DRAFTER_MAX_TEXT_LOOPS",
    "{% for i in range(10000) %}{% for j in range(10000) %}x{% endfor %}{% endfor %}": "DRAFTER_MAX_TEXT_LOOPS",
    "{% for c in 'x' * 100000 %}{% for d in 'y' * 100000 %}z{% endfor %}{% endfor %}": "DRAFTER_MAX_TEXT_LOOPS",
    # multiplication and powers
    "{{ [1] * 1000000000 }}": "DRAFTER_MAX_TEXT_CHARS",
    "{{ ('ab' ~ year) * 99999 }}": "DRAFTER_MAX_TEXT_CHARS",
    "{{ 2 ** 1000000000 }}": "DRAFTER_MAX_TEXT_CHARS",
    "{{ (10 ** 60000) * (10 ** 60000) }}": "DRAFTER_MAX_TEXT_CHARS",
    # '%' and format tricks
    "{{ '%01000000000d' % 1 }}": "DRAFTER_MAX_TEXT_CHARS",
    "{{ '%*d' % (1000000000, 1) }}": "DRAFTER_MAX_TEXT_CHARS",
    "{{ '%s' * 1000 % (('x' * 1000,) * 1000) }}": "DRAFTER_MAX_TEXT_CHARS",
    "{{ '%999999999s' | format('x') }}": "DRAFTER_MAX_TEXT_CHARS",
    "{{ '{:>1000000000}'.format('x') }}": "DRAFTER_MAX_TEXT_CHARS",
    "{{ '{:>{}}'.format('x', 1000000000) }}": "DRAFTER_MAX_TEXT_CHARS",
    "{% set big = 'x' * 90000 %}{{ ('{0}' * 1000).format(big) }}": "DRAFTER_MAX_TEXT_WORK",
    # '~' growth
    "{% set a = 'a' * 60000 %}{% set b = a ~ a %}{% set c = b ~ b %}{{ c ~ c }}": "DRAFTER_MAX_TEXT_CHARS",
    "{% set ns = namespace(s='') %}{% for i in range(10000) %}{% set ns.s = ns.s ~ ('x' * 900) %}{% endfor %}"
    "{{ ns.s | length }}": "DRAFTER_MAX_TEXT_WORK",
    # joins, and the other filters and methods that can write far more than they read
    "{{ range(10000) | join('x' * 50000) }}": "DRAFTER_MAX_TEXT_CHARS",
    "{{ ('x' * 50000).join(range(10000) | map('string')) }}": "DRAFTER_MAX_TEXT_CHARS",
    "{{ (['x' * 1000] * 100) | join(', ') }}": "DRAFTER_MAX_TEXT_CHARS",
    "{{ 'x' | center(1000000000) }}": "DRAFTER_MAX_TEXT_CHARS",
    "{{ 'x'.ljust(1000000000) }}": "DRAFTER_MAX_TEXT_CHARS",
    "{{ ('a' * 50000).replace('a', 'b' * 50000) }}": "DRAFTER_MAX_TEXT_CHARS",
    "{{ ('a' * 50000) | replace('a', 'b' * 50000) }}": "DRAFTER_MAX_TEXT_CHARS",
    "{{ ('\t' * 10000).expandtabs(100000) }}": "DRAFTER_MAX_TEXT_CHARS",
    "{{ 'x' | indent(1000000000, true) }}": "DRAFTER_MAX_TEXT_CHARS",
    "{{ 'ab' | wordwrap(1, wrapstring='x' * 100000) }}": "DRAFTER_MAX_TEXT_CHARS",
    "{{ [1] | batch(1000000000, 0) | list }}": "DRAFTER_MAX_TEXT_CHARS",
    "{{ [1] | slice(1000000000) | list }}": "DRAFTER_MAX_TEXT_CHARS",
    "{{ (1).to_bytes(1000000000, 'big') }}": "DRAFTER_MAX_TEXT_CHARS",
    "{{ ([[1] * 1000] * 40) | sum(start=[]) | length }}": "DRAFTER_MAX_TEXT_WORK",
    # shared lists whose printed size explodes, and work repeated on a large value
    "{% set a = range(10000) | list %}{% set b = [a, a, a, a, a, a, a, a, a, a] %}{{ [b, b, b, b, b] }}":
        "DRAFTER_MAX_TEXT_CHARS",
    "{% set a = range(10000) | list %}{% for i in range(10000) %}{{ i in a }}{% endfor %}": "DRAFTER_MAX_TEXT_WORK",
    "{% set a = range(10000) | list %}{% for i in range(10000) %}{{ a | sort | first }}{% endfor %}":
        "DRAFTER_MAX_TEXT_WORK",
    # calls: exponential macros, and output built in blocks
    "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(40) }}":
        "DRAFTER_MAX_TEXT_LOOPS",
    "{% set x %}{% for i in range(10000) %}{{ 'y' * 1000 }}{% endfor %}{% endset %}{{ x | length }}":
        "DRAFTER_MAX_TEXT_WORK",
    "{% for i in range(9000) %}{{ 'y' * 99 }}{% endfor %}": "DRAFTER_MAX_TEXT_CHARS",
}


@pytest.fixture(scope="module")
def hostile_results() -> dict:
    return _child("""
from drafter.textenv import TextLimitError, compiled
from drafter.texts import probe_names

def render(src):
    def run():
        try:
            out = compiled(src).render(**probe_names())
            return f"rendered {len(out)} characters"
        except TextLimitError as exc:
            return exc.message
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}"
    return run

print(json.dumps({src: timed(render(src)) for src in json.loads(sys.argv[1])}))
""", json.dumps(list(HOSTILE)))


@pytest.mark.parametrize("source", list(HOSTILE), ids=[s[:60] for s in HOSTILE])
def test_hostile_text_is_refused_quickly_in_little_memory(hostile_results, source):
    r = hostile_results[source]
    assert f"(limit {HOSTILE[source]}=" in r["result"], r["result"]
    assert r["seconds"] < SECONDS, r
    assert r["rss_mb"] < 300, r  # the child's peak resident memory, all texts before this one included


def test_limit_message_says_which_limit_and_how_to_raise_it():
    with pytest.raises(TextLimitError) as info:
        compiled("{{ 'x' * 1000000000 }}").render()
    exc = info.value
    assert exc.message == ("the text builds a value of 1 000 000 000 characters or items "
                           "(limit DRAFTER_MAX_TEXT_CHARS=100000)")
    assert "raise the limit, e.g. DRAFTER_MAX_TEXT_CHARS=1000000" in exc.hint


@pytest.mark.parametrize("name, ok, over", [
    ("DRAFTER_MAX_TEXT_CHARS", "{{ 'x' * 150000 }}", "{{ 'x' * 250000 }}"),
    ("DRAFTER_MAX_TEXT_LOOPS", "{% for i in range(15000) %}{% endfor %}", "{% for i in range(25000) %}{% endfor %}"),
    ("DRAFTER_MAX_TEXT_WORK", "{% for i in range(8) %}{{ ('x' * 90000) | length }}{% endfor %}",
     "{% for i in range(40) %}{{ ('x' * 90000) | length }}{% endfor %}"),
])
def test_limits_can_be_raised_for_a_legitimate_text(monkeypatch, name, ok, over):
    with pytest.raises(TextLimitError, match=name):
        compiled(ok).render()
    monkeypatch.setenv(name, str(textenv.LIMITS[name] * 2))
    textenv.limits()  # as a draft or check does when it starts
    compiled(ok).render()
    with pytest.raises(TextLimitError, match=f"{name}={textenv.LIMITS[name] * 2}"):
        compiled(over).render()


def test_ordinary_texts_are_untouched():
    src = ("{{ tinh | capfirst }} {{ province.name }}: {{ ag('x') }} {{ 'a' ~ year }} {{ [1, 2] | join('-') }} "
           "{% for i in range(3) %}{{ loop.index }}/{{ loop.length }} {% endfor %}{{ '%s%%' % 5 }} {{ '{:>3}'.format(1) }}"
           "{{ 2 ** 10 }} {{ 'x' * 3 }} {% if year > 2000 %}ok{% endif %} {{ 'kon' in province.name | lower }}")
    out = compiled(src).render(**probe_names())
    assert out == "Tỉnh Kon Tum: ag(x) a2025 1-2 1/3 2/3 3/3 5%   11024 xxx ok True"


def test_a_bad_limit_setting_is_a_clean_error(mini, monkeypatch):
    monkeypatch.setenv("DRAFTER_MAX_TEXT_LOOPS", "lots")
    res = CliRunner().invoke(main, ["check", str(mini)], catch_exceptions=False)
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert "DRAFTER_MAX_TEXT_LOOPS: error: DRAFTER_MAX_TEXT_LOOPS='lots' is not a positive whole number" in res.output


# --------------------------------------------------------------------------- 2. check and new agree

#: text of task tc-1 -> what both `check` and `new` must say about it, located at tc-1
REFUSED = {
    "{{ 'x' * 1000000000 }}": "(limit DRAFTER_MAX_TEXT_CHARS=100000)",
    "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}":
        "(limit DRAFTER_MAX_TEXT_LOOPS=10000)",
    "{% for i in range(10000) %}{% for j in range(10000) %}x{% endfor %}{% endfor %}":
        "(limit DRAFTER_MAX_TEXT_LOOPS=10000)",
    "{{ 'x' * 200000 }}": "(limit DRAFTER_MAX_TEXT_CHARS=100000)",
    "{{ cite.__globals__ }}": "access to attribute '__globals__' is unsafe",
    "{{ ''.__class__.__mro__ }}": "is unsafe: a data text may not use names starting with '_'",
    "{{ cite['__globals__'] }}": "access to attribute '__globals__' is unsafe",
    "{{ cite | attr('__globals__') }}": "access to attribute '__globals__' is unsafe",
    "{{ [].append(1) }}": "unsafe",
    "{% include 'x' %}": "{% include %} is not allowed in a data text",
    "{% import 'x' as y %}": "{% import %} is not allowed in a data text",
    "{% from 'x' import y %}": "{% from … import %} is not allowed in a data text",
    "{% extends 'x' %}": "{% extends %} is not allowed in a data text",
    "{% for x in [1] recursive %}{{ loop([1]) }}{% endfor %}": "recursive loops are not allowed",
    "{{ lipsum(1000000) }}": "lipsum",
    "{{ year | no_such_filter }}": "No filter named 'no_such_filter'",
    "{{ 1 / 0 }}": "ZeroDivisionError",
    "{{ province.no_such_field }}": "no_such_field",
    "x" * 100001: "(limit DRAFTER_MAX_TEXT_CHARS=100000)",
}


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory) -> dict:
    """For each text of REFUSED put in tc-1 of a copy of the mini data: the errors of `check`, and
    what `new` says (in a resource-limited child: these texts hung or blew up memory once)."""
    base = tmp_path_factory.mktemp("refused")
    return _child("""
import shutil
from pathlib import Path
from drafter import loader, pipeline
from drafter.checks import check, errors
from drafter.errors import DataError, Problems

mini, base, old = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
out = {}
for i, text in enumerate(json.loads(sys.argv[4])):
    data = base / str(i)
    shutil.copytree(mini, data)
    f = data / "rulepacks/national/areas.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace(old, "text: " + json.dumps(text), 1),
                 encoding="utf-8")

    def run_check():
        return [f"{x.where}: {x.message}" for x in errors(check(data))]

    def run_new():
        loader.load_cached.cache_clear()
        try:
            pipeline.draft(pipeline.load(data), "Kon Tum", 2024)
        except Problems as exc:
            return [f"{p.where}: {p.message}" for p in exc.problems]
        except DataError as exc:
            return [f"{exc.where}: {exc.message}"]
        return []

    out[text] = {"check": timed(run_check), "new": timed(run_new)}
print(json.dumps(out))
""", str(ROOT / "tests/fixtures/mini"), str(base), TC1, json.dumps(list(REFUSED)))


@pytest.mark.parametrize("text", list(REFUSED), ids=[t[:50] for t in REFUSED])
def test_check_refuses_what_new_refuses(verdicts, text):
    checked, drafted = verdicts[text]["check"], verdicts[text]["new"]
    for r in (checked, drafted):
        assert isinstance(r["result"], list), r
        assert r["seconds"] < SECONDS and r["rss_mb"] < 300, r
    assert checked["result"], f"check found nothing; new said {drafted['result']}"
    assert checked["result"] == drafted["result"]  # the same errors, worded and located alike
    assert len(checked["result"]) == 1, checked["result"]
    error = checked["result"][0]
    assert TC1_AT.search(error) and REFUSED[text] in error, error


def test_a_text_failing_only_with_some_values_is_a_warning(mini):
    """check renders each text with two sets of values; failing with one only, the text may be right
    for the plans it is drafted for (here: any plan year but 2025), so it does not stop `new`."""
    _set_tc1(mini, "Năm {{ next_year }}: {{ 100 // (prev_year - 2024) }}.")
    found = [f for f in check(mini) if "ZeroDivisionError" in f.message]
    assert [f.severity for f in found] == ["warning"] and "with some values only" in found[0].message
    assert TC1_AT.search(str(found[0].where))
    assert _new_problems(mini) == []


def test_limit_error_of_new_is_located_and_says_how_to_raise_it(mini):
    _set_tc1(mini, "{{ 'x' * 1000000000 }}")
    [problem] = _new_problems(mini)
    assert TC1_AT.search(problem)
    assert "the text builds a value of 1 000 000 000 characters or items (limit DRAFTER_MAX_TEXT_CHARS=100000)" in problem
    assert "DRAFTER_MAX_TEXT_CHARS=1000000" in problem  # how to raise it


def test_limit_reached_while_drafting_is_located_and_hinted(mini, monkeypatch):
    """A text within the limits when the data was checked (and cached), over them when drafting."""
    _set_tc1(mini, "Năm {{ next_year }}: {{ 'x' * 5000 }}")
    assert _new_problems(mini) == []
    monkeypatch.setenv("DRAFTER_MAX_TEXT_CHARS", "1000")
    with pytest.raises(DataError) as info:
        pipeline.draft(pipeline.load(mini), "Kon Tum", 2024)
    exc = info.value
    assert TC1_AT.search(str(exc.where)), exc.where
    assert "(limit DRAFTER_MAX_TEXT_CHARS=1000)" in exc.message and "DRAFTER_MAX_TEXT_CHARS=10000" in exc.hint


def test_multi_line_text_names_the_line_of_the_text(mini):
    _set_tc1(mini, "Năm {{ next_year }}\n{% for i in range(10) %}\n{{ 'x' * 1000000000 }}\n{% endfor %}")
    [error] = _check_errors(mini)
    assert TC1_AT.search(error) and "(line 3 of the text)" in error, error


def test_agency_names_and_citation_formats_are_checked_too(mini):
    f = mini / "rulepacks/national/agencies.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace("{name: Sở Nội vụ}", "{name: \"{{ 'x' * 1000000000 }}\"}"),
                 encoding="utf-8")
    c = mini / "legal_refs/citation.yaml"
    c.write_text(c.read_text(encoding="utf-8").replace('Luật: "{{ title }} số {{ number }}"\n',
                                                       'Luật: "{{ title.__class__ }}"\n'), encoding="utf-8")
    found = _check_errors(mini)
    assert any(re.search(r"agencies\.yaml:2:\d+: .*DRAFTER_MAX_TEXT_CHARS", e) for e in found), found
    assert any("citation.yaml: " in e and "'__class__' is unsafe" in e for e in found), found
    assert sorted(_new_problems(mini)) == sorted(found)


def test_cli_new_refuses_a_hostile_text_cleanly_in_its_own_process(mini, tmp_path):
    _set_tc1(mini, "{% for i in range(100000) %}{% for j in range(100000) %}{{ 'x' * 100000 }}{% endfor %}{% endfor %}")
    out = tmp_path / "plan.docx"
    r = _child("""
import subprocess
def run():
    p = subprocess.run([sys.executable, "-c", "from drafter.cli import main; main()", "new", "-p", "Kon Tum",
                        "-y", "2024", "--data-dir", sys.argv[1], "-o", sys.argv[2]], capture_output=True, text=True)
    return [p.returncode, p.stdout + p.stderr]
print(json.dumps(timed(run)))
""", str(mini), str(out))
    code, output = r["result"]
    assert code == 1 and "Traceback" not in output, output
    assert TC1_AT.search(output) and "(limit DRAFTER_MAX_TEXT_LOOPS=10000)" in output, output
    assert not out.exists()


def test_check_stays_fast_on_the_shipped_data():
    """Not a benchmark: a guard against rendering the ~700 texts in a way that costs seconds."""
    check(ROOT)  # warm: imports, the compiled texts
    start = time.perf_counter()
    assert not errors(check(ROOT))
    assert time.perf_counter() - start < 2


# --------------------------------------------------------------------------- 3. characters


def _paragraphs(docx: bytes) -> list[str]:
    doc = open_docx(docx)
    texts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        texts += [p.text for row in table.rows for cell in row.cells for p in cell.paragraphs]
    return texts


def test_markup_characters_survive_into_the_docx(mini):
    text = "Năm {{ next_year }}: A & B <c> \"d\" 'e' &amp; &lt;x&gt; ]]> {{ '<' ~ \"'\" ~ '\"' ~ '>' ~ '&' }}"
    _set_tc1(mini, text)
    assert _check_errors(mini) == []
    loader.load_cached.cache_clear()
    docx = pipeline.draft(pipeline.load(mini), "Kon Tum", 2024).docx
    want = "- Năm 2025: A & B <c> \"d\" 'e' &amp; &lt;x&gt; ]]> <'\">&"
    assert want in _paragraphs(docx)


def test_line_breaks_and_tabs_survive_with_the_markup_characters(mini):
    _set_tc1(mini, "<a>\t\"b\"\n'c' & d")
    assert _check_errors(mini) == []
    loader.load_cached.cache_clear()
    docx = pipeline.draft(pipeline.load(mini), "Kon Tum", 2024).docx
    assert "- <a>\t\"b\"\n'c' & d" in _paragraphs(docx)


@pytest.mark.parametrize("char", ["\x01", "\x00", "\x07", "\x0b", "\x0c", "\x1b", "\r", "\x7f", "\x85", "\ufffe",
                                  "\ue000", "\ue002"])
def test_a_control_character_is_a_located_error_of_check_and_new(mini, char):
    _set_tc1(mini, f"A <b> \"c\" {char} d > e")
    [error] = _check_errors(mini)
    assert TC1_AT.search(error), error
    assert f"U+{ord(char):04X} at character 11 (after 'A <b> \"c\" ')" in error
    assert _new_problems(mini) == [error]


def test_control_characters_anywhere_in_the_data_are_located(mini):
    f = mini / "legal_refs/national/core.yaml"
    yaml = f.read_text(encoding="utf-8")
    title = re.search(r"title: (.+)\n", yaml).group(1)
    f.write_text(yaml.replace(f"title: {title}\n", 'title: "Quy định\\x02 về"\n', 1), encoding="utf-8")
    [error] = _check_errors(mini)
    assert re.search(r"core\.yaml:\d+:\d+: control character U\+0002", error), error
    assert _new_problems(mini) == [error]


def test_render_refuses_a_control_character_rather_than_lose_characters(mini):
    """Data that was never checked (`loader.load` skips the checks): the draft stops, located,
    instead of writing a paragraph without its control character and its `<`, `>` and `"`."""
    _set_tc1(mini, 'X \x01 <y> "z"')
    data = loader.load(mini)
    ctx = pipeline.plan_context(data, "Kon Tum", 2024)
    with pytest.raises(DataError) as info:
        pipeline.render(data, ctx)
    assert re.search(r"rulepacks/national/areas\.yaml:7\b", str(info.value.where)), info.value.where
    assert "control character U+0001" in info.value.message


def test_the_xml_parser_is_never_left_to_drop_characters():
    """The last guard, where docxtpl hands the rendered XML to lxml's recovering parser."""
    xml = '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:t>a \x01 &lt;b&gt;</w:t></w:document>'
    with pytest.raises(DataError, match="U\\+0001"):
        _Template.fix_tables(SimpleNamespace(_framed=lambda xml: None), xml)  # type: ignore[arg-type]
