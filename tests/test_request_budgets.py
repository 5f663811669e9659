"""ARM requests per step, as the simulator counts them, stay within what `az` sends for the same step: one poller per
long-running operation, asking when the service says the change ends, and no polling loop of labkit's beside it.

`az` 2.91 (issue 12's measurement): 2-3 requests for the feature registration (`az feature register`, `az feature
show`), 13-14 for `az aks nodepool add`, 12 for `az aks nodepool delete`.
"""

from __future__ import annotations

from typing import Any, Callable

import pytest

from labkit.cleanup import cleanup
from labkit.pools import create_gpu_pool
from labkit.preview import register_feature, register_provider

AZ_FEATURE_REGISTRATION, AZ_POOL_ADD, AZ_POOL_DELETE = 3, 14, 12


@pytest.fixture
def arm_requests(sim):
    """``arm_requests(step)``: run ``step`` and return how many ARM requests the simulator answered meanwhile."""

    def count(step: Callable[[], Any]) -> int:
        before = sum(sim.world.arm_requests.values())
        step()
        return sum(sim.world.arm_requests.values()) - before

    return count


def test_the_feature_registration_asks_again_once_when_the_service_says_it_is_done(lab, arm_requests):
    assert arm_requests(lambda: register_feature(lab)) <= AZ_FEATURE_REGISTRATION  # read, register, read
    assert arm_requests(lambda: register_provider(lab)) <= 3  # `az provider register` (1), then its state
    assert arm_requests(lambda: register_feature(lab)) == 1  # registered: one read


def test_a_pool_add_sends_no_more_than_az_nodepool_add(lab, arm_requests):
    count = arm_requests(lambda: create_gpu_pool(lab))
    # cluster, pool, SKUs, usages, the PUT, the operation's status until done, the pool: far below az's
    assert count <= AZ_POOL_ADD - 4, count
    assert arm_requests(lambda: create_gpu_pool(lab)) <= 3  # it exists: read the cluster and the pool


def test_a_pool_delete_sends_no_more_than_az_nodepool_delete(lab, arm_requests):
    create_gpu_pool(lab)
    count = arm_requests(lambda: cleanup(lab))
    # list clusters and pools, the DELETE, its status until done, its result, and a listing that finds nothing
    assert count <= AZ_POOL_DELETE - 4, count
