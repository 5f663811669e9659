"""The simulator's controllers: what AKS and Kubernetes do between the clients' calls.

Every request, and a timer every 50 ms, runs :meth:`Controllers.reconcile`, which moves the world
forward on the compressed clock. One controller per module, as kwok lays them out:

- :mod:`.nodes`: agent pools become nodes named and labelled like AKS's (``aks<pool>000000`` for
  Windows), NotReady then Ready while the pool provisions; deleting a pool removes its nodes;
- :mod:`.device_plugins`: with the driver installed a node advertises the DirectX resource once
  provisioning ends; with the driver skipped, only while a DirectX device plugin pod runs on it (then
  ``0``, as the kubelet reports a resource whose plugin went away);
- :mod:`.daemonsets` and :mod:`.jobs`, :mod:`.scheduler` (node selectors, taints and extended
  resources, ``FailedScheduling`` when nothing fits), :mod:`.kubelet` (pods start, run, complete, log
  what :mod:`.programs` prints), :mod:`.namespaces` and :mod:`.garbage` (owner references).

Shared pieces: :mod:`.events` (the Events the components record), :mod:`.timers` (the stages of an
object's life on the clock), :mod:`.pods` and :mod:`.taints` (helpers on objects).
"""

from __future__ import annotations

import logging

from labkit.sim.controllers.daemonsets import DaemonSetController
from labkit.sim.controllers.device_plugins import DevicePlugins
from labkit.sim.controllers.events import Events
from labkit.sim.controllers.garbage import GarbageCollector
from labkit.sim.controllers.jobs import JobController
from labkit.sim.controllers.kubelet import Kubelet
from labkit.sim.controllers.namespaces import NamespaceController
from labkit.sim.controllers.nodes import NodeController
from labkit.sim.controllers.scheduler import Scheduler
from labkit.sim.controllers.timers import Timers
from labkit.sim.world import World

log = logging.getLogger("labkit.sim.controllers")

__all__ = ["Controllers"]


class Controllers:
    """All controllers, run in order by :meth:`reconcile`."""

    def __init__(self, world: World):
        self.world = world
        events = Events(world.store)
        self.timers = Timers(world.store, world.clock)
        device_plugins = DevicePlugins(world)
        self.nodes = NodeController(world, events, device_plugins)
        self.namespaces = NamespaceController(world.store, self.timers)
        self.garbage = GarbageCollector(world.store)
        self.daemonsets = DaemonSetController(world.store, events)
        self.jobs = JobController(world.store, events)
        self.scheduler = Scheduler(world.store, events)
        self.kubelet = Kubelet(world, events, self.timers)

    def reconcile(self) -> None:
        steps = (
            self.world.advance_arm, self.nodes.reconcile, self.namespaces.reconcile, self.garbage.reconcile,
            self.daemonsets.reconcile, self.jobs.reconcile, self.scheduler.reconcile, self.kubelet.reconcile,
            self.jobs.report, self.daemonsets.report, self.timers.forget_gone,
        )
        for step in steps:
            try:
                step()
            except Exception:  # one odd object (say, a hand-made Node) must not turn every request into a 500
                log.exception("controller step failed; the others go on")
