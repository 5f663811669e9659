"""Preview features (``Microsoft.Features``) and resource providers, and how their registration proceeds."""

from __future__ import annotations

from typing import Optional

from labkit.sim.arm.ids import PROVIDER, ArmIds
from labkit.sim.arm.records import Record, Records
from labkit.sim.faults import Faults
from labkit.sim.store import Obj

PREVIEW_FEATURE = "WindowsGPUPreview"

#: The clock step a registration takes, by what is registered.
FEATURE_STEP, PROVIDER_STEP = "feature_registration", "provider_registration"


class Registrations:
    """Features and providers: registering one moves it to Registering, and the clock to Registered."""

    def __init__(self, records: Records, clock, ids: ArmIds, faults: Faults):
        self._records, self._clock, self._ids, self._faults = records, clock, ids, faults

    def seed(self) -> None:
        """The cluster's provider, registered, and the Windows GPU preview feature, not yet registered."""
        location = self._ids.config.location
        for record in (
            Record({"id": self._ids.provider(PROVIDER), "namespace": PROVIDER, "registrationState": "Registered",
                    "registrationPolicy": "RegistrationRequired",
                    "resourceTypes": [{"resourceType": "managedClusters", "locations": [location]}]}),
            Record({"id": self._ids.feature(PROVIDER, PREVIEW_FEATURE), "name": f"{PROVIDER}/{PREVIEW_FEATURE}",
                    "type": "Microsoft.Features/providers/features", "properties": {"state": "NotRegistered"}}),
        ):
            if self._records.get(record.id) is None:
                self._records.put(record)

    def provider(self, namespace: str) -> Optional[Obj]:
        record = self._records.get(self._ids.provider(namespace))
        return record and record.resource

    def feature(self, namespace: str, name: str) -> Optional[Obj]:
        record = self._records.get(self._ids.feature(namespace, name))
        return record and record.resource

    def features(self, namespace: str) -> list[Obj]:
        return [r.resource for r in self._records.list(self._ids.features(namespace))]

    def feature_registered(self, namespace: str, name: str) -> bool:
        feature = self.feature(namespace, name)
        return feature is not None and feature["properties"]["state"] == "Registered"

    def register_provider(self, namespace: str) -> Optional[Obj]:
        """Start registering the provider (again); None when it does not exist."""
        record = self._records.get(self._ids.provider(namespace))
        if record is None:
            return None
        if record.resource["registrationState"] != "Registering":
            self._start(record, lambda r: r, "registrationState")
        return record.resource

    def register_feature(self, namespace: str, name: str) -> Optional[Obj]:
        """Start registering the feature unless it is (being) registered; None when it does not exist."""
        record = self._records.get(self._ids.feature(namespace, name))
        if record is None:
            return None
        if record.resource["properties"]["state"] not in ("Registering", "Registered"):
            self._start(record, lambda r: r["properties"], "state")
        return record.resource

    def seconds_left(self, resource: Obj) -> float:
        """Real seconds until a feature's or provider's registration ends; 0 when none is under way or it is stuck."""
        record = self._records.get(resource["id"])
        is_provider = "registrationState" in resource
        state = resource["registrationState"] if is_provider else resource["properties"]["state"]
        if record is None or state != "Registering" or self._stuck(record):
            return 0.0
        step = PROVIDER_STEP if is_provider else FEATURE_STEP
        return max(0.0, record.sim["started"] + self._clock.seconds(step) - self._clock.now())

    def advance(self) -> None:
        """Finish every registration whose simulated duration has passed."""
        for record in self._records.list(f"{self._ids.subscription}/providers/"):
            self._finish(record, record.resource, "registrationState", PROVIDER_STEP)
            for feature in self._records.list(self._ids.features(record.resource["namespace"])):
                self._finish(feature, feature.resource["properties"], "state", FEATURE_STEP)

    def _start(self, record: Record, holder, key: str) -> None:
        holder(record.resource)[key] = "Registering"
        record.sim = {"started": self._clock.now()}
        self._records.put(record)

    def _finish(self, record: Record, holder: Obj, key: str, step: str) -> None:
        if self._stuck(record):
            return
        if holder.get(key) == "Registering" and self._clock.due(record.sim["started"], step):
            holder[key] = "Registered"
            self._records.put(record)

    def _stuck(self, record: Record) -> bool:
        """Whether a feature-stuck fault holds this feature's registration."""
        stuck = {f"{PROVIDER}/{f['feature']}".lower() for f in self._faults.active("feature-stuck")}
        return str(record.resource.get("name", "")).lower() in stuck
