"""Each cloud's endpoints, authority and token scope reach the clients and the credential, with no network; a custom
cloud is read from its ARM's metadata, as the simulator serves it."""

from __future__ import annotations

import http.server
import threading

import pytest

from labkit import Lab, LabConfigError, load_params
from labkit.backend import POLL_SECONDS_ENV
from labkit.clouds import KNOWN, discover
from test_backend import SUBSCRIPTION, endpoint


#: What Microsoft publishes for each cloud (docs/clouds.md): ARM, the Entra authority, ARM's token scope.
EXPECTED = {
    "AzureCloud": ("https://management.azure.com", "https://login.microsoftonline.com",
                   "https://management.azure.com/.default"),
    "AzureChinaCloud": ("https://management.chinacloudapi.cn", "https://login.chinacloudapi.cn",
                        "https://management.chinacloudapi.cn/.default"),
    "AzureUSGovernment": ("https://management.usgovcloudapi.net", "https://login.microsoftonline.us",
                          "https://management.usgovcloudapi.net/.default"),
}


class RecordedCredential:
    """Stands in for DefaultAzureCredential: keeps what labkit built it with."""

    def __init__(self, **options):
        self.options = options


@pytest.fixture
def recorded(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr("azure.identity.DefaultAzureCredential", RecordedCredential)


def test_the_three_clouds_are_the_ones_microsoft_publishes():
    assert set(KNOWN) == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_cloud_gives_its_arm_its_authority_and_its_scope(recorded, name):
    arm, authority, scope = EXPECTED[name]
    lab = Lab(load_params(backend="azure", cloud=name.lower(), subscription_id=SUBSCRIPTION))
    assert lab.backend.credential.options == {"authority": authority, "disable_instance_discovery": False}
    for client in (lab.aks, lab.aks_preview, lab.features, lab.resources, lab.compute):
        assert endpoint(client).rstrip("/") == arm
        assert client._config.credential_scopes == [scope]
        assert client._config.credential is lab.backend.credential


def test_no_cloud_is_the_public_cloud(recorded):
    lab = Lab(load_params(backend="azure", subscription_id=SUBSCRIPTION))
    assert lab.backend.cloud == KNOWN["AzureCloud"]


def test_a_custom_cloud_is_read_from_its_arm_metadata(sim):
    cloud = discover(sim.url + "/", verify=str(sim.state_dir / "ca.pem"))
    assert (cloud.arm_endpoint, cloud.authority) == (sim.url, sim.url)
    # the audience ARM's metadata names first, with /.default: what `az` asks a custom cloud's token for
    assert cloud.arm_scope == "https://management.core.windows.net//.default"
    assert cloud.instance_discovery is False and cloud.prices_endpoint == sim.url


def test_a_custom_cloud_named_in_the_parameters_is_used_with_the_credential_it_describes(recorded, sim, monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(sim.state_dir / "ca.pem"))
    lab = Lab(load_params(backend="azure", cloud=sim.url, subscription_id=SUBSCRIPTION))
    assert lab.backend.credential.options == {"authority": sim.url, "disable_instance_discovery": True}
    assert endpoint(lab.aks).rstrip("/") == sim.url


def test_a_custom_cloud_with_an_untrusted_certificate_says_so(sim, monkeypatch):
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    with pytest.raises(LabConfigError, match=r"cloud '.*' did not describe itself .*certificate is not trusted.*REQUESTS_CA_BUNDLE"):
        discover(sim.url)


def test_a_custom_cloud_that_does_not_answer_says_so():
    with pytest.raises(LabConfigError, match=r"cloud 'https://127.0.0.1:9' did not describe itself .*cannot be reached.*AzureCloud"):
        discover("https://127.0.0.1:9")


@pytest.mark.parametrize("status,body", [(404, b"{}"), (200, b"not json"), (200, b'{"authentication": {}}'),
                                         (200, b'{"authentication": {"loginEndpoint": "x", "audiences": []}}')])
def test_an_answer_that_is_not_a_clouds_metadata_says_so(status, body):
    class Answer(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(status)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        reason = "answered HTTP 404" if status == 404 else "is not a cloud's metadata"
        with pytest.raises(LabConfigError, match=f"did not describe itself .*{reason}"):
            discover(f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()


@pytest.mark.parametrize("value,normal", [("azureusgovernment", "AzureUSGovernment"), (" AzureCloud ", "AzureCloud"),
                                          ("https://arm.contoso.local/", "https://arm.contoso.local"),
                                          ("https://10.0.0.4:8443", "https://10.0.0.4:8443"), ("default", None)])
def test_cloud_names_and_endpoints_are_accepted_in_their_normal_form(value, normal):
    assert load_params(backend="azure", cloud=value).cloud == normal


@pytest.mark.parametrize("value,message", [
    ("AzureChina", "is not a cloud.*Did you mean 'AzureChinaCloud'"),
    ("http://arm.contoso.local", "is not a cloud.*https://host"),
    ("https://arm.contoso.local/metadata", "is not a cloud"),
])
def test_a_cloud_that_is_neither_known_nor_an_https_endpoint_is_refused(value, message):
    with pytest.raises(LabConfigError, match=f"cloud '{value}' {message}"):
        load_params(backend="azure", cloud=value)


def test_a_cloud_with_the_simulator_is_refused_before_anything_starts():
    with pytest.raises(LabConfigError, match="cloud 'AzureChinaCloud' is set while backend is 'sim'.*backend='azure'"):
        load_params(backend="sim", cloud="AzureChinaCloud")


def test_the_poll_interval_can_be_set_and_a_bad_one_is_refused(recorded, monkeypatch):
    monkeypatch.setenv(POLL_SECONDS_ENV, "0.5")
    assert Lab(load_params(backend="azure", subscription_id=SUBSCRIPTION)).backend.poll_seconds == 0.5
    monkeypatch.setenv(POLL_SECONDS_ENV, "soon")
    with pytest.raises(LabConfigError, match=r"\$LABKIT_POLL_SECONDS 'soon' is not a number of seconds from 0 to 600"):
        Lab(load_params(backend="azure", subscription_id=SUBSCRIPTION))


def test_labkit_run_refuses_a_cloud_that_does_not_answer_before_any_lesson(tmp_path, monkeypatch, config_dir):
    from click.testing import CliRunner

    from labkit.cli import main
    from labkit.exits import RunExit

    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", SUBSCRIPTION)
    result = CliRunner().invoke(main, ["run", "--backend", "azure", "-p", "cloud=https://127.0.0.1:9", "--out",
                                       str(tmp_path / "run")])
    assert result.exit_code == RunExit.PARAMETERS_REFUSED, result.output
    assert result.output.startswith("Error: cloud 'https://127.0.0.1:9' did not describe itself")
    assert len(result.output.strip().splitlines()) == 1 and not (tmp_path / "run").exists()
