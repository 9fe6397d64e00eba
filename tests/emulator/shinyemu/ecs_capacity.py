"""What an ECS capacity provider does to its Auto Scaling group beyond scaling it out
(`ecs_placement.py`), where moto 5.2.5 does nothing:

- **Managed termination protection** ("Control the instances Amazon ECS terminates", ECS
  developer guide): "Amazon ECS only terminates EC2 instances that don't have any running
  Amazon ECS tasks ... Amazon ECS first turns on the instance scale-in protection option for the
  EC2 instances in the Auto Scaling group. Then, Amazon ECS places the tasks on the instances.
  When all non-daemon tasks are stopped on an instance, Amazon ECS initiates the scale-in
  process and turns off scale-in protection for the EC2 instance." It needs managed scaling
  ("When using managed termination protection, managed scaling must also be used otherwise
  managed termination protection doesn't work", botocore `ecs` AutoScalingGroupProvider). Here,
  with both on, every instance of the group that is in service is protected from scale-in
  (`ProtectedFromScaleIn`), except those the scale-in below takes, whose protection ECS turns
  off just before it lowers the desired capacity.
- **Managed scaling's scale-in** ("Automatically manage Amazon ECS capacity with cluster auto
  scaling": ECS "manages the scale-in and scale-out actions" through a target tracking policy
  on CapacityProviderReservation = M / N × 100 at `targetCapacity`). When the group's desired
  capacity is above what M instances need at the target — ceil(M × 100 / targetCapacity), never
  below the group's MinSize; M the instances running a task plus those the waiting tasks need —
  and stays so for `ecs_managed_scale_in` seconds (the target tracking policy's low alarm), ECS
  lowers the desired capacity: with managed termination protection only by the instances with
  no task (they are the ones unprotected), else to the target (the group chooses). The step
  sizes do not apply ("The scale in process is not affected by this parameter", botocore `ecs`
  ManagedScaling minimumScalingStepSize/maximumScalingStepSize). Managed scaling acts for a
  provider associated with a cluster only ("For each Auto Scaling group capacity provider
  that's associated with a cluster, Amazon ECS creates and manages ... a target tracking
  scaling policy").
- **Managed instance draining** ("Safely stop Amazon ECS workloads running on EC2 instances",
  "Configuring Amazon ECS capacity providers to safely shut down instances"): "on by default
  when you create a capacity provider" (moto: absent), UpdateCapacityProvider changes it (moto
  dropped it). With it on and the provider in a cluster, ECS puts a terminating lifecycle hook
  on the group, `ecs-managed-draining-termination-hook` (the cluster's `managed_draining`
  attachment names it as `autoScalingLifecycleHookName`), heartbeat timeout 3600 s, default
  result CONTINUE (as seen on AWS; the hook stays on the group when the provider goes, which is
  why a group's delete must not wait on its instances). An instance the group takes out of
  service (scale-in, instance refresh) then waits in `Terminating:Wait` (`autoscaling_hooks.py`)
  while its container instance is DRAINING: no task is placed on it, its service tasks are
  replaced on other instances and stopped as the service's `minimumHealthyPercent` allows
  ("Draining Amazon ECS container instances"), and once none is left ECS completes the
  lifecycle action (CONTINUE) and the group terminates the instance. Without the hook (draining
  off) the instance goes at once and its tasks stop with it.

Not emulated: instance warm-up (`instanceWarmupPeriod`), daemon services, the CloudWatch metrics
and the target tracking policy ECS makes on the group (no `ECSManagedAutoScalingPolicy-…`
policy is listed), the cluster's `managed_draining` attachment.
"""

from __future__ import annotations

import json
import time

from .hooks import on
from .lifecycle import duration

HOOK = "ecs-managed-draining-termination-hook"
HOOK_HEARTBEAT = 3600
TERMINATING = "autoscaling:EC2_INSTANCE_TERMINATING"


def _ecs(ctx):
    from moto.ecs.models import ecs_backends

    return ecs_backends[ctx.account][ctx.region]


def _asg(ctx):
    from moto.autoscaling.models import autoscaling_backends

    return autoscaling_backends[ctx.account][ctx.region]


def _settings(provider) -> dict:
    return provider.auto_scaling_group_provider or {}


def _enabled(provider, key: str) -> bool:
    return _settings(provider).get(key) == "ENABLED"


def _scaling(provider) -> bool:
    return ((_settings(provider).get("managedScaling") or {}).get("status")) == "ENABLED"


def _associated(ctx, provider) -> bool:
    return any(c.status == "ACTIVE" and provider.name in (c.capacity_providers or [])
               for c in _ecs(ctx).clusters.values())


def _group(ctx, provider):
    from .ecs_placement import _group_name

    group = _asg(ctx).autoscaling_groups.get(_group_name(provider))
    if group is None or group.__dict__.get("_emu_gone_at") is not None:
        return None
    return group


def _provider_of(ctx, group_name: str):
    from .ecs_placement import _group_name

    return next((p for p in _ecs(ctx).capacity_providers.values() if _group_name(p) == group_name), None)


# --- scale-in --------------------------------------------------------------------------------

def not_low(provider) -> None:
    """The reservation is at or above the target: the low alarm's clock starts again."""
    provider.__dict__.pop("_emu_low_since", None)


def scale_in(ctx, provider, group, wanted: int, busy: set[str]) -> None:
    """Lowers the group's desired capacity towards `wanted` once it has been above it for
    `ecs_managed_scale_in` seconds; `busy` are the container instances running a task."""
    if not _associated(ctx, provider):
        return
    now = time.time()
    since = provider.__dict__.setdefault("_emu_low_since", now)
    if now - since < duration("ecs_managed_scale_in"):
        return
    from .ecs_placement import registered

    current = int(group.desired_capacity or 0)
    excess = current - wanted
    if _enabled(provider, "managedTerminationProtection"):
        by_ec2 = {ci.ec2_instance_id: ci_id for ci_id, (_, ci) in registered(ctx).items()}
        empty = [s for s in group.instance_states
                 if s.lifecycle_state == "InService" and by_ec2.get(s.instance.id) is not None
                 and by_ec2[s.instance.id] not in busy]
        chosen = empty[:excess]
        if not chosen:
            return
        for state in group.instance_states:
            state.protected_from_scale_in = state not in chosen and not _leaving(state)
        group.set_desired_capacity(current - len(chosen))
    else:
        group.set_desired_capacity(wanted)
    not_low(provider)


def _leaving(state) -> bool:
    from .autoscaling_hooks import is_leaving

    return is_leaving(state)


# --- termination protection and draining ------------------------------------------------------

def _ensure_hook(ctx, group) -> None:
    backend = _asg(ctx)
    if f"{group.name}_{HOOK}" in backend.lifecycle_hooks:
        return
    backend.create_lifecycle_hook(HOOK, group.name, TERMINATING, HOOK_HEARTBEAT, "CONTINUE")


def mark_draining(ctx) -> None:
    """A container instance whose EC2 instance is leaving its group through a terminating hook is
    DRAINING (with managed draining on); its tasks are to be replaced."""
    from .ecs_placement import _tasks, registered

    groups = _asg(ctx).autoscaling_groups
    for ci_id, (_, ci) in registered(ctx).items():
        group = groups.get(ci.__dict__.get("_emu_group") or "")
        if group is None:
            continue
        provider = _provider_of(ctx, group.name)
        state = next((s for s in group.instance_states if s.instance.id == ci.ec2_instance_id), None)
        if state is None or provider is None or not _enabled(provider, "managedDraining") or not _leaving(state):
            continue
        ci.status = "DRAINING"
        for task in _tasks.get((ctx.account, ctx.region), []):
            if task["instance"] == ci_id and task["desired"] == "RUNNING":
                task["draining"] = True


def manage(ctx) -> None:
    """Termination protection and the draining hook for every provider; the lifecycle action of
    a DRAINING instance with no task left completed."""
    from . import autoscaling_hooks
    from .ecs_placement import _tasks, registered

    for provider in list(_ecs(ctx).capacity_providers.values()):
        group = _group(ctx, provider)
        if group is None or not _associated(ctx, provider):
            continue
        if _enabled(provider, "managedDraining"):
            _ensure_hook(ctx, group)
        if _enabled(provider, "managedTerminationProtection") and _scaling(provider):
            for state in group.instance_states:
                if state.lifecycle_state == "InService" and not state.protected_from_scale_in:
                    state.protected_from_scale_in = True
    tasks = _tasks.get((ctx.account, ctx.region), [])
    groups = _asg(ctx).autoscaling_groups
    for ci_id, (_, ci) in registered(ctx).items():
        if ci.status != "DRAINING" or any(t["instance"] == ci_id for t in tasks):
            continue
        group = groups.get(ci.__dict__.get("_emu_group") or "")
        if group is None:
            continue
        with autoscaling_hooks._lock:
            action = autoscaling_hooks._actions.get((group.account_id, group.region), {}).get(ci.ec2_instance_id)
            if action is None or action["phase"] != "wait" or HOOK not in action["hooks"]:
                continue
            if action["hooks"][HOOK]["result"] is None:
                action["hooks"][HOOK]["result"] = "CONTINUE"
                autoscaling_hooks.advance(group)


# --- the provider's settings -----------------------------------------------------------------

@on("ecs", "CreateCapacityProvider")
def draining_on_by_default(ctx, call_next):
    """"Managed instance draining is on by default when you create a capacity provider"; moto
    leaves `managedDraining` out."""
    resp = call_next()
    if resp.status == 200:
        name = ctx.params().get("name", "")
        provider = _ecs(ctx).capacity_providers.get(name)
        if provider is not None:
            provider.auto_scaling_group_provider.setdefault("managedDraining", "ENABLED")
    return resp


@on("ecs", "UpdateCapacityProvider")
def draining_updated(ctx, call_next):
    """UpdateCapacityProvider's `managedDraining` (AutoScalingGroupProviderUpdate), which moto
    ignores."""
    resp = call_next()
    wanted = (ctx.params().get("autoScalingGroupProvider") or {}).get("managedDraining")
    if resp.status == 200 and wanted:
        provider = _ecs(ctx).capacity_providers.get(ctx.params().get("name", "").split("/")[-1])
        if provider is not None:
            provider.auto_scaling_group_provider["managedDraining"] = wanted
            from .ecs_ext import _json_body

            data = _json_body(resp)
            if "capacityProvider" in data:
                data["capacityProvider"].setdefault("autoScalingGroupProvider", {})["managedDraining"] = wanted
                resp.body = json.dumps(data).encode()
    return resp


@on("autoscaling", "*")
def ecs_acts_on_its_own(ctx, call_next):
    """ECS manages the group whoever asks next: a read of the group sees the protection, the
    hook, the desired capacity and the draining ECS has set by then (states are computed
    lazily, from the ECS side's clock)."""
    from . import ecs_ext

    if _ecs(ctx).capacity_providers:
        ecs_ext._advance(ctx)
    resp = call_next()
    if (resp.status == 200 and _ecs(ctx).capacity_providers
            and not ctx.info.operation.startswith(("Describe", "List", "Get"))):
        # And acts as the change returns (`ecs_ext._schedule`): an instance a scale-in takes out
        # of service is DRAINING and its tasks start elsewhere now, not at the next call.
        ecs_ext._schedule(ctx)
    return resp


@on("ecs", "PutClusterCapacityProviders")
def refuse_removing_a_provider_in_use(ctx, call_next):
    """"You can only disassociate an existing capacity provider from a cluster if it's not being
    used by any existing tasks" (botocore `ecs` PutClusterCapacityProviders; the error is
    ResourceInUseException): a task still on its instances (stopping ones too) keeps its
    provider in the cluster's list. moto takes it away."""
    from .ecs_placement import _tasks
    from .errors import AwsError

    p = ctx.params()
    name = (p.get("cluster") or "default").split("/")[-1]
    cluster = _ecs(ctx).clusters.get(name)
    if cluster is not None:
        kept = {ref.split("/")[-1] for ref in p.get("capacityProviders") or []}
        removed = set(cluster.capacity_providers or []) - kept
        for task in _tasks.get((ctx.account, ctx.region), []):
            if task["cluster"] == name and task.get("provider") in removed:
                raise AwsError("ResourceInUseException",
                               "The specified capacity provider is in use and cannot be removed.")
    return call_next()
