"""The stages of an object's life on the compressed clock, and when each object entered each stage."""

from __future__ import annotations

from labkit.sim.store import Store
from labkit.sim.world import Clock

#: How long each stage lasts, as the clock step (``world.DURATIONS``) it waits for.
STAGES = {
    "starting": "container_start",      # a scheduled pod until its containers run
    "running": "job_run",               # a running pod of a Job until its containers exit
    "terminating": "namespace_delete",  # a deleted namespace until it is gone
}

#: The kinds whose uids the timers follow; a timer of an object no longer stored is forgotten.
_TIMED_KINDS = ("Pod", "Namespace")


class Timers:
    """When each object entered each stage, to tell when the stage's time has passed."""

    def __init__(self, store: Store, clock: Clock):
        self._store = store
        self._clock = clock
        self._since: dict[tuple[str, str], float] = {}

    def elapsed(self, uid: str, stage: str) -> bool:
        """Whether ``stage`` has lasted its compressed time for ``uid``; the first call starts it."""
        started = self._since.setdefault((uid, stage), self._clock.now())
        return self._clock.now() >= started + self._clock.seconds(STAGES[stage])

    def forget_gone(self) -> None:
        """Drop the timers of objects that no longer exist, so a long-running simulator stays small."""
        alive = {o["metadata"]["uid"] for kind in _TIMED_KINDS for o in self._store.iter(kind)}
        for key in [k for k in self._since if k[0] not in alive]:
            del self._since[key]
