"""Protobuf request bodies, as kubectl 1.32 and later send them for ``kubectl create namespace|job``."""

from __future__ import annotations

import pytest

from labkit.sim.apierrors import ApiError
from labkit.sim.protobuf import decode

# Captured from kubectl 1.33: `kubectl create namespace pbns` and
# `kubectl create job pbjob --image=busybox:1.36 -- sh -c "echo hi"`.
NAMESPACE = b'k8s\x00\n\x0f\n\x02v1\x12\tNamespace\x12\x1c\n\x14\n\x04pbns\x12\x00\x1a\x00"\x00*\x002\x008\x00B\x00\x12\x00\x1a\x02\n\x00\x1a\x00"\x00'
JOB = (b'k8s\x00\n\x0f\n\x08batch/v1\x12\x03Job\x12\x96\x01\n\x15\n\x05pbjob\x12\x00\x1a\x00"\x00*\x002\x008\x00B\x00\x12s2q'
       b'\n\x10\n\x00\x12\x00\x1a\x00"\x00*\x002\x008\x00B\x00\x12]\x12:\n\x05pbjob\x12\x0cbusybox:1.36\x1a\x02sh\x1a\x02-c'
       b'\x1a\x07echo hi*\x00B\x00j\x00r\x00\x80\x01\x00\x88\x01\x00\x90\x01\x00\xa2\x01\x00\x1a\x05Never2\x00B\x00J\x00R\x00X\x00'
       b'`\x00h\x00\x82\x01\x00\x8a\x01\x00\x9a\x01\x00\xc2\x01\x00\x1a\x08 \x00(\x000\x00:\x00\x1a\x00"\x00')


def test_kubectl_create_namespace():
    assert decode(NAMESPACE) == {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "pbns"}, "spec": {}, "status": {}}


def test_kubectl_create_job():
    assert decode(JOB) == {
        "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "pbjob"},
        "spec": {"template": {"spec": {"containers": [{"name": "pbjob", "image": "busybox:1.36", "command": ["sh", "-c", "echo hi"]}],
                                       "restartPolicy": "Never"}}},
        "status": {},
    }


def test_what_cannot_be_decoded_is_refused():
    for body, code in ((b"{}", 400), (NAMESPACE.replace(b"Namespace", b"Secret\x00\x00\x00"), 415)):
        with pytest.raises(ApiError) as info:
            decode(body)
        assert info.value.status["code"] == code
