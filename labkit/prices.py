"""What one VM of a size costs an hour, pay-as-you-go: Azure's Retail Prices API when it answers in time, else labkit's
dated table (:data:`labkit.catalog.PRICES`). A price lookup never fails a lesson: at worst it says the price is unknown.

The API is public (no sign-in) and lives outside ARM, at the backend's ``prices_endpoint``: prices.azure.com for Azure,
the simulator's own address for the simulator, which answers from the same table. So the same code reads both, and
every simulator run exercises the lookup that a run on Azure makes.

Example:
    >>> price = hourly_price(lab.backend, "Standard_NC4as_T4_v3", "eastus")       # doctest: +SKIP
    >>> str(price)                                                                  # doctest: +SKIP
    '$0.710 an hour (Windows, eastus, pay-as-you-go; Retail Prices API, effective 2026-03-09)'
"""

from __future__ import annotations

import http.client
import json
import ssl
import urllib.parse
import urllib.request
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Optional, Union

from labkit import catalog
from labkit.user_agent import plain_user_agent

#: The API's path, on Azure and on the simulator.
PRICES_PATH = "/api/retail/prices"

#: How long a lesson waits for the API before it uses the table.
LOOKUP_SECONDS = 3.0

#: Where a learner finds a price labkit does not know.
CALCULATOR = "https://azure.microsoft.com/pricing/calculator/"


@dataclass(frozen=True)
class Price:
    """A size's hourly pay-as-you-go price in a region under an OS, and where it came from (None: unknown)."""

    vm_size: str
    region: str
    os_type: str
    usd_per_hour: Optional[float]
    source: str

    def __str__(self) -> str:
        where = f"{self.os_type}, {self.region}, pay-as-you-go"
        if self.usd_per_hour is None:
            return f"price unknown ({where}): {self.source}"
        return f"${self.usd_per_hour:.3f} an hour ({where}; {self.source})"


def hourly_price(backend: Any, vm_size: str, region: str, os_type: str = "Windows") -> Price:
    """The price of one VM of ``vm_size`` in ``region`` under ``os_type`` ("Windows" or "Linux").

    Asks the backend's Retail Prices API (at most :data:`LOOKUP_SECONDS`); when it cannot be reached or has no
    such price, answers from labkit's table, saying so.
    """
    items = _retail_items(backend.prices_endpoint, backend.connection_verify, vm_size, region)
    if isinstance(items, str):
        return _from_table(vm_size, region, os_type, f"the Retail Prices API did not answer: {items}")
    found = _pay_as_you_go(items, os_type)
    if found is None:
        return _from_table(vm_size, region, os_type, "the Retail Prices API has no such price")
    usd, effective = found
    return Price(vm_size, region, os_type, usd, f"Retail Prices API, effective {effective[:10]}")


@lru_cache(maxsize=32)
def _retail_items(endpoint: str, verify: Union[str, bool], vm_size: str,
                  region: str) -> Union[tuple[dict[str, Any], ...], str]:
    """The API's first page of pay-as-you-go meters for a size in a region (Windows and Linux, all tiers), or why
    there is none; kept, so that a lesson waits for an unreachable API once."""
    query = urllib.parse.urlencode({"$filter": (f"serviceName eq 'Virtual Machines' and armRegionName eq '{region}' "
                                                f"and armSkuName eq '{vm_size}' and priceType eq 'Consumption'")})
    context = ssl.create_default_context(cafile=verify if isinstance(verify, str) else None)
    try:
        asked = urllib.request.Request(f"{endpoint}{PRICES_PATH}?{query}", headers={"User-Agent": plain_user_agent()})
        with urllib.request.urlopen(asked, timeout=LOOKUP_SECONDS, context=context) as answer:
            return tuple(item for item in json.loads(answer.read())["Items"] if isinstance(item, dict))
    except (OSError, ValueError, KeyError, TypeError, http.client.HTTPException) as error:  # unreachable, refused, not the API
        return _reason(error)


def _pay_as_you_go(items: tuple[dict[str, Any], ...], os_type: str) -> Optional[tuple[float, str]]:
    """The standard-tier hourly price under ``os_type`` and its effective date; None if the items hold none.

    The API marks Windows meters by " Windows" at the end of ``productName``; Spot and Low Priority meters by
    their ``skuName`` suffix (learn.microsoft.com/rest/api/cost-management/retail-prices/azure-retail-prices).
    """
    for item in items:
        windows = str(item.get("productName", "")).endswith(" Windows")
        discounted = str(item.get("skuName", "")).endswith((" Spot", " Low Priority"))
        hourly = item.get("type") == "Consumption" and item.get("unitOfMeasure") == "1 Hour"
        priced = isinstance(item.get("retailPrice"), (int, float))
        if hourly and priced and not discounted and windows == (os_type == "Windows"):
            return float(item["retailPrice"]), str(item.get("effectiveStartDate", ""))
    return None


def _from_table(vm_size: str, region: str, os_type: str, why: str) -> Price:
    price = catalog.table_price(vm_size, region, os_type)
    table = f"labkit's price table of {catalog.PRICES_DATE.isoformat()}"
    if price is None:
        return Price(vm_size, region, os_type, None, f"{why}, and {table} has none; see {CALCULATOR}")
    return Price(vm_size, region, os_type, price.usd, f"{table}; {why}")


def _reason(error: BaseException) -> str:
    reason = getattr(error, "reason", None) or error
    return getattr(reason, "strerror", None) or str(reason) or type(error).__name__
