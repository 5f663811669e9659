"""The simulator's Microsoft Entra ID stand-in: the authority that `az login --service-principal` and azure-identity's
``ClientSecretCredential`` get their ARM access tokens from, offline.

Laid out as the ARM plane is (moto's split): :mod:`~labkit.sim.entra.urls` maps paths to the handlers in
:mod:`~labkit.sim.entra.responses`, which shape Entra's answers from the model in
:mod:`~labkit.sim.entra.directory` (the tenant, its one app registration, the key that signs its tokens; no HTTP).
:mod:`~labkit.sim.entra.exceptions` holds Entra's errors (AADSTS codes). ARM verifies the tokens
(:mod:`labkit.sim.auth`). Only what a client-credentials sign-in needs is served: OpenID discovery, the signing keys
and the token endpoint, over the simulator's https with its CA.
"""
