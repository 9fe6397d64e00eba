"""Application Auto Scaling where moto 5.2.5 answers otherwise than AWS (botocore
`application-autoscaling/2016-02-06`):

- **Not found is `ObjectNotFoundException`.** "For any operation that depends on the existence of
  a scalable target, this exception is thrown if the scalable target with the specified service
  namespace, resource ID, and scalable dimension does not exist. For any operation that deletes
  or deregisters a resource, this exception is thrown if the resource cannot be found" (botocore
  ObjectNotFoundException). So `PutScalingPolicy` on a target that is not registered answers
  `ObjectNotFoundException` "No scalable target registered for service namespace: ecs, resource
  ID: …, scalable dimension: …" (AWS's message, as the AWS CLI prints it; moto makes the policy);
  `DeregisterScalableTarget` of a missing target the same (moto: `ValidationException` "No
  scalable target found …"); `DeleteScalingPolicy` of a missing policy `ObjectNotFoundException`
  "No scaling policy found for service namespace: …, resource ID: …, scalable dimension: …,
  policy name: …" (moto: `ValidationException` with that message). The Terraform AWS provider's
  aws_appautoscaling_policy and aws_appautoscaling_target take `ObjectNotFoundException` on delete
  as already gone.
- **Deregistering takes the target's policies.** "Deregistering a scalable target deletes the
  scaling policies and the scheduled actions that are associated with it" (botocore
  DeregisterScalableTarget); moto keeps them (and the alarms of its target-tracking policies).
- **A new target needs its range.** "When you register a new scalable target, you must specify
  values for the minimum and maximum capacity" (botocore RegisterScalableTarget): without them,
  or with a minimum above the maximum, `ValidationException` (the wording is the emulator's); an
  update may give either alone, and is checked against the other as registered.
- **The service-linked role.** Registered without `RoleARN`, a target's `RoleARN` is the
  namespace's service-linked role, for ECS
  `arn:<partition>:iam::<account>:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/
  AWSServiceRoleForApplicationAutoScaling_ECSService` (Application Auto Scaling user guide,
  "Service-linked roles for Application Auto Scaling"); moto answers null.
- **Pages.** `DescribeScalableTargets` pages by `MaxResults` (at most 50) and `NextToken` as AWS
  does; moto's second page answers the same `NextToken` again (a paginator never ends).

moto's own checks stay: an ECS target needs the ECS service (`ValidationException` "ECS service
doesn't exist: service/<cluster>/<service>" — moto's wording), namespaces and dimensions.
"""

from __future__ import annotations

import json

from .errors import AwsError
from .hooks import Response, on

SERVICE = "application-autoscaling"

_LINKED_ROLES = {
    # namespace -> (service principal, role name): "Service-linked roles for Application Auto
    # Scaling" in the Application Auto Scaling user guide.
    "ecs": ("ecs.application-autoscaling.amazonaws.com",
            "AWSServiceRoleForApplicationAutoScaling_ECSService"),
}


def _backend(ctx):
    from moto.applicationautoscaling.models import applicationautoscaling_backends

    return applicationautoscaling_backends[ctx.account][ctx.region]


def _target(backend, resource_id: str, dimension: str):
    return backend.targets.get(dimension, {}).get(resource_id)


def _no_target(namespace: str, resource_id: str, dimension: str) -> AwsError:
    return AwsError("ObjectNotFoundException",
                    f"No scalable target registered for service namespace: {namespace}, "
                    f"resource ID: {resource_id}, scalable dimension: {dimension}")


def _json(data) -> Response:
    return Response(200, [("Content-Type", "application/x-amz-json-1.1")], json.dumps(data).encode())


@on(SERVICE, "RegisterScalableTarget")
def register_scalable_target(ctx, call_next):
    p = ctx.params()
    namespace, resource_id, dimension = p.get("ServiceNamespace"), p.get("ResourceId", ""), p.get("ScalableDimension")
    existing = _target(_backend(ctx), resource_id, dimension)
    low, high = p.get("MinCapacity"), p.get("MaxCapacity")
    if existing is None and (low is None or high is None):
        raise AwsError("ValidationException",
                       "MinCapacity and MaxCapacity are required to register a new scalable target")
    if existing is not None:
        low = existing.min_capacity if low is None else low
        high = existing.max_capacity if high is None else high
    if low is not None and high is not None and low > high:
        raise AwsError("ValidationException", "Minimum capacity cannot be greater than maximum capacity")
    answer = call_next()
    target = _target(_backend(ctx), resource_id, dimension)
    if target is not None and not target.role_arn and namespace in _LINKED_ROLES:
        from moto.utilities.utils import get_partition

        principal, role = _LINKED_ROLES[namespace]
        target.role_arn = (f"arn:{get_partition(ctx.region)}:iam::{ctx.account}:role/aws-service-role/"
                           f"{principal}/{role}")
    return answer


@on(SERVICE, "DeregisterScalableTarget")
def deregister_scalable_target(ctx, call_next):
    p = ctx.params()
    namespace, resource_id, dimension = p.get("ServiceNamespace"), p.get("ResourceId", ""), p.get("ScalableDimension")
    backend = _backend(ctx)
    if _target(backend, resource_id, dimension) is None:
        raise _no_target(namespace, resource_id, dimension)
    answer = call_next()
    for key, policy in list(backend.policies.items()):
        if (policy.service_namespace, policy.resource_id, policy.scalable_dimension) == (namespace, resource_id, dimension):
            policy.delete_alarms(ctx.account, ctx.region)
            del backend.policies[key]
    backend.scheduled_actions = [
        a for a in backend.scheduled_actions
        if (a.service_namespace, a.resource_id, a.scalable_dimension) != (namespace, resource_id, dimension)
    ]
    return answer


@on(SERVICE, "PutScalingPolicy")
def put_scaling_policy(ctx, call_next):
    p = ctx.params()
    namespace, resource_id, dimension = p.get("ServiceNamespace"), p.get("ResourceId", ""), p.get("ScalableDimension")
    if _target(_backend(ctx), resource_id, dimension) is None:
        raise _no_target(namespace, resource_id, dimension)
    return call_next()


@on(SERVICE, "DeleteScalingPolicy")
def delete_scaling_policy(ctx, call_next):
    from moto.applicationautoscaling.models import FakeApplicationAutoscalingPolicy

    p = ctx.params()
    namespace, resource_id, dimension = p.get("ServiceNamespace"), p.get("ResourceId", ""), p.get("ScalableDimension")
    name = p.get("PolicyName", "")
    key = FakeApplicationAutoscalingPolicy.formulate_key(namespace, resource_id, dimension, name)
    if key not in _backend(ctx).policies:
        raise AwsError("ObjectNotFoundException",
                       f"No scaling policy found for service namespace: {namespace}, resource ID: "
                       f"{resource_id}, scalable dimension: {dimension}, policy name: {name}")
    return call_next()


@on(SERVICE, "DescribeScalableTargets")
def describe_scalable_targets(ctx, call_next):
    from moto.applicationautoscaling.responses import _build_target

    p = ctx.params()
    limit = p.get("MaxResults") or 50
    if not 1 <= limit <= 50:
        raise AwsError("ValidationException", "MaxResults must be between 1 and 50")
    targets = _backend(ctx).describe_scalable_targets(
        p.get("ServiceNamespace"), p.get("ResourceIds"), p.get("ScalableDimension"))
    try:
        start = int(p.get("NextToken") or 0)
    except ValueError:
        raise AwsError("ValidationException", "Invalid NextToken") from None
    page = targets[start:start + limit]
    body = {"ScalableTargets": [_build_target(t) for t in page]}
    if start + limit < len(targets):
        body["NextToken"] = str(start + limit)
    return _json(body)
