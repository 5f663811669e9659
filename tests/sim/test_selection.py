"""Label and field selectors."""

from __future__ import annotations

import pytest

from labkit.sim.apierrors import ApiError
from labkit.sim.selection import field_selector, label_selector

WEB = {"metadata": {"name": "web", "namespace": "lab", "labels": {"app": "web", "tier": "front"}},
       "spec": {"nodeName": "aksgpunp000000", "unschedulable": True}, "status": {"phase": "Running"}}
BARE = {"metadata": {"name": "bare", "namespace": "lab"}, "spec": {}, "status": {"phase": "Pending"}}


@pytest.mark.parametrize("selector, web, bare", [
    ("", True, True),
    ("app=web", True, False),
    ("app==web", True, False),
    ("app!=web", False, True),
    ("app in (web, api)", True, False),
    ("app notin (web)", False, True),
    ("tier", True, False),
    ("!tier", False, True),
    ("app=web,tier in (front)", True, False),
])
def test_label_selector(selector, web, bare):
    matches = label_selector(selector)
    assert (matches(WEB), matches(BARE)) == (web, bare)


@pytest.mark.parametrize("selector, web, bare", [
    ("metadata.name=web", True, False),
    ("metadata.namespace=lab,status.phase!=Pending", True, False),
    ("spec.nodeName=", False, True),
    ("spec.unschedulable=true", True, False),
    ("spec.unschedulable=false", False, True),
])
def test_field_selector(selector, web, bare):
    matches = field_selector(selector, ("spec.nodeName", "status.phase", "spec.unschedulable"))
    assert (matches(WEB), matches(BARE)) == (web, bare)


def test_bad_selectors_are_bad_requests():
    for call in (lambda: label_selector("app in web"), lambda: field_selector("spec.image=x", ()),
                 lambda: field_selector("name", ())):
        with pytest.raises(ApiError) as info:
            call()
        assert info.value.status["reason"] == "BadRequest"
