"""The Azure backend builds its clients with the right endpoint, api-versions and credential, offline."""

import pytest
from azure.identity import DefaultAzureCredential

from labkit import Lab, LabConfigError, load_params
from labkit.catalog import GA_API_VERSION, PREVIEW_API_VERSION

SUBSCRIPTION = "11111111-2222-3333-4444-555555555555"
AZURE_ARM_ENDPOINT = "https://management.azure.com"


@pytest.fixture
def azure_lab(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return Lab(load_params(backend="azure", subscription_id=SUBSCRIPTION))


def endpoint(client):
    """Where a client sends requests (the new-style containerservice client keeps it on its config)."""
    return getattr(client._config, "base_url", None) or client._client._base_url


def test_azure_backend_uses_arm_and_default_credential(azure_lab, tmp_path):
    backend = azure_lab.backend
    assert backend.arm_endpoint == AZURE_ARM_ENDPOINT
    assert isinstance(backend.credential, DefaultAzureCredential)
    assert backend.connection_verify is True
    assert backend.kubeconfig_dir == tmp_path / "labkit" / "kubeconfigs"


def test_container_service_clients_use_ga_and_preview_api_versions(azure_lab):
    assert azure_lab.aks._config.api_version == GA_API_VERSION
    assert azure_lab.aks_preview._config.api_version == PREVIEW_API_VERSION
    for client in (azure_lab.aks, azure_lab.aks_preview, azure_lab.features, azure_lab.resources):
        assert endpoint(client).rstrip("/") == AZURE_ARM_ENDPOINT
        assert client._config.subscription_id == SUBSCRIPTION
        assert client._config.credential is azure_lab.backend.credential
        assert client._config.credential_scopes == ["https://management.azure.com/.default"]


def test_subscription_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", SUBSCRIPTION)
    assert Lab(load_params(backend="azure")).backend.subscription_id == SUBSCRIPTION


def test_missing_subscription_is_a_config_error(monkeypatch):
    monkeypatch.delenv("AZURE_SUBSCRIPTION_ID", raising=False)
    with pytest.raises(LabConfigError, match="subscription_id None is not set.*AZURE_SUBSCRIPTION_ID"):
        Lab(load_params(backend="azure"))
