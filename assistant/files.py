"""Reading and writing files safely: whole-file atomic writes with the umask's mode, temporary files that never
outlive their writer for long, and reads of regular files only, under a size limit.
"""

from __future__ import annotations

import os
import re
import secrets
import stat
import time
from pathlib import Path

__all__ = ["FileProblem", "atomic_write", "read_limited", "remove_stale_temps"]

_TEMP_NAME = re.compile(r"^\..+?(?:\.(?P<pid>\d+)\.[0-9a-f]{8})?\.tmp$")  # without a pid: an older version's
_ORPHAN_SECONDS = 24 * 3600  # a temp file this old is stale even if its process id is in use again


class FileProblem(OSError):
    """A path that cannot be read or written as asked; ``str()`` says why in one line."""


def atomic_write(path: Path, blob: bytes) -> None:
    """Write ``blob`` to ``path`` through a temporary file in the same folder, renamed over ``path`` when complete.

    The file gets the mode the umask allows (as ``open`` would), so other users of an install can read it. On any
    failure the temporary file is removed and ``path`` is left as it was.

    Raises:
        FileProblem: if ``path`` is a folder, or the folder is missing or not writable.
    """
    if path.is_dir():
        raise FileProblem(f"{path} is a folder; give a file name")
    temp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        handle = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(handle, "wb") as stream:
            stream.write(blob)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, path)
    except BaseException as exc:
        temp.unlink(missing_ok=True)
        if isinstance(exc, OSError) and not isinstance(exc, FileProblem):
            raise FileProblem(f"cannot write {path}: {exc.strerror or exc}") from exc
        raise


def remove_stale_temps(folder: Path) -> list[Path]:
    """Remove the temporary files that ``atomic_write`` left in ``folder`` when its process was killed.

    A temporary file is stale when the process that wrote it no longer runs, or when it is over a day old (also
    one named without a process id, as older versions named them).
    Returns the removed paths.
    """
    removed = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    for path in entries:
        match = _TEMP_NAME.match(path.name)
        if not match:
            continue
        try:
            old = time.time() - path.lstat().st_mtime > _ORPHAN_SECONDS
            if old or (match.group("pid") and not _running(int(match.group("pid")))):
                path.unlink()
                removed.append(path)
        except OSError:
            continue
    return removed


def read_limited(path: Path, limit: int) -> bytes:
    """The bytes of ``path``, which must be a regular file of at most ``limit`` bytes.

    Raises:
        FileProblem: if ``path`` is missing, not a regular file (a folder, FIFO or device), larger than ``limit``
            or unreadable.
    """
    try:
        with open(path, "rb", opener=_open_nonblocking) as stream:
            info = os.fstat(stream.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise FileProblem(f"{path} is not a regular file")
            if info.st_size > limit:
                raise FileProblem(f"{path} has {info.st_size:,} bytes; the limit is {limit:,}")
            blob = stream.read(limit + 1)
    except FileProblem:
        raise
    except OSError as exc:
        raise FileProblem(f"cannot read {path}: {exc.strerror or exc}") from exc
    if len(blob) > limit:  # the file grew while being read
        raise FileProblem(f"{path} is larger than the limit of {limit:,} bytes")
    return blob


def _open_nonblocking(path: str, flags: int) -> int:
    """Open without blocking, so a FIFO is reported instead of waiting forever for a writer."""
    return os.open(path, flags | getattr(os, "O_NONBLOCK", 0))


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
