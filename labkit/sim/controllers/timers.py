"""The stages of an object's life on the compressed clock, and when each object entered each stage."""

from __future__ import annotations

from typing import Optional

from labkit.sim.store import Store
from labkit.sim.world import Clock

#: How long each stage lasts, as the clock step (``world.DURATIONS``) it waits for.
STAGES = {
    "starting": "container_start",                 # a scheduled pod until its containers run
    "running": "job_run",                           # a running pod of a Job until its containers exit
    "terminating": "namespace_delete",              # a deleted namespace until it is gone
    "plugin_stopped": "device_plugin_stop_grace",   # a device plugin gone until the kubelet drops its resource
}

#: The kinds whose uids the timers follow; a timer of an object no longer stored is forgotten.
_TIMED_KINDS = ("Pod", "Namespace", "Job")


class Timers:
    """When each object entered each stage, to tell when the stage's time has passed."""

    def __init__(self, store: Store, clock: Clock):
        self._store = store
        self._clock = clock
        self._since: dict[tuple[str, str], float] = {}

    def elapsed(self, uid: str, stage: str, *, seconds: Optional[float] = None) -> bool:
        """Whether ``stage`` has lasted its time for ``uid``; the first call starts it.

        Args:
            uid: The object (or, for node-local state, the node name).
            stage: A key of :data:`STAGES`, or any name when ``seconds`` is given.
            seconds: The stage's length for a deadline the user sets (a Job's ``ttlSecondsAfterFinished``), in
                real seconds: the clock compresses how long Azure and Kubernetes take, not the time a user
                gives to look at something (a Job kept an hour stays while the learner reads its log).
        """
        started = self._since.setdefault((uid, stage), self._clock.now())
        length = seconds if seconds is not None else self._clock.seconds(STAGES[stage])
        return self._clock.now() >= started + length

    def reset(self, uid: str, stage: str) -> None:
        self._since.pop((uid, stage), None)

    def forget_gone(self) -> None:
        """Drop the timers of objects that no longer exist, so a long-running simulator stays small."""
        alive = {o["metadata"]["uid"] for kind in _TIMED_KINDS for o in self._store.iter(kind)}
        alive |= {n["metadata"]["name"] for n in self._store.iter("Node")}
        for key in [k for k in self._since if k[0] not in alive]:
            del self._since[key]
