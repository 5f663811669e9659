"""ARM resources as the models keep them: the resource as ARM shows it, and the simulator's bookkeeping apart.

Keeping the two apart means no response can ever show the bookkeeping. In the store a record is one
JSON object, the bookkeeping under :data:`BOOKKEEPING`, which only this module reads or writes.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Optional

from labkit.sim.store import Obj, Store


@dataclass
class Record:
    """One stored resource: ``resource`` is what clients see, ``sim`` when and how it changes."""

    resource: Obj
    sim: Obj = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.resource["id"]


#: The key the bookkeeping is stored under, beside the resource's own keys.
BOOKKEEPING = "_sim"


class Records:
    """Records by resource id (compared case-insensitively, as ARM does), over the world's store."""

    def __init__(self, store: Store):
        self._store = store

    def get(self, resource_id: str) -> Optional[Record]:
        raw = self._store.arm_get(resource_id)
        return None if raw is None else _record(raw)

    def put(self, record: Record) -> Record:
        self._store.arm_put(record.id, {**copy.deepcopy(record.resource), BOOKKEEPING: copy.deepcopy(record.sim)})
        return record

    def delete(self, resource_id: str) -> None:
        self._store.arm_delete(resource_id)

    def list(self, collection: str) -> list[Record]:
        """The records directly under ``collection`` (an id ending in '/'), ordered by id."""
        return [_record(raw) for raw in self._store.arm_list(collection)]


def _record(raw: Obj) -> Record:
    sim = raw.pop(BOOKKEEPING, {})
    return Record(raw, sim)
