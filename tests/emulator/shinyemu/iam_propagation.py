"""IAM propagation: a role or instance profile created or changed moments ago cannot be used yet.

IAM is eventually consistent ("changes ... can take time to become visible": IAM user guide,
https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency);
peers retry the services' refusals for up to 2 minutes (Terraform AWS provider,
internal/service/eks: `propagationTimeout`). For the profile's `iam_propagation` seconds after a
successful CreateRole, UpdateAssumeRolePolicy, PutRolePolicy or AttachRolePolicy (on that role),
or CreateInstanceProfile or AddRoleToInstanceProfile (on that instance profile):

- EKS CreateCluster (roleArn), CreateNodegroup (nodeRole), CreateAddon (serviceAccountRoleArn):
  400 `InvalidParameterException` "Role with arn: <arn> could not be assumed because it does not
  exist or the trusted entity is not correct" (the text Terraform's cluster create retries on
  "does not exist"; quoted by crossplane's EKS controller and others);
- EKS CreateFargateProfile (podExecutionRoleArn): 400 `InvalidParameterException` "Misconfigured
  PodExecutionRole Trust Policy; Please add the eks-fargate-pods.amazonaws.com Service Principal"
  (Terraform internal/service/eks/fargate_profile.go retries exactly this);
- Lambda CreateFunction (Role): 400 `InvalidParameterValueException` "The role defined for the
  function cannot be assumed by Lambda." (Terraform internal/service/lambda retries it);
- EC2 RunInstances (IamInstanceProfile.Name / .Arn, or the launch template's): 400
  `InvalidParameterValue` "Value (<name>) for parameter iamInstanceProfile.name is invalid. Invalid
  IAM Instance Profile name" (".arn", "... ARN" for an ARN);
- Synthetics CreateCanary (ExecutionRoleArn) succeeds, but the canary goes CREATING -> ERROR with
  StateReasonCode CREATE_FAILED and the Lambda refusal as StateReason; it can be deleted and
  created again.

The default profile has AWS's order of magnitude (about 10 s) divided by 60; zero.json and the
test profile have 0, so a test opts in per account (`PUT /_emulator/profile?account=A`).
"""

from __future__ import annotations

import threading
import time

from .errors import AwsError
from .hooks import on

_lock = threading.Lock()
# (account, "role" | "instance-profile", name) -> time of the last change
_changed: dict[tuple[str, str, str], float] = {}

_ROLE_CHANGES = ("CreateRole", "UpdateAssumeRolePolicy", "PutRolePolicy", "AttachRolePolicy")
_PROFILE_CHANGES = ("CreateInstanceProfile", "AddRoleToInstanceProfile")


def _note(account: str, kind: str, name: str | None) -> None:
    if name:
        with _lock:
            _changed[(account, kind, name)] = time.time()


@on("iam", *_ROLE_CHANGES)
def note_role_change(ctx, call_next):
    resp = call_next()
    if resp.status < 300:
        _note(ctx.account, "role", ctx.params().get("RoleName"))
    return resp


@on("iam", *_PROFILE_CHANGES)
def note_profile_change(ctx, call_next):
    resp = call_next()
    if resp.status < 300:
        _note(ctx.account, "instance-profile", ctx.params().get("InstanceProfileName"))
    return resp


def propagating(ctx, kind: str, name_or_arn: str | None) -> bool:
    """True while the role/instance profile (a name or an ARN ending in /name) is not yet usable."""
    if not name_or_arn:
        return False
    window = ctx.state.duration("iam_propagation", ctx.account)
    if window <= 0:
        return False
    name = name_or_arn.rsplit("/", 1)[-1]
    with _lock:
        changed = _changed.get((ctx.account, kind, name))
    return changed is not None and time.time() - changed < window


def _role_not_assumable(arn: str, extra: dict) -> AwsError:
    return AwsError("InvalidParameterException",
                    f"Role with arn: {arn} could not be assumed because it does not exist or the trusted "
                    "entity is not correct", 400, extra=extra)


@on("eks", "CreateCluster")
def eks_cluster_role(ctx, call_next):
    p = ctx.params()
    if propagating(ctx, "role", p.get("roleArn")):
        raise _role_not_assumable(p["roleArn"], {"clusterName": p.get("name", "")})
    return call_next()


@on("eks", "CreateNodegroup")
def eks_nodegroup_role(ctx, call_next):
    p = ctx.params()
    if propagating(ctx, "role", p.get("nodeRole")):
        raise _role_not_assumable(p["nodeRole"], {"clusterName": p.get("clusterName", ""),
                                                  "nodegroupName": p.get("nodegroupName", "")})
    return call_next()


@on("eks", "CreateAddon")
def eks_addon_role(ctx, call_next):
    p = ctx.params()
    if propagating(ctx, "role", p.get("serviceAccountRoleArn")):
        raise _role_not_assumable(p["serviceAccountRoleArn"], {"clusterName": p.get("clusterName", ""),
                                                               "addonName": p.get("addonName", "")})
    return call_next()


@on("eks", "CreateFargateProfile")
def eks_fargate_role(ctx, call_next):
    p = ctx.params()
    if propagating(ctx, "role", p.get("podExecutionRoleArn")):
        raise AwsError("InvalidParameterException",
                       "Misconfigured PodExecutionRole Trust Policy; Please add the "
                       "eks-fargate-pods.amazonaws.com Service Principal", 400,
                       extra={"clusterName": p.get("clusterName", ""),
                              "fargateProfileName": p.get("fargateProfileName", "")})
    return call_next()


LAMBDA_REFUSAL = "The role defined for the function cannot be assumed by Lambda."


@on("lambda", "CreateFunction")
def lambda_role(ctx, call_next):
    if propagating(ctx, "role", ctx.params().get("Role")):
        raise AwsError("InvalidParameterValueException", LAMBDA_REFUSAL, 400)
    return call_next()


@on("ec2", "RunInstances")
def instance_profile(ctx, call_next):
    p = ctx.params()
    template = _template_profile(ctx, p)
    for member, what in (("Name", "name"), ("Arn", "ARN")):
        value = p.get(f"IamInstanceProfile.{member}") or template.get(member)
        if propagating(ctx, "instance-profile", value):
            raise AwsError("InvalidParameterValue",
                           f"Value ({value}) for parameter iamInstanceProfile.{member.lower()} is invalid. "
                           f"Invalid IAM Instance Profile {what}", 400)
    return call_next()


def _template_profile(ctx, p: dict) -> dict:
    """The instance profile of the launch template version RunInstances launches from ({} when none):
    EC2 uses it at launch as if the request named it (the template itself is not validated when it
    is made: EC2 User Guide, "Restrictions for Amazon EC2 launch templates")."""
    from moto.ec2.models import ec2_backends

    ident, name = p.get("LaunchTemplate.LaunchTemplateId"), p.get("LaunchTemplate.LaunchTemplateName")
    if not ident and not name:
        return {}
    backend = ec2_backends[ctx.account][ctx.region]
    try:
        template = backend.get_launch_template(ident) if ident else backend.get_launch_template_by_name(name)
        version = template.get_version(p.get("LaunchTemplate.Version") or "$Default")
    except Exception:  # moto answers the unknown template or version itself
        return {}
    profile = version.data.get("IamInstanceProfile") or {}
    return profile if isinstance(profile, dict) else {}


@on("synthetics", "CreateCanary")
def canary_role(ctx, call_next):
    p = ctx.params()
    failing = propagating(ctx, "role", p.get("ExecutionRoleArn"))
    resp = call_next()
    if failing and resp.status < 300:
        from . import synthetics
        from .lifecycle import Phase, duration

        with synthetics._lock:
            canary = synthetics._store(ctx).get(p.get("Name"))
            if canary is not None:
                canary.failure = (f"{LAMBDA_REFUSAL} (Service: Lambda, Status Code: 400, "
                                  "Error Code: InvalidParameterValueException)", "CREATE_FAILED")
                canary.phase = Phase(canary.phase.start, [("CREATING", duration("canary_create"))], "ERROR")
    return resp
