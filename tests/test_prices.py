"""Hourly prices: the Retail Prices API when it answers (the simulator serves its route from the table), labkit's
dated table when it cannot be reached, and never a failure."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest
import requests

from labkit import catalog, prices

T4 = "Standard_NC4as_T4_v3"


@pytest.fixture(autouse=True)
def fresh_lookups():
    """Each test asks afresh (a lesson keeps what it learnt for as long as its kernel lives)."""
    prices._retail_items.cache_clear()
    yield
    prices._retail_items.cache_clear()


def backend(endpoint: str, verify=True) -> SimpleNamespace:
    return SimpleNamespace(prices_endpoint=endpoint, connection_verify=verify)


@pytest.fixture
def price_list():
    """A local stand-in for prices.azure.com answering ``items`` (set by the test) over plain http; stopped after."""
    answer = {"Items": []}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802  http.server's name
            body = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield answer, backend(f"http://127.0.0.1:{server.server_address[1]}")
    server.shutdown()
    server.server_close()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def meter(product: str, sku: str, usd: float, kind: str = "Consumption") -> dict:
    return {"productName": product, "skuName": sku, "retailPrice": usd, "type": kind, "unitOfMeasure": "1 Hour",
            "armSkuName": T4, "armRegionName": "westeurope", "effectiveStartDate": "2025-06-01T00:00:00Z"}


def test_the_api_answers_the_pay_as_you_go_price_of_each_os(price_list):
    answer, api = price_list
    answer["Items"] = [
        meter("Virtual Machines NCasT4 v3 Series Windows", "NC4as T4 v3 Spot", 0.2),
        meter("Virtual Machines NCasT4 v3 Series Windows", "NC4as T4 v3", 0.5, kind="DevTestConsumption"),
        meter("Virtual Machines NCasT4 v3 Series", "NC4as T4 v3 Low Priority", 0.1),
        meter("Virtual Machines NCasT4 v3 Series", "NC4as T4 v3", 0.6),
        meter("Virtual Machines NCasT4 v3 Series Windows", "NC4as T4 v3", 0.8),
    ]
    windows, linux = (prices.hourly_price(api, T4, "westeurope", os_type) for os_type in ("Windows", "Linux"))
    assert (windows.usd_per_hour, linux.usd_per_hour) == (0.8, 0.6)
    assert windows.source == "Retail Prices API, effective 2025-06-01"


def test_the_table_answers_when_the_api_cannot_be_reached():
    price = prices.hourly_price(backend(f"https://127.0.0.1:{closed_port()}"), T4, "eastus")
    assert price.usd_per_hour == catalog.table_price(T4, "eastus", "Windows").usd == 0.71
    assert price.source.startswith("labkit's price table of 2026-03-09; the Retail Prices API did not answer")
    assert str(price).startswith("$0.710 an hour (Windows, eastus, pay-as-you-go; labkit's price table of 2026-03-09")


def test_an_api_that_does_not_answer_in_time_is_not_waited_for(monkeypatch):
    monkeypatch.setattr(prices, "LOOKUP_SECONDS", 0.2)
    with socket.socket() as silent:  # accepts connections (the kernel does) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        price = prices.hourly_price(backend(f"http://127.0.0.1:{silent.getsockname()[1]}"), T4, "eastus")
    assert price.usd_per_hour == 0.71 and "did not answer: timed out" in price.source


def test_a_price_neither_knows_is_unknown_and_says_where_to_look(price_list):
    answer, api = price_list
    answer["Items"] = [{"unexpected": "shape"}]
    price = prices.hourly_price(api, "Standard_NV36ads_A10_v5", "eastus")  # the table has its Linux price only
    assert price.usd_per_hour is None and prices.CALCULATOR in str(price)
    assert prices.hourly_price(api, "Standard_NV36ads_A10_v5", "eastus", "Linux").usd_per_hour == 3.2


def test_the_simulator_serves_the_price_list_from_the_table_and_without_a_token(sim, lab):
    assert str(prices.hourly_price(lab.backend, T4, lab.region)) == (
        "$0.710 an hour (Windows, eastus, pay-as-you-go; Retail Prices API, effective 2026-03-09)")
    query = {"$filter": "armSkuName eq 'Standard_NC4as_T4_v3' and priceType eq 'Consumption'"}
    ca = str(sim.state_dir / "ca.pem")
    answer = requests.get(f"{sim.url}{prices.PRICES_PATH}", params=query, verify=ca, timeout=5).json()
    assert [(item["productName"], item["retailPrice"]) for item in answer["Items"]] == [
        ("Virtual Machines NCasT4 v3 Series Windows", 0.71), ("Virtual Machines NCasT4 v3 Series", 0.526)]
    refused = requests.get(f"{sim.url}{prices.PRICES_PATH}", params={"$filter": "contains(x)"}, verify=ca, timeout=5)
    assert refused.status_code == 400 and "field eq 'value'" in refused.json()["Error"]["Message"]
