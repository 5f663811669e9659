"""The errors the ARM plane answers with: each carries its HTTP status, code, message and target."""

from __future__ import annotations

from typing import Optional

from labkit.sim.store import Obj


class ArmError(Exception):
    """An ARM error answer: HTTP status and ``{"error": {"code", "message", "target"?, "details"?}}``."""

    def __init__(self, status: int, code: str, message: str, target: Optional[str] = None,
                 details: Optional[list[Obj]] = None):
        super().__init__(message)
        self.status, self.code, self.message, self.target, self.details = status, code, message, target, details

    def body(self) -> Obj:
        error: Obj = {"code": self.code, "message": self.message}
        if self.target:
            error["target"] = self.target
        if self.details:
            error["details"] = self.details
        return {"error": error}


def not_found(code: str, message: str) -> ArmError:
    return ArmError(404, code, message)


def bad_request(code: str, message: str, target: Optional[str] = None) -> ArmError:
    return ArmError(400, code, message, target)
