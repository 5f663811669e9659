"""The attendee list an instructor plans a class from: CSV or YAML, one attendee a row.

Each attendee has a ``name``; ``subscription_id``, ``resource_group`` and ``cluster_name`` are optional and name
that attendee's own cluster (left out, they are the class's, from ``labkit workshop plan -p ...``).

CSV has a header row::

    name,resource_group,cluster_name
    Ada Lovelace,,
    Grace Hopper,rg-grace,aks-grace

YAML is a list of names or of mappings with the same keys::

    - Ada Lovelace
    - {name: Grace Hopper, resource_group: rg-grace, cluster_name: aks-grace}

A file that cannot be read, a row without a name, a name given twice or an unknown column stops the plan with one
:class:`~labkit.errors.LabConfigError` line naming the file, the row and a fix.

Example:
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "class.csv"
    >>> _ = path.write_text("name,cluster_name\\nAda Lovelace,\\nGrace Hopper,aks2\\n")
    >>> [(a.name, a.cluster) for a in read_attendees(path)]
    [('Ada Lovelace', {}), ('Grace Hopper', {'cluster_name': 'aks2'})]
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labkit.errors import LabConfigError, Problem

#: The columns that name an attendee's own cluster; missing ones are the class's.
CLUSTER_COLUMNS = ("subscription_id", "resource_group", "cluster_name")
COLUMNS = ("name", *CLUSTER_COLUMNS)

_RULE = "an attendee list is CSV with a name column, or a YAML list of names or of name mappings"


@dataclass(frozen=True)
class Attendee:
    """One attendee as listed: a name, and the cluster parameters given for them alone."""

    name: str
    cluster: dict[str, str] = field(default_factory=dict)


def read_attendees(path: Path) -> list[Attendee]:
    """The attendees in ``path`` (``.csv``, or ``.yaml``/``.yml``), in their order.

    Raises:
        LabConfigError: one problem saying what is wrong with the file, where, and the fix.
    """
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as error:
        raise _bad(path, f"cannot be read ({error.strerror})", "Check the path.") from None
    except UnicodeDecodeError as error:
        raise _bad(path, f"is not UTF-8 text (byte {error.start})", "Save it as UTF-8.") from None
    rows = _yaml_rows(path, text) if path.suffix.lower() in (".yaml", ".yml") else _csv_rows(path, text)
    attendees = [_attendee(path, where, row) for where, row in rows]
    if not attendees:
        raise _bad(path, "lists no attendee", "Add one name a line under the header.")
    _refuse_repeats(path, [where for where, _ in rows], attendees)
    return attendees


def _csv_rows(path: Path, text: str) -> list[tuple[str, dict[str, Any]]]:
    try:
        reader = csv.DictReader(io.StringIO(text), strict=True)
        header = [(name or "").strip() for name in reader.fieldnames or []]
        if "name" not in header:
            raise _bad(path, "has no name column in its first line", f"Start it with a header such as {','.join(COLUMNS)}.")
        reader.fieldnames = header
        rows = []
        for row in reader:
            if None in row:
                raise _bad(path, f"has more fields than columns in row {reader.line_num}", "Quote names with commas.")
            if any((value or "").strip() for value in row.values()):
                rows.append((f"row {reader.line_num}", row))
        return rows
    except csv.Error as error:
        raise _bad(path, f"is not valid CSV ({error})", "Save it as CSV from your spreadsheet.") from None


def _yaml_rows(path: Path, text: str) -> list[tuple[str, dict[str, Any]]]:
    import yaml

    try:
        items = yaml.safe_load(text)
    except (yaml.YAMLError, ValueError) as error:
        raise _bad(path, f"is not valid YAML ({' '.join(str(error).split())})", "Write one '- name' line per attendee.") from None
    if items is None:
        return []
    if not isinstance(items, list):
        raise _bad(path, "is not a YAML list", "Write one '- name' line per attendee.")
    return [(f"item {index}", {"name": item} if not isinstance(item, dict) else item) for index, item in enumerate(items, 1)]


def _attendee(path: Path, where: str, row: dict[str, Any]) -> Attendee:
    unknown = [str(column) for column in row if column not in COLUMNS]
    if unknown:
        raise _bad(path, f"has a column {unknown[0]!r} ({where})", f"The columns are {', '.join(COLUMNS)}.")
    values = {column: "" if value is None else str(value).strip() for column, value in row.items()}
    name = " ".join(values.pop("name", "").split())
    if not name:
        raise _bad(path, f"has no name in {where}", "Give every attendee a name, or delete the row.")
    return Attendee(name, {column: value for column, value in values.items() if value})


def _refuse_repeats(path: Path, places: list[str], attendees: list[Attendee]) -> None:
    seen: dict[str, str] = {}
    for where, attendee in zip(places, attendees):
        key = attendee.name.casefold()
        if key in seen:
            raise _bad(path, f"names {attendee.name!r} twice ({seen[key]} and {where})",
                       "List each attendee once; tell two people of one name apart, e.g. 'Ada L.' and 'Ada M.'.")
        seen[key] = where


def _bad(path: Path, why: str, fix: str) -> LabConfigError:
    return LabConfigError([Problem("attendees", str(path), why, _RULE, fix)])
