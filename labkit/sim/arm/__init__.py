"""The simulator's ARM plane: what the azure-mgmt SDKs call to register features and create node pools.

Laid out as moto lays out a service: :mod:`~labkit.sim.arm.urls` maps methods and paths to the handlers
in :mod:`~labkit.sim.arm.responses`, which read the request, ask the models and shape ARM's answer. The
models know nothing of HTTP: :mod:`~labkit.sim.arm.registrations` (features and providers),
:mod:`~labkit.sim.arm.clusters`, :mod:`~labkit.sim.arm.agent_pools` (the pools' provisioning state
machine), :mod:`~labkit.sim.arm.pool_checks` (what AKS checks in a pool request),
:mod:`~labkit.sim.arm.operations`, :mod:`~labkit.sim.arm.compute` (VM sizes and vCPU quota).
:mod:`~labkit.sim.arm.exceptions` holds the errors they raise, :mod:`~labkit.sim.arm.api_versions` the
api-versions of each resource type. The :class:`~labkit.sim.world.World` owns the models;
:mod:`labkit.sim.faults` makes them fail on purpose. docs/aks-facts.md names the source of every behaviour.
"""
