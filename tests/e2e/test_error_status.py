"""A bug's reply is built like every other error: ErrorInfo always, the cause never."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from availability_service.app import Application
from availability_service.grpc_api.status import ERROR_DOMAIN
from tests.support.callers import Caller
from tradedesk.availability.v1 import availability_service_pb2 as api


def _error_info(error: grpc.RpcError) -> error_details_pb2.ErrorInfo:
    status = rpc_status.from_call(error)  # type: ignore[arg-type]  # a grpc.Call at runtime
    assert status is not None
    infos = [d for d in status.details if d.Is(error_details_pb2.ErrorInfo.DESCRIPTOR)]
    assert len(infos) == 1
    info = error_details_pb2.ErrorInfo()
    infos[0].Unpack(info)
    return info


def test_a_bug_in_a_unary_rpc_is_internal_with_an_error_info_and_never_its_cause(
    app: Application, buyer: Caller, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("secret connection string")

    monkeypatch.setattr(app.services.lots, "read", broken)  # what GetAvailability calls
    with pytest.raises(grpc.RpcError) as caught:
        buyer.GetAvailability(
            api.GetAvailabilityRequest(name="availabilities/7f0c5b4e-9d7a-4d52-8a4f-1a2b3c4d5e6f")
        )
    assert caught.value.code() is grpc.StatusCode.INTERNAL
    assert caught.value.details() == "internal error"
    info = _error_info(caught.value)
    assert (info.reason, info.domain) == ("INTERNAL", ERROR_DOMAIN)
