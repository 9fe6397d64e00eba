"""Registry of per-operation handlers wrapped around moto.

A handler is `fn(ctx, call_next) -> Response`: it may answer on its own (an operation
moto lacks, a dependency rule), or call `call_next()` (the next handler, finally moto)
and adjust the answer. Filters run on every response (the aws-cn partition).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from .requestinfo import RequestInfo


@dataclass
class Response:
    status: int
    headers: list = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def set_header(self, name: str, value: str) -> None:
        self.headers = [(k, v) for k, v in self.headers if k.lower() != name.lower()]
        self.headers.append((name, value))


@dataclass
class Ctx:
    info: RequestInfo
    environ: dict
    state: object  # the server's EmulatorState
    call_moto: object = None  # callable(body: bytes | None, environ_overrides) -> Response

    @property
    def account(self) -> str:
        return self.info.account

    @property
    def region(self) -> str:
        return self.info.region

    def params(self) -> dict:
        return self.info.params()

    def profile(self):
        return self.state.profile_for(self.account)


_handlers: dict[tuple[str, str], list] = {}
_filters: list = []
_request_filters: list = []
_current = threading.local()


def on(service: str, *operations: str):
    def deco(fn):
        for op in operations:
            _handlers.setdefault((service, op), []).append(fn)
        return fn

    return deco


def response_filter(fn):
    _filters.append(fn)
    return fn


def request_filter(fn):
    _request_filters.append(fn)
    return fn


def request_filters() -> list:
    return list(_request_filters)


def handlers_for(service: str, operation: str) -> list:
    return _handlers.get((service, "*"), []) + _handlers.get((service, operation), [])


def filters() -> list:
    return list(_filters)


def set_current(ctx: Ctx | None) -> None:
    _current.ctx = ctx


def current() -> Ctx | None:
    return getattr(_current, "ctx", None)
