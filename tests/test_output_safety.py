"""What drafter writes, and what it never touches (issue 11): only regular files, even with --force;
exactly one winner when two runs write the same path; a draft and its provenance sidecar together or
not at all."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import socket
import stat
import sys
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from drafter import pipeline, writer
from drafter.cli import main
from drafter.errors import UsageError

ROOT = Path(__file__).resolve().parent.parent


def _run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _new(mini: Path, out: Path | str, *extra: str, year: str = "2024"):
    return _run("new", "-p", "Kon Tum", "-y", year, "--data-dir", str(mini), "-o", str(out), *extra)


def _clean(res) -> None:
    assert "Traceback" not in res.output
    assert res.output.count("drafter: error:") == 1, res.output


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith((".tmp", ".bak")))


# --------------------------------------------------------------------------- only regular files


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("force", [True, False])
def test_fifo_output_is_refused_and_nothing_written(mini, tmp_path, force):
    fifo = _fifo(tmp_path / "kh.docx")
    res = _new(mini, fifo, *(["--force"] if force else []))
    assert res.exit_code == 2
    _clean(res)
    assert "--output" in res.output and "FIFO" in res.output and "regular file" in res.output
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "kh.docx"]  # no sidecar, no temporary file


def test_folder_output_is_refused_even_with_force(mini, tmp_path):
    folder = tmp_path / "out.docx"
    folder.mkdir()
    res = _new(mini, folder, "--force")
    assert res.exit_code == 2
    _clean(res)
    assert "--output" in res.output and "is a folder" in res.output
    assert list(folder.iterdir()) == [] and not (tmp_path / "out.provenance.json").exists()


def test_symlink_to_a_fifo_is_refused(mini, tmp_path):
    fifo = _fifo(tmp_path / "pipe")
    link = tmp_path / "kh.docx"
    link.symlink_to(fifo)
    res = _new(mini, link, "--force")
    assert res.exit_code == 2 and "FIFO" in res.output and "symbolic link" in res.output
    assert link.is_symlink() and stat.S_ISFIFO(os.stat(link).st_mode)
    assert not (tmp_path / "kh.provenance.json").exists()


def test_socket_output_is_refused(mini, tmp_path):
    path = tmp_path / "s.docx"
    if len(str(path)) > 100:
        pytest.skip("socket path too long for AF_UNIX")
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(path))
        res = _new(mini, path, "--force")
    finally:
        sock.close()
    assert res.exit_code == 2 and "socket" in res.output and "--output" in res.output
    assert stat.S_ISSOCK(os.lstat(path).st_mode)
    assert not (tmp_path / "s.provenance.json").exists()


@pytest.mark.parametrize("kind", ["fifo", "folder"])
def test_sidecar_that_is_not_a_regular_file_is_refused_and_no_docx_written(mini, tmp_path, kind):
    side = tmp_path / "kh.provenance.json"
    _fifo(side) if kind == "fifo" else side.mkdir()
    res = _new(mini, tmp_path / "kh.docx", "--force")
    assert res.exit_code == 2
    _clean(res)
    assert "kh.provenance.json" in res.output and "--output" in res.output
    assert not (tmp_path / "kh.docx").exists() and _leftovers(tmp_path) == []


def test_dev_null_is_refused_before_it_is_opened():
    """Checked without the CLI, so that even a regression cannot replace the device (tests may run as root)."""
    with pytest.raises(UsageError) as err:
        writer.ensure_writable(Path("/dev/null"), True, "--output")
    assert "character device" in err.value.message and err.value.where == "--output"
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_new_to_dev_null_is_refused(mini, monkeypatch):
    # Guards that make a regression harmless: nothing may link, rename or create a file in /dev.
    real_replace, real_link, real_mkstemp = os.replace, os.link, tempfile.mkstemp

    def guarded(real):
        def call(src, dst, *a, **kw):
            assert not str(dst).startswith("/dev/"), f"would replace {dst}"
            return real(src, dst, *a, **kw)
        return call

    def mkstemp(*a, dir=None, **kw):
        assert not str(dir).startswith("/dev"), f"would create a file in {dir}"
        return real_mkstemp(*a, dir=dir, **kw)

    monkeypatch.setattr(os, "replace", guarded(real_replace))
    monkeypatch.setattr(os, "link", guarded(real_link))
    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    res = _new(mini, "/dev/null", "--force")
    assert res.exit_code == 2 and "/dev/null is a character device" in res.output and "--output" in res.output
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode) and not os.path.lexists("/dev/null.provenance.json")


def test_symlink_to_a_regular_file_is_replaced_not_written_through(mini, tmp_path):
    elsewhere = tmp_path / "elsewhere.docx"
    elsewhere.write_bytes(b"someone else's file")
    link = tmp_path / "kh.docx"
    link.symlink_to(elsewhere)
    assert _new(mini, link, "--force").exit_code == 0
    assert not link.is_symlink() and link.read_bytes().startswith(b"PK")
    assert elsewhere.read_bytes() == b"someone else's file"


def test_redline_onto_its_own_input_is_refused_even_with_force(mini, tmp_path):
    a, b = tmp_path / "a.docx", tmp_path / "b.docx"
    assert _new(mini, a, year="2023").exit_code == 0
    assert _new(mini, b).exit_code == 0
    before = a.read_bytes(), b.read_bytes()
    (tmp_path / "alias.docx").symlink_to(a)
    for red in (a, b, tmp_path / "sub" / ".." / "b.docx", tmp_path / "alias.docx"):
        res = _run("diff", str(a), str(b), "--redline", str(red), "--force")
        assert res.exit_code == 2, (red, res.output)
        _clean(res)
        assert "--redline" in res.output and "one of the files being compared" in res.output
    assert (a.read_bytes(), b.read_bytes()) == before


def test_redline_onto_a_fifo_is_refused(mini, tmp_path):
    fifo = _fifo(tmp_path / "red.docx")
    res = _run("diff", "-p", "Kon Tum", "--from", "2023", "--to", "2024", "--data-dir", str(mini),
               "--redline", str(fifo), "--force")
    assert res.exit_code == 2 and "--redline" in res.output and "FIFO" in res.output
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_redline_is_not_written_over_an_existing_file_without_force(mini, tmp_path):
    red = tmp_path / "red.docx"
    red.write_bytes(b"edits")
    res = _run("diff", "-p", "Kon Tum", "--from", "2023", "--to", "2024", "--data-dir", str(mini), "--redline", str(red))
    assert res.exit_code == 2 and "--redline" in res.output and "already exists" in res.output
    assert red.read_bytes() == b"edits"


def test_batch_refuses_a_folder_in_the_way_and_names_output_dir(data, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "out" / "KH-CCHC-2024-kon-tum.docx").mkdir(parents=True)
    res = _run("batch", "-y", "2024", "-p", "Kon Tum", "-d", "out", "-j", "1", "--force")
    assert res.exit_code == 1
    assert "--output-dir" in res.output and "is a folder" in res.output and "--output:" not in res.output
    assert not (tmp_path / "out" / "KH-CCHC-2024-kon-tum.provenance.json").exists()


# --------------------------------------------------------------------------- exactly one winner


def _writer(args: list[str], gate, log: str) -> None:
    sys.stdout = sys.stderr = open(log, "w", encoding="utf-8")
    gate.wait()
    main(args)  # exits with the CLI's status


def test_two_writers_exactly_one_wins_20_pairs(mini, tmp_path):
    """Two `drafter new` without --force onto one path, started together: one writes, the other is
    refused as if the file had existed; the pair on disk is the winner's (here, of its plan year)."""
    if "fork" not in mp.get_all_start_methods():
        pytest.skip("needs fork")
    pipeline.load(mini)  # loaded once, inherited: both writers reach the publishing step together
    ctx = mp.get_context("fork")
    for i in range(20):
        out = tmp_path / f"kh-{i}.docx"
        gate = ctx.Event()
        procs = []
        for year in ("2023", "2024"):
            args = ["new", "-p", "Kon Tum", "-y", year, "--data-dir", str(mini), "-o", str(out)]
            procs.append(ctx.Process(target=_writer, args=(args, gate, str(tmp_path / f"log-{i}-{year}"))))
        for p in procs:
            p.start()
        gate.set()
        for p in procs:
            p.join(60)
        codes = [p.exitcode for p in procs]
        assert sorted(codes) == [0, 2], (i, codes)
        winner = ("2023", "2024")[codes.index(0)]
        loser = ("2023", "2024")[codes.index(2)]
        refused = (tmp_path / f"log-{i}-{loser}").read_text(encoding="utf-8")
        assert "already exists" in refused and "--force" in refused, refused
        rec = json.loads(out.with_name(f"kh-{i}.provenance.json").read_text(encoding="utf-8"))
        assert rec["plan"]["year"] == int(winner)
        from drafter.docx_text import open_docx

        assert any(f"năm {winner}" in p.text for p in open_docx(out.read_bytes()).paragraphs)
    assert _leftovers(tmp_path) == []


# --------------------------------------------------------------------------- all or nothing


def _failing(monkeypatch, fail_for: str) -> None:
    """Make publishing onto a path ending in `fail_for` fail, as a full disk or a vanished folder would."""
    real_replace, real_link = os.replace, os.link

    def replace(src, dst, *a, **kw):
        if str(dst).endswith(fail_for):
            raise OSError(28, "No space left on device")
        return real_replace(src, dst, *a, **kw)

    def link(src, dst, *a, **kw):
        if str(dst).endswith(fail_for):
            raise OSError(28, "No space left on device")
        return real_link(src, dst, *a, **kw)

    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(os, "link", link)


@pytest.mark.parametrize("fail_for", [".provenance.json", "kh.docx"])
def test_new_pair_is_all_or_nothing(mini, tmp_path, monkeypatch, fail_for):
    _failing(monkeypatch, fail_for)
    out = tmp_path / "drafts" / "kh.docx"
    res = _new(mini, out)
    assert res.exit_code == 2
    _clean(res)
    assert "cannot write" in res.output and "No space left on device" in res.output
    assert not (tmp_path / "drafts").exists()  # the folder this run created goes too


@pytest.mark.parametrize("fail_for", [".provenance.json", "kh.docx"])
def test_force_failure_keeps_the_old_pair(mini, tmp_path, monkeypatch, fail_for):
    out = tmp_path / "kh.docx"
    side = tmp_path / "kh.provenance.json"
    out.write_bytes(b"old draft with staff edits")
    side.write_bytes(b'{"old": true}')
    _failing(monkeypatch, fail_for)
    res = _new(mini, out, "--force")
    assert res.exit_code == 2
    _clean(res)
    assert out.read_bytes() == b"old draft with staff edits" and side.read_bytes() == b'{"old": true}'
    assert _leftovers(tmp_path) == []


def test_force_replaces_both(mini, tmp_path):
    out = tmp_path / "kh.docx"
    out.write_bytes(b"old")
    (tmp_path / "kh.provenance.json").write_bytes(b"old")
    assert _new(mini, out, "--force").exit_code == 0
    assert out.read_bytes().startswith(b"PK")
    assert json.loads((tmp_path / "kh.provenance.json").read_text(encoding="utf-8"))["plan"]["year"] == 2024
    assert _leftovers(tmp_path) == []


def test_sidecar_becoming_a_folder_after_the_check_rolls_back_the_docx(tmp_path):
    out, side = tmp_path / "kh.docx", tmp_path / "kh.provenance.json"
    writer.ensure_writable(out, False, "--output", [side])
    side.mkdir()  # appears between the early check and the publishing
    (side / "x").write_text("x")
    with pytest.raises(UsageError) as err:
        writer.publish([(out, b"docx"), (side, b"{}")], False, "--output")
    assert "kh.provenance.json" in str(err.value)
    assert not out.exists() and (side / "x").read_text() == "x" and _leftovers(tmp_path) == []


def test_stale_sidecar_without_its_docx_is_replaced(mini, tmp_path):
    (tmp_path / "kh.provenance.json").write_text("stale", encoding="utf-8")
    assert _new(mini, tmp_path / "kh.docx").exit_code == 0
    assert json.loads((tmp_path / "kh.provenance.json").read_text(encoding="utf-8"))["plan"]["year"] == 2024


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_folder_is_one_clean_error(mini, tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        res = _new(mini, folder / "kh.docx")
    finally:
        folder.chmod(0o755)
    assert res.exit_code == 2
    _clean(res)
    assert "cannot write" in res.output and list(folder.iterdir()) == []


def test_batch_province_pair_is_all_or_nothing(data, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _failing(monkeypatch, "kon-tum.provenance.json")
    res = _run("batch", "-y", "2024", "-p", "Kon Tum", "-p", "Gia Lai", "-d", "out", "-j", "1")
    assert res.exit_code == 1 and "1 written, 1 failed" in res.output
    assert "--output-dir" in res.output and "No space left on device" in res.output
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == ["KH-CCHC-2024-gia-lai.docx", "KH-CCHC-2024-gia-lai.provenance.json"]
