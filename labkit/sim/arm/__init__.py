"""The simulator's ARM plane: what the azure-mgmt SDKs call to register features and create node pools.

Laid out as moto lays out a service: :mod:`~labkit.sim.arm.urls` maps methods and paths to the handlers
in :mod:`~labkit.sim.arm.responses`, which read the request, ask the models and shape ARM's answer; the
models know nothing of HTTP (:mod:`~labkit.sim.arm.registrations` for features and providers,
:mod:`~labkit.sim.arm.clusters`, :mod:`~labkit.sim.arm.agent_pools` with the pools' provisioning
state machine and :mod:`~labkit.sim.arm.pool_checks` with what AKS checks first, :mod:`~labkit.sim.arm.operations`, :mod:`~labkit.sim.arm.compute` for VM sizes and vCPU
quota), :mod:`~labkit.sim.arm.exceptions` holds the errors they raise, and
:mod:`~labkit.sim.arm.api_versions` the api-versions of each resource type. The
:class:`~labkit.sim.world.World` owns the models; :mod:`labkit.sim.faults` makes them fail on purpose.
docs/aks-facts.md names the source of every behaviour.
"""

