"""Secrets Manager where moto 5.2.5 accepts what AWS refuses, or deletes what AWS deletes later:

- **Names.** CreateSecret with a name of other characters than ASCII letters, digits and
  `/_+=.@!-` answers 400 `ValidationException` "Invalid name. Must be a valid name containing
  alphanumeric characters, or any of the following: -/_+=.@!" (AWS's message, as ECS and the
  AWS CLI quote it; botocore `secretsmanager` CreateSecret Name documents `/_+=.@-`, and its model
  has no pattern, so model validation cannot catch it). moto accepts any name.
- **A name held by a deleted secret.** CreateSecret with the name of a secret scheduled for
  deletion answers 400 `InvalidRequestException` "You can't create this secret because a secret
  with this name is already scheduled for deletion." (the message the Terraform AWS provider
  retries CreateSecret on, internal/service/secretsmanager/secret.go; issue
  hashicorp/terraform-provider-aws#10259). moto answers `ResourceExistsException`.
- **Deletion without recovery is not at once.** DeleteSecret with `ForceDeleteWithoutRecovery`:
  "Secrets Manager performs the actual deletion with an asynchronous background process, so there
  might be a short delay before the secret is permanently deleted. If you delete a secret and then
  immediately create a secret with the same name, use appropriate back off and retry logic"
  (botocore DeleteSecretRequest). Here the secret stays, scheduled for deletion (DescribeSecret
  shows its `DeletedDate`, ListSecrets leaves it out, its name is held as above), for the profile's
  `secretsmanager_secret_delete` seconds, then is gone; moto drops it at once. Forcing the
  deletion of a secret already deleted or unknown succeeds ("the operation does not return
  ResourceNotFoundException", same documentation), as moto has it.
"""

from __future__ import annotations

import json
import re
import threading
import time

from .errors import AwsError
from .hooks import Response, on
from .lifecycle import duration

NAME = re.compile(r"[A-Za-z0-9/_+=.@!-]+")

_lock = threading.Lock()
# (account, region) -> {secret id (name) -> gone at}
_deleting: dict[tuple[str, str], dict[str, float]] = {}


def _backend(ctx):
    from moto.secretsmanager.models import secretsmanager_backends

    return secretsmanager_backends[ctx.account][ctx.region]


def _reap(ctx) -> None:
    """Drops the force-deleted secrets whose background deletion has finished."""
    now = time.time()
    backend = _backend(ctx)
    with _lock:
        deleting = _deleting.get((ctx.account, ctx.region), {})
        for name in [n for n, gone_at in deleting.items() if gone_at <= now]:
            if name in backend.secrets:
                backend.secrets.pop(name)
            del deleting[name]


def _secret(backend, secret_id: str):
    """The secret `secret_id` names (name or ARN), or None."""
    if secret_id in backend.secrets:
        return backend.secrets[secret_id]
    for secret in backend.secrets.values():
        if getattr(secret, "arn", None) == secret_id:
            return secret
    return None


@on("secretsmanager", "*")
def reap(ctx, call_next):
    _reap(ctx)
    return call_next()


@on("secretsmanager", "CreateSecret")
def create_secret(ctx, call_next):
    name = ctx.params().get("Name", "")
    if not NAME.fullmatch(name):
        raise AwsError("ValidationException", "Invalid name. Must be a valid name containing alphanumeric "
                       "characters, or any of the following: -/_+=.@!")
    existing = _secret(_backend(ctx), name)
    if existing is not None and existing.is_deleted():
        raise AwsError("InvalidRequestException", "You can't create this secret because a secret with this "
                       "name is already scheduled for deletion.")
    return call_next()


@on("secretsmanager", "DeleteSecret")
def delete_secret(ctx, call_next):
    p = ctx.params()
    if not p.get("ForceDeleteWithoutRecovery") or p.get("RecoveryWindowInDays") is not None:
        return call_next()
    seconds = duration("secretsmanager_secret_delete")
    backend = _backend(ctx)
    secret = _secret(backend, p.get("SecretId", ""))
    if seconds <= 0 or secret is None or not hasattr(secret, "delete"):
        return call_next()
    now = time.time()
    with _lock:
        if not secret.is_deleted():
            secret.delete(now)
        gone_at = _deleting.setdefault((ctx.account, ctx.region), {}).setdefault(secret.name, now + seconds)
    body = {"ARN": secret.arn, "Name": secret.name, "DeletionDate": gone_at}
    return Response(200, [("Content-Type", "application/x-amz-json-1.1")], json.dumps(body).encode())
