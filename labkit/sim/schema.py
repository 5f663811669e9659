"""The Go types of the served kinds, for decoding a body as kube-apiserver does: a value of the wrong JSON type is
refused with 400 BadRequest, worded as Go's encoding/json words it.

Real answers this follows (github.com/DependencyTrack/helm-charts/issues/63, gke-autoneg-controller#100):
``StatefulSet in version "v1" cannot be handled as a StatefulSet: json: cannot unmarshal string into Go struct
field PodSpec.spec.template.spec.nodeSelector of type map[string]string``. Fields and types are those of
k8s.io/api core/v1, apps/v1, batch/v1 and coordination/v1 (``types.go``) for every field the simulator, its
tables or the lab read, and the common ones around them; a field not described here is kept as sent. As in
Go, ``null`` stands for a missing value, a number for an integer field must be a whole number in range, and
a quantity (``resource.Quantity``) may be a number or a string in its grammar.

Example:
    >>> decode("DaemonSet", "v1", {"spec": {"template": {"spec": {"nodeSelector": "notadict"}}}})
    Traceback (most recent call last):
    ...
    labkit.sim.schema.TypeMismatch: DaemonSet in version "v1" cannot be handled as a DaemonSet: json: cannot unmarshal string into Go struct field PodSpec.spec.template.spec.nodeSelector of type map[string]string
    >>> decode("Pod", "v1", {"spec": {"containers": [{"name": "c", "resources": {"limits": {"cpu": 2}}}]}})["spec"]["containers"][0]["resources"]
    {'limits': {'cpu': '2'}}
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Union

Obj = dict[str, Any]


class TypeMismatch(ValueError):
    """A body that does not decode into the kind's Go type; the message is kube-apiserver's."""


@dataclass(frozen=True)
class Scalar:
    go: str                      # how Go names the type in its message
    accepts: Callable[[Any], bool]


@dataclass(frozen=True)
class ListOf:
    item: "Type"

    @property
    def go(self) -> str:
        return "[]" + self.item.go


@dataclass(frozen=True)
class MapOf:
    value: "Type"

    @property
    def go(self) -> str:
        return "map[string]" + self.value.go


@dataclass(frozen=True)
class Struct:
    name: str
    fields: dict[str, "Type"] = field(default_factory=dict)

    @property
    def go(self) -> str:
        return f"v1.{self.name}"


Type = Union[Scalar, ListOf, MapOf, Struct]


def _whole(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


STRING = Scalar("string", lambda v: isinstance(v, str))
BOOL = Scalar("bool", lambda v: isinstance(v, bool))
INT32 = Scalar("int32", lambda v: _whole(v, -2 ** 31, 2 ** 31 - 1))
INT64 = Scalar("int64", lambda v: _whole(v, -2 ** 63, 2 ** 63 - 1))
INT_OR_STRING = Scalar("intstr.IntOrString", lambda v: isinstance(v, str) or _whole(v, -2 ** 31, 2 ** 31 - 1))
ANY = Scalar("interface {}", lambda v: True)
QUANTITY = Scalar("resource.Quantity", lambda v: isinstance(v, (str, int, float)) and not isinstance(v, bool))
TIME = Scalar("string", lambda v: isinstance(v, str))  # metav1.Time decodes a string, then parses it
STRINGS = ListOf(STRING)
LABELS = MapOf(STRING)
RESOURCES = MapOf(QUANTITY)

#: resource.ParseQuantity's grammar, and its complaint (k8s.io/apimachinery/pkg/api/resource/quantity.go).
_QUANTITY = re.compile(r"^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$")
QUANTITY_RULE = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
#: RFC 3339 as metav1.Time and MicroTime parse it.
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$")


def _s(go_name: str, **fields: Type) -> Struct:
    return Struct(go_name, fields)


_SELECTOR_REQUIREMENT = _s("NodeSelectorRequirement", key=STRING, operator=STRING, values=STRINGS)
_SELECTOR_TERM = _s("NodeSelectorTerm", matchExpressions=ListOf(_SELECTOR_REQUIREMENT), matchFields=ListOf(_SELECTOR_REQUIREMENT))
_LABEL_SELECTOR = _s("LabelSelector", matchLabels=LABELS, matchExpressions=ListOf(
    _s("LabelSelectorRequirement", key=STRING, operator=STRING, values=STRINGS)))
_OBJECT_META = _s(
    "ObjectMeta", name=STRING, generateName=STRING, namespace=STRING, selfLink=STRING, uid=STRING,
    resourceVersion=STRING, generation=INT64, creationTimestamp=TIME, deletionTimestamp=TIME,
    deletionGracePeriodSeconds=INT64, labels=LABELS, annotations=LABELS, finalizers=STRINGS,
    ownerReferences=ListOf(_s("OwnerReference", apiVersion=STRING, kind=STRING, name=STRING, uid=STRING,
                              controller=BOOL, blockOwnerDeletion=BOOL)),
)
_CONTAINER = _s(
    "Container", name=STRING, image=STRING, command=STRINGS, args=STRINGS, workingDir=STRING,
    ports=ListOf(_s("ContainerPort", name=STRING, hostPort=INT32, containerPort=INT32, protocol=STRING, hostIP=STRING)),
    env=ListOf(_s("EnvVar", name=STRING, value=STRING, valueFrom=_s("EnvVarSource"))),
    resources=_s("ResourceRequirements", limits=RESOURCES, requests=RESOURCES),
    volumeMounts=ListOf(_s("VolumeMount", name=STRING, readOnly=BOOL, mountPath=STRING, subPath=STRING)),
    terminationMessagePath=STRING, terminationMessagePolicy=STRING, imagePullPolicy=STRING,
    securityContext=_s("SecurityContext"), stdin=BOOL, stdinOnce=BOOL, tty=BOOL,
)
_POD_SPEC = _s(
    "PodSpec", volumes=ListOf(_s("Volume", name=STRING, hostPath=_s("HostPathVolumeSource", path=STRING, type=STRING))),
    initContainers=ListOf(_CONTAINER), containers=ListOf(_CONTAINER), restartPolicy=STRING,
    terminationGracePeriodSeconds=INT64, activeDeadlineSeconds=INT64, dnsPolicy=STRING, nodeSelector=LABELS,
    serviceAccountName=STRING, serviceAccount=STRING, automountServiceAccountToken=BOOL, nodeName=STRING,
    hostNetwork=BOOL, hostPID=BOOL, hostIPC=BOOL, securityContext=_s("PodSecurityContext"),
    imagePullSecrets=ListOf(_s("LocalObjectReference", name=STRING)), hostname=STRING, subdomain=STRING,
    affinity=_s("Affinity", nodeAffinity=_s(
        "NodeAffinity", requiredDuringSchedulingIgnoredDuringExecution=_s("NodeSelector", nodeSelectorTerms=ListOf(_SELECTOR_TERM)),
        preferredDuringSchedulingIgnoredDuringExecution=ListOf(_s("PreferredSchedulingTerm", weight=INT32, preference=_SELECTOR_TERM)),
    ), podAffinity=_s("PodAffinity"), podAntiAffinity=_s("PodAntiAffinity")),
    schedulerName=STRING,
    tolerations=ListOf(_s("Toleration", key=STRING, operator=STRING, value=STRING, effect=STRING, tolerationSeconds=INT64)),
    priorityClassName=STRING, priority=INT32, enableServiceLinks=BOOL, preemptionPolicy=STRING,
    os=_s("PodOS", name=STRING),
)
_CONDITION = _s("PodCondition", type=STRING, status=STRING, lastProbeTime=TIME, lastTransitionTime=TIME, reason=STRING, message=STRING)
_CONTAINER_STATUS = _s(
    "ContainerStatus", name=STRING, ready=BOOL, restartCount=INT32, image=STRING, imageID=STRING, containerID=STRING,
    started=BOOL, state=_s("ContainerState", waiting=_s("ContainerStateWaiting", reason=STRING, message=STRING),
                           running=_s("ContainerStateRunning", startedAt=TIME),
                           terminated=_s("ContainerStateTerminated", exitCode=INT32, signal=INT32, reason=STRING,
                                         message=STRING, startedAt=TIME, finishedAt=TIME, containerID=STRING)),
)
_POD_STATUS = _s(
    "PodStatus", phase=STRING, conditions=ListOf(_CONDITION), message=STRING, reason=STRING, hostIP=STRING,
    hostIPs=ListOf(_s("HostIP", ip=STRING)), podIP=STRING, podIPs=ListOf(_s("PodIP", ip=STRING)), startTime=TIME,
    initContainerStatuses=ListOf(_CONTAINER_STATUS), containerStatuses=ListOf(_CONTAINER_STATUS), qosClass=STRING,
)
_TEMPLATE = _s("PodTemplateSpec", metadata=_OBJECT_META, spec=_POD_SPEC)
_OBJECT_REFERENCE = _s("ObjectReference", kind=STRING, namespace=STRING, name=STRING, uid=STRING, apiVersion=STRING,
                       resourceVersion=STRING, fieldPath=STRING)


def _kind(go_name: str, **fields: Type) -> Struct:
    return Struct(go_name, {"apiVersion": STRING, "kind": STRING, "metadata": _OBJECT_META, **fields})


KINDS: dict[str, Struct] = {s.name: s for s in (
    _kind("Namespace", spec=_s("NamespaceSpec", finalizers=STRINGS), status=_s("NamespaceStatus", phase=STRING)),
    _kind("Node",
          spec=_s("NodeSpec", podCIDR=STRING, podCIDRs=STRINGS, providerID=STRING, unschedulable=BOOL,
                  taints=ListOf(_s("Taint", key=STRING, value=STRING, effect=STRING, timeAdded=TIME))),
          status=_s("NodeStatus", capacity=RESOURCES, allocatable=RESOURCES, phase=STRING,
                    conditions=ListOf(_s("NodeCondition", type=STRING, status=STRING, lastHeartbeatTime=TIME,
                                         lastTransitionTime=TIME, reason=STRING, message=STRING)),
                    addresses=ListOf(_s("NodeAddress", type=STRING, address=STRING)),
                    daemonEndpoints=_s("NodeDaemonEndpoints", kubeletEndpoint=_s("DaemonEndpoint", Port=INT32)),
                    nodeInfo=_s("NodeSystemInfo", machineID=STRING, systemUUID=STRING, bootID=STRING,
                                kernelVersion=STRING, osImage=STRING, containerRuntimeVersion=STRING,
                                kubeletVersion=STRING, kubeProxyVersion=STRING, operatingSystem=STRING,
                                architecture=STRING),
                    volumesInUse=STRINGS)),
    _kind("Pod", spec=_POD_SPEC, status=_POD_STATUS),
    _kind("Service",
          spec=_s("ServiceSpec", ports=ListOf(_s("ServicePort", name=STRING, protocol=STRING, appProtocol=STRING, port=INT32,
                                                 targetPort=INT_OR_STRING, nodePort=INT32)),
                  selector=LABELS, clusterIP=STRING, clusterIPs=STRINGS, type=STRING, externalIPs=STRINGS,
                  sessionAffinity=STRING, externalName=STRING),
          status=_s("ServiceStatus", loadBalancer=_s("LoadBalancerStatus", ingress=ListOf(
              _s("LoadBalancerIngress", ip=STRING, hostname=STRING))))),
    _kind("Event", involvedObject=_OBJECT_REFERENCE, reason=STRING, message=STRING,
          source=_s("EventSource", component=STRING, host=STRING), firstTimestamp=TIME, lastTimestamp=TIME,
          count=INT32, type=STRING, eventTime=TIME, action=STRING, related=_OBJECT_REFERENCE,
          reportingComponent=STRING, reportingInstance=STRING),
    _kind("DaemonSet",
          spec=_s("DaemonSetSpec", selector=_LABEL_SELECTOR, template=_TEMPLATE,
                  updateStrategy=_s("DaemonSetUpdateStrategy", type=STRING, rollingUpdate=_s(
                      "RollingUpdateDaemonSet", maxUnavailable=INT_OR_STRING, maxSurge=INT_OR_STRING)),
                  minReadySeconds=INT32, revisionHistoryLimit=INT32),
          status=_s("DaemonSetStatus", currentNumberScheduled=INT32, numberMisscheduled=INT32, desiredNumberScheduled=INT32,
                    numberReady=INT32, observedGeneration=INT64, updatedNumberScheduled=INT32, numberAvailable=INT32,
                    numberUnavailable=INT32, collisionCount=INT32)),
    _kind("ControllerRevision", data=ANY, revision=INT64),
    _kind("Job",
          spec=_s("JobSpec", parallelism=INT32, completions=INT32, activeDeadlineSeconds=INT64, backoffLimit=INT32,
                  selector=_LABEL_SELECTOR, manualSelector=BOOL, template=_TEMPLATE, ttlSecondsAfterFinished=INT32,
                  completionMode=STRING, suspend=BOOL, podReplacementPolicy=STRING),
          status=_s("JobStatus", conditions=ListOf(_s("JobCondition", type=STRING, status=STRING, lastProbeTime=TIME,
                                                      lastTransitionTime=TIME, reason=STRING, message=STRING)),
                    startTime=TIME, completionTime=TIME, active=INT32, succeeded=INT32, failed=INT32, terminating=INT32,
                    ready=INT32)),
    _kind("Lease", spec=_s("LeaseSpec", holderIdentity=STRING, leaseDurationSeconds=INT32, acquireTime=TIME,
                           renewTime=TIME, leaseTransitions=INT32)),
)}


def decode(kind: str, version: str, body: Obj) -> Obj:
    """``body`` as ``kind``'s Go type would hold it: nulls dropped, quantities as strings.

    Raises:
        TypeMismatch: a value of the wrong type, or a quantity or time that does not parse.
    """
    try:
        return _decode(KINDS[kind], body, [], kind)
    except TypeMismatch as error:
        raise TypeMismatch(f'{kind} in version "{version}" cannot be handled as a {kind}: {error}') from None


def _decode(expected: Type, value: Any, path: list[str], parent: str) -> Any:
    if isinstance(expected, Struct):
        if not isinstance(value, dict):
            raise _mismatch(value, expected, path, parent)
        return {key: _decode(expected.fields[key], item, [*path, key], expected.name) if key in expected.fields else item
                for key, item in value.items() if item is not None or key not in expected.fields}
    if isinstance(expected, ListOf):
        if not isinstance(value, list):
            raise _mismatch(value, expected, path, parent)
        return [_decode(expected.item, item, path, parent) for item in value]
    if isinstance(expected, MapOf):
        if not isinstance(value, dict):
            raise _mismatch(value, expected, path, parent)
        return {key: _decode(expected.value, item, path, parent) for key, item in value.items()}
    if value is None:
        return value
    if not expected.accepts(value):
        raise _mismatch(value, expected, path, parent)
    if expected is QUANTITY:
        return _quantity(value)
    if expected is TIME and not _RFC3339.match(value):
        raise TypeMismatch(f'parsing time "{value}" as "2006-01-02T15:04:05Z07:00": cannot parse "{value}" as "2006"')
    return value


def _quantity(value: Any) -> str:
    if isinstance(value, str):
        if not _QUANTITY.match(value.strip()):
            raise TypeMismatch(QUANTITY_RULE)
        return value.strip()
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    milli = value * 1000
    if float(milli).is_integer():
        return f"{int(milli)}m"
    return repr(value)


def _mismatch(value: Any, expected: Type, path: list[str], parent: str) -> TypeMismatch:
    shown = "Go struct field " + parent + "." + ".".join(path) if path else "Go value"
    return TypeMismatch(f"json: cannot unmarshal {json_type(value)} into {shown} of type {expected.go}")


def json_type(value: Any) -> str:
    """The JSON type of a decoded value as Go's encoding/json names it in its errors."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return {str: "string", list: "array", dict: "object"}.get(type(value), "value")
