"""Numbers as the engine shows them: ``qText`` from a ``qNumFormat``, and ``qNum`` in JSON.

Supported formats: automatic (``qType`` ``"U"`` or none: integers plainly, other numbers
with up to 14 significant digits), and patterns in ``qFmt`` such as ``#,##0.00``,
``$#,##0``, ``0.0%`` using the format's ``qDec``/``qThou`` characters. Without ``qFmt`` a
fixed format uses ``qnDec`` decimals and ``qUseThou``. Date and time formats fall back to
automatic. Null is shown as ``-``, as Qlik does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["NULL_TEXT", "format_number", "json_number"]

NULL_TEXT = "-"
_NUMERIC_TYPES = ("F", "R", "M", "I")


def json_number(value: float | None) -> int | float | str:
    """``qNum`` as the engine sends it: integers without ``.0``, null as the string "NaN"."""
    if value is None or value != value:
        return "NaN"
    if value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _auto(value: float) -> str:
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.14g}"


def _grouped(value: float, decimals: int, dec: str, thou: str | None) -> str:
    text = f"{abs(value):,.{decimals}f}" if thou else f"{abs(value):.{decimals}f}"
    text = text.replace(",", "\0").replace(".", dec).replace("\0", thou or "")
    negative = round(value, decimals) < 0
    return ("-" if negative else "") + text


def _pattern(value: float, pattern: str, dec: str, thou: str) -> str:
    core = re.search(f"[#0](?:[#0]|{re.escape(dec)}|{re.escape(thou)})*", pattern)
    if core is None:
        return _auto(value)
    prefix, body, suffix = pattern[: core.start()], core.group(), pattern[core.end() :]
    if "%" in prefix + suffix:
        value *= 100
    whole, _, fraction = body.partition(dec)
    decimals = sum(1 for char in fraction if char in "#0")
    text = _grouped(value, decimals, dec, thou if thou and thou in whole else None)
    sign = "-" if text.startswith("-") else ""
    return f"{sign}{prefix}{text.lstrip('-')}{suffix}"


def format_number(value: float | None, num_format: Mapping[str, Any] | None = None) -> str:
    """``qText`` for a number under a ``qNumFormat`` (``None`` or empty means automatic)."""
    if value is None or value != value:
        return NULL_TEXT
    fmt = num_format or {}
    kind = fmt.get("qType", "U")
    if kind not in _NUMERIC_TYPES:
        return _auto(value)
    dec = str(fmt.get("qDec") or ".")
    thou = str(fmt.get("qThou") or ",")
    pattern = fmt.get("qFmt")
    if isinstance(pattern, str) and pattern.strip():
        return _pattern(value, pattern, dec, thou)
    decimals = 0 if kind == "I" else _int_or(fmt.get("qnDec"), 2)
    return _grouped(value, max(0, min(decimals, 15)), dec, thou if fmt.get("qUseThou") else None)


def _int_or(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default
