"""Azure's Retail Prices API as the simulator answers it: ``GET /api/retail/prices`` from labkit's dated price table.

The real API (learn.microsoft.com/rest/api/cost-management/retail-prices/azure-retail-prices) is public, so like it
this route takes no token. It answers :data:`labkit.catalog.PRICES` in the API's shape, so that labkit reads the
simulator's prices with the same code as Azure's, and a learner's curl sees what Azure would send. It understands what
labkit sends: ``$filter`` clauses ``field eq 'value'`` joined by ``and``.

Example:
    >>> [item["retailPrice"] for item in items("armSkuName eq 'Standard_NC4as_T4_v3' and priceType eq 'Consumption'")]
    [0.71, 0.526]
"""

from __future__ import annotations

import re
from typing import Any, Optional

from aiohttp import web

from labkit import catalog
from labkit.prices import PRICES_PATH as PATH

#: The filterable fields the simulator knows, as the API names them in ``$filter``, and the item key each reads.
FILTER_FIELDS = {"serviceName": "serviceName", "armRegionName": "armRegionName", "armSkuName": "armSkuName",
                 "priceType": "type", "skuName": "skuName", "productName": "productName", "currencyCode": "currencyCode"}

#: Display names of the regions in the table, as the API's ``location`` shows them.
LOCATIONS = {"eastus": "US East"}

_CLAUSE = re.compile(r"\s*(\w+)\s+eq\s+'([^']*)'\s*", re.IGNORECASE)


class FilterError(ValueError):
    """A ``$filter`` the simulator does not understand."""


def items(filter_text: Optional[str]) -> list[dict[str, Any]]:
    """The table's prices as the API's items, those matching ``filter_text`` (all when None).

    Raises:
        FilterError: a clause that is not ``field eq 'value'`` on a field the simulator knows.
    """
    wanted = _clauses(filter_text)
    every = [_item(price) for price in catalog.PRICES]
    return [item for item in every if all(str(item[key]).lower() == value.lower() for key, value in wanted)]


def _clauses(filter_text: Optional[str]) -> list[tuple[str, str]]:
    if not filter_text:
        return []
    clauses = []
    for clause in re.split(r"\s+and\s+", filter_text, flags=re.IGNORECASE):
        match = _CLAUSE.fullmatch(clause)
        if match is None or match[1] not in FILTER_FIELDS:
            raise FilterError(f"the simulator's price list takes $filter clauses field eq 'value' on "
                              f"{', '.join(FILTER_FIELDS)}, joined by and; not {clause.strip()!r}")
        clauses.append((FILTER_FIELDS[match[1]], match[2]))
    return clauses


def _item(price: catalog.HourlyPrice) -> dict[str, Any]:
    """One price as the API's item: Windows rows carry " Windows" at the end of ``productName``."""
    size = catalog.gpu_size(price.vm_size)
    series = size.family.name.replace("_", " ") if size else price.vm_size
    sku_name = price.vm_size.removeprefix("Standard_").replace("_", " ")
    product = f"Virtual Machines {series} Series" + (" Windows" if price.os_type == "Windows" else "")
    return {
        "currencyCode": "USD", "tierMinimumUnits": 0.0, "retailPrice": price.usd, "unitPrice": price.usd,
        "armRegionName": price.region, "location": LOCATIONS.get(price.region, price.region),
        "effectiveStartDate": f"{catalog.PRICES_DATE.isoformat()}T00:00:00Z", "meterName": sku_name,
        "productName": product, "skuName": sku_name, "serviceName": "Virtual Machines", "serviceFamily": "Compute",
        "unitOfMeasure": "1 Hour", "type": "Consumption", "isPrimaryMeterRegion": True, "armSkuName": price.vm_size,
    }


async def get_prices(request: web.Request) -> web.Response:
    try:
        found = items(request.query.get("$filter"))
    except FilterError as error:
        return web.json_response({"Error": {"Code": "BadRequest", "Message": str(error)}}, status=400)
    return web.json_response({"BillingCurrency": "USD", "CustomerEntityId": "Default", "CustomerEntityType": "Retail",
                              "Items": found, "NextPageLink": None, "Count": len(found)})


def add_routes(app: web.Application) -> list[web.AbstractRoute]:
    """Serve the price list; returns its routes (which need no sign-in, as Azure's do not)."""
    return [app.router.add_get(PATH, get_prices)]
