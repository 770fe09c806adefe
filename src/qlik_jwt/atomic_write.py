"""Replace files atomically: a reader sees the old file or the new one, never half of one.

The new content goes to a temporary file beside the target (same directory, so the rename
stays on one file system), is flushed to disk, gets its mode, and only then is renamed over
the target. The temporary file is created exclusively (``O_EXCL``): a file or link someone
planted under that name makes the write fail instead of sending a secret through the link.
Used for key files and settings files, which both hold secrets.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["stage", "write_atomically"]


def stage(path: Path, data: bytes, mode: int) -> Path:
    """Write ``data`` (with ``mode``) to a new temporary file beside ``path``; return its path.

    The caller renames it over ``path`` with :func:`os.replace`, or deletes it. Raises
    OSError, leaving no temporary file behind.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)  # the umask may have narrowed os.open's mode
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def write_atomically(path: Path, data: bytes, mode: int) -> None:
    """Replace ``path`` with ``data`` (file mode ``mode``). Raises OSError; on failure
    ``path`` is as it was."""
    tmp = stage(path, data, mode)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
