"""The Job controller: a pod at a time until the completions succeed or the backoff limit is passed."""

from __future__ import annotations

from labkit.sim.admission import admit
from labkit.sim.controllers.events import Events
from labkit.sim.controllers.pods import condition, owned_pods, pod_from_template, pod_ready
from labkit.sim.store import Obj, Store, rfc3339


class JobController:
    def __init__(self, store: Store, events: Events):
        self.store = store
        self.events = events

    def reconcile(self) -> None:
        for job in list(self.store.iter("Job")):
            if job_finished(job):
                continue
            pods = owned_pods(self.store, job)
            active = [p for p in pods if p["status"].get("phase") in ("Pending", "Running")]
            succeeded = sum(1 for p in pods if p["status"].get("phase") == "Succeeded")
            failed = sum(1 for p in pods if p["status"].get("phase") == "Failed")
            wanted = job["spec"].get("completions", 1) - succeeded
            if active or wanted <= 0 or failed > job["spec"].get("backoffLimit", 6):
                continue
            created = self.store.create(admit(pod_from_template(job, "Job", "batch/v1", {})))
            self.events.record(job, "SuccessfulCreate", f"Created pod: {created['metadata']['name']}", component="job-controller")

    def report(self) -> None:
        for stored in list(self.store.iter("Job")):
            if job_finished(stored):
                continue
            job = self.store.get("Job", stored["metadata"]["namespace"], stored["metadata"]["name"])
            pods = owned_pods(self.store, job)
            status = dict(job.get("status") or {})
            phases = [p["status"].get("phase") for p in pods]
            active = sum(1 for ph in phases if ph in ("Pending", "Running"))
            succeeded, failed = phases.count("Succeeded"), phases.count("Failed")
            if pods and "startTime" not in status:
                status["startTime"] = rfc3339()
            status.update({"active": active, "ready": sum(1 for p in pods if pod_ready(p)), "terminating": 0, "uncountedTerminatedPods": {}})
            for key, value in (("succeeded", succeeded), ("failed", failed)):
                if value:
                    status[key] = value
            if active == 0:
                status.pop("active")
            now = rfc3339()
            if succeeded >= job["spec"].get("completions", 1):
                status["completionTime"] = now
                status["conditions"] = [condition("SuccessCriteriaMet", "CompletionsReached", "Reached expected number of succeeded pods", now),
                                        condition("Complete", "CompletionsReached", "Reached expected number of succeeded pods", now)]
                self.events.record(job, "Completed", "Job completed", component="job-controller")
            elif failed > job["spec"].get("backoffLimit", 6):
                status["conditions"] = [condition("FailureTarget", "BackoffLimitExceeded", "Job has reached the specified backoff limit", now),
                                        condition("Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit", now)]
                self.events.record(job, "BackoffLimitExceeded", "Job has reached the specified backoff limit", event_type="Warning", component="job-controller")
            if status != job.get("status"):
                job["status"] = status
                self.store.update(job)


def job_finished(job: Obj) -> bool:
    return any(c["type"] in ("Complete", "Failed") and c["status"] == "True" for c in (job.get("status") or {}).get("conditions", []))
