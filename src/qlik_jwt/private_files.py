"""Files that hold users, sessions, cookies, keys or secrets: readable by their owner only.

A folder made here is 0700 (every one created, parents included); a file is created 0600
before a byte of it is written. SQLite gives the ``-wal``, ``-shm`` and ``-journal`` files it
creates its database file's permissions, so creating the database file 0600 first covers
them. An existing file readable by others is left as it is, with an
:class:`InsecureFileWarning` naming it and the ``chmod`` that fixes it.
"""

from __future__ import annotations

import os
import stat
import warnings
from pathlib import Path

__all__ = [
    "SQLITE_SIDE_FILES",
    "InsecureFileWarning",
    "private_file",
    "private_folder",
    "warn_if_readable_by_others",
]

SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


class InsecureFileWarning(UserWarning):
    """A file holding secrets is readable by other local users."""


def private_folder(path: str | Path) -> None:
    """Create ``path`` and any missing parents with mode 0700; an existing folder is kept.

    Raises OSError when a folder cannot be created.
    """
    folder = Path(path)
    missing = []
    while not folder.exists():
        missing.append(folder)
        if folder.parent == folder:
            break
        folder = folder.parent
    for created in reversed(missing):
        created.mkdir(mode=0o700, exist_ok=True)
        os.chmod(created, 0o700)  # the umask may have narrowed it; never widened


def warn_if_readable_by_others(
    path: str | Path, what: str, category: type[Warning] = InsecureFileWarning
) -> bool:
    """Warn (``category``) when ``path``, holding ``what``, is open to other users in any
    way; True then. Warns nothing for a missing file."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return False
    if not mode & (stat.S_IRWXG | stat.S_IRWXO):
        return False
    warnings.warn(
        f"{what} {path} is readable by other users (mode {stat.S_IMODE(mode):o}); "
        f"run `chmod 600 {path}`.",
        category,
        stacklevel=3,
    )
    return True


def private_file(path: str | Path, what: str, *, sqlite: bool = False) -> None:
    """Create ``path`` empty with mode 0600 (its folder 0700) unless it exists; warn when an
    existing one (or, with ``sqlite``, one of its side files) is readable by others.

    Raises OSError when the file or its folder cannot be created.
    """
    target = Path(path)
    private_folder(target.parent)
    try:
        fd = os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        for side in ("", *(SQLITE_SIDE_FILES if sqlite else ())):
            warn_if_readable_by_others(f"{target}{side}", what)
        return
    os.close(fd)
