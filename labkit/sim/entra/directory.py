"""The simulated tenant: its id, its one app registration (a service principal with a client secret) and the RSA key
its access tokens are signed with. No HTTP here.

Tokens are shaped as the v1.0 access tokens Entra issues for ARM (claims: learn.microsoft.com/entra/
identity-platform/access-token-claims-reference): RS256 with a ``kid``; ``aud`` the resource asked for, as asked
(``https://management.azure.com/.default`` gives ``https://management.azure.com``); ``iss`` the tenant's issuer
(Entra's is ``https://sts.windows.net/<tid>/``, here the simulator's own address); ``tid``, ``oid``, ``sub``, ``appid``,
``iat``, ``nbf``, ``exp``. ``az login --identity`` reads ``tid`` from such a token.

The client secret and the signing key are 0600 files in the state directory and appear in no output.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from labkit.files import create_private
from labkit.sim.entra import exceptions as errors

#: The audiences ARM accepts, exactly as its 401 lists them (InvalidAuthenticationTokenAudience, captured in
#: github.com/Azure-Samples/active-directory-dotnetcore-daemon-v2/issues/145). The first is what ARM's metadata
#: names as the audience, and so what `az` asks for.
ARM_AUDIENCES = (
    "https://management.core.windows.net/", "https://management.core.windows.net",
    "https://management.azure.com/", "https://management.azure.com",
)
#: Seconds an access token lives (Entra's last 60 to 90 minutes; clients renew them ahead of expiry).
TOKEN_LIFETIME = 3600
#: Clock skew allowed when a token is checked, as Microsoft.IdentityModel's default (5 minutes).
CLOCK_SKEW = 300
#: The files of the app registration and the signing key, in the state directory.
PRINCIPAL_FILE, SECRET_FILE, SIGNING_KEY_FILE = "principal.json", "client-secret", "signing-key.pem"

_SCOPE_SUFFIX = "/.default"


@dataclass(frozen=True)
class Principal:
    """The app registration clients sign in as: its tenant, client (application) id and object id. Not secret."""

    tenant_id: str
    client_id: str
    object_id: str


@dataclass(frozen=True)
class AccessToken:
    token: str
    expires_in: int


def same_secret(sent: str, expected: str) -> bool:
    """Whether what a client sent (a client secret, an Authorization header) is ``expected``, in constant time.

    As bytes: aiohttp keeps undecodable form and header bytes as surrogates, which ``compare_digest`` refuses in a str.
    """
    return hmac.compare_digest(sent.encode("utf-8", "surrogateescape"), expected.encode())


class Directory:
    """The tenant, its app registration and its signing key, made once per state directory.

    Example:
        >>> directory = Directory(tmp_path, "72f988bf-0000-0000-0000-000000000000")    # doctest: +SKIP
        >>> issued = directory.issue(directory.tenant_id, directory.principal.client_id, secret,
        ...                          "https://management.azure.com/.default", issuer)   # doctest: +SKIP
        >>> directory.verify(issued.token, issuer)["tid"]                                # doctest: +SKIP
        '72f988bf-0000-0000-0000-000000000000'
    """

    def __init__(self, state_dir: Path, tenant_id: str):
        self.tenant_id = tenant_id
        self.principal = _ensure_principal(state_dir, tenant_id)
        self._secret = _ensure_secret(state_dir)
        self._key = _ensure_signing_key(state_dir)
        self.key_id = _key_id(self._key.public_key())

    def is_tenant(self, tenant: str) -> bool:
        """Whether a request's tenant (a path segment, in any case) is this one."""
        return tenant.lower() == self.tenant_id

    def issuer(self, authority: str) -> str:
        """The ``iss`` of this tenant's access tokens, when its authority is at ``authority``."""
        return f"{authority}/{self.tenant_id}/"

    def issue(self, tenant: str, client_id: Optional[str], client_secret: Optional[str], scope: Optional[str],
              issuer: str) -> AccessToken:
        """A token for the client-credentials grant, or the :class:`~labkit.sim.entra.exceptions.EntraError` Entra
        answers. The secret is compared in constant time."""
        if not self.is_tenant(tenant):
            raise errors.tenant_not_found(tenant)
        for name, value in (("client_id", client_id), ("scope", scope)):
            if not value:
                raise errors.missing_parameter(name)
        if client_id.lower() != self.principal.client_id:
            raise errors.unknown_application(client_id, tenant)
        if not same_secret(client_secret or "", self._secret):
            raise errors.invalid_secret(client_id)
        audience = _audience(scope)
        if audience not in ARM_AUDIENCES:
            raise errors.unknown_resource(audience, self.tenant_id)
        return AccessToken(self._sign(audience, issuer), TOKEN_LIFETIME)

    def _sign(self, audience: str, issuer: str) -> str:
        now = int(time.time())
        claims = {
            "aud": audience, "iss": issuer, "iat": now, "nbf": now, "exp": now + TOKEN_LIFETIME,
            "appid": self.principal.client_id, "appidacr": "1", "idp": issuer, "idtyp": "app",
            "oid": self.principal.object_id, "sub": self.principal.object_id, "tid": self.tenant_id,
            "uti": secrets.token_urlsafe(16), "ver": "1.0",
        }
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self.key_id, "x5t": self.key_id})

    def verify(self, token: str, issuer: str) -> dict[str, Any]:
        """The claims of a token this tenant signed for one of ARM's audiences, not expired.

        Raises:
            jwt.ExpiredSignatureError, jwt.InvalidAudienceError: the token expired, or is for another resource.
            jwt.InvalidTokenError: anything else wrong with it (signature, issuer, form, a missing claim).
        """
        return jwt.decode(token, self._key.public_key(), algorithms=["RS256"], audience=list(ARM_AUDIENCES),
                          issuer=issuer, leeway=CLOCK_SKEW,
                          options={"require": ["aud", "iss", "iat", "nbf", "exp", "tid", "oid"]})

    def signing_keys(self) -> dict[str, Any]:
        """The tenant's JSON Web Key Set: the public half of its signing key."""
        numbers = self._key.public_key().public_numbers()
        return {"keys": [{"kty": "RSA", "use": "sig", "kid": self.key_id, "x5t": self.key_id,
                          "n": _b64(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
                          "e": _b64(numbers.e.to_bytes(3, "big"))}]}


def read_principal(state_dir: Path) -> Principal:
    """The simulator's app registration, as saved in its state directory (the server makes it on first start)."""
    return Principal(**json.loads((state_dir / PRINCIPAL_FILE).read_text()))


def read_secret(state_dir: Path) -> str:
    """The app registration's client secret (never print it)."""
    return (state_dir / SECRET_FILE).read_text().strip()


def _audience(scope: str) -> str:
    """The resource a ``<resource>/.default`` scope asks for (`az` doubles the slash of resources ending in one)."""
    first = scope.split()[0]
    return first[: -len(_SCOPE_SUFFIX)] if first.endswith(_SCOPE_SUFFIX) else first


def _ensure_principal(state_dir: Path, tenant_id: str) -> Principal:
    made = Principal(tenant_id, str(uuid.uuid4()), str(uuid.uuid4()))
    saved = json.loads(create_private(state_dir / PRINCIPAL_FILE, json.dumps(made.__dict__).encode()))
    return Principal(**{**saved, "tenant_id": tenant_id})


def _ensure_secret(state_dir: Path) -> str:
    # Entra's generated secrets are 40 characters of letters, digits and ~._- ; token_urlsafe(30) is 40 of its own.
    return create_private(state_dir / SECRET_FILE, secrets.token_urlsafe(30).encode()).decode().strip()


def _ensure_signing_key(state_dir: Path) -> rsa.RSAPrivateKey:
    path = state_dir / SIGNING_KEY_FILE
    pem = path.read_bytes() if path.exists() else create_private(path, _new_key())  # minting takes a tenth of a second
    return serialization.load_pem_private_key(pem, password=None)


def _new_key() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def _key_id(public_key: rsa.RSAPublicKey) -> str:
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return _b64(hashlib.sha1(der).digest())  # Entra's kid and x5t are a base64url SHA-1 thumbprint


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
