"""The review PDF of a draft (`drafter new --pdf`, `drafter batch --pdf`), printed by LibreOffice.

LibreOffice does not print Word comments, so the PDF is made from a review copy of the .docx (the
.docx that is written is never changed): after each commented run a superscript "[n]", numbered in
document order (one number per mark, even where two marks share a text, so every mark can be ticked
off), and at the end of the last section a heading and the list "[n] comment". The highlight is
already a direct one, so LibreOffice prints it. The wording of the list comes from the labels
`review_notes` and `review_notes_intro` (rulepacks/national/document.yaml).

Each soffice run gets its own temporary profile, so runs side by side do not wait on each other or
hand their work to a LibreOffice window the user has open.
"""

from __future__ import annotations

import io
import os
import shutil
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Mapping, Sequence

from .envlimits import positive_int
from .errors import DataError, DrafterError, UsageError
from .writer import check_kind

if TYPE_CHECKING:  # imported where used: `drafter new` without --pdf should not pay for them
    import subprocess

    from lxml import etree

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
LABELS = ("review_notes", "review_notes_intro")
INSTALL = ("install LibreOffice (Debian/Ubuntu: sudo apt-get install libreoffice-writer-nogui; "
           "Windows, macOS: https://www.libreoffice.org/download/) so that `soffice` is on PATH")
TIMEOUT = 180  # seconds per soffice run; DRAFTER_PDF_TIMEOUT overrides
PER_RUN = 8  # drafts per soffice run before a batch starts another one beside it (start-up ~1 s, ~0.3 s a draft)


def _w(tag: str) -> str:
    return f"{{{W}}}{tag}"


def find_soffice() -> str | None:
    """LibreOffice's command on PATH, or None."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def missing_warning() -> str:
    """The one line printed when --pdf is asked for and LibreOffice is not installed."""
    return (f"drafter: warning: review PDF not written: LibreOffice (soffice) is not on PATH; {INSTALL}, "
            "then run again with --pdf --force")


def pdf_path(docx: Path) -> Path:
    """Where a draft's review PDF goes: beside it, same name, .pdf."""
    return docx.with_suffix(".pdf")


def ensure_writable(docx: Path, force: bool, option: str = "--output") -> Path:
    """The review PDF path of `docx`, refused before any work if it is not a regular file, or exists
    without --force (writer.publish replaces companions silently; a PDF may be someone's annotated copy)."""
    pdf = pdf_path(docx)
    if str(pdf).casefold() == str(docx).casefold():  # "-o kh.pdf", or "KH.PDF" on a case-blind disk
        raise UsageError(f"{docx} would be both the draft and its review PDF", option,
                         f"give {option} a name ending in .docx")
    check_kind(pdf, option, companion=True)
    if not force and os.path.lexists(pdf):
        raise UsageError(f"{pdf} (the review PDF) already exists", option,
                         f"add --force to overwrite it, choose another {option}, or leave out --pdf")
    return pdf


def review_copy(docx: bytes, labels: Mapping[str, str]) -> bytes:
    """`docx` with a "[n]" after each commented run and the numbered comments at the end; `docx`
    itself when it has no comments."""
    from lxml import etree

    zin = zipfile.ZipFile(io.BytesIO(docx))
    if "word/comments.xml" not in zin.namelist():
        return docx
    comments = {c.get(_w("id")): "".join(t.text or "" for t in c.iter(_w("t")))
                for c in etree.fromstring(zin.read("word/comments.xml")).iter(_w("comment"))}
    root = etree.fromstring(zin.read("word/document.xml"))
    body = root.find(_w("body"))
    notes: list[str] = []
    for ref in list(body.iter(_w("commentReference"))):
        text = comments.get(ref.get(_w("id")))
        if text is None:
            continue
        notes.append(text)
        ref.getparent().addnext(_run(f"[{len(notes)}]", superscript=True))
    if not notes:
        return docx
    missing = [k for k in LABELS if k not in labels]
    if missing:
        raise DataError(f"missing label '{missing[0]}' for the review PDF's notes", None,
                        "add it under `labels:` in rulepacks/national/document.yaml, or leave out --pdf")
    end = body.find(_w("sectPr"))  # the last section's properties: the notes go just before, in that section
    paras = [_para("KHTitle", [_run(labels["review_notes"])], page_break=True),
             _para("KHNote", [_run(labels["review_notes_intro"])])]
    for n, text in enumerate(notes, 1):
        paras.append(_para("KHBody", [_run(f"[{n}]", bold=True), _tab(), _run(text)], hanging=True))
    for p in paras:
        if end is not None:
            end.addprevious(p)
        else:
            body.append(p)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "word/document.xml":
                data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
            zout.writestr(info, data)
    return out.getvalue()


def _run(text: str, superscript: bool = False, bold: bool = False) -> etree._Element:
    from lxml import etree

    r = etree.Element(_w("r"))
    if superscript or bold:
        props = etree.SubElement(r, _w("rPr"))
        if bold:
            etree.SubElement(props, _w("b"))
        if superscript:
            etree.SubElement(props, _w("vertAlign"), {_w("val"): "superscript"})
    t = etree.SubElement(r, _w("t"), {"{http://www.w3.org/XML/1998/namespace}space": "preserve"})
    t.text = text
    return r


def _tab() -> etree._Element:
    from lxml import etree

    r = etree.Element(_w("r"))
    etree.SubElement(r, _w("tab"))
    return r


def _para(style: str, runs: list[etree._Element], page_break: bool = False, hanging: bool = False) -> etree._Element:
    from lxml import etree

    p = etree.Element(_w("p"))
    props = etree.SubElement(p, _w("pPr"))  # children in the schema's order: style, page break, spacing, indent
    etree.SubElement(props, _w("pStyle"), {_w("val"): style})
    if page_break:
        etree.SubElement(props, _w("pageBreakBefore"))
        etree.SubElement(props, _w("spacing"), {_w("after"): "240"})
    if hanging:  # "[n]" in the margin of its note, the text aligned after it
        etree.SubElement(props, _w("ind"), {_w("left"): "851", _w("hanging"): "851", _w("firstLine"): "0"})
    p.extend(runs)
    return p


def render_pdf(docx: bytes, labels: Mapping[str, str], soffice: str | None = None) -> bytes:
    """The review PDF of one draft; raises DrafterError if LibreOffice fails."""
    got = convert([review_copy(docx, labels)], 1, soffice)[0]
    if isinstance(got, DrafterError):
        raise got
    return got


def timeout() -> int:
    """Seconds one soffice run may take (DRAFTER_PDF_TIMEOUT, default 180); a bad value is an error."""
    return positive_int("DRAFTER_PDF_TIMEOUT", TIMEOUT)


def convert(docs: Sequence[bytes], jobs: int = 1, soffice: str | None = None) -> list[bytes | DrafterError]:
    """The PDF of each .docx of `docs` (review copies), or the error that stopped it, in order. The
    drafts are shared among up to `jobs` soffice runs side by side (one per PER_RUN drafts)."""
    import subprocess
    import tempfile
    from concurrent.futures import ThreadPoolExecutor

    soffice = soffice or find_soffice()
    if soffice is None:
        return [DrafterError("LibreOffice (soffice) is not on PATH", "--pdf", INSTALL) for _ in docs]
    if not docs:
        return []
    seconds = timeout()
    runs = max(1, min(jobs, -(-len(docs) // PER_RUN)))
    with tempfile.TemporaryDirectory(prefix="drafter-pdf-") as tmp:
        root = Path(tmp)
        (root / "in").mkdir()
        names = [root / "in" / f"{i:04d}.docx" for i in range(len(docs))]  # plain names: no quoting issues
        for name, data in zip(names, docs):
            name.write_bytes(data)
        chunks = [names[k::runs] for k in range(runs)]
        procs: list[subprocess.Popen] = []
        with ThreadPoolExecutor(max_workers=runs) as pool:
            try:
                said = list(pool.map(lambda k: _soffice(soffice, chunks[k], root / f"profile-{k}", root / "out",
                                                        seconds, procs), range(runs)))
            except BaseException:  # Ctrl-C: soffice runs in its own session and would not get it
                for proc in procs:
                    _signal(proc)  # its thread's communicate() then returns, and the pool can close
                raise
        why = {name: reason for chunk, reason in zip(chunks, said) for name in chunk}
        out: list[bytes | DrafterError] = []
        for name in names:
            pdf = root / "out" / (name.stem + ".pdf")
            data = pdf.read_bytes() if pdf.is_file() else b""
            if data.startswith(b"%PDF"):
                out.append(data)
            else:
                out.append(DrafterError(f"LibreOffice could not print the review PDF: {why[name]}", "--pdf",
                                        "run again without --pdf to write the .docx alone; `soffice --headless "
                                        "--convert-to pdf FILE.docx` shows LibreOffice's own message"))
        return out


def _soffice(soffice: str, files: list[Path], profile: Path, outdir: Path, seconds: int,
             procs: list[subprocess.Popen]) -> str:
    """Run soffice once on `files` (its process added to `procs`); what went wrong, should a PDF be
    missing afterwards."""
    import subprocess

    cmd = [soffice, "--headless", "--norestore", "--nologo", f"-env:UserInstallation={profile.as_uri()}",
           "--convert-to", "pdf", "--outdir", str(outdir), *map(str, files)]
    try:
        # its own session: on a timeout the whole tree (soffice starts soffice.bin) is killed, not just the wrapper
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                start_new_session=os.name == "posix")
    except OSError as exc:
        return f"cannot start {soffice}: {exc.strerror}"
    procs.append(proc)
    try:
        said, _ = proc.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        _kill(proc)
        return f"soffice did not finish within {seconds} s (set DRAFTER_PDF_TIMEOUT to allow more seconds)"
    lines = [line.strip() for line in said.decode("utf-8", "replace").splitlines()
             if line.strip() and "javaldx" not in line]  # a harmless warning of installs without Java
    status = f"soffice exited with status {proc.returncode}" if proc.returncode else "soffice wrote no PDF"
    return status + (f" ({lines[-1]})" if lines else "")


def _signal(proc: subprocess.Popen) -> None:
    """Kill soffice and what it started (its session on POSIX)."""
    import signal

    try:
        if os.name == "posix":
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()
    except OSError:  # already gone
        pass


def _kill(proc: subprocess.Popen) -> None:
    import subprocess

    _signal(proc)
    try:
        proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:  # a grandchild that left the session still holds the pipe
        pass
