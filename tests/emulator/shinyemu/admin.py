"""The emulator's own endpoints under /_emulator/ (never AWS APIs)."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

from . import profile as profile_mod
from .hooks import Response


def _json(status: int, data) -> Response:
    return Response(status, [("Content-Type", "application/json")], json.dumps(data, indent=1).encode())


def collect_and_freeze() -> dict:
    """A full garbage collection now, and what survives it moved out of later collections'
    reach (`gc.freeze`): a full collection walks every tracked object, and the state of the many
    accounts a benchmark makes grows that to where one pauses every call for 100-250 ms. Asked
    between timed runs, so that their calls do not wait for one; objects made afterwards are
    collected as usual."""
    import gc
    import time

    start = time.perf_counter()
    collected = gc.collect()
    gc.freeze()
    return {"collected": collected, "frozen": gc.get_freeze_count(),
            "seconds": round(time.perf_counter() - start, 3)}


def handle(state, environ) -> Response:
    path = environ.get("PATH_INFO", "")
    method = environ.get("REQUEST_METHOD", "GET")
    q = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    try:
        if path == "/_emulator/health":
            return _json(200, {"status": "ok"})
        if path == "/_emulator/gc" and method == "POST":
            return _json(200, collect_and_freeze())
        if path == "/_emulator/calls":
            if method == "GET":
                return _json(200, {"calls": state.calls.list(q.get("account"), q.get("service"),
                                                              q.get("operation"))})
            if method == "DELETE":
                return _json(200, {"cleared": state.calls.clear(q.get("account"))})
        if path == "/_emulator/faults":
            from .faults import Faults

            if method == "GET":
                return _json(200, state.faults.to_json())
            if method == "PUT":
                state.faults = Faults.from_json(json.loads(body or b"{}"))
                return _json(200, state.faults.to_json())
        if path == "/_emulator/validation" and q.get("account"):
            # Model validation is on for every account unless a test of the emulator itself
            # switches it off for its own account: PUT {"enabled": false}.
            account = q["account"]
            if method == "PUT":
                if json.loads(body or b"{}").get("enabled", True):
                    state.unvalidated_accounts.discard(account)
                else:
                    state.unvalidated_accounts.add(account)
            if method in ("GET", "PUT"):
                return _json(200, {"account": account, "enabled": account not in state.unvalidated_accounts})
        if path == "/_emulator/ecr/registry":
            from . import ecr_auth

            return _json(*ecr_auth.admin(method, q.get("account"), body))
        if path == "/_emulator/ecs/failing":
            # The images whose tasks fail to start: their deployments end FAILED (ecs_ext.py).
            from . import ecs_ext

            return _json(*ecs_ext.admin(method, q.get("account"), body))
        if path == "/_emulator/kube/failing":
            # The images whose Kubernetes Job pods fail, with their log (kube_job.py).
            from . import kube_job

            return _json(*kube_job.admin(method, q.get("account"), body))
        if path == "/_emulator/ssm/failing":
            # The instances whose State Manager association runs end Failed (ssm_associations.py).
            from . import ssm_associations

            return _json(*ssm_associations.admin(method, q.get("account"), body))
        if path == "/_emulator/autoscaling/actions" and q.get("account") and method == "GET":
            # Outstanding lifecycle actions with their tokens (autoscaling_hooks.py).
            from . import autoscaling_hooks

            return _json(200, {"actions": autoscaling_hooks.actions_view(q["account"], q.get("region"))})
        if path == "/_emulator/quotas" and q.get("account"):
            # Service Quotas' applied values for one account (service_quotas.py).
            from . import service_quotas

            if method == "PUT":
                try:
                    return _json(200, service_quotas.set_applied(q["account"], json.loads(body or b"{}")))
                except ValueError as e:
                    return _json(400, {"error": str(e)})
            if method == "GET":
                return _json(200, service_quotas.applied(q["account"]))
        if path == "/_emulator/profile":
            account = q.get("account")
            if method == "GET":
                return _json(200, {"durations": state.profile_for(account)})
            if method == "PUT":
                merged = profile_mod.merge(state.profile, json.loads(body or b"{}"))
                if account:
                    state.account_profiles[account] = merged
                else:
                    state.profile = merged
                return _json(200, {"durations": merged})
            if method == "DELETE" and account:
                state.account_profiles.pop(account, None)
                return _json(200, {"durations": state.profile})
    except (ValueError, KeyError) as err:
        return _json(400, {"error": str(err)})
    return _json(404, {"error": f"no such emulator endpoint: {method} {path}"})
