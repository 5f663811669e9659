"""Long-running operations: what ``Azure-AsyncOperation`` and ``Location`` URLs report while a pool changes."""

from __future__ import annotations

import uuid
from typing import Optional

from labkit.sim.arm.ids import ArmIds
from labkit.sim.arm.records import Record, Records
from labkit.sim.store import Obj, rfc3339


class Operations:
    """Operation status resources: InProgress until their pool's change ends, then Succeeded or Canceled."""

    def __init__(self, records: Records, clock, ids: ArmIds):
        self._records, self._clock, self._ids = records, clock, ids

    def start(self, step: str) -> str:
        """A new InProgress operation that lasts the clock step ``step``; returns its id."""
        operation_id = str(uuid.uuid4())
        self._records.put(Record(
            {"id": self._ids.operation(operation_id), "name": operation_id, "status": "InProgress",
             "startTime": rfc3339(self._clock.now())},
            {"step": step, "started": self._clock.now()},
        ))
        return operation_id

    def finish(self, operation_id: str, status: str, error: Optional[Obj] = None) -> None:
        """End the operation: Succeeded, Failed (with ``error``) or Canceled."""
        record = self._records.get(self._ids.operation(operation_id))
        record.resource.update(status=status, endTime=rfc3339())
        if status == "Canceled":
            error = {"code": "OperationCanceled", "message": "The operation was canceled by a delete."}
        if error:
            record.resource["error"] = error
        self._records.put(record)

    def get(self, operation_id: str) -> Optional[Obj]:
        record = self._records.get(self._ids.operation(operation_id))
        return record and record.resource

    def seconds_left(self, operation_id: str) -> float:
        """Real seconds until the operation's step ends (0 once it has)."""
        sim = self._records.get(self._ids.operation(operation_id)).sim
        return max(0.0, sim["started"] + self._clock.seconds(sim["step"]) - self._clock.now())
