"""Lesson 01: register the ``WindowsGPUPreview`` feature, wait for *Registered*, re-register the provider.

Both are settings of the whole subscription, which other labs (other attendees) change too: a lab waits for
*Registered* whatever transient state another lab caused (a re-registration shows *Registering* for a while),
and registers again only what is not registered or on its way.
"""

from __future__ import annotations

from labkit.failures import reported
from labkit.lab import Lab
from labkit.waiting import wait_for

NAMESPACE = "Microsoft.ContainerService"
FEATURE = "WindowsGPUPreview"


def feature_state(lab: Lab) -> str:
    """The feature's registration state (NotRegistered, Registering, Registered, ...)."""
    with reported(f"reading feature {NAMESPACE}/{FEATURE}"):
        return lab.features.features.get(NAMESPACE, FEATURE).properties.state


def provider_state(lab: Lab) -> str:
    with reported(f"reading provider {NAMESPACE}"):
        return lab.resources.providers.get(NAMESPACE).registration_state


#: States on the way to Registered: waited out, never registered again.
_ON_THE_WAY = ("Registered", "Registering", "Pending")


def register_feature(lab: Lab) -> str:
    """Register the preview feature unless it is registered or on its way, and wait until it is Registered."""
    if feature_state(lab) not in _ON_THE_WAY:
        with reported(f"registering feature {NAMESPACE}/{FEATURE}"):
            lab.features.features.register(NAMESPACE, FEATURE)
    return wait_for_feature(lab)


def wait_for_feature(lab: Lab) -> str:
    """Wait until the feature is Registered (whichever lab's registration it waits for)."""

    def registered() -> tuple[bool, str]:
        state = feature_state(lab)
        return state == "Registered", state

    return wait_for(registered, what=f"feature {FEATURE}", **lab.wait_options())


def register_provider(lab: Lab) -> str:
    """Re-register the provider so it picks up the feature (unless another lab just did), and wait until it is Registered."""
    if provider_state(lab) != "Registering":
        with reported(f"registering provider {NAMESPACE}"):
            lab.resources.providers.register(NAMESPACE)
    return wait_for_provider(lab)


def wait_for_provider(lab: Lab) -> str:
    """Wait until the provider is Registered (another lab's re-registration makes it Registering for a while)."""

    def registered() -> tuple[bool, str]:
        state = provider_state(lab)
        return state == "Registered", state

    return wait_for(registered, what=f"provider {NAMESPACE}", **lab.wait_options())
