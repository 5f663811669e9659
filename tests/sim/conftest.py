"""Fixtures for the simulator's tests."""

from __future__ import annotations

import pytest
from azure.mgmt.containerservice import ContainerServiceClient
from azure.mgmt.resource.features import FeatureClient

from labkit.sim.client import credential as sim_credential


@pytest.fixture(scope="module")
def aks(sim, until):
    """A ContainerServiceClient on the module's simulator, with the Windows GPU preview registered."""
    options = {"base_url": sim.url, "connection_verify": str(sim.state_dir / "ca.pem"), "polling_interval": 0.01}
    credential = sim_credential(sim.state_dir, sim.url)
    features = FeatureClient(credential, sim.config.subscription_id, **options)
    features.features.register("Microsoft.ContainerService", "WindowsGPUPreview")
    until(lambda: features.features.get("Microsoft.ContainerService", "WindowsGPUPreview").properties.state == "Registered",
          what="feature registration")
    return ContainerServiceClient(credential, sim.config.subscription_id, **options)
