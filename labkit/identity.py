"""How a lab marks what it creates, so that it can be found (and removed) by its lab id alone.

Every pool carries the tags ``labkit: <lesson>`` and ``labkit-lab: <lab id>``; every Kubernetes object the
labels ``app.kubernetes.io/managed-by: labkit`` and ``labkit.io/lab: <lab id>``.

Example:
    >>> pool_tags("team3", "02_gpu_pool_auto_driver")
    {'labkit': '02_gpu_pool_auto_driver', 'labkit-lab': 'team3'}
    >>> lab_selector("team3")
    'labkit.io/lab=team3'
"""

from __future__ import annotations

from typing import Any, Optional

#: Pool tags: the lesson that created the pool, and the lab it belongs to.
LESSON_TAG = "labkit"
LAB_TAG = "labkit-lab"
#: Kubernetes labels: labkit made it, and for which lab.
MANAGED_BY = ("app.kubernetes.io/managed-by", "labkit")
LAB_LABEL = "labkit.io/lab"

#: The lessons that create pools, as the value of their LESSON_TAG.
AUTO_DRIVER_LESSON = "02_gpu_pool_auto_driver"
MANUAL_DRIVER_LESSON = "03_gpu_pool_manual_driver"


def pool_tags(lab_id: str, lesson: str) -> dict[str, str]:
    """The tags of a pool the lab creates in ``lesson``."""
    return {LESSON_TAG: lesson, LAB_TAG: lab_id}


def object_labels(lab_id: str) -> dict[str, str]:
    """The labels of every Kubernetes object the lab creates."""
    return {MANAGED_BY[0]: MANAGED_BY[1], LAB_LABEL: lab_id}


def lab_selector(lab_id: Optional[str] = None) -> str:
    """The label selector of one lab's Kubernetes objects, or (``None``) of every lab's."""
    return f"{LAB_LABEL}={lab_id}" if lab_id else LAB_LABEL


def pool_lab(tags: Optional[dict[str, str]]) -> Optional[str]:
    """The lab a pool belongs to, from its tags; None when labkit did not create it (or an older labkit did)."""
    return (tags or {}).get(LAB_TAG)


def object_lab(obj: dict[str, Any]) -> Optional[str]:
    """The lab a Kubernetes object belongs to; None when no lab created it."""
    return (obj["metadata"].get("labels") or {}).get(LAB_LABEL)
