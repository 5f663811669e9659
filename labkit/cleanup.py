"""Lesson 05: remove what the lab created, and only that (the ``labkit`` tag, the managed-by label)."""

from __future__ import annotations

from labkit import kube_objects, pools
from labkit.lab import Lab


def cleanup(lab: Lab) -> list[str]:
    """Delete the lab's Job, DaemonSet, namespace and pools; returns what was removed.

    Safe to run at any point, also after a failed or interrupted run, and twice.
    """
    removed = kube_objects.delete_lab_objects(lab)
    names = [pool.name for pool in pools.lab_pools(lab)]
    removed += [f"pool {name}" for name in pools.delete_pools(lab, names)]
    return removed


def leftovers(lab: Lab) -> list[str]:
    """What the lab created that still exists: empty after a successful cleanup."""
    return [f"pool {pool.name}" for pool in pools.lab_pools(lab)] + kube_objects.labelled_objects(lab)
