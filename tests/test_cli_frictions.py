"""Issue 11: no traceback from `explain` and `diff` on bad input, dates that cannot belong to a plan
year refused with the range that can, and the smaller frictions of the command line."""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from drafter import provenance
from drafter.cli import main
from drafter.errors import UsageError


def _run(*args: str, catch: bool = False):
    return CliRunner().invoke(main, list(args), catch_exceptions=catch)


def _clean(res, code: int = 2) -> None:
    assert res.exit_code == code, res.output
    assert "Traceback" not in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)
    assert res.output.count("drafter: error:") == 1, res.output


@pytest.fixture(scope="module")
def draft(tmp_path_factory) -> Path:
    """A Kon Tum 2024 draft and its sidecar, from the fixture data."""
    from conftest import MINI

    folder = tmp_path_factory.mktemp("draft")
    out = folder / "kh.docx"
    res = _run("new", "-p", "Kon Tum", "-y", "2024", "--data-dir", str(MINI), "-o", str(out))
    assert res.exit_code == 0, res.output
    return out


@pytest.fixture()
def copy(draft, tmp_path) -> Path:
    out = tmp_path / "kh.docx"
    out.write_bytes(draft.read_bytes())
    out.with_name("kh.provenance.json").write_bytes(draft.with_name("kh.provenance.json").read_bytes())
    return out


# --------------------------------------------------------------------------- explain


@pytest.mark.parametrize("content", [
    "[]", '{"paragraphs": 5}', "5", '"text"', "null", '{"drafter_provenance": 1}',
    '{"drafter_provenance": 1, "plan": {"province": "kon-tum", "year": 2024, "as_of": "2023-12-15"}, '
    '"paragraphs": [{"index": 1}], "rows": []}',
    '{"drafter_provenance": 1, "plan": {"province": "kon-tum", "year": 2024, "as_of": "soon"}, '
    '"paragraphs": [], "rows": []}',
    '{"drafter_provenance": 99}',
], ids=["list", "paragraphs-number", "number", "string", "null", "no-plan", "paragraph-without-text",
        "bad-date", "newer-version"])
@pytest.mark.parametrize("how", [("một cửa",), ("--para", "3")], ids=["text", "para"])
def test_explain_with_a_wrongly_shaped_record_is_clean(copy, content, how):
    copy.with_name("kh.provenance.json").write_text(content, encoding="utf-8")
    res = _run("explain", str(copy), *how)
    _clean(res)
    assert "kh.provenance.json" in res.output and "not a provenance record" in res.output


def test_explain_whole_record_still_works(copy):
    res = _run("explain", str(copy), "--para", "1")
    assert res.exit_code == 0, res.output


@pytest.mark.parametrize("text", ["", "   ", "\t\n"])
def test_explain_empty_text_is_a_usage_error(copy, text):
    res = _run("explain", str(copy), text)
    _clean(res)
    assert "TEXT" in res.output and "empty" in res.output and "paragraph" not in res.output.split("error:")[0]


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=300))
def test_fuzz_provenance_reader_random_bytes(tmp_path_factory, blob):
    docx = tmp_path_factory.mktemp("fz") / "x.docx"
    docx.with_name("x.provenance.json").write_bytes(blob)
    try:
        rec = provenance.load_record(docx)
    except UsageError:
        return
    assert provenance._shape_problem(rec) is None


_json = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                     lambda c: st.lists(c, max_size=3) | st.dictionaries(
                         st.sampled_from(["drafter_provenance", "plan", "paragraphs", "rows", "index", "text",
                                          "source", "refs", "values", "province", "year", "as_of", "kind", "id"]),
                         c, max_size=5), max_leaves=15)


@settings(max_examples=80, deadline=None)
@given(_json)
def test_fuzz_explain_on_random_json_never_tracebacks(tmp_path_factory, value):
    docx = tmp_path_factory.mktemp("fz") / "x.docx"
    docx.write_bytes(b"PK")
    docx.with_name("x.provenance.json").write_text(json.dumps(value), encoding="utf-8")
    res = _run("explain", str(docx), "abc")
    assert res.exit_code == 2 and "Traceback" not in res.output, res.output


# --------------------------------------------------------------------------- diff


def _zip_not_docx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello.txt", "not a Word document")
    return buf.getvalue()


def _docx_without_document(draft: Path) -> bytes:
    src = zipfile.ZipFile(draft)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for n in src.namelist():
            if n != "word/document.xml":
                z.writestr(n, src.read(n))
    return buf.getvalue()


@pytest.mark.parametrize("make", [lambda d: os.urandom(2000), lambda d: b"", lambda d: _zip_not_docx(),
                                  _docx_without_document, lambda d: d.read_bytes()[:5000]],
                         ids=["random", "empty", "zip-not-docx", "no-document-part", "truncated"])
@pytest.mark.parametrize("which", [0, 1])
def test_diff_with_a_corrupt_docx_names_the_file(draft, tmp_path, make, which):
    bad = tmp_path / "bad.docx"
    bad.write_bytes(make(draft))
    files = [str(bad), str(draft)] if which == 0 else [str(draft), str(bad)]
    res = _run("diff", *files)
    _clean(res)
    assert str(bad) in res.output and "FILES" in res.output


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=2000))
def test_fuzz_diff_reader_random_bytes(tmp_path_factory, blob):
    path = tmp_path_factory.mktemp("fz") / "x.docx"
    path.write_bytes(blob)
    from drafter.docx_text import read_docx

    with pytest.raises(UsageError):
        read_docx(path)


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_fuzz_diff_reader_corrupted_docx(draft, tmp_path_factory, data):
    """A real draft with bytes flipped inside: read cleanly or refused cleanly, never a traceback."""
    blob = bytearray(draft.read_bytes())
    for _ in range(data.draw(st.integers(1, 8))):
        blob[data.draw(st.integers(0, len(blob) - 1))] = data.draw(st.integers(0, 255))
    path = tmp_path_factory.mktemp("fz") / "x.docx"
    path.write_bytes(bytes(blob))
    from drafter.docx_text import read_docx

    try:
        read_docx(path)
    except UsageError:
        pass


# --------------------------------------------------------------------------- dates


@pytest.mark.parametrize("option,value,allowed", [
    ("--date", "2019-01-01", "from 2023-01-01 to 2024-03-31"),
    ("--date", "2025-01-05", "from 2023-01-01 to 2024-03-31"),
    ("--date", "2099-01-01", "from 2023-01-01 to 2024-03-31"),
    ("--date", "2024-04-01", "from 2023-01-01 to 2024-03-31"),
    ("--as-of", "2019-01-01", "from 2023-01-01 to 2024-12-31"),
    ("--as-of", "2025-01-01", "from 2023-01-01 to 2024-12-31"),
])
def test_date_outside_the_plan_year_is_refused_with_the_range(tmp_path, option, value, allowed):
    res = _run("new", "-p", "Kon Tum", "-y", "2024", option, value, "-o", str(tmp_path / "kh.docx"))
    _clean(res)
    assert f"{option}: {value} cannot be" in res.output and allowed in res.output
    assert "province" not in res.output and "targets.yaml" not in res.output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("option,value", [("--date", "2023-01-01"), ("--date", "2023-12-15"), ("--date", "2024-03-31"),
                                          ("--as-of", "2023-08-01"), ("--as-of", "2024-06-20")])
def test_date_inside_the_window_is_accepted(mini, tmp_path, option, value):
    res = _run("new", "-p", "Kon Tum", "-y", "2024", option, value, "--data-dir", str(mini), "-o", str(tmp_path / "k.docx"))
    assert res.exit_code == 0, res.output


def test_batch_as_of_outside_the_window_is_refused(tmp_path):
    res = _run("batch", "-y", "2024", "--all", "--as-of", "2030-01-01", "-d", str(tmp_path / "out"))
    _clean(res)
    assert "--as-of: 2030-01-01 cannot be" in res.output and not (tmp_path / "out").exists()


def test_a_plan_citing_no_legal_basis_is_refused(data, tmp_path):
    # NQ 76/NQ-CP was signed on 15/7/2021: a 2022 plan "drafted" in March 2021 would have no Căn cứ at all
    res = _run("new", "-p", "Kon Tum", "-y", "2022", "--as-of", "2021-03-01", "-o", str(tmp_path / "kh.docx"))
    _clean(res)
    assert "--as-of" in res.output and "no legal basis" in res.output
    assert list(tmp_path.iterdir()) == []


def test_batch_refuses_plans_citing_no_legal_basis_in_parallel_too(data, tmp_path):
    res = _run("batch", "-y", "2022", "-p", "Kon Tum", "-p", "Gia Lai", "--as-of", "2021-03-01", "-j", "2",
               "-d", str(tmp_path / "out"))
    assert res.exit_code == 1 and "0 written, 2 failed" in res.output
    assert res.output.count("would cite no legal basis") == 2
    assert list((tmp_path / "out").iterdir()) == []


# --------------------------------------------------------------------------- smaller frictions


@pytest.mark.parametrize("jobs", ["0", "-1", "-8"])
def test_jobs_must_be_positive(tmp_path, jobs):
    res = _run("batch", "-y", "2024", "-p", "Kon Tum", "-d", str(tmp_path / "out"), "-j", jobs)
    assert res.exit_code == 2 and "--jobs" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "out").exists()


def test_batch_errors_name_output_dir(data, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "KH-CCHC-2024-kon-tum.docx").write_bytes(b"staff edits")
    res = _run("batch", "-y", "2024", "-p", "Kon Tum", "-d", "out", "-j", "1")
    assert res.exit_code == 1
    assert "--output-dir: out/KH-CCHC-2024-kon-tum.docx already exists" in res.output
    assert "--output " not in res.output and "--output:" not in res.output
    assert (tmp_path / "out" / "KH-CCHC-2024-kon-tum.docx").read_bytes() == b"staff edits"


def test_provenance_path_is_printed_with_its_folder(mini, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = _run("new", "-p", "Kon Tum", "-y", "2024", "--data-dir", str(mini), "-o", "drafts/kh.docx")
    assert res.exit_code == 0
    assert "provenance in drafts/kh.provenance.json" in res.output


def test_check_has_debug(mini, monkeypatch):
    import drafter.checks

    assert _run("check", "--debug", "-q", str(mini)).exit_code == 0

    def broken(root, layers=None):
        raise RuntimeError("a bug")

    monkeypatch.setattr(drafter.checks, "check", broken)
    res = _run("check", str(mini), catch=True)
    _clean(res, 1)
    assert "internal error" in res.output and "RuntimeError: a bug" in res.output and "--debug" in res.output
    res = _run("check", "--debug", str(mini), catch=True)
    assert isinstance(res.exception, RuntimeError)  # the traceback is shown


def test_bare_drafter_prints_help_and_succeeds():
    res = _run()
    assert res.exit_code == 0
    assert "Usage:" in res.output and "new" in res.output and "batch" in res.output


def test_an_old_province_name_does_not_suggest_a_wrong_one(data, tmp_path):
    res = _run("new", "-p", "Hà Tây", "-y", "2024", "-o", str(tmp_path / "kh.docx"))
    _clean(res)
    assert 'unknown province "Hà Tây"' in res.output
    assert "Hà Nam" not in res.output
