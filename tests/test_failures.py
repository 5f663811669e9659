"""Azure and Kubernetes failures become one readable OperationError with a hint; other errors pass through."""

import json

import pytest
from azure.core.exceptions import HttpResponseError, ServiceRequestError, ServiceResponseError
from kubernetes.client.exceptions import ApiException
from kubernetes.dynamic.exceptions import NotFoundError

from labkit.errors import OperationError
from labkit.failures import reported


class _Response:
    def __init__(self, status, body):
        self.status_code, self.reason, self.headers = status, "Bad Request", {"content-type": "application/json"}
        self.status = status
        self._body = json.dumps(body).encode()
        self.request = None

    def text(self, encoding=None):
        return self._body.decode()

    def body(self):
        return self._body


def raised(error):
    with pytest.raises(OperationError) as caught:
        with reported("doing the thing"):
            raise error
    return caught.value


def test_arm_error_keeps_code_and_message_and_adds_a_hint():
    body = {"error": {"code": "QuotaExceeded", "message": "Operation results in exceeding quota limits of Core."}}
    error = raised(HttpResponseError(response=_Response(400, body)))
    assert (error.code, error.message) == ("QuotaExceeded", "Operation results in exceeding quota limits of Core.")
    assert str(error).splitlines() == [
        "doing the thing failed: QuotaExceeded: Operation results in exceeding quota limits of Core.",
        "  What to do: " + error.hint,
    ] and "quota" in error.hint


@pytest.mark.parametrize("error", [ServiceRequestError("Connection refused"), ServiceResponseError("Connection reset by peer")])
def test_unreachable_endpoint_is_connection_failed(error):
    failure = raised(error)
    assert failure.code == "ConnectionFailed" and "labkit sim start" in failure.hint


def test_kubernetes_status_reason_is_the_code():
    status = {"kind": "Status", "reason": "Forbidden", "message": 'namespaces "x" is forbidden: it is being terminated'}
    error = ApiException(status=403, reason="Forbidden")
    error.body = json.dumps(status)
    failure = raised(error)
    assert (failure.code, failure.message) == ("Forbidden", status["message"])


def test_dynamic_client_errors_are_kubernetes_errors_too():
    cause = ApiException(status=404, reason="Not Found")
    cause.body = json.dumps({"kind": "Status", "reason": "NotFound", "message": 'jobs.batch "x" not found'})
    assert raised(NotFoundError(cause)).code == "NotFound"


def test_other_errors_pass_through_unchanged():
    with pytest.raises(KeyError):
        with reported("doing the thing"):
            raise KeyError("a bug is a bug")


def test_a_generic_code_gets_its_hint_from_the_message():
    body = {"code": "BadRequest", "message": "The VM size of AgentPoolProfile:gpunp is not allowed in your subscription "
                                             "in location 'eastus'."}
    error = raised(HttpResponseError(response=_Response(400, body)))
    assert error.code == "BadRequest" and "az vm list-skus" in error.hint
