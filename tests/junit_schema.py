"""The JUnit shape CI systems read (tests/data/junit.xsd), and a check that a file has it and counts right."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import xmlschema

SCHEMA = xmlschema.XMLSchema(Path(__file__).parent / "data" / "junit.xsd")


def validated_suite(path: Path) -> ET.Element:
    """The ``<testsuite>`` in ``path`` once it has the JUnit shape and its counts match its test cases.

    Raises:
        xmlschema.XMLSchemaValidationError: naming the element and the rule it breaks.
    """
    SCHEMA.validate(str(path))
    suite = ET.parse(path).getroot()
    cases = suite.findall("testcase")
    counted = {name: str(sum(case.find(tag) is not None for case in cases))
               for name, tag in (("failures", "failure"), ("errors", "error"), ("skipped", "skipped"))}
    assert {"tests": suite.get("tests"), **{name: suite.get(name) for name in counted}} == {"tests": str(len(cases)), **counted}
    return suite


def properties(suite: ET.Element) -> dict[str, str]:
    return {prop.get("name"): prop.get("value") for prop in suite.iter("property")}


def case(suite: ET.Element, name: str) -> ET.Element:
    found = [c for c in suite.iter("testcase") if c.get("name") == name]
    assert len(found) == 1, f"{len(found)} test cases named {name!r}"
    return found[0]
