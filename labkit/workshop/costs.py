"""What one attendee's run used: the VM-minutes of its GPU pools, and their cost where a price is known.

Example:
    >>> from labkit.params import load_params
    >>> lessons = [{"name": n, "status": "passed", "duration_seconds": 60.0}
    ...            for n in ("00_prerequisites", "01_preview_setup", "02_gpu_pool_auto_driver",
    ...                      "03_gpu_pool_manual_driver", "04_verify_gpu_capacity", "05_cleanup")]
    >>> vm_minutes({"lessons": lessons}, load_params(lab_id="demo"))
    7.0
"""

from __future__ import annotations

from typing import Any, Optional

from labkit.identity import AUTO_DRIVER_LESSON, MANUAL_DRIVER_LESSON
from labkit.params import LabParams


def vm_minutes(summary: dict[str, Any], params: LabParams) -> float:
    """Node-minutes the lab's GPU pools existed at most, by the run's clock.

    Each pool lesson that ran (lessons 02 and 03) counts ``node_count`` nodes from its start until the run
    ended (the cleanup lesson's end), the most a pool it created can have been billed for.
    """
    started, elapsed = {}, 0.0
    for lesson in summary["lessons"]:
        started[lesson["name"]] = (elapsed, lesson["status"] != "skipped")
        elapsed += lesson["duration_seconds"]
    minutes = sum(params.node_count * (elapsed - start) / 60
                  for name, (start, ran) in started.items() if ran and name in (AUTO_DRIVER_LESSON, MANUAL_DRIVER_LESSON))
    return round(minutes, 2)


def cost(vm_size: str, minutes: float) -> Optional[float]:
    """What ``minutes`` VM-minutes of ``vm_size`` cost, or None while no price is known for it."""
    price = hourly_price(vm_size)
    return None if price is None else round(price * minutes / 60, 2)


def hourly_price(vm_size: str) -> Optional[float]:
    """The pay-as-you-go price of one ``vm_size`` VM for an hour: the one place prices plug in (issue 12's table).

    None until labkit knows prices; reports then leave the cost column out.
    """
    return None
