"""Rows of text as a fixed-width table: each column as wide as its widest cell, two spaces between columns.

Example:
    >>> print(fixed_width([("NODE", "GPUS"), ("aksgpunp000000", "1")]))
    NODE            GPUS
    aksgpunp000000  1
"""

from __future__ import annotations

from typing import Sequence


def fixed_width(rows: Sequence[Sequence[str]]) -> str:
    """``rows`` (the header first) as lines of left-aligned columns, without trailing spaces."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows)
