"""Names for a class: each attendee's lab id, made readably from their name, and Windows pool names per cluster.

Example:
    >>> taken = set()
    >>> [lab_id_for(name, taken) for name in ("Ada Lovelace", "Ada-Lovelace", "Zoë Li", "李雷", "42")]
    ['adalovelace', 'adalovelace2', 'zoeli', 'attendee', 'attendee2']
    >>> pool_pairs(2, taken_names={"gpu01a"})
    [('gpu02a', 'gpu02m'), ('gpu03a', 'gpu03m')]
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from typing import Collection

from labkit.settings import LAB_ID_MAX

#: What a name without a letter of the Latin alphabet becomes (numbered from the second on).
_NAMELESS = "attendee"

#: Pool names: a prefix, the attendee's number in the cluster, and a (lesson 02, auto driver) or m (lesson 03).
_POOL_PREFIX = "gpu"
_POOL_DIGITS = 2


def lab_id_for(name: str, taken: set[str]) -> str:
    """A lab id for ``name`` that is not in ``taken``, which it joins: the name's letters and digits, lowercased.

    Accents are dropped (Zoë: zoe); a name too short for a lab id gets ``lab`` added; a repeat gets 2, 3, ...
    """
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    stem = re.sub(r"[^a-z0-9]", "", ascii_name).lstrip("0123456789") or _NAMELESS
    if len(stem) < 3:
        stem += "lab"
    for number in itertools.count(1):
        suffix = str(number) if number > 1 else ""
        candidate = stem[:LAB_ID_MAX - len(suffix)] + suffix
        if candidate not in taken:
            taken.add(candidate)
            return candidate


def pool_pairs(count: int, *, taken_names: Collection[str]) -> list[tuple[str, str]]:
    """``count`` pairs of Windows pool names (lesson 02's, lesson 03's), none of them in ``taken_names``.

    Raises:
        ValueError: when the numbers run out, which a cluster within AKS's pool limit never reaches.
    """
    numbers = (f"{_POOL_PREFIX}{n:0{_POOL_DIGITS}d}" for n in range(1, 10 ** _POOL_DIGITS))
    free = [(f"{stem}a", f"{stem}m") for stem in numbers if not {f"{stem}a", f"{stem}m"} & set(taken_names)]
    if len(free) >= count:
        return free[:count]
    raise ValueError(f"no {count} free pairs of pool names")
