"""The TTL-after-finished controller: a finished Job with ``ttlSecondsAfterFinished`` is deleted that long after.

Its pods go with it, as the controller deletes with propagationPolicy Foreground
(kubernetes pkg/controller/ttlafterfinished/ttlafterfinished_controller.go). The time counts from when
this controller first sees the Job finished, in real seconds (a time the user chose, which the simulated
clock does not compress).
"""

from __future__ import annotations

from labkit.sim.controllers.jobs import job_finished
from labkit.sim.controllers.pods import delete_quietly, owned_pods
from labkit.sim.controllers.timers import Timers
from labkit.sim.store import Store


class TTLAfterFinishedController:
    def __init__(self, store: Store, timers: Timers):
        self.store = store
        self.timers = timers

    def reconcile(self) -> None:
        for job in list(self.store.iter("Job")):
            ttl = (job.get("spec") or {}).get("ttlSecondsAfterFinished")
            if ttl is None or not job_finished(job):
                continue
            if self.timers.elapsed(job["metadata"]["uid"], "finished", seconds=ttl):
                for pod in owned_pods(self.store, job):
                    delete_quietly(self.store, "Pod", pod["metadata"]["namespace"], pod["metadata"]["name"])
                delete_quietly(self.store, "Job", job["metadata"]["namespace"], job["metadata"]["name"])
