"""EC2 Auto Scaling groups as AWS runs them, where moto 5.2.5 falls short:

- **Instance lifecycle with time.** moto lists a group's instances `InService` the moment it
  launches them. On AWS an instance is `Pending` until EC2 runs it (then `InService`; EC2 Auto
  Scaling user guide, "Amazon EC2 Auto Scaling instance lifecycle"). Here an instance is
  `Pending` while its EC2 instance is `pending` (`ec2_instances.py`, profile key
  `ec2_instance_create`); it counts toward the desired capacity all the same, as on AWS.
- **The version each instance was launched from.** moto answers every instance with the
  template's current default version; AWS answers the version it was launched with
  (DescribeAutoScalingGroups `Instances[].LaunchTemplate`), which is how an instance refresh
  knows what to replace.
- **Scale-in deregisters.** moto registers a group's instances in its target groups but never
  deregisters the ones it terminates; AWS deregisters an instance before it terminates it
  ("Elastic Load Balancing and Amazon EC2 Auto Scaling": instances are deregistered on scale-in).
  With a terminating lifecycle hook the instance then waits (`Terminating`, `Terminating:Wait`,
  `Terminating:Proceed`) before it goes: `autoscaling_hooks.py`.
- **HealthCheckGracePeriod** defaults to 0 and keeps a 0 it is given (botocore
  CreateAutoScalingGroup: "Default: 0 seconds"); moto makes either 300.
- **Deleting.** DeleteAutoScalingGroup of a group with instances is refused without
  `ForceDelete` (`ResourceInUse`, botocore DeleteAutoScalingGroup: "If the group has instances
  ... you must specify the option to force the deletion"); moto deletes it. With `ForceDelete`
  the instances are terminated and the group stays listed with `Status` `Delete in progress`
  until they are gone (profile key `ec2_instance_delete`), then is gone; moto drops it at once.
- **Instance refresh**, which moto lacks: StartInstanceRefresh, DescribeInstanceRefreshes,
  CancelInstanceRefresh. A refresh is `Pending` for `autoscaling_refresh_start` seconds, then
  `InProgress`: it replaces the instances it is to replace (every instance the group has when it
  starts; with `SkipMatching` only those not launched from the desired configuration's template
  and version, botocore RefreshPreferences SkipMatching) in batches that keep
  `MinHealthyPercentage` of the desired capacity in service (default 90) and, with
  `MaxHealthyPercentage` above 100, launch the replacements before terminating the instances
  they replace, no more than that percentage at once (botocore RefreshPreferences; "Instance
  maintenance policies" in the user guide); at least one instance per batch. A batch ends when
  its new instances are `InService` and the instances it replaces are gone (with a terminating
  lifecycle hook, once their actions are done: CancelInstanceRefresh's WaitForTransitioningInstances
  speaks of "in-flight launches and terminations"); then the next. When none is left it is
  `Successful` (100 %)
  and the group keeps the desired configuration ("the group's settings are updated to the
  desired configuration", StartInstanceRefresh documentation). Starting one while another is
  `Pending`, `InProgress` or `Cancelling` answers `InstanceRefreshInProgress`; cancelling when
  none is answers `ActiveInstanceRefreshNotFound`; a cancelled refresh is `Cancelling` until its
  batch ends, then `Cancelled`. Progress is computed when the group or its refreshes are read.

Also: a launch from a launch template version made by CreateLaunchTemplateVersion with
`UserData` (moto asserted on it).

Not emulated: health checks (every instance is `Healthy`), scaling activities' failures, warm
pools, checkpoints, rollbacks, alarms, and zone balancing (moto launches into the first subnet).
"""

from __future__ import annotations

import math
import threading
import time
import uuid

from .errors import AwsError
from .hooks import on
from .lifecycle import duration
from .xmlresp import Items, query_response

NAMESPACE = "http://autoscaling.amazonaws.com/doc/2011-01-01/"
ACTIVE = ("Pending", "InProgress", "Cancelling")

_lock = threading.RLock()
# (account, region) -> {group name -> [refresh, newest last]}
_refreshes: dict[tuple[str, str], dict[str, list[dict]]] = {}


def _backend(ctx):
    from moto.autoscaling.models import autoscaling_backends

    return autoscaling_backends[ctx.account][ctx.region]


def _raw_lifecycle(state) -> str:
    return state.__dict__.get("_emu_lifecycle", "InService")


def _ec2_state(state) -> str:
    return state.instance._state.name


def _version_now(group) -> str | None:
    template = group.ec2_launch_template
    if template is None:
        return None
    version = getattr(group, "launch_template_version", "$Default")
    if version == "$Default":
        return str(template.default_version_number)
    if version == "$Latest":
        return str(template.latest_version_number)
    return str(version)


def install() -> None:
    from moto.autoscaling.models import AutoScalingBackend, FakeAutoScalingGroup, InstanceState

    if getattr(InstanceState, "_emu_installed", False):
        return
    InstanceState._emu_installed = True

    def get_lifecycle(self):
        raw = _raw_lifecycle(self)
        if raw == "InService" and _ec2_state(self) == "pending":
            return "Pending"
        return raw

    def set_lifecycle(self, value):
        self.__dict__["_emu_lifecycle"] = value

    InstanceState.lifecycle_state = property(get_lifecycle, set_lifecycle)

    # A version made by CreateLaunchTemplateVersion keeps its UserData as plain text, and moto's
    # launch from it asserted it was wrapped (the group's launch then failed with HTTP 500): wrap it.
    from moto.core.types import Base64EncodedString
    from moto.ec2.models.launch_templates import LaunchTemplateVersion

    def user_data(self):
        data = self.data.get("UserData")
        if isinstance(data, str):
            data = Base64EncodedString(data)
        return data

    LaunchTemplateVersion.user_data = property(user_data)

    def get_template(self):
        group = self.auto_scaling_group
        if group is None or group.ec2_launch_template is None:
            return None
        template = self.__dict__.get("_emu_template") or group.ec2_launch_template
        return {"LaunchTemplateId": template.id, "LaunchTemplateName": template.name,
                "Version": self.__dict__.get("_emu_version") or _version_now(group)}

    InstanceState.launch_template = property(get_template)

    # A pending instance counts toward the desired capacity (moto counted only InService ones,
    # so a pending one would be launched again).
    def active_instances(self):
        return [s for s in self.instance_states if _raw_lifecycle(s) == "InService"]

    FakeAutoScalingGroup.active_instances = active_instances

    replace = FakeAutoScalingGroup.replace_autoscaling_group_instances

    def replace_and_record(self, count_needed, propagated_tags):
        before = set(map(id, self.instance_states))
        replace(self, count_needed, propagated_tags)
        for state in self.instance_states:
            if id(state) not in before:
                state.__dict__["_emu_template"] = self.ec2_launch_template
                state.__dict__["_emu_version"] = _version_now(self)

    FakeAutoScalingGroup.replace_autoscaling_group_instances = replace_and_record

    set_desired = FakeAutoScalingGroup.set_desired_capacity

    def set_desired_and_deregister(self, new_capacity):
        from . import autoscaling_hooks as hooks

        # Instances leaving through a lifecycle hook are neither counted nor chosen again (moto
        # would pick its instances to terminate among every state the group has).
        leaving = [s for s in self.instance_states if hooks.is_leaving(s)]
        self.instance_states = [s for s in self.instance_states if not hooks.is_leaving(s)]
        try:
            if new_capacity is not None:
                excess = len(self.active_instances()) - new_capacity
                # moto's choice: the first unprotected instances.
                chosen = [s for s in self.instance_states if not s.protected_from_scale_in][:max(excess, 0)]
                taken = hooks.leave(self, chosen)
                if taken:
                    self.instance_states = [s for s in self.instance_states if s not in taken]
                    leaving += taken
            before = {s.instance.id for s in self.instance_states}
            set_desired(self, new_capacity)
            gone = before - {s.instance.id for s in self.instance_states}
            _deregister(self, gone)
        finally:
            self.instance_states = self.instance_states + leaving

    FakeAutoScalingGroup.set_desired_capacity = set_desired_and_deregister

    # AWS registers an instance in the group's target groups as it comes into service
    # ("Pending:Wait"/"Pending:Proceed" then registration, "Amazon EC2 Auto Scaling instance
    # lifecycle"); RegisterTargets refuses an instance that is not running yet
    # (`elbv2_targets.py`), so only running ones are registered, the rest when they run.
    def update_attached_target_groups(self, group_name):
        from .autoscaling_hooks import is_leaving

        group = self.autoscaling_groups[group_name]
        now = time.time()
        running = {s.instance.id: _running_since(s, now) for s in group.instance_states
                   if _ec2_state(s) == "running" and not is_leaving(s)}
        for arn in group.target_group_arns:
            _register(group, arn, running)

    AutoScalingBackend.update_attached_target_groups = update_attached_target_groups

    def detach_load_balancer_target_groups(self, group_name, target_group_arns):
        group = self.autoscaling_groups[group_name]
        group.target_group_arns = [a for a in group.target_group_arns if a not in target_group_arns]
        _deregister(group, {s.instance.id for s in group.instance_states}, target_group_arns)

    AutoScalingBackend.detach_load_balancer_target_groups = detach_load_balancer_target_groups

    # Reads and changes of a group see its refresh's progress and its deletion first.
    for name in ("describe_auto_scaling_groups", "describe_auto_scaling_instances"):
        original = getattr(AutoScalingBackend, name)

        def advanced(self, *args, _original=original, **kwargs):
            _advance_backend(self)
            return _original(self, *args, **kwargs)

        setattr(AutoScalingBackend, name, advanced)


def _target_key(group, arn: str) -> tuple:
    return (group.account_id, group.region, arn)


def _running_since(state, now: float) -> float:
    """When a group's running instance started running: the end of the `pending` phase
    `ec2_instances.py` gave it (no later than `now`); `now` for one without it."""
    from .lifecycle import phase_of

    phase = phase_of(state.instance._state)
    if phase is None or not phase.steps or phase.steps[0][0] != "pending":
        return now
    return min(now, phase.start + sum(seconds for _, seconds in phase.steps))


def _register(group, arn: str, instances: dict) -> None:
    """Registers instances (id -> when it came into service) as RegisterTargets does, in
    `elbv2_targets.py`'s bookkeeping (which DescribeTargetHealth answers from) and moto's; an
    instance already registered stays as it is. Auto Scaling registers an instance as it comes
    into service, whoever asks next: its health checks count from then, not from the call that
    happens to see it (states here are computed lazily, on the group's next call)."""
    from . import elbv2_targets as targets

    tg = group.autoscaling_backend.elbv2_backend.target_groups.get(arn)
    if tg is None or not instances:
        return
    checks = float(tg.health_check_interval_seconds) * float(tg.healthy_threshold_count)
    with targets._lock:
        registered = targets._registered.setdefault(_target_key(group, arn), {})
        new = [i for i in instances if (i, int(tg.port)) not in registered]
        for i in new:
            targets._draining.get(_target_key(group, arn), {}).pop((i, int(tg.port)), None)
            registered[(i, int(tg.port))] = instances[i] + checks * duration("target_health_scale")
    if new:
        tg.register([{"Id": i, "Port": tg.port} for i in new])


def _deregister(group, instance_ids, arns=None) -> None:
    """Deregisters instances (they drain for the group's deregistration delay, as
    DeregisterTargets has them in `elbv2_targets.py`)."""
    from . import elbv2_targets as targets

    if not instance_ids:
        return
    for arn in group.target_group_arns if arns is None else arns:
        tg = group.autoscaling_backend.elbv2_backend.target_groups.get(arn)
        if tg is None:  # a target group deleted before the group: nothing to deregister
            continue
        delay = float(tg.attributes.get("deregistration_delay.timeout_seconds", 300))
        now = time.time()
        with targets._lock:
            registered = targets._registered.get(_target_key(group, arn), {})
            gone = [t for t in registered if t[0] in instance_ids]
            for t in gone:
                del registered[t]
                targets._draining.setdefault(_target_key(group, arn), {})[t] = \
                    now + delay * duration("target_health_scale")
        for ident in {t[0] for t in gone}:
            tg.targets.pop(ident, None)


def _terminate(group, states, force: bool = False) -> None:
    """Takes `states` out of the group: through its terminating lifecycle hooks when it has any
    (`autoscaling_hooks.leave`: they stay until their actions are done), else at once; `force`
    (DeleteAutoScalingGroup's ForceDelete) at once whatever the hooks."""
    if not force:
        from . import autoscaling_hooks

        taken = autoscaling_hooks.leave(group, states)
        states = [s for s in states if s not in taken]
    ids = [s.instance.id for s in states]
    if not ids:
        return
    _deregister(group, set(ids))
    group.instance_states = [s for s in group.instance_states if s.instance.id not in ids]
    group.autoscaling_backend.ec2_backend.terminate_instances(ids)


def _leaving(state) -> bool:
    from .autoscaling_hooks import is_leaving

    return is_leaving(state)


def _matches(state, template_id: str | None, version: str | None) -> bool:
    launched = state.launch_template or {}
    return launched.get("LaunchTemplateId") == template_id and str(launched.get("Version")) == version


# --- deleting -----------------------------------------------------------------------------

_deleting_attr = "_emu_gone_at"


def _advance_backend(backend) -> None:
    from . import autoscaling_hooks

    now = time.time()
    with _lock:
        for name, group in list(backend.autoscaling_groups.items()):
            gone_at = group.__dict__.get(_deleting_attr)
            if gone_at is not None and now >= gone_at:
                backend.autoscaling_groups.pop(name, None)
                _refreshes.get((backend.account_id, backend.region_name), {}).pop(name, None)
                continue
            autoscaling_hooks.advance(group, now)
            for refresh in _refreshes.get((backend.account_id, backend.region_name), {}).get(name, []):
                _advance(group, refresh, now)
            if group.target_group_arns and gone_at is None:
                backend.update_attached_target_groups(name)


@on("autoscaling", "DeleteAutoScalingGroup")
def delete_group(ctx, _next):
    p = _params(ctx)
    name = p.get("AutoScalingGroupName", "")
    backend = _backend(ctx)
    _advance_backend(backend)
    group = backend.autoscaling_groups.get(name)
    if group is None:
        raise AwsError("ValidationError", f"AutoScalingGroup name not found - AutoScalingGroup '{name}' not found")
    force = str(p.get("ForceDelete", "false")).lower() == "true"
    if group.__dict__.get(_deleting_attr) is not None:
        return query_response("DeleteAutoScalingGroup", NAMESPACE, None)
    if group.instance_states and not force:
        raise AwsError("ResourceInUse", "You cannot delete an AutoScalingGroup while there are instances or "
                       "pending Spot instance request(s) still in the group.")
    with _lock:
        # ForceDelete "also deletes any outstanding lifecycle actions" (botocore
        # DeleteAutoScalingGroup): every instance goes at once, and the group's hooks with it.
        from . import autoscaling_hooks

        autoscaling_hooks.forget_group(group)
        _terminate(group, list(group.instance_states), force=True)
        group.desired_capacity = 0
        group.min_size = 0
        group.status = "Delete in progress"
        group.__dict__[_deleting_attr] = time.time() + duration("ec2_instance_delete")
        for refresh in _refreshes.get((ctx.account, ctx.region), {}).get(name, []):
            if refresh["Status"] in ACTIVE:
                _finish(refresh, "Cancelled", "The Auto Scaling group is being deleted.")
    return query_response("DeleteAutoScalingGroup", NAMESPACE, None)


@on("autoscaling", "CreateAutoScalingGroup")
def create_group(ctx, call_next):
    name = ctx.params().get("AutoScalingGroupName", "")
    backend = _backend(ctx)
    _advance_backend(backend)
    if name in backend.autoscaling_groups:
        raise AwsError("AlreadyExists", f"AutoScalingGroup by this name already exists - A group with the name "
                       f"{name} already exists")
    resp = call_next()
    # HealthCheckGracePeriod "Default: 0 seconds" (botocore CreateAutoScalingGroup); moto makes 0
    # or none 300.
    group = backend.autoscaling_groups.get(name)
    if resp.status < 300 and group is not None:
        group.health_check_grace_period = int(ctx.params().get("HealthCheckGracePeriod") or 0)
    return resp


@on("autoscaling", "UpdateAutoScalingGroup", "SetDesiredCapacity", "AttachLoadBalancerTargetGroups",
    "DetachLoadBalancerTargetGroups")
def change_group(ctx, call_next):
    name = ctx.params().get("AutoScalingGroupName", "")
    backend = _backend(ctx)
    _advance_backend(backend)
    group = backend.autoscaling_groups.get(name)
    if group is None:
        raise AwsError("ValidationError", f"AutoScalingGroup name not found - AutoScalingGroup '{name}' not found")
    if group.__dict__.get(_deleting_attr) is not None:
        raise AwsError("ScalingActivityInProgress", "Group is pending deletion.")
    return call_next()


# --- instance refresh ---------------------------------------------------------------------

def _iso(t: float | None) -> str | None:
    if t is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t * 1000) % 1000:03d}Z"


def _finish(refresh: dict, status: str, reason: str = "") -> None:
    refresh["Status"] = status
    refresh["StatusReason"] = reason
    refresh["EndTime"] = time.time()
    refresh["batch"] = None


def _launch(group, count: int, refresh: dict) -> list[str]:
    desired = refresh["desired"]
    if desired is not None:
        group._set_launch_configuration(None, desired, None)
    before = {s.instance.id for s in group.instance_states}
    group.replace_autoscaling_group_instances(count, group.get_propagated_tags())
    return [s.instance.id for s in group.instance_states if s.instance.id not in before]


def _advance(group, refresh: dict, now: float) -> None:
    """Moves a refresh on to what the clock says it has reached."""
    if refresh["Status"] == "Pending":
        if now < refresh["ready_at"]:
            return
        refresh["Status"] = "InProgress"
        refresh["StartTime"] = now
    if refresh["Status"] not in ("InProgress", "Cancelling"):
        return
    states = {s.instance.id: s for s in group.instance_states}
    batch = refresh["batch"]
    if batch is not None:
        if not all(i in states and states[i].lifecycle_state == "InService" for i in batch["new"]):
            return
        if not batch.get("terminating"):
            _terminate(group, [states[i] for i in batch["old"] if i in states])
            batch["terminating"] = True
            states = {s.instance.id: s for s in group.instance_states}
        # The batch ends when the instances it replaces are gone (a lifecycle hook may hold them).
        if any(i in states for i in batch["old"]):
            return
        refresh["replaced"] += len(batch["old"]) or len(batch["new"])
        refresh["batch"] = None
        states = {s.instance.id: s for s in group.instance_states}
    total = max(len(refresh["to_replace"]), 1)
    refresh["PercentageComplete"] = min(100, int(100 * refresh["replaced"] / total))
    if refresh["Status"] == "Cancelling":
        _finish(refresh, "Cancelled", "The instance refresh was cancelled.")
        return
    old = [i for i in refresh["to_replace"] if i in states and not _leaving(states[i])]
    refresh["InstancesToUpdate"] = len(old)
    if not old:
        refresh["PercentageComplete"] = 100
        if refresh["desired"] is not None:
            group._set_launch_configuration(None, refresh["desired"], None)
        _finish(refresh, "Successful")
        return
    desired_capacity = group.desired_capacity or len(states)
    if refresh["max_healthy"] > 100:
        # Launch first: up to MaxHealthyPercentage of the desired capacity at once.
        room = max(1, math.floor(desired_capacity * refresh["max_healthy"] / 100) - desired_capacity)
        chosen = old[:room]
        new = _launch(group, len(chosen), refresh)
        refresh["batch"] = {"new": new, "old": chosen}
    else:
        # Terminate first: keep MinHealthyPercentage of the desired capacity in service.
        keep = math.ceil(desired_capacity * refresh["min_healthy"] / 100)
        down = max(1, desired_capacity - keep)
        chosen = old[:down]
        _terminate(group, [states[i] for i in chosen])
        new = _launch(group, len(chosen), refresh)
        refresh["batch"] = {"new": new, "old": chosen, "terminating": True}


def _refresh_view(refresh: dict) -> dict:
    return {
        "InstanceRefreshId": refresh["InstanceRefreshId"],
        "AutoScalingGroupName": refresh["AutoScalingGroupName"],
        "Status": refresh["Status"],
        "StatusReason": refresh["StatusReason"] or None,
        "StartTime": _iso(refresh.get("StartTime") or refresh["created"]),
        "EndTime": _iso(refresh.get("EndTime")),
        "PercentageComplete": refresh["PercentageComplete"],
        "InstancesToUpdate": refresh["InstancesToUpdate"],
        "Preferences": {
            "MinHealthyPercentage": refresh["min_healthy"],
            "MaxHealthyPercentage": refresh["max_healthy"],
            "SkipMatching": refresh["skip_matching"],
        },
    }


def _group_or_fail(ctx, name: str):
    backend = _backend(ctx)
    _advance_backend(backend)
    group = backend.autoscaling_groups.get(name)
    if group is None or group.__dict__.get(_deleting_attr) is not None:
        raise AwsError("ValidationError", f"AutoScalingGroup name not found - AutoScalingGroup '{name}' not found")
    return group


def _params(ctx) -> dict:
    """The query request's flat parameters as nested values: `A.B` a member of `A`,
    `A.member.N` the Nth item of list `A`."""
    out: dict = {}
    for key, value in ctx.params().items():
        parts = key.split(".")
        node = out
        for part in parts[:-1]:
            if part == "member":
                continue
            node = node.setdefault(part, {})
        last = parts[-1]
        if len(parts) >= 2 and parts[-2] == "member":
            node.setdefault("_items", {})[int(last)] = value
        else:
            node[last] = value

    def lists(node):
        if isinstance(node, dict):
            if set(node) == {"_items"}:
                return [lists(node["_items"][k]) for k in sorted(node["_items"])]
            return {k: lists(v) for k, v in node.items()}
        return node

    return lists(out)


def _int(value, default: int) -> int:
    return default if value in (None, "") else int(value)


@on("autoscaling", "StartInstanceRefresh")
def start_instance_refresh(ctx, _next):
    p = _params(ctx)
    name = p.get("AutoScalingGroupName", "")
    with _lock:
        group = _group_or_fail(ctx, name)
        history = _refreshes.setdefault((ctx.account, ctx.region), {}).setdefault(name, [])
        if any(r["Status"] in ACTIVE for r in history):
            raise AwsError("InstanceRefreshInProgress", "An Instance Refresh is already in progress and blocks the "
                           "execution of this Instance Refresh.")
        prefs = p.get("Preferences") or {}
        min_healthy = _int(prefs.get("MinHealthyPercentage"), 90)
        max_given = prefs.get("MaxHealthyPercentage")
        max_healthy = _int(max_given, 100)
        if max_given not in (None, "") and prefs.get("MinHealthyPercentage") in (None, ""):
            raise AwsError("ValidationError", "You must specify MinHealthyPercentage when you specify "
                           "MaxHealthyPercentage.")
        if max_healthy - min_healthy > 100:
            raise AwsError("ValidationError", "The difference between MaxHealthyPercentage and "
                           "MinHealthyPercentage cannot be greater than 100.")
        if min_healthy == 100 and max_healthy == 100:
            raise AwsError("ValidationError", "MinHealthyPercentage and MaxHealthyPercentage cannot both be 100.")
        skip = str(prefs.get("SkipMatching", "false")).lower() == "true"
        desired = ((p.get("DesiredConfiguration") or {}).get("LaunchTemplate")) or None
        if desired is not None:
            group.ec2_backend.get_launch_template(desired.get("LaunchTemplateId"))  # must exist
            template_id = desired.get("LaunchTemplateId")
            version = str(desired.get("Version") or "$Default")
            if version in ("$Default", "$Latest"):
                template = group.ec2_backend.get_launch_template(template_id)
                version = str(template.default_version_number if version == "$Default"
                              else template.latest_version_number)
        else:
            template_id = group.ec2_launch_template.id if group.ec2_launch_template else None
            version = _version_now(group)
        to_replace = [s.instance.id for s in group.instance_states
                      if not (skip and _matches(s, template_id, version))]
        now = time.time()
        refresh = {
            "InstanceRefreshId": str(uuid.uuid4()),
            "AutoScalingGroupName": name,
            "Status": "Pending",
            "StatusReason": "",
            "created": now,
            "ready_at": now + duration("autoscaling_refresh_start"),
            "PercentageComplete": 0,
            "InstancesToUpdate": len(to_replace),
            "min_healthy": min_healthy,
            "max_healthy": max_healthy,
            "skip_matching": skip,
            "desired": desired,
            "to_replace": to_replace,
            "replaced": 0,
            "batch": None,
        }
        history.append(refresh)
    return query_response("StartInstanceRefresh", NAMESPACE, {"InstanceRefreshId": refresh["InstanceRefreshId"]})


@on("autoscaling", "DescribeInstanceRefreshes")
def describe_instance_refreshes(ctx, _next):
    p = _params(ctx)
    name = p.get("AutoScalingGroupName", "")
    wanted = set(p.get("InstanceRefreshIds") or [])
    with _lock:
        backend = _backend(ctx)
        _advance_backend(backend)
        history = _refreshes.get((ctx.account, ctx.region), {}).get(name, [])
        views = [_refresh_view(r) for r in reversed(history)
                 if not wanted or r["InstanceRefreshId"] in wanted]
    return query_response("DescribeInstanceRefreshes", NAMESPACE,
                          {"InstanceRefreshes": Items("member", views)})


@on("autoscaling", "CancelInstanceRefresh")
def cancel_instance_refresh(ctx, _next):
    name = ctx.params().get("AutoScalingGroupName", "")
    with _lock:
        _group_or_fail(ctx, name)
        history = _refreshes.get((ctx.account, ctx.region), {}).get(name, [])
        active = [r for r in history if r["Status"] in ACTIVE]
        if not active:
            raise AwsError("ActiveInstanceRefreshNotFound", "No in progress or pending Instance Refresh found for "
                           f"Auto Scaling group {name}")
        refresh = active[-1]
        if refresh["Status"] == "Pending":
            _finish(refresh, "Cancelled", "The instance refresh was cancelled.")
        else:
            refresh["Status"] = "Cancelling"
    return query_response("CancelInstanceRefresh", NAMESPACE, {"InstanceRefreshId": refresh["InstanceRefreshId"]})
