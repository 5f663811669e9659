"""The simulator's controllers: what AKS and Kubernetes do between the clients' calls.

Every request, and a timer every 50 ms, runs :meth:`Controllers.reconcile`, which moves the world
forward on the compressed clock. One controller per module, as kwok lays them out:

- AKS: :mod:`.nodes` (each pool's VMs register as nodes, turn Ready, go with their pool) and
  :mod:`.addons` (the kube-system DaemonSets AKS runs on Windows nodes, its GPU device plugin among them);
- Kubernetes' controllers: :mod:`.node_lifecycle` (condition taints), :mod:`.daemonsets`, :mod:`.jobs`,
  :mod:`.ttl_after_finished`, :mod:`.namespaces`, :mod:`.garbage`, and :mod:`.scheduler`;
- the kubelets: :mod:`.kubelet` (pods start, run, complete and log what :mod:`.programs` prints) and
  :mod:`.device_plugins` (what the device manager advertises from the plugins that registered).

Shared pieces: :mod:`.events`, :mod:`.timers` (stages of an object's life on the clock), :mod:`.pods`,
:mod:`.taints` and :mod:`.affinity`. Controllers create objects through :func:`labkit.sim.admission.admit`,
as their requests would go through the apiserver's admission.
"""

from __future__ import annotations

import logging

from labkit.sim.controllers.addons import AddonManager
from labkit.sim.controllers.daemonsets import DaemonSetController
from labkit.sim.controllers.device_plugins import DeviceManager
from labkit.sim.controllers.events import Events
from labkit.sim.controllers.garbage import GarbageCollector
from labkit.sim.controllers.jobs import JobController
from labkit.sim.controllers.kubelet import Kubelet
from labkit.sim.controllers.namespaces import NamespaceController
from labkit.sim.controllers.node_lifecycle import NodeLifecycleController
from labkit.sim.controllers.nodes import NodeController
from labkit.sim.controllers.scheduler import Scheduler
from labkit.sim.controllers.timers import Timers
from labkit.sim.controllers.ttl_after_finished import TTLAfterFinishedController
from labkit.sim.store import StateLost
from labkit.sim.world import World

log = logging.getLogger("labkit.sim.controllers")

__all__ = ["Controllers"]


class Controllers:
    """All controllers, run in order by :meth:`reconcile`."""

    def __init__(self, world: World):
        self.world = world
        store = world.store
        events = Events(store)
        self.timers = Timers(store, world.clock)
        self.nodes = NodeController(world, events)
        self.addons = AddonManager(world)
        self.node_lifecycle = NodeLifecycleController(store, events)
        self.device_manager = DeviceManager(store, self.timers, world.config.gpu_resource_name)
        self.namespaces = NamespaceController(store, self.timers)
        self.garbage = GarbageCollector(store)
        self.daemonsets = DaemonSetController(store, events)
        self.jobs = JobController(store, events)
        self.ttl_after_finished = TTLAfterFinishedController(store, self.timers)
        self.scheduler = Scheduler(store, events)
        self.kubelet = Kubelet(world, events, self.timers)

    def reconcile(self) -> None:
        steps = (
            self.world.advance_arm, self.nodes.reconcile, self.addons.reconcile, self.node_lifecycle.reconcile,
            self.device_manager.reconcile, self.namespaces.reconcile, self.garbage.reconcile,
            self.daemonsets.reconcile, self.jobs.reconcile, self.ttl_after_finished.reconcile,
            self.scheduler.reconcile, self.kubelet.reconcile, self.jobs.report, self.daemonsets.report,
            self.timers.forget_gone, self.device_manager.forget_gone,
        )
        for step in steps:
            try:
                step()
            except StateLost:
                raise  # not one odd object: the server stops
            except Exception:  # the last resort: tests fail when this logs (tests/conftest.py)
                log.exception("controller step %s failed; the others go on", getattr(step, "__qualname__", step))
