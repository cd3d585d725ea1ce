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

__all__ = ["FileProblem", "atomic_write", "npy_bytes", "read_limited", "remove_stale_temps", "safe_name"]

_TEMP_SUFFIX = re.compile(r"^\.(?P<target>.+?)(?:\.(?P<pid>\d+)\.[0-9a-f]{8}|\.[a-z0-9_]{8})\.tmp$")
_ORPHAN_SECONDS = 24 * 3600  # a temp file this old is stale even if its process id is in use again
_MAX_TARGET_IN_TEMP_NAME = 200  # keeps the temporary name within the usual 255-byte limit


class FileProblem(OSError):
    """A path that cannot be read or written as asked; ``str()`` says why in one line."""


def atomic_write(path: Path, blob: bytes) -> None:
    """Write ``blob`` to ``path`` through a temporary file in the same folder, renamed over ``path`` when complete.

    A symlink is written through (its target is replaced, the link stays). A new file gets the mode the umask allows
    (as ``open`` would), so other users of an install can read it; an existing file keeps its mode. On any failure
    the temporary file is removed and ``path`` is left as it was.

    Raises:
        FileProblem: if ``path`` is a folder or a read-only file, or the folder is missing or not writable.
    """
    path = Path(os.path.realpath(path)) if path.is_symlink() else path
    if path.is_dir():
        raise FileProblem(f"{path} is a folder; give a file name")
    existing = _existing_mode(path)
    if existing is not None and (existing & 0o222 == 0 or not os.access(path, os.W_OK)):
        raise FileProblem(f"{path} is read-only; make it writable or choose another file")
    name = path.name.encode("utf-8", "surrogateescape")[:_MAX_TARGET_IN_TEMP_NAME].decode("utf-8", "ignore")
    temp = path.with_name(f".{name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        handle = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(handle, "wb") as stream:
            if existing is not None:
                os.fchmod(stream.fileno(), stat.S_IMODE(existing))
            stream.write(blob)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, path)
    except BaseException as exc:
        temp.unlink(missing_ok=True)
        if isinstance(exc, OSError) and not isinstance(exc, FileProblem):
            raise FileProblem(f"cannot write {path}: {exc.strerror or exc}") from exc
        raise


def _existing_mode(path: Path) -> int | None:
    try:
        return path.stat().st_mode
    except OSError:
        return None


def remove_stale_temps(folder: Path, owns: re.Pattern[str]) -> list[Path]:
    """Remove the temporary files that ``atomic_write`` left in ``folder`` for files whose names match ``owns``
    when its process was killed; nothing else in the folder is touched.

    A temporary file is stale when the process that wrote it no longer runs, or when it is over a day old (also
    one named as older versions named them, without a process id). Returns the removed paths.
    """
    removed = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    for path in entries:
        match = _TEMP_SUFFIX.match(path.name)
        if not match or not owns.fullmatch(match.group("target")):
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
            blob = stream.read(min(limit, info.st_size) + 1)  # a file that grows while read shows as too long
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


def safe_name(name: str) -> str:
    """``name`` as a short file-name part: letters, digits, ``_ . -`` only (``st:BAAI/bge`` → ``st_BAAI_bge``)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[:60]


def npy_bytes(matrix: object) -> bytes:
    """``matrix`` in numpy's ``.npy`` format (no pickled objects), ready for ``atomic_write``."""
    import io

    import numpy as np

    buffer = io.BytesIO()
    np.save(buffer, matrix, allow_pickle=False)
    return buffer.getvalue()
