"""The errors the ARM plane answers with: each carries its HTTP status, code, message and target."""

from __future__ import annotations

from typing import Optional

from labkit.sim.store import Obj


class ArmError(Exception):
    """An error ARM answers itself: HTTP status and ``{"error": {"code", "message", "target"?}}``, and headers."""

    def __init__(self, status: int, code: str, message: str, target: Optional[str] = None, *,
                 headers: Optional[dict[str, str]] = None):
        super().__init__(message)
        self.status, self.code, self.message, self.target = status, code, message, target
        self.headers = headers or {}

    def body(self) -> Obj:
        error: Obj = {"code": self.code, "message": self.message}
        if self.target:
            error["target"] = self.target
        return {"error": error}


class AksError(ArmError):
    """An error AKS's resource provider answers itself: ``code``, ``message``, ``subcode``, ``details`` and
    ``target`` at the top level, not in ARM's envelope (captured AKS bodies, e.g.
    github.com/Azure/azure-sdk-for-java/issues/27704; the SDKs read both shapes).
    """

    def body(self) -> Obj:
        body: Obj = {"code": self.code, "details": None, "message": self.message, "subcode": ""}
        if self.target:
            body["target"] = self.target
        return body


def not_found(code: str, message: str) -> ArmError:
    return ArmError(404, code, message)


def bad_request(code: str, message: str, target: Optional[str] = None) -> ArmError:
    return ArmError(400, code, message, target)
