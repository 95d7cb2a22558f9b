"""Write output files: all or nothing, only ever onto a regular file, never over an existing file
without --force, and with exactly one winner when two runs race for the same path.

How (a draft and its sidecar share one folder, so every step is a link or rename inside it):

1. `ensure_writable`, before any work, refuses a target that is not a regular file — a folder, a
   device such as /dev/null, a FIFO, a socket, or a symbolic link to one of those — whatever
   --force says, and, without --force, a main file that exists.
2. `publish` writes each file's bytes to a temporary file beside its target (flushed to disk).
3. Without --force the main file (the .docx) is published with os.link(temp, target), which fails
   if the target exists: of two runs racing for one path exactly one wins and the other is refused
   as if the file had existed. The companions (the .provenance.json sidecar) follow with
   os.replace; a sidecar left without its .docx is drafter's own record and is replaced.
   With --force, the companions are replaced first and the main file last, so a run interrupted
   half-way keeps the old .docx (staff's edits).
4. If any step fails, every target this run already published is put back as it was (from a hard
   link of the old file taken just before, or removed if this run created it), and the temporary
   files, backups and folders this run created are removed: one clean error, nothing left behind.

A symbolic link to a regular file is itself replaced by the new file; the file it pointed to is
left as it was. A power cut between the two publishing steps can still leave one file of the pair
(the .docx without its sidecar, or with --force the new sidecar beside the old .docx); an error
never does.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
from pathlib import Path
from typing import Sequence

from .errors import UsageError

#: os.link failing with these means the file system has no hard links (FAT, some network shares).
_NO_LINKS = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS, errno.EXDEV, errno.EMLINK}


def _not_regular(path: Path) -> str | None:
    """What `path` is if it exists and is not a regular file (following symbolic links), else None."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None  # absent, a dangling link, or a parent that is not a folder: the write says why
    if stat.S_ISREG(mode):
        return None
    what = ("a folder" if stat.S_ISDIR(mode) else "a character device" if stat.S_ISCHR(mode)
            else "a block device" if stat.S_ISBLK(mode) else "a FIFO (named pipe)" if stat.S_ISFIFO(mode)
            else "a socket" if stat.S_ISSOCK(mode) else "not a regular file")
    return what + (" (through a symbolic link)" if os.path.islink(path) else "")


def check_kind(path: Path, option: str = "--output", companion: bool = False) -> None:
    """Refuse a target that is not a regular file, whatever --force says. A companion is a file
    written beside the one the option names (the provenance sidecar)."""
    what = _not_regular(path)
    if what is None:
        return
    if companion or option == "--output-dir":
        hint = f"move {path} out of the way, or choose another {option}"
    elif what.startswith("a folder"):
        hint = f"give {option} the path of a .docx file, not a folder"
    else:
        hint = f"give {option} the name of a new file, or of a regular file to replace with --force"
    raise UsageError(f"{path} is {what}; drafter only writes regular files, even with --force", option, hint)


def ensure_writable(path: Path, force: bool, option: str = "--output", companions: Sequence[Path] = ()) -> None:
    """Fail before any work if `path` or a companion is not a regular file, or `path` exists
    (without --force)."""
    check_kind(path, option)
    for p in companions:
        check_kind(p, option, companion=True)
    if not force and os.path.lexists(path):
        raise _exists(path, option)


def _exists(path: Path, option: str) -> UsageError:
    return UsageError(f"{path} already exists and may hold staff's edits", option,
                      f"choose another {option}, or add --force to overwrite it")


def write_atomic(path: Path, data: bytes, option: str = "--output") -> None:
    """Replace (or create) one regular file atomically."""
    publish([(path, data)], force=True, option=option)


def publish(files: Sequence[tuple[Path, bytes]], force: bool, option: str = "--output") -> None:
    """Write every (path, bytes) of `files`, or none of them (see the module's docstring). The first
    is the main file: without `force` it must not exist."""
    made: list[Path] = []  # folders this run created, deepest last
    temps: list[tuple[Path, Path]] = []  # (target, temporary file)
    backups: dict[Path, Path] = {}  # target → hard link of the file it replaced
    done: list[tuple[Path, tuple[int, int]]] = []  # targets published, with the (dev, inode) written
    try:
        for path, _ in files:
            _make_folder(path.parent, made, option)
        for path, data in files:
            temps.append((path, _write_temp(path, data, option)))
        for i, (path, _) in enumerate(files):  # again: the path may have changed since ensure_writable
            check_kind(path, option, companion=i > 0)
        if force:
            order = list(reversed(temps))  # companions first, the main file last
        else:
            order = temps[1:]
            main, tmp = temps[0]
            done.append((main, _link_new(tmp, main, option)))
        for i, (path, tmp) in enumerate(order):
            if i < len(order) - 1:  # a later step may fail: keep the old file to put back
                _backup(path, backups, option)
            ident = _ident(tmp)
            _replace(tmp, path, option)
            done.append((path, ident))
    except BaseException as exc:
        kept = _roll_back(done, backups)  # takes the backups it put back, and those it kept, out of `backups`
        _clean(temps, backups)
        _remove_folders(made)
        if kept and isinstance(exc, UsageError):
            raise UsageError(exc.message + "; could not put back " + ", ".join(
                f"the previous {path} (it remains as {backup})" for path, backup in kept),
                exc.where, exc.hint) from None
        raise
    _clean(temps, backups)


def _clean(temps: list[tuple[Path, Path]], backups: dict[Path, Path]) -> None:
    for _, tmp in temps:
        _unlink(tmp)  # already gone when it was renamed into place; still there when linked or unused
    for backup in backups.values():
        _unlink(backup)


def _make_folder(folder: Path, made: list[Path], option: str) -> None:
    missing = []
    p = folder
    while not p.exists() and p != p.parent:
        missing.append(p)
        p = p.parent
    for p in reversed(missing):
        try:
            p.mkdir()
        except FileExistsError:
            continue
        except OSError as exc:
            raise UsageError(f"cannot write to {folder}: {exc.strerror}", option,
                             "choose a folder you can write to") from None
        made.append(p)


def _write_temp(path: Path, data: bytes, option: str) -> Path:
    import tempfile

    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise UsageError(f"cannot write to {path.parent}: {exc.strerror}", option,
                         "choose a folder you can write to") from None
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
    except OSError as exc:
        _unlink(tmp)
        raise UsageError(f"cannot write {path}: {exc.strerror}", option, f"choose another {option}") from None
    except BaseException:
        _unlink(tmp)
        raise
    return tmp


def _ident(path: Path) -> tuple[int, int]:
    st = os.lstat(path)
    return st.st_dev, st.st_ino


def _link_new(tmp: Path, target: Path, option: str) -> tuple[int, int]:
    """Publish `tmp` as `target` only if `target` does not exist (atomically); its (dev, inode)."""
    try:
        os.link(tmp, target)
        return _ident(tmp)
    except FileExistsError:
        raise _exists(target, option) from None
    except OSError as exc:
        if exc.errno not in _NO_LINKS:
            raise UsageError(f"cannot write {target}: {exc.strerror}", option, f"choose another {option}") from None
    # No hard links here: create the target exclusively (still exactly one winner), then fill it.
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
    except FileExistsError:
        raise _exists(target, option) from None
    except OSError as exc:
        raise UsageError(f"cannot write {target}: {exc.strerror}", option, f"choose another {option}") from None
    ident = (os.fstat(fd).st_dev, os.fstat(fd).st_ino)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(tmp.read_bytes())
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException as exc:
        _unlink(target)
        if isinstance(exc, OSError):
            raise UsageError(f"cannot write {target}: {exc.strerror}", option, f"choose another {option}") from None
        raise
    return ident


def _backup(path: Path, backups: dict[Path, Path], option: str) -> None:
    if not os.path.lexists(path):
        return
    for _ in range(100):
        name = path.with_name(f".{path.name}.{os.urandom(4).hex()}.bak")
        try:
            if os.link in os.supports_follow_symlinks:
                os.link(path, name, follow_symlinks=False)  # a symbolic link is kept as a link
            else:
                shutil.copy2(path, name, follow_symlinks=False)
        except FileExistsError:
            continue
        except OSError as exc:
            if exc.errno not in _NO_LINKS:
                raise UsageError(f"cannot write {path}: {exc.strerror}", option,
                                 "choose a folder you can write to") from None
            try:
                shutil.copy2(path, name, follow_symlinks=False)
            except OSError as exc2:
                _unlink(name)
                raise UsageError(f"cannot write {path}: {exc2.strerror}", option,
                                 "choose a folder you can write to") from None
        backups[path] = name
        return
    raise UsageError(f"cannot write {path}: no free name for a backup", option)


def _replace(tmp: Path, path: Path, option: str) -> None:
    try:
        os.replace(tmp, path)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}", option, f"choose another {option}") from None


def _roll_back(done: list[tuple[Path, tuple[int, int]]], backups: dict[Path, Path]) -> list[tuple[Path, Path]]:
    """Put back what `done` replaced or remove what it created; (target, backup) of each old file
    that could not be put back (its backup is then kept)."""
    kept = []
    for path, ident in reversed(done):
        backup = backups.pop(path, None)
        try:
            if backup is not None:
                os.replace(backup, path)
            elif _ident(path) == ident:  # still ours (not replaced by another run since)
                path.unlink()
        except OSError:
            if backup is not None:
                kept.append((path, backup))
    return kept


def _remove_folders(made: list[Path]) -> None:
    for p in reversed(made):
        try:
            p.rmdir()
        except OSError:
            break


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass
