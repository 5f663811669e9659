"""The simulator's ARM plane: what the azure-mgmt SDKs call to register features and create node pools.

Laid out as moto lays out a service: :mod:`~labkit.sim.arm.urls` maps methods and paths to the handlers
in :mod:`~labkit.sim.arm.responses`, which read the request, ask the models and shape ARM's answer; the
models know nothing of HTTP (:mod:`~labkit.sim.arm.registrations` for features and providers,
:mod:`~labkit.sim.arm.clusters`, :mod:`~labkit.sim.arm.agent_pools` with the pools' provisioning state
machine, :mod:`~labkit.sim.arm.operations`), and :mod:`~labkit.sim.arm.exceptions` holds the errors they
raise. The :class:`~labkit.sim.world.World` owns the models.
"""

