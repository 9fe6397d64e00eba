"""IAM `SimulatePrincipalPolicy` (moto 5.2.5 does not implement it): the identity-based policies
of a user (its inline and attached policies and those of its groups), role or group, evaluated
for each action and resource as IAM's policy evaluation logic does for identity policies:
an explicit `Deny` wins, else an `Allow` allows, else the action is implicitly denied.

Sources: IAM API reference, SimulatePrincipalPolicy (results `allowed`, `explicitDeny`,
`implicitDeny`; `ResourceArns` defaults to `*`; `NoSuchEntity` for an unknown principal;
`InvalidInput` for a malformed ARN); IAM user guide, "Policy evaluation logic" and "IAM JSON
policy elements: Action, NotAction, Resource, NotResource" (wildcards `*` and `?`; action names
are case-insensitive, resource ARNs are not). Botocore `iam` model: `EvaluationResult`.

Not simulated: resource policies, permissions boundaries, session policies and SCPs; a statement
with a `Condition` is not applied (the simulator leaves a condition whose context key is not
supplied unmet, and shinyctl supplies none).
"""

from __future__ import annotations

import json
import re
from urllib.parse import unquote

from .errors import AwsError
from .hooks import on
from .xmlresp import Items, query_response

NAMESPACE = "https://iam.amazonaws.com/doc/2010-05-08/"
_PRINCIPAL = re.compile(r"^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):(user|role|group)/(?:.*/)?([^/]+)$")


def _members(params: dict, name: str) -> list[str]:
    out = []
    i = 1
    while f"{name}.member.{i}" in params:
        out.append(params[f"{name}.member.{i}"])
        i += 1
    return out


def _documents(backend, kind: str, name: str) -> list[dict]:
    """Every identity policy document that applies to the principal."""
    from moto.iam.exceptions import NoSuchEntity, NotFoundException

    try:
        if kind == "user":
            entities = [backend.get_user(name)] + list(backend.get_groups_for_user(name))
        elif kind == "role":
            entities = [backend.get_role(name)]
        else:
            entities = [backend.get_group(name)]
    except (NoSuchEntity, NotFoundException):
        raise AwsError("NoSuchEntity", f"The {kind} with name {name} cannot be found.", 404)
    texts = []
    for entity in entities:
        texts.extend(entity.policies.values())
        for policy in entity.managed_policies.values():
            texts.extend(v.document for v in policy.versions if v.is_default)
    docs = []
    for text in texts:
        doc = json.loads(unquote(text)) if isinstance(text, str) else text
        docs.append(doc)
    return docs


def _listed(value) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _glob(pattern: str, value: str, ignore_case: bool) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.IGNORECASE if ignore_case else 0) is not None


def _applies(statement: dict, action: str, resource: str) -> bool:
    if "Condition" in statement:
        return False
    if "Action" in statement:
        action_ok = any(_glob(p, action, True) for p in _listed(statement["Action"]))
    else:
        action_ok = not any(_glob(p, action, True) for p in _listed(statement.get("NotAction")))
    if "Resource" in statement:
        resource_ok = any(_glob(p, resource, False) for p in _listed(statement["Resource"]))
    else:
        resource_ok = not any(_glob(p, resource, False) for p in _listed(statement.get("NotResource")))
    return action_ok and resource_ok


def decide(documents: list[dict], action: str, resource: str) -> str:
    """`explicitDeny`, `allowed` or `implicitDeny` for one action on one resource."""
    allowed = False
    for doc in documents:
        for statement in _listed_statements(doc):
            if not _applies(statement, action, resource):
                continue
            if statement.get("Effect") == "Deny":
                return "explicitDeny"
            if statement.get("Effect") == "Allow":
                allowed = True
    return "allowed" if allowed else "implicitDeny"


def _listed_statements(doc: dict) -> list[dict]:
    statements = doc.get("Statement", [])
    return [statements] if isinstance(statements, dict) else list(statements)


@on("iam", "SimulatePrincipalPolicy")
def simulate_principal_policy(ctx, _next):
    from moto.iam.models import iam_backends
    from moto.utilities.utils import get_partition

    p = ctx.params()
    source = p.get("PolicySourceArn", "")
    match = _PRINCIPAL.match(source)
    if match is None:
        raise AwsError("InvalidInput", f"Invalid ARN: {source}: the policy source must be an IAM "
                       "user, group or role ARN.", 400)
    _, account, kind, name = match.groups()
    if account != ctx.account:
        raise AwsError("NoSuchEntity", f"The {kind} with name {name} cannot be found.", 404)
    backend = iam_backends[ctx.account][get_partition(ctx.region)]
    documents = _documents(backend, kind, name)
    actions = _members(p, "ActionNames")
    resources = _members(p, "ResourceArns") or ["*"]
    results = [
        {"EvalActionName": action, "EvalResourceName": resource,
         "EvalDecision": decide(documents, action, resource),
         "MatchedStatements": Items("member", []), "MissingContextValues": Items("member", [])}
        for action in actions for resource in resources
    ]
    start = int(p.get("Marker") or 0)
    size = int(p.get("MaxItems") or 1000)
    page = results[start:start + size]
    truncated = start + size < len(results)
    result = {"EvaluationResults": Items("member", page), "IsTruncated": truncated}
    if truncated:
        result["Marker"] = str(start + size)
    return query_response("SimulatePrincipalPolicy", NAMESPACE, result)
