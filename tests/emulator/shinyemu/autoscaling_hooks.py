"""EC2 Auto Scaling lifecycle hooks as AWS runs them. moto 5.2.5 stores a hook (PutLifecycleHook,
DescribeLifecycleHooks, DeleteLifecycleHook) and nothing acts on it: its groups terminate a
scaled-in instance at once, it lacks CompleteLifecycleAction and RecordLifecycleActionHeartbeat,
it accepts any transition, default result and heartbeat timeout, hooks of groups that do not
exist, and keeps a group's hooks after the group is deleted.

**An instance a group with an `autoscaling:EC2_INSTANCE_TERMINATING` hook takes out of service**
(a lower desired capacity, or an instance refresh replacing it: `autoscaling_ext.py`) goes, in
AWS's order (EC2 Auto Scaling user guide, "How lifecycle hooks work in Auto Scaling groups",
steps 4 to 6: "the terminating instance is first deregistered from the load balancer. If
connection draining is enabled for the load balancer, the instance stops accepting new
connections and waits for existing connections to drain before completing the deregistration
process"; then "the lifecycle hook puts the instance into a wait state (Terminating:Wait)"; then
"the instance ... is terminated"; "Amazon EC2 Auto Scaling instance lifecycle"):

1. `Terminating`, deregistered from the group's target groups, where it is `draining` for the
   group's deregistration delay (`elbv2_targets.py`, scaled by `target_health_scale`; the longest
   delay of the group's target groups, none without one);
2. `Terminating:Wait`, until each terminating hook's action is completed (CompleteLifecycleAction
   with `CONTINUE` or `ABANDON`) or its heartbeat timeout passes, when the hook's DefaultResult
   applies; RecordLifecycleActionHeartbeat restarts the timeout, up to the global timeout of 100
   heartbeat timeouts or 48 hours ("the maximum amount of time that you can keep an instance in a
   wait state is 48 hours or 100 times the heartbeat timeout, whichever is smaller", user guide,
   "Amazon EC2 Auto Scaling lifecycle hooks"). ABANDON ends the other hooks' actions too ("If the
   instance is terminating, both abandon and continue allow the instance to terminate. However,
   abandon stops any remaining actions, such as other lifecycle hooks", "Complete a lifecycle
   action"). The heartbeat timeout is scaled by the profile's `lifecycle_hook_scale` (1/60 by
   default, as every duration; 0 in the zero profile: the default result applies at once);
3. `Terminating:Proceed` while EC2 terminates it (`ec2_instance_delete`), then gone from the group.

CompleteLifecycleAction and RecordLifecycleActionHeartbeat take the group, the hook and the
instance id or the action's token (the one AWS sends to the hook's notification target; here it
is only known to a test that asks for it: `GET /_emulator/autoscaling/actions?account=A`). No
action of that hook for that instance in a wait state answers `ValidationError` "No active
Lifecycle Action found with instance ID i-…" (or "… with token …": the messages AWS gives,
quoted in aws-node-termination-handler and giantswarm/aws-operator); a group that does not exist,
"AutoScalingGroup name not found - …"; neither instance nor token, or a result other than
`CONTINUE`/`ABANDON`, `ValidationError` (the wording is the emulator's).

DeleteLifecycleHook completes the hook's outstanding actions first ("ABANDON for launching
instances, CONTINUE for terminating instances", botocore `autoscaling` DeleteLifecycleHook); a hook
that does not exist answers `ValidationError` "No Lifecycle Hook found …" (what the Terraform AWS
provider's aws_autoscaling_lifecycle_hook delete takes for gone; the rest of the message is the
emulator's). DeleteAutoScalingGroup with ForceDelete "also deletes any outstanding lifecycle
actions associated with the group" (botocore DeleteAutoScalingGroup ForceDelete): its instances are
terminated at once, and the group's hooks go with it.

PutLifecycleHook is refused as AWS refuses it, where its model states no rule: a group that does
not exist; a new hook without LifecycleTransition ("Required for new lifecycle hooks, but optional
when updating existing hooks"); a transition other than `autoscaling:EC2_INSTANCE_LAUNCHING` /
`autoscaling:EC2_INSTANCE_TERMINATING`; HeartbeatTimeout outside 30 to 7200 ("The range is from 30
to 7200 seconds"); DefaultResult other than `CONTINUE`/`ABANDON`; a 51st hook on a group
(`LimitExceeded`: "your maximum limit of lifecycle hooks, which by default is 50 per Auto Scaling
group", all from botocore PutLifecycleHook) — ValidationError, worded by the emulator. An update
keeps what it does not give; DescribeLifecycleHooks answers GlobalTimeout as AWS computes it and
no role or notification target the hook was not given (moto: made-up ones).

Not emulated: launching hooks (`Pending:Wait`: stored and listed, they hold no instance), the
notifications (EventBridge, SNS, SQS), and the `Terminating` state during draining of an instance
of a group without a terminating hook (`autoscaling_ext.py` takes it out of the group at once).
"""

from __future__ import annotations

import time
import uuid

from .autoscaling_ext import _lock  # one lock for groups, refreshes and actions: no lock order to keep
from .errors import AwsError
from .hooks import on
from .lifecycle import duration
from .xmlresp import query_response

NAMESPACE = "http://autoscaling.amazonaws.com/doc/2011-01-01/"
TERMINATING = "autoscaling:EC2_INSTANCE_TERMINATING"
LAUNCHING = "autoscaling:EC2_INSTANCE_LAUNCHING"
RESULTS = ("CONTINUE", "ABANDON")
MAX_HOOKS = 50
GLOBAL_TIMEOUT_MAX = 172800  # 48 hours

# (account, region) -> {instance id: action}
_actions: dict[tuple[str, str], dict[str, dict]] = {}


def _key_of(group) -> tuple[str, str]:
    return (group.account_id, group.region)


def is_leaving(state) -> bool:
    """Whether an instance is on its way out through the group's terminating hooks."""
    return state.__dict__.get("_emu_lifecycle", "InService").startswith("Terminating")


def _hooks_of(backend, group_name: str) -> list:
    return [h for h in backend.lifecycle_hooks.values() if h.auto_scaling_group_name == group_name]


def terminating_hooks(group) -> list:
    return [h for h in _hooks_of(group.autoscaling_backend, group.name)
            if h.lifecycle_transition == TERMINATING]


def _global_timeout(heartbeat: int) -> int:
    return min(100 * int(heartbeat), GLOBAL_TIMEOUT_MAX)


def _drain_seconds(group) -> float:
    """The longest deregistration delay of the group's target groups, as the emulator scales it."""
    delays = [0.0]
    for arn in group.target_group_arns:
        tg = group.autoscaling_backend.elbv2_backend.target_groups.get(arn)
        if tg is not None:
            delays.append(float(tg.attributes.get("deregistration_delay.timeout_seconds", 300)))
    return max(delays) * duration("target_health_scale")


def leave(group, states) -> list:
    """Takes `states` out of service through the group's terminating hooks: deregistered now
    (`draining`), `Terminating` until the drain is over, then `Terminating:Wait`. Returns the
    states it took (they stay in the group); none when the group has no terminating hook."""
    states = [s for s in states if not is_leaving(s)]
    if not states or not terminating_hooks(group):
        return []
    from .autoscaling_ext import _deregister

    _deregister(group, {s.instance.id for s in states})
    now = time.time()
    wait_at = now + _drain_seconds(group)
    with _lock:
        actions = _actions.setdefault(_key_of(group), {})
        for state in states:
            state.lifecycle_state = "Terminating"
            actions[state.instance.id] = {
                "group": group.name,
                "instance": state.instance.id,
                "token": str(uuid.uuid4()),
                "phase": "draining",
                "wait_at": wait_at,
                "hooks": {},
            }
    return states


def _enter_wait(group, state, action: dict) -> None:
    scale = duration("lifecycle_hook_scale")
    start = action["wait_at"]
    action["phase"] = "wait"
    state.lifecycle_state = "Terminating:Wait"
    for hook in terminating_hooks(group):
        heartbeat = int(hook.heartbeat_timeout)
        action["hooks"][hook.name] = {
            "heartbeat": heartbeat,
            "default": hook.default_result,
            "deadline": start + heartbeat * scale,
            "global": start + _global_timeout(heartbeat) * scale,
            "result": None,
        }


def _resolved(action: dict) -> bool:
    results = [h["result"] for h in action["hooks"].values()]
    return "ABANDON" in results or all(r is not None for r in results)


def _proceed(group, state, action: dict) -> None:
    action["phase"] = "proceed"
    state.lifecycle_state = "Terminating:Proceed"
    group.autoscaling_backend.ec2_backend.terminate_instances([state.instance.id])


def advance(group, now: float | None = None) -> None:
    """Moves the group's leaving instances on to what the clock says they have reached."""
    now = time.time() if now is None else now
    with _lock:
        actions = _actions.get(_key_of(group), {})
        states = {s.instance.id: s for s in group.instance_states}
        for iid, action in list(actions.items()):
            if action["group"] != group.name:
                continue
            state = states.get(iid)
            if state is None:
                actions.pop(iid, None)
                continue
            if action["phase"] == "draining" and now >= action["wait_at"]:
                _enter_wait(group, state, action)
            if action["phase"] == "wait":
                for hook in action["hooks"].values():
                    if hook["result"] is None and now >= min(hook["deadline"], hook["global"]):
                        hook["result"] = hook["default"]
                if _resolved(action):
                    _proceed(group, state, action)
            if action["phase"] == "proceed" and state.instance._state.name == "terminated":
                group.instance_states = [s for s in group.instance_states if s.instance.id != iid]
                actions.pop(iid, None)


def forget_group(group) -> None:
    """A group deleted with ForceDelete: its outstanding actions and its hooks go with it."""
    backend = group.autoscaling_backend
    with _lock:
        actions = _actions.get(_key_of(group), {})
        for iid in [i for i, a in actions.items() if a["group"] == group.name]:
            actions.pop(iid, None)
        for key in [k for k, h in backend.lifecycle_hooks.items()
                    if h.auto_scaling_group_name == group.name]:
            backend.lifecycle_hooks.pop(key, None)


def actions_view(account: str, region: str | None = None) -> list[dict]:
    """The outstanding lifecycle actions of an account (for tests: the token AWS would send)."""
    with _lock:
        out = []
        for (acct, reg), actions in _actions.items():
            if acct != account or (region and reg != region):
                continue
            for action in actions.values():
                out.append({"AutoScalingGroupName": action["group"], "InstanceId": action["instance"],
                            "LifecycleActionToken": action["token"], "Phase": action["phase"],
                            "Region": reg, "Hooks": sorted(action["hooks"])})
        return out


# --- handlers -------------------------------------------------------------------------------

def _group(ctx, name: str):
    from .autoscaling_ext import _advance_backend, _backend, _deleting_attr

    backend = _backend(ctx)
    _advance_backend(backend)
    group = backend.autoscaling_groups.get(name)
    if group is None or group.__dict__.get(_deleting_attr) is not None:
        raise AwsError("ValidationError", f"AutoScalingGroup name not found - AutoScalingGroup '{name}' not found")
    return backend, group


def _int(value) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError:
        raise AwsError("ValidationError", f"Invalid value '{value}' for HeartbeatTimeout.") from None


@on("autoscaling", "PutLifecycleHook")
def put_lifecycle_hook(ctx, call_next):
    p = ctx.params()
    group_name = p.get("AutoScalingGroupName", "")
    name = p.get("LifecycleHookName", "")
    backend, _ = _group(ctx, group_name)
    existing = backend.lifecycle_hooks.get(f"{group_name}_{name}")
    transition = p.get("LifecycleTransition") or None
    heartbeat = _int(p.get("HeartbeatTimeout"))
    result = p.get("DefaultResult") or None
    if existing is None and transition is None:
        raise AwsError("ValidationError", "LifecycleTransition is required for a new lifecycle hook.")
    if transition is not None and transition not in (LAUNCHING, TERMINATING):
        raise AwsError("ValidationError", f"Invalid value '{transition}' for LifecycleTransition: it must be "
                       f"{LAUNCHING} or {TERMINATING}.")
    if heartbeat is not None and not 30 <= heartbeat <= 7200:
        raise AwsError("ValidationError", f"HeartbeatTimeout {heartbeat} is out of range: it must be from 30 to "
                       "7200 seconds.")
    if result is not None and result not in RESULTS:
        raise AwsError("ValidationError", f"Invalid value '{result}' for DefaultResult: it must be CONTINUE or "
                       "ABANDON.")
    if existing is None and len(_hooks_of(backend, group_name)) >= MAX_HOOKS:
        raise AwsError("LimitExceeded", f"Auto Scaling group {group_name} already has {MAX_HOOKS} lifecycle hooks, "
                       "the most a group may have.")
    resp = call_next()
    hook = backend.lifecycle_hooks.get(f"{group_name}_{name}")
    if resp.status < 300 and hook is not None:
        # An update changes only what it gives (moto resets the rest to its defaults).
        if existing is not None:
            hook.lifecycle_transition = transition or existing.lifecycle_transition
            hook.heartbeat_timeout = heartbeat if heartbeat is not None else existing.heartbeat_timeout
            hook.default_result = result or existing.default_result
        for attr, param, before in (("role_arn", "RoleARN", "role_arn"),
                                    ("notification_target_arn", "NotificationTargetARN", "notification_target_arn"),
                                    ("notification_metadata", "NotificationMetadata", "notification_metadata")):
            given = p.get(param)
            kept = getattr(existing, before, None) if existing is not None else None
            setattr(hook, attr, given if given is not None else kept)
        hook.global_timeout = _global_timeout(hook.heartbeat_timeout)
    return resp


@on("autoscaling", "DescribeLifecycleHooks")
def describe_lifecycle_hooks(ctx, call_next):
    _group(ctx, ctx.params().get("AutoScalingGroupName", ""))
    return call_next()


@on("autoscaling", "DeleteLifecycleHook")
def delete_lifecycle_hook(ctx, call_next):
    p = ctx.params()
    group_name = p.get("AutoScalingGroupName", "")
    name = p.get("LifecycleHookName", "")
    backend, group = _group(ctx, group_name)
    if f"{group_name}_{name}" not in backend.lifecycle_hooks:
        raise AwsError("ValidationError", f"No Lifecycle Hook found for Auto Scaling group {group_name} with "
                       f"name {name}")
    with _lock:
        # Its outstanding actions are completed first: CONTINUE for terminating instances.
        for action in _actions.get(_key_of(group), {}).values():
            if action["group"] == group_name and name in action["hooks"]:
                if action["hooks"][name]["result"] is None:
                    action["hooks"][name]["result"] = "CONTINUE"
        resp = call_next()
        advance(group)
    return resp


def _find_action(ctx, group, hook: str) -> dict:
    p = ctx.params()
    instance = p.get("InstanceId") or None
    token = p.get("LifecycleActionToken") or None
    if instance is None and token is None:
        raise AwsError("ValidationError", "Either InstanceId or LifecycleActionToken must be given.")
    for action in _actions.get(_key_of(group), {}).values():
        if (action["group"] == group.name and action["phase"] == "wait"
                and (token is None or action["token"] == token)
                and (instance is None or action["instance"] == instance)
                and hook in action["hooks"] and action["hooks"][hook]["result"] is None):
            return action
    if token is not None:
        raise AwsError("ValidationError", f"No active Lifecycle Action found with token {token}")
    raise AwsError("ValidationError", f"No active Lifecycle Action found with instance ID {instance}")


@on("autoscaling", "CompleteLifecycleAction")
def complete_lifecycle_action(ctx, _next):
    p = ctx.params()
    result = p.get("LifecycleActionResult", "")
    if result not in RESULTS:
        raise AwsError("ValidationError", f"Invalid value '{result}' for LifecycleActionResult: it must be CONTINUE "
                       "or ABANDON.")
    with _lock:
        _, group = _group(ctx, p.get("AutoScalingGroupName", ""))
        action = _find_action(ctx, group, p.get("LifecycleHookName", ""))
        action["hooks"][p.get("LifecycleHookName", "")]["result"] = result
        advance(group)
    return query_response("CompleteLifecycleAction", NAMESPACE, {})


@on("autoscaling", "RecordLifecycleActionHeartbeat")
def record_lifecycle_action_heartbeat(ctx, _next):
    p = ctx.params()
    with _lock:
        _, group = _group(ctx, p.get("AutoScalingGroupName", ""))
        hook_name = p.get("LifecycleHookName", "")
        action = _find_action(ctx, group, hook_name)
        hook = action["hooks"][hook_name]
        hook["deadline"] = min(time.time() + hook["heartbeat"] * duration("lifecycle_hook_scale"), hook["global"])
    return query_response("RecordLifecycleActionHeartbeat", NAMESPACE, {})
