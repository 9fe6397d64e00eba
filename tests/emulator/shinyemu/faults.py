"""Faults injected before a request reaches moto, each in its service's protocol shape.

A faults file is `{"seed": 1, "rules": [...]}`; each rule has a `kind` (throttle,
token_bucket, error, drop, lost_answer, slow, eventual_consistency, minor_upgrade) and optional matchers
(service, operation as a glob, account, region), `rate` (probability, default 1) and
`count` (only the first N matching calls). See docs/emulator.md.
"""

from __future__ import annotations

import fnmatch
import json
import random
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .errors import AwsError

KINDS = {"throttle", "token_bucket", "error", "drop", "lost_answer", "slow", "eventual_consistency",
         "minor_upgrade"}

# AWS's published EC2 API request-rate limits (token buckets: burst capacity, refill per second).
EC2_BUCKETS = {
    "describe": (100, 20),  # Describe*, Get*, List*, Search* (non-mutating)
    "mutating": (50, 5),
    "CreateNatGateway": (10, 1),  # resource-intensive action with its own bucket
}


@dataclass
class Action:
    name: str
    # Close the connection without an answer: before the call is carried out ...
    drop: bool = False
    # ... or after it (the call took effect; the client never hears so and retries).
    drop_after: bool = False


def throttle_error(service: str, protocol: str) -> AwsError:
    if service == "ec2":
        return AwsError("RequestLimitExceeded", "Request limit exceeded.", 503)
    if service == "s3":
        return AwsError("SlowDown", "Please reduce your request rate.", 503)
    if protocol in ("query", "smithy-rpc-v2-cbor"):
        return AwsError("Throttling", "Rate exceeded", 400)
    return AwsError("TooManyRequestsException", "Rate exceeded", 429)


def transient_error(service: str, protocol: str, status: int) -> AwsError:
    if status == 503:
        code = {"ec2": "Unavailable"}.get(service, "ServiceUnavailable")
        if protocol in ("json", "rest-json"):
            code = "ServiceUnavailableException"
        return AwsError(code, "Service is unavailable, please retry.", 503, sender=False)
    code = "InternalError" if service in ("ec2", "s3") else "InternalFailure"
    return AwsError(code, "We encountered an internal error. Please try again.", status, sender=False)


# --- eventual consistency -------------------------------------------------------------
_EC2_ID = re.compile(r"\b((?:vpc|subnet|sg|igw|nat|eipalloc|rtb|eni|i|lt|acl|vpce)-[0-9a-f]{8,17})\b")
_EC2_NOT_FOUND = {
    "vpc": "InvalidVpcID.NotFound", "subnet": "InvalidSubnetID.NotFound", "sg": "InvalidGroup.NotFound",
    "igw": "InvalidInternetGatewayID.NotFound", "nat": "NatGatewayNotFound",
    "eipalloc": "InvalidAllocationID.NotFound", "rtb": "InvalidRouteTableID.NotFound",
    "eni": "InvalidNetworkInterfaceID.NotFound", "i": "InvalidInstanceID.NotFound",
    "lt": "InvalidLaunchTemplateId.NotFound", "acl": "InvalidNetworkAclID.NotFound",
    "vpce": "InvalidVpcEndpointId.NotFound",
}
# service -> (code, status) answered for a not-yet-visible named resource
_NOT_FOUND = {
    "eks": ("ResourceNotFoundException", 404), "efs": ("FileSystemNotFound", 404),
    "rds": ("DBInstanceNotFound", 404), "elasticache": ("ReplicationGroupNotFoundFault", 404),
    "elbv2": ("LoadBalancerNotFound", 400), "iam": ("NoSuchEntity", 404),
    "synthetics": ("ResourceNotFoundException", 404), "ecr": ("RepositoryNotFoundException", 400),
    "sns": ("NotFound", 404), "cloudwatch": ("ResourceNotFound", 404), "s3": ("NoSuchBucket", 404),
}
_RDS_NOT_FOUND = {"DescribeDBClusters": "DBClusterNotFoundFault", "DescribeDBInstances": "DBInstanceNotFound"}
_NAME_KEY = re.compile(r"(Name|Identifier|Id|name)$")
_TOKEN_SPLIT = re.compile(r"[^A-Za-z0-9_.\-]+")


class Faults:
    def __init__(self, rules: list[dict], seed: int | None = None) -> None:
        for r in rules:
            if r.get("kind") not in KINDS:
                raise ValueError(f"unknown fault kind {r.get('kind')!r}; known: {sorted(KINDS)}")
        self.rules = rules
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.hits: dict[int, int] = {}
        self.buckets: dict[tuple, list] = {}
        self.created: dict[tuple, float] = {}  # (account, region, service, ident) -> time

    @classmethod
    def from_json(cls, data: dict) -> "Faults":
        return cls(list(data.get("rules", [])), data.get("seed"))

    @classmethod
    def load(cls, path: str | None) -> "Faults":
        if not path:
            return cls([])
        return cls.from_json(json.loads(Path(path).read_text()))

    def to_json(self) -> dict:
        return {"rules": self.rules}

    # --- matching ---
    def _matches(self, idx: int, rule: dict, ctx) -> bool:
        info = ctx.info
        for key, value in (("service", info.service), ("account", info.account), ("region", info.region)):
            if key in rule and rule[key] != value:
                return False
        if "operation" in rule and not fnmatch.fnmatchcase(info.operation, rule["operation"]):
            return False
        with self.lock:
            if "count" in rule and self.hits.get(idx, 0) >= int(rule["count"]):
                return False
            if self.rng.random() >= float(rule.get("rate", 1.0)):
                return False
            self.hits[idx] = self.hits.get(idx, 0) + 1
        return True

    def before(self, ctx) -> Action | None:
        info = ctx.info
        for idx, rule in enumerate(self.rules):
            kind = rule["kind"]
            if kind == "token_bucket":
                if self._bucket_denies(idx, rule, ctx):
                    ctx.fault = "token_bucket"
                    raise throttle_error(info.service, info.protocol)
                continue
            if kind == "eventual_consistency":
                self._consistency(rule, ctx)
                continue
            if not self._matches(idx, rule, ctx):
                continue
            if kind == "minor_upgrade":  # a change behind the caller's back; the call goes on
                from .minor_upgrade import apply

                apply(rule, ctx)
                continue
            ctx.fault = kind
            if kind == "throttle":
                err = throttle_error(info.service, info.protocol)
                if "code" in rule:
                    err = AwsError(rule["code"], "Rate exceeded", int(rule.get("status", err.status)))
                raise err
            if kind == "error":
                raise transient_error(info.service, info.protocol, int(rule.get("status", 500)))
            if kind == "drop":
                return Action("drop", drop=True)
            if kind == "lost_answer":
                return Action("lost_answer", drop_after=True)
            if kind == "slow":
                time.sleep(float(rule.get("delay_seconds", 1.0)))
        return None

    # --- token buckets ---
    def _bucket_denies(self, idx: int, rule: dict, ctx) -> bool:
        info = ctx.info
        for key, value in (("service", info.service), ("account", info.account), ("region", info.region)):
            if key in rule and rule[key] != value:
                return False
        if "operation" in rule and not fnmatch.fnmatchcase(info.operation, rule["operation"]):
            return False
        if rule.get("preset") == "ec2":
            if info.service != "ec2":
                return False
            op = info.operation
            if op in EC2_BUCKETS:
                name = op
            elif op.startswith(("Describe", "Get", "List", "Search")):
                name = "describe"
            else:
                name = "mutating"
            burst, refill = EC2_BUCKETS[name]
        else:
            name = rule.get("operation", "*")
            burst, refill = float(rule.get("burst", 10)), float(rule.get("refill_per_second", 1))
        key = (idx, info.account, info.region, name)
        now = time.monotonic()
        with self.lock:
            tokens, last = self.buckets.get(key, (float(burst), now))
            tokens = min(float(burst), tokens + (now - last) * refill)
            if tokens < 1.0:
                self.buckets[key] = [tokens, now]
                return True
            self.buckets[key] = [tokens - 1.0, now]
        return False

    # --- eventual consistency ---
    def _consistency(self, rule: dict, ctx) -> None:
        info = ctx.info
        for key, value in (("service", info.service), ("account", info.account), ("region", info.region)):
            if key in rule and rule[key] != value:
                return
        op = info.operation
        if op.startswith("Create") or op.startswith("Run") or op.startswith("Allocate"):
            ctx.consistency_rule = rule  # noted after the create succeeds (see note_created)
            return
        if not (op.startswith("Describe") or op.startswith("Get")):
            return
        window = float(rule.get("seconds", 1.0))
        tokens = set(_TOKEN_SPLIT.split(info.body.decode("utf-8", "replace")))
        tokens |= set(_TOKEN_SPLIT.split(ctx.environ.get("PATH_INFO", "")))
        tokens |= set(_TOKEN_SPLIT.split(ctx.environ.get("QUERY_STRING", "")))
        now = time.monotonic()
        with self.lock:
            hits = [
                ident
                for (acct, region, service, ident), t in self.created.items()
                if acct == info.account and region == info.region and service == info.service
                and now - t < window and ident in tokens
            ]
        if not hits:
            return
        ctx.fault = "eventual_consistency"
        ident = hits[0]
        if info.service == "ec2":
            prefix = ident.split("-")[0]
            raise AwsError(_EC2_NOT_FOUND.get(prefix, "InvalidID.NotFound"),
                           f"The ID '{ident}' does not exist", 400)
        code, status = _NOT_FOUND.get(info.service, ("ResourceNotFoundException", 404))
        if info.service == "rds":
            code = _RDS_NOT_FOUND.get(op, code)
        raise AwsError(code, f"{ident} not found", status)

    def note_created(self, ctx, resp) -> None:
        if getattr(ctx, "consistency_rule", None) is None or resp.status >= 300:
            return
        info = ctx.info
        idents = set(_EC2_ID.findall(resp.body.decode("utf-8", "replace"))) if info.service == "ec2" else set()
        if info.service != "ec2":
            params = info.params() if info.protocol != "smithy-rpc-v2-cbor" else {}
            for k, v in (params or {}).items():
                if isinstance(v, str) and _NAME_KEY.search(k) and v:
                    idents.add(v)
        now = time.monotonic()
        with self.lock:
            for ident in idents:
                self.created[(info.account, info.region, info.service, ident)] = now
