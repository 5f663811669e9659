"""Lesson 01: register the ``WindowsGPUPreview`` feature, wait for *Registered*, re-register the provider.

Both are settings of the whole subscription, which other labs (other attendees) change too: a lab waits for
*Registered* whatever transient state another lab caused (a re-registration shows *Registering* for a while),
and registers again only what is not registered or on its way. Each wait asks again when the service says the
registration will be done (``Retry-After``), else at the backend's interval.
"""

from __future__ import annotations

from typing import Any, Callable

from labkit import usage
from labkit.failures import reported
from labkit.lab import Lab
from labkit.waiting import retry_after, wait_for

NAMESPACE = "Microsoft.ContainerService"
FEATURE = "WindowsGPUPreview"

#: A registration's state and the seconds the service asked to wait before asking again (0: it did not say).
Seen = tuple[str, float]


def _seen(state_of: Callable[[Any], str]) -> Callable[..., Seen]:
    """An SDK ``cls`` callback that keeps the state and the answer's ``Retry-After``."""
    return lambda response, model, headers: (state_of(model), retry_after(response.http_response.headers))


_FEATURE_SEEN = _seen(lambda feature: feature.properties.state)
_PROVIDER_SEEN = _seen(lambda provider: provider.registration_state)


def _feature(lab: Lab) -> Seen:
    with reported(f"reading feature {NAMESPACE}/{FEATURE}"):
        return lab.features.features.get(NAMESPACE, FEATURE, cls=_FEATURE_SEEN)


def _provider(lab: Lab) -> Seen:
    with reported(f"reading provider {NAMESPACE}"):
        return lab.resources.providers.get(NAMESPACE, cls=_PROVIDER_SEEN)


def feature_state(lab: Lab) -> str:
    """The feature's registration state (NotRegistered, Registering, Registered, ...)."""
    return _feature(lab)[0]


def provider_state(lab: Lab) -> str:
    return _provider(lab)[0]


#: States on the way to Registered: waited out, never registered again.
_ON_THE_WAY = ("Registered", "Registering", "Pending")


def register_feature(lab: Lab) -> str:
    """Register the preview feature unless it is registered or on its way, and wait until it is Registered."""
    register = lambda: lab.features.features.register(NAMESPACE, FEATURE, cls=_FEATURE_SEEN)  # noqa: E731
    return _register(lab, f"feature {NAMESPACE}/{FEATURE}", _feature, register, skip=_ON_THE_WAY,
                     wait=wait_for_feature)


def wait_for_feature(lab: Lab, *, after: float = 0.0) -> str:
    """Wait until the feature is Registered (whichever lab's registration it waits for)."""
    return _wait_registered(lab, f"feature {FEATURE}", _feature, after)


def register_provider(lab: Lab) -> str:
    """Re-register the provider so it picks up the feature (unless another lab just did), and wait until it is Registered."""
    register = lambda: lab.resources.providers.register(NAMESPACE, cls=_PROVIDER_SEEN)  # noqa: E731
    return _register(lab, f"provider {NAMESPACE}", _provider, register, skip=("Registering",), wait=wait_for_provider)


def wait_for_provider(lab: Lab, *, after: float = 0.0) -> str:
    """Wait until the provider is Registered (another lab's re-registration makes it Registering for a while)."""
    return _wait_registered(lab, f"provider {NAMESPACE}", _provider, after)


def _register(lab: Lab, what: str, read: Callable[[Lab], Seen], register: Callable[[], Seen], *,
              skip: tuple[str, ...], wait: Callable[..., str]) -> str:
    """Register ``what`` unless its state is one of ``skip``, then wait for Registered as long as the service says."""
    with usage.step(lab, "registration", what):
        state, asked = read(lab)
        if state not in skip:
            with reported(f"registering {what}"):
                state, asked = register()
        return state if state == "Registered" else wait(lab, after=asked)


def _wait_registered(lab: Lab, what: str, read: Callable[[Lab], Seen], after: float) -> str:
    def registered() -> tuple[bool, str, float]:
        state, asked = read(lab)
        return state == "Registered", state, asked

    return wait_for(registered, what=what, after=after, **lab.wait_options())
