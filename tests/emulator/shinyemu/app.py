"""The WSGI middleware in front of moto: routing, handlers, faults, call log."""

from __future__ import annotations

import io
import json
import re
import time
import traceback

from . import admin, hooks, model_validation
from .errors import AwsError, render
from .hooks import Ctx, Response
from .requestinfo import identify


class EmulatorApp:
    def __init__(self, moto_app, state) -> None:
        self.moto_app = moto_app
        self.state = state

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "") or "/"
        if path.startswith("/_emulator/"):
            return self._send(start_response, admin.handle(self.state, environ))
        if path.startswith("/_k8s/"):
            from . import kube

            return self._send(start_response, kube.handle(self.state, environ))
        started = time.time()
        body = _read_body(environ)
        info = identify(environ, body)
        if info is None:  # unsigned: moto's own API and the like
            return self._send(start_response, self._moto(environ, body))
        ctx = Ctx(info=info, environ=environ, state=self.state)
        ctx.call_moto = lambda new_body=None, updates=None: self._moto(
            environ, ctx.info.body if new_body is None else new_body, updates)
        hooks.set_current(ctx)
        fault_name = None
        try:
            from . import lifecycle

            lifecycle.reap()
            model_validation.check(info, environ, self.state)  # AWS refuses before anything else
            for rf in hooks.request_filters():
                rf(ctx)
            action = self.state.faults.before(ctx)
            if action is not None:
                fault_name = action.name
                if action.drop:
                    self.state.calls.record(info.service, info.operation, info.account, info.region, 0,
                                            None, fault_name, started=started)
                    return _drop(environ)
            resp = self._dispatch(ctx, 0)
            self.state.faults.note_created(ctx, resp)
            if action is not None and action.drop_after:
                self.state.calls.record(info.service, info.operation, info.account, info.region,
                                        resp.status, None, fault_name, started=started)
                return _drop(environ)
        except AwsError as err:
            resp = Response(*render(info.protocol, err, info.service))
        except NotImplementedError as err:  # an operation neither moto nor the emulator has
            resp = Response(*render(info.protocol, AwsError(
                "NotImplemented", f"the emulator does not implement {info.service} {info.operation}: {err}",
                501, False)))
        except ConnectionAbortedError:  # the drop fault: no answer at all
            raise
        except Exception:  # a bug in a handler: answer like AWS's InternalFailure, keep serving
            traceback.print_exc()
            resp = Response(*render(info.protocol, AwsError("InternalFailure", "emulator error", 500, False)))
        finally:
            hooks.set_current(None)
        for f in hooks.filters():
            resp = f(ctx, resp)
        if fault_name is None and getattr(ctx, "fault", None):
            fault_name = ctx.fault
        self.state.calls.record(info.service, info.operation, info.account, info.region, resp.status,
                                _error_code(resp) if resp.status >= 300 else None, fault_name,
                                started=started)
        return self._send(start_response, resp)

    def _dispatch(self, ctx: Ctx, i: int) -> Response:
        chain = hooks.handlers_for(ctx.info.service, ctx.info.operation)
        if i < len(chain):
            return chain[i](ctx, lambda: self._dispatch(ctx, i + 1))
        return ctx.call_moto()

    def _moto(self, environ, body: bytes, updates: dict | None = None) -> Response:
        env = dict(environ)
        for k, v in (updates or {}).items():
            if v is None:
                env.pop(k, None)
            else:
                env[k] = v
        env["wsgi.input"] = io.BytesIO(body)
        env["CONTENT_LENGTH"] = str(len(body))
        captured = {}

        def start(status, headers, exc_info=None):
            captured["status"] = int(status.split()[0])
            captured["headers"] = list(headers)
            return lambda data: None

        chunks = self.moto_app(env, start)
        try:
            data = b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
        headers = [(k, v) for k, v in captured.get("headers", []) if k.lower() != "content-length"]
        return Response(captured.get("status", 500), headers, data)

    @staticmethod
    def _send(start_response, resp: Response):
        headers = [(k, v) for k, v in resp.headers if k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(resp.body))))
        reason = _REASONS.get(resp.status, "Status")
        start_response(f"{resp.status} {reason}", headers)
        return [resp.body]


_REASONS = {200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 400: "Bad Request",
            401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 409: "Conflict",
            412: "Precondition Failed", 415: "Unsupported Media Type", 422: "Unprocessable Entity",
            429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable"}


def _read_body(environ) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    stream = environ["wsgi.input"]
    if length:
        body = stream.read(length)
    elif environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked":
        body = stream.read()
    else:
        body = b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return body


_CODE_RES = [re.compile(rb"<Code>([^<]+)</Code>")]


def _error_code(resp: Response) -> str | None:
    h = resp.header("x-amzn-ErrorType")
    if h:
        return h.split(":")[0]
    q = resp.header("x-amzn-query-error")
    if q:
        return q.split(";")[0]
    for rx in _CODE_RES:
        m = rx.search(resp.body)
        if m:
            return m.group(1).decode()
    try:
        data = json.loads(resp.body)
        t = data.get("__type") or data.get("code") or data.get("Code")
        if t:
            return str(t).split("#")[-1]
    except Exception:
        pass
    if (resp.header("content-type") or "").startswith("application/cbor"):
        try:
            import cbor2

            t = cbor2.loads(resp.body).get("__type")
            return str(t).split("#")[-1] if t else None
        except Exception:
            return None
    return None


def _drop(environ):
    """Close the client's connection without an answer (a dropped connection)."""
    import socket

    sock = environ.get("werkzeug.socket")
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    raise ConnectionAbortedError("fault: dropped connection")
