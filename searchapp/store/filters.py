"""Build Milvus boolean expressions from values, escaping every literal.

Milvus Lite rejects filter templating (``filter_params``), so values are
written into the expression as literals. Every string goes through
:func:`string_literal`; user text never reaches an expression any other way.
"""

from __future__ import annotations

from collections.abc import Iterable

_ESCAPES = {
    "\\": "\\\\",
    '"': '\\"',
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}


def string_literal(value: str) -> str:
    """A double-quoted Milvus string literal that denotes exactly ``value``."""
    return '"' + "".join(_ESCAPES.get(ch, ch) for ch in value) + '"'


def equals(field: str, value: str | int | float) -> str:
    return f"{field} == {_literal(value)}"


def not_equals(field: str, value: str | int | float) -> str:
    return f"{field} != {_literal(value)}"


def contains(array_field: str, value: str) -> str:
    """True where ``array_field`` holds ``value`` exactly (no wildcards)."""
    return f"array_contains({array_field}, {string_literal(value)})"


def starts_with(field: str, prefix: str) -> str:
    """True where ``field`` begins with ``prefix`` (no wildcards: ``%`` and ``_`` are
    refused rather than trusted to an escape Lite and the server may read apart)."""
    if "%" in prefix or "_" in prefix or "\\" in prefix:
        raise ValueError(f"a prefix without %, _ or backslash, not {prefix!r}")
    return f"{field} like {string_literal(prefix + '%')}"


def is_in(field: str, values: Iterable[str | int]) -> str:
    return f"{field} in [{', '.join(_literal(v) for v in values)}]"


def all_of(*clauses: str | None) -> str:
    """Conjunction of the non-empty clauses ("" when there are none)."""
    present = [c for c in clauses if c]
    if len(present) == 1:
        return present[0]
    return " and ".join(f"({c})" for c in present)


def any_of(*clauses: str) -> str:
    """Disjunction of the non-empty clauses ("" when there are none)."""
    present = [c for c in clauses if c]
    if len(present) == 1:
        return present[0]
    return " or ".join(f"({c})" for c in present)


def _literal(value: str | int | float) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return string_literal(value)
