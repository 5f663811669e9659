"""The Entra ID stand-in and ARM's sign-in routes, through azure-identity and on the wire: discovery, tokens and their
claims, Entra's errors, ARM's metadata, subscriptions and tenants, and ARM's 401s for every kind of bad token."""

from __future__ import annotations

import time

import jwt
import pytest
import requests
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import ClientSecretCredential, DefaultAzureCredential
from azure.mgmt.containerservice import ContainerServiceClient

from labkit.sim.client import credential
from labkit.sim.entra.directory import ARM_AUDIENCES, read_principal, read_secret

ARM_SCOPE = "https://management.azure.com/.default"
#: What `az` asks for: ARM's metadata audience with /.default (az doubles the slash of a resource ending in one).
AZ_SCOPE = "https://management.core.windows.net//.default"


@pytest.fixture(scope="module")
def principal(sim):
    return read_principal(sim.state_dir)


@pytest.fixture(scope="module")
def wire(sim):
    """``wire(method, path, token=None, **requests options)``: plain https to the simulator."""

    def call(method: str, path: str, token: str | None = None, **options) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return requests.request(method, sim.url + path, headers={**headers, **options.pop("headers", {})},
                                verify=str(sim.state_dir / "ca.pem"), timeout=10, **options)

    return call


def token_form(sim, principal, **changes) -> dict:
    return {"grant_type": "client_credentials", "client_id": principal.client_id,
            "client_secret": read_secret(sim.state_dir), "scope": ARM_SCOPE, **changes}


# --- sign-in --------------------------------------------------------------------------------------------------


def test_openid_discovery_names_the_tenant_s_endpoints(sim, wire, principal):
    config = wire("GET", f"/{principal.tenant_id}/v2.0/.well-known/openid-configuration").json()
    base = f"{sim.url}/{principal.tenant_id}"
    assert (config["token_endpoint"], config["jwks_uri"], config["issuer"]) == (
        f"{base}/oauth2/v2.0/token", f"{base}/discovery/v2.0/keys", f"{base}/v2.0")
    assert config["authorization_endpoint"]  # MSAL requires it
    unknown = wire("GET", "/00000000-0000-0000-0000-000000000000/v2.0/.well-known/openid-configuration")
    assert (unknown.status_code, unknown.json()["error"], unknown.json()["error_codes"]) == (400, "invalid_tenant", [90002])


def test_client_secret_credential_gets_a_jwt_with_entra_s_claims(sim, wire, principal):
    token = credential(sim.state_dir, sim.url).get_token(ARM_SCOPE).token
    keys = wire("GET", f"/{principal.tenant_id}/discovery/v2.0/keys").json()["keys"]
    header = jwt.get_unverified_header(token)
    key = jwt.PyJWK(next(k for k in keys if k["kid"] == header["kid"])).key
    claims = jwt.decode(token, key, algorithms=["RS256"], audience="https://management.azure.com")
    assert header["alg"] == "RS256"
    assert claims["tid"] == principal.tenant_id == sim.config.tenant_id
    assert (claims["oid"], claims["appid"], claims["iss"]) == (principal.object_id, principal.client_id,
                                                              f"{sim.url}/{principal.tenant_id}/")
    assert claims["iat"] <= time.time() < claims["exp"] <= claims["iat"] + 3600


def test_az_s_scope_gets_a_token_for_arm_s_first_audience(sim, principal, wire):
    answer = wire("POST", f"/{principal.tenant_id}/oauth2/v2.0/token", data=token_form(sim, principal, scope=AZ_SCOPE))
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    body = answer.json()
    assert set(body) == {"token_type", "expires_in", "ext_expires_in", "access_token"} and body["token_type"] == "Bearer"
    assert jwt.decode(body["access_token"], options={"verify_signature": False})["aud"] == ARM_AUDIENCES[0]


def test_environment_credential_in_default_azure_credential_works_against_the_simulator(sim, principal, monkeypatch):
    for name, value in {"AZURE_TENANT_ID": principal.tenant_id, "AZURE_CLIENT_ID": principal.client_id,
                        "AZURE_CLIENT_SECRET": read_secret(sim.state_dir), "AZURE_AUTHORITY_HOST": sim.url}.items():
        monkeypatch.setenv(name, value)
    default = DefaultAzureCredential(disable_instance_discovery=True, connection_verify=str(sim.state_dir / "ca.pem"),
                                     exclude_managed_identity_credential=True)
    aks = ContainerServiceClient(default, sim.config.subscription_id, base_url=sim.url,
                                 connection_verify=str(sim.state_dir / "ca.pem"))
    assert aks.managed_clusters.get(sim.config.resource_group, sim.config.cluster_name).name == sim.config.cluster_name


@pytest.mark.parametrize("changes, status, error, code", [
    ({"client_secret": "not-the-secret"}, 401, "invalid_client", 7000215),
    ({"client_secret": ""}, 401, "invalid_client", 7000215),
    ({"client_id": "00000000-0000-0000-0000-000000000001"}, 400, "unauthorized_client", 700016),
    ({"client_id": ""}, 400, "invalid_request", 900144),
    ({"scope": ""}, 400, "invalid_request", 900144),
    ({"scope": "https://graph.microsoft.com/.default"}, 400, "invalid_resource", 500011),
    ({"grant_type": "password"}, 400, "unsupported_grant_type", 70003),
    ({"grant_type": ""}, 400, "unsupported_grant_type", 70003),
], ids=["wrong-secret", "no-secret", "unknown-app", "no-client", "no-scope", "graph", "password-grant", "no-grant"])
def test_token_requests_entra_refuses(sim, principal, wire, changes, status, error, code):
    answer = wire("POST", f"/{principal.tenant_id}/oauth2/v2.0/token", data=token_form(sim, principal, **changes))
    body = answer.json()
    assert (answer.status_code, body["error"], body["error_codes"]) == (status, error, [code])
    assert body["error_description"].startswith(f"AADSTS{code}: ")
    assert set(body) == {"error", "error_description", "error_codes", "timestamp", "trace_id", "correlation_id",
                         "error_uri"}
    assert read_secret(sim.state_dir) not in answer.text


def test_a_wrong_secret_fails_azure_identity_with_entra_s_code(sim, principal):
    wrong = ClientSecretCredential(principal.tenant_id, principal.client_id, "nope", authority=sim.url,
                                   disable_instance_discovery=True, connection_verify=str(sim.state_dir / "ca.pem"))
    with pytest.raises(ClientAuthenticationError, match="AADSTS7000215"):
        wrong.get_token(ARM_SCOPE)


@pytest.mark.parametrize("request_options", [
    {"data": b"\xff\xfe not a form"}, {"json": {"grant_type": "client_credentials"}},
    {"files": {"client_secret": ("x", b"y")}, "data": {"grant_type": "client_credentials"}},
    {"data": {"grant_type": "client_credentials", "client_id": "\u00e9" * 5000, "scope": ARM_SCOPE}},
], ids=["bytes", "json", "multipart", "long-id"])
def test_odd_token_requests_get_4xx(principal, wire, request_options):
    answer = wire("POST", f"/{principal.tenant_id}/oauth2/v2.0/token", **request_options)
    assert 400 <= answer.status_code < 500 and "error_codes" in answer.json()


# --- ARM: metadata, subscriptions, tenants ---------------------------------------------------------------------


def test_metadata_endpoints_need_no_token_and_describe_the_simulator_as_a_cloud(sim, wire):
    cloud = wire("GET", "/metadata/endpoints?api-version=2022-09-01").json()
    assert cloud["resourceManager"] == f"{sim.url}/" and cloud["authentication"]["loginEndpoint"] == sim.url
    assert cloud["authentication"]["audiences"] == ["https://management.core.windows.net/", "https://management.azure.com/"]
    assert cloud["name"] == "LabkitSimulator"
    for query, code in [("", "MissingApiVersionParameter"), ("?api-version=2099-01-01", "InvalidApiVersionParameter")]:
        answer = wire("GET", f"/metadata/endpoints{query}")
        assert (answer.status_code, answer.json()["error"]["code"]) == (400, code)


def test_subscriptions_and_tenants_as_az_login_reads_them(sim, wire):
    token = credential(sim.state_dir, sim.url).get_token(ARM_SCOPE).token
    sub = sim.config.subscription_id
    listed = wire("GET", "/subscriptions?api-version=2022-12-01", token).json()["value"]
    one = wire("GET", f"/subscriptions/{sub}?api-version=2022-12-01", token).json()
    assert listed == [one]
    assert (one["id"], one["subscriptionId"], one["tenantId"], one["state"]) == (
        f"/subscriptions/{sub}", sub, sim.config.tenant_id, "Enabled")
    tenants = wire("GET", "/tenants?api-version=2022-12-01", token).json()["value"]
    assert [t["tenantId"] for t in tenants] == [sim.config.tenant_id]
    other = wire("GET", "/subscriptions/00000000-0000-0000-0000-000000000000?api-version=2022-12-01", token)
    assert (other.status_code, other.json()["error"]["code"]) == (404, "SubscriptionNotFound")


# --- ARM's refusals ---------------------------------------------------------------------------------------------


def forged(sim, principal, *, key=None, **claims) -> str:
    """A token like the simulator's, with ``claims`` changed, signed with its key (or ``key``)."""
    now = int(time.time())
    base = {"aud": "https://management.azure.com", "iss": f"{sim.url}/{principal.tenant_id}/", "iat": now, "nbf": now,
            "exp": now + 600, "tid": principal.tenant_id, "oid": principal.object_id}
    signing_key = key or (sim.state_dir / "signing-key.pem").read_bytes()
    return jwt.encode({**base, **claims}, signing_key, algorithm="RS256")


def test_arm_refuses_each_kind_of_bad_token_with_arm_s_code(sim, principal, wire):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    an_hour_ago = int(time.time()) - 3600
    path = f"/subscriptions/{sim.config.subscription_id}?api-version=2022-12-01"
    cases = {
        "ExpiredAuthenticationToken": forged(sim, principal, iat=an_hour_ago - 600, nbf=an_hour_ago - 600, exp=an_hour_ago),
        "InvalidAuthenticationTokenAudience": forged(sim, principal, aud="https://graph.microsoft.com"),
        "InvalidAuthenticationToken": [forged(sim, principal, key=other_key), forged(sim, principal, iss="https://x/"),
                                       sim.world.token, "a.b.c", "\u00e9t\u00e9", jwt.encode({"tid": "x"}, None, "none")],
    }
    for code, tokens in cases.items():
        for token in tokens if isinstance(tokens, list) else [tokens]:
            answer = wire("GET", path, headers={"Authorization": f"Bearer {token}".encode()})
            assert (answer.status_code, answer.json()["error"]["code"]) == (401, code), token
            assert answer.headers["WWW-Authenticate"].startswith(f'Bearer authorization_uri="{sim.url}/')
    for header in ({}, {"Authorization": "Basic eDp5"}, {"Authorization": "Bearer"}):
        answer = wire("GET", path, headers=header)
        assert (answer.status_code, answer.json()["error"]["code"]) == (401, "AuthenticationFailed")
    assert wire("GET", path, forged(sim, principal)).status_code == 200  # the same, well made


# --- every route, without a valid token -------------------------------------------------------------------------


def arm_paths(sim) -> list[tuple[str, str]]:
    """A request on each ARM route of urls.ROUTES, its names filled in."""
    import re

    from labkit.sim.arm import urls

    c = sim.config
    values = {"sub": c.subscription_id, "rg": c.resource_group, "cluster": c.cluster_name, "pool": "nodepool1",
              "ns": "Microsoft.ContainerService", "feature": "WindowsGPUPreview", "loc": c.location, "op": "x"}
    filled = []
    for method, pattern, _, _ in urls.ROUTES:
        path = re.sub(r"\(\?P<(\w+)>\[\^/\]\+\)", lambda m: values[m[1]], pattern.pattern).replace("\\.", ".")
        filled.append((method, path + "?api-version=2026-08-01"))
    return filled


KUBERNETES_PATHS = [("GET", p) for p in ("/api", "/apis", "/api/v1", "/api/v1/nodes", "/api/v1/namespaces/default/pods",
                                         "/apis/apps/v1/namespaces/kube-system/daemonsets", "/apis/batch/v1/jobs",
                                         "/version", "/openapi/v2", "/openapi/v3", "/", "/nothing/here")]
KUBERNETES_PATHS += [("POST", "/api/v1/namespaces"), ("DELETE", "/api/v1/namespaces/default"),
                     ("PATCH", "/api/v1/nodes/x")]


def test_every_route_refuses_requests_without_its_plane_s_token(sim, principal, wire):
    access_token = credential(sim.state_dir, sim.url).get_token(ARM_SCOPE).token
    an_hour_ago = int(time.time()) - 3600
    expired = forged(sim, principal, iat=an_hour_ago - 600, nbf=an_hour_ago - 600, exp=an_hour_ago)
    common = [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic eDp5"},
              {"Authorization": "Bearer n\u00f6t-ascii".encode()}]
    planes = [(arm_paths(sim), common + [{"Authorization": f"Bearer {sim.world.token}"},
                                        {"Authorization": f"Bearer {expired}"}]),
              (KUBERNETES_PATHS, common + [{"Authorization": f"Bearer {access_token}"}])]
    answers = [(method, path, wire(method, path, headers=headers).status_code)
               for paths, variants in planes for method, path in paths for headers in variants]
    assert len(answers) >= 84 and [a for a in answers if a[2] != 401] == []


def test_the_sign_in_routes_answer_without_a_token(sim, principal, wire):
    for method, path in [("GET", "/metadata/endpoints?api-version=2022-09-01"),
                         ("GET", f"/{principal.tenant_id}/v2.0/.well-known/openid-configuration"),
                         ("GET", f"/{principal.tenant_id}/discovery/v2.0/keys"),
                         ("POST", f"/{principal.tenant_id}/oauth2/v2.0/token")]:
        assert wire(method, path).status_code in (200, 400), path  # the token endpoint: 400 for an empty form


def test_status_says_where_to_sign_in_and_never_shows_the_secret(sim):
    from labkit.sim import service

    info = service.status(sim.state_dir)
    assert (info["authority"], info["tenant_id"]) == (sim.url, sim.config.tenant_id)
    secret_file = info["client_secret_file"]
    assert oct((sim.state_dir / "client-secret").stat().st_mode & 0o777) == "0o600" == oct(
        (sim.state_dir / "signing-key.pem").stat().st_mode & 0o777)
    assert read_secret(sim.state_dir) not in repr(info) and secret_file.endswith("client-secret")
