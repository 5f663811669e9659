"""The timers: those of deleted objects are forgotten, those of live ones kept."""

from __future__ import annotations


def test_timers_of_deleted_objects_are_forgotten(sim, kube, until):
    timers = sim.controllers.timers
    live_uid = kube.core.read_namespace("default").metadata.uid
    timers._since.update({("uid-of-a-deleted-pod", "starting"): 0.0, (live_uid, "terminating"): 0.0})
    until(lambda: ("uid-of-a-deleted-pod", "starting") not in timers._since, what="the stale timer to go")
    assert (live_uid, "terminating") in timers._since
    del timers._since[(live_uid, "terminating")]
