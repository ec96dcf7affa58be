"""No module in searchapp/ grows past 400 lines (issue 18): a module that long
does more than one job; split it along its seams (as searchapp/config/ and
searchapp/web/responses/ were) instead of raising the limit."""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "searchapp"
MAX_LINES = 400


def _line_count(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def test_no_module_is_over_the_limit() -> None:
    modules = sorted(PACKAGE.rglob("*.py"))
    assert modules, f"no modules found under {PACKAGE}"
    too_long = [
        f"{path.relative_to(PACKAGE.parent)}: {lines} lines"
        for path in modules
        if (lines := _line_count(path)) > MAX_LINES
    ]
    assert not too_long, f"over {MAX_LINES} lines, split by job:\n" + "\n".join(too_long)
