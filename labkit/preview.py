"""Lesson 01: register the ``WindowsGPUPreview`` feature, wait for *Registered*, re-register the provider."""

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


def register_feature(lab: Lab) -> str:
    """Register the preview feature unless it already is, and wait until it is Registered."""
    if feature_state(lab) != "Registered":
        with reported(f"registering feature {NAMESPACE}/{FEATURE}"):
            lab.features.features.register(NAMESPACE, FEATURE)

    def registered() -> tuple[bool, str]:
        state = feature_state(lab)
        return state == "Registered", state

    return wait_for(registered, what=f"feature {FEATURE}", **lab.wait_options())


def register_provider(lab: Lab) -> str:
    """Re-register the provider so it picks up the feature, and wait until it is Registered."""
    with reported(f"registering provider {NAMESPACE}"):
        lab.resources.providers.register(NAMESPACE)

    def registered() -> tuple[bool, str]:
        state = provider_state(lab)
        return state == "Registered", state

    return wait_for(registered, what=f"provider {NAMESPACE}", **lab.wait_options())
