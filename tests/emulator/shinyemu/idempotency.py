"""Idempotency tokens, remembered for the profile's `idempotency_token_ttl` seconds (AWS: 24 hours;
the default profile scales it by 1/60 like every duration, zero.json and the test profile keep the
full 86400 s) — also after the resource they made is deleted. The same token with the same
parameters answers the first call's result again; with other parameters the service's error:

- EC2 CreateNatGateway, CreateLaunchTemplate, CreateLaunchTemplateVersion, RunInstances (ClientToken): 400 `IdempotentParameterMismatch`
  "Arguments on this idempotent request are inconsistent with arguments used in previous
  request(s)." (EC2 API reference, "Ensuring idempotency":
  https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-idempotency.html);
- EFS CreateAccessPoint (ClientToken): 409 `AccessPointAlreadyExists` (botocore model error);
- EKS CreateCluster, CreateNodegroup, CreateAddon, CreateFargateProfile (clientRequestToken):
  400 `InvalidParameterException` (the only fitting error all four declare in the botocore model;
  EKS documents no dedicated mismatch error) "The client request token <T> has already been used
  for a request with different parameters."

EFS CreateFileSystem (CreationToken) follows its own documented rule instead (EFS API reference,
CreateFileSystem): while a file system made with the token exists, every create with it answers
409 `FileSystemAlreadyExists` with that `FileSystemId`; once it is deleted the token is free again.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time

from .errors import AwsError
from .hooks import Response, on

_lock = threading.Lock()
# (service, operation, account, region, token) -> (fingerprint, first answer, forgotten at)
_tokens: dict[tuple, tuple[str, Response, float]] = {}


def _fingerprint(params: dict, token_key: str) -> str:
    relevant = {k: v for k, v in params.items() if k not in (token_key, "Action", "Version")}
    return hashlib.sha256(json.dumps(relevant, sort_keys=True, default=str).encode()).hexdigest()


def remembered(ctx, call_next, token_key: str, mismatch: AwsError):
    params = ctx.params()
    token = params.get(token_key)
    if not token:
        return call_next()
    key = (ctx.info.service, ctx.info.operation, ctx.account, ctx.region, token)
    fp = _fingerprint(params, token_key)
    now = time.time()
    with _lock:
        seen = _tokens.get(key)
        if seen is not None and seen[2] <= now:
            del _tokens[key]
            seen = None
    if seen is not None:
        if seen[0] != fp:
            raise mismatch
        return Response(seen[1].status, list(seen[1].headers), seen[1].body)
    resp = call_next()
    if resp.status < 300:
        ttl = ctx.state.duration("idempotency_token_ttl", ctx.account)
        with _lock:
            _tokens.setdefault(key, (fp, resp, now + ttl))
    return resp


_EC2_MISMATCH = ("Arguments on this idempotent request are inconsistent with arguments used in previous "
                 "request(s).")


@on("ec2", "CreateNatGateway", "CreateLaunchTemplate", "CreateLaunchTemplateVersion", "RunInstances")
def ec2_client_token(ctx, call_next):
    return remembered(ctx, call_next, "ClientToken", AwsError("IdempotentParameterMismatch", _EC2_MISMATCH, 400))


@on("efs", "CreateAccessPoint")
def efs_access_point_client_token(ctx, call_next):
    return remembered(ctx, call_next, "ClientToken", AwsError(
        "AccessPointAlreadyExists", "An access point with this client token already exists "
        "with different parameters.", 409))


@on("eks", "CreateCluster", "CreateNodegroup", "CreateAddon", "CreateFargateProfile")
def eks_client_request_token(ctx, call_next):
    token = ctx.params().get("clientRequestToken")
    return remembered(ctx, call_next, "clientRequestToken", AwsError(
        "InvalidParameterException",
        f"The client request token {token} has already been used for a request with different parameters.", 400))


@on("efs", "CreateFileSystem")
def efs_creation_token(ctx, call_next):
    from moto.efs.models import efs_backends

    token = ctx.params().get("CreationToken")
    backend = efs_backends[ctx.account][ctx.region]
    existing = next((fs for fs in backend.file_systems_by_id.values() if fs.creation_token == token), None)
    if token and existing is not None:
        raise AwsError("FileSystemAlreadyExists",
                       f"File system '{existing.file_system_id}' already exists with creation token '{token}'",
                       409, extra={"ErrorCode": "FileSystemAlreadyExists", "FileSystemId": existing.file_system_id})
    return call_next()
