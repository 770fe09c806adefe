"""Change a few ``KEY=value`` lines of a settings file (``.env``) and keep everything else.

Comments, blank lines, order and unrelated settings are preserved; a changed key keeps its
line, a new key is appended. The file is replaced atomically (:mod:`qlik_jwt.atomic_write`),
so a reader sees the old file or the new one, never half.
"""

from __future__ import annotations

import re
import stat
from collections.abc import Mapping
from pathlib import Path

from qlik_jwt.atomic_write import write_atomically
from qlik_jwt.errors import ConfigurationError

__all__ = ["format_value", "read_env_text", "restore_env_file", "update_env_file"]

_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=")
_PLAIN = re.compile(r"^[A-Za-z0-9_./:@+,%-]*$")
_NEW_FILE_MODE = 0o600  # settings files hold secrets


def format_value(value: str) -> str:
    """``value`` as dotenv text: bare when safe, else single- or double-quoted."""
    if "\n" in value or "\r" in value:
        raise ValueError("a settings value cannot span lines; use \\n escapes in PEM text")
    if _PLAIN.match(value):
        return value
    if "'" not in value:
        return f"'{value}'"
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def read_env_text(path: str | Path) -> str | None:
    """The file's text, or None when it does not exist (for :func:`restore_env_file`)."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _error(Path(path), "cannot be read", exc) from None


def restore_env_file(path: str | Path, text: str | None) -> None:
    """Put back what :func:`read_env_text` returned (None: remove the file), atomically."""
    path = Path(path)
    if text is None:
        path.unlink(missing_ok=True)
        return
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = _NEW_FILE_MODE
    _write_atomically(path, text, mode)


def update_env_file(path: str | Path, values: Mapping[str, str]) -> None:
    """Set each ``NAME=value`` of ``values`` in the file at ``path`` (created if missing).

    Every existing line for a name is rewritten in place; names not yet in the file are
    appended. The file keeps its permissions (a new one gets 0600). Raises
    ConfigurationError naming ``env_file`` when it cannot be read or written.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        text, mode = "", _NEW_FILE_MODE
    except OSError as exc:
        raise _error(path, "cannot be read", exc) from None
    lines = text.splitlines()
    pending = dict(values)
    for index, line in enumerate(lines):
        match = _LINE.match(line)
        if match and match.group(1) in values:
            name = match.group(1)
            lines[index] = f"{name}={format_value(values[name])}"
            pending.pop(name, None)
    lines += [f"{name}={format_value(value)}" for name, value in pending.items()]
    _write_atomically(path, "\n".join(lines) + "\n", mode)


def _write_atomically(path: Path, text: str, mode: int) -> None:
    try:
        write_atomically(path, text.encode("utf-8"), mode)
    except OSError as exc:
        raise _error(path, "cannot be written", exc) from None


def _error(path: Path, problem: str, exc: OSError) -> ConfigurationError:
    return ConfigurationError(
        "env_file",
        f"{problem} ({exc.strerror or type(exc).__name__})",
        str(path),
        "Check the path and its permissions.",
    )
