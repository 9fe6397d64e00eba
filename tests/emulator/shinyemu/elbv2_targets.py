"""ELBv2 target health with time, as AWS reports it (moto answers `healthy` at once and forgets a
deregistered target at once).

States and reasons from the ELB API reference, TargetHealth: a new registration is `initial`
(`Elb.InitialHealthChecking`) until the load balancer has seen the healthy threshold's number of
passing checks, one per health check interval — interval × healthy threshold — and then
`healthy`; a deregistered target is `draining` (`Target.DeregistrationInProgress`) for the
group's `deregistration_delay.timeout_seconds` and then gone (asked for by id: `unused`,
`Target.NotRegistered`); in a group no load balancer uses, a registered target is `unused`
(`Target.NotInUse`). Those times come from the group's own settings, multiplied by the profile's
`target_health_scale` (1/60 by default, as every other duration; 0 in the zero profile).
Registrations are keyed by group, target id and port, as AWS keys them (botocore `elbv2`
TargetDescription); moto keys them by id alone, and keeps doing so underneath.
"""

from __future__ import annotations

import threading
import time

from .errors import AwsError
from .hooks import on
from .lifecycle import duration
from .xmlresp import Items, query_response

ELBV2_NS = "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"
_lock = threading.Lock()
# (account, region, group ARN) -> {(id, port): healthy at}
_registered: dict[tuple, dict[tuple[str, int], float]] = {}
# (account, region, group ARN) -> {(id, port): gone at}
_draining: dict[tuple, dict[tuple[str, int], float]] = {}


def _group(ctx):
    from moto.elbv2.models import elbv2_backends

    arn = ctx.params().get("TargetGroupArn", "")
    group = elbv2_backends[ctx.account][ctx.region].target_groups.get(arn)
    if group is None:
        raise AwsError("TargetGroupNotFound", "One or more target groups not found", 400)
    return group


def _targets(ctx, group) -> list[tuple[str, int]]:
    """The request's `Targets.member.N` as (id, port); a missing port is the group's."""
    params = ctx.params()
    out = []
    n = 1
    while f"Targets.member.{n}.Id" in params:
        port = params.get(f"Targets.member.{n}.Port") or group.port
        out.append((params[f"Targets.member.{n}.Id"], int(port)))
        n += 1
    return out


def _scale() -> float:
    return duration("target_health_scale")


def _key(ctx, group) -> tuple:
    return (ctx.account, ctx.region, group.arn)


def _settle(key: tuple, now: float) -> None:
    """Drops the draining targets whose delay has passed."""
    draining = _draining.get(key, {})
    for target in [t for t, gone_at in draining.items() if gone_at <= now]:
        del draining[target]


@on("elbv2", "RegisterTargets")
def register_targets(ctx, call_next):
    group = _group(ctx)
    targets = _targets(ctx, group)
    resp = call_next()  # moto refuses an instance that is not running
    if resp.status >= 300:
        return resp
    checks = float(group.health_check_interval_seconds) * float(group.healthy_threshold_count)
    now = time.time()
    with _lock:
        registered = _registered.setdefault(_key(ctx, group), {})
        for target in targets:
            _draining.get(_key(ctx, group), {}).pop(target, None)
            # A target already registered stays as it is (RegisterTargets is idempotent).
            registered.setdefault(target, now + checks * _scale())
    return resp


@on("elbv2", "DeregisterTargets")
def deregister_targets(ctx, call_next):
    group = _group(ctx)
    targets = _targets(ctx, group)
    key = _key(ctx, group)
    with _lock:
        registered = _registered.get(key, {})
        if any(t not in registered for t in targets):
            raise AwsError("InvalidTarget", "The specified target does not exist, is not in the same VPC "
                           "as the target group, or has an unsupported instance type.", 400)
        delay = float(group.attributes.get("deregistration_delay.timeout_seconds", 300))
        now = time.time()
        for target in targets:
            del registered[target]
            _draining.setdefault(key, {})[target] = now + delay * _scale()
        still = {t[0] for t in registered}
    # moto keeps one registration per id: take it out only when no port of the id is left.
    gone = [t for t in targets if t[0] not in still]
    if gone:
        from urllib.parse import urlencode

        body = {"Action": "DeregisterTargets", "Version": "2015-12-01", "TargetGroupArn": group.arn}
        for n, (ident, port) in enumerate(gone, 1):
            body[f"Targets.member.{n}.Id"] = ident
            body[f"Targets.member.{n}.Port"] = str(port)
        ctx.call_moto(urlencode(body).encode())
    return query_response("DeregisterTargets", ELBV2_NS, {})


def _description(group, target: tuple[str, int], state: str, reason: str | None, text: str | None):
    health = {"State": state}
    if reason:
        health["Reason"] = reason
        health["Description"] = text
    return {"Target": {"Id": target[0], "Port": target[1]},
            "HealthCheckPort": group.health_check_port or "traffic-port", "TargetHealth": health}


def _registered_state(ctx, group, target: tuple[str, int], healthy_at: float, now: float):
    if not group.load_balancer_arns:
        return _description(group, target, "unused", "Target.NotInUse",
                            "Target group is not configured to receive traffic from the load balancer")
    if target[0].startswith("i-"):
        from moto.ec2.models import ec2_backends

        instance = ec2_backends[ctx.account][ctx.region].get_instance_by_id(target[0])
        if instance is not None and instance.state != "running":
            return _description(group, target, "unused", "Target.InvalidState",
                                f"Target is in the {instance.state} state")
    if now < healthy_at:
        return _description(group, target, "initial", "Elb.InitialHealthChecking",
                            "Initial health checks in progress")
    return _description(group, target, "healthy", None, None)


@on("elbv2", "DescribeTargetHealth")
def describe_target_health(ctx, _next):
    group = _group(ctx)
    asked = _targets(ctx, group)
    key = _key(ctx, group)
    now = time.time()
    with _lock:
        _settle(key, now)
        registered = dict(_registered.get(key, {}))
        draining = dict(_draining.get(key, {}))
    out = []
    for target in asked or [*registered, *draining]:
        if target in registered:
            out.append(_registered_state(ctx, group, target, registered[target], now))
        elif target in draining:
            out.append(_description(group, target, "draining", "Target.DeregistrationInProgress",
                                    "Target deregistration is in progress"))
        else:
            out.append(_description(group, target, "unused", "Target.NotRegistered",
                                    "Target is not registered to the target group"))
    return query_response("DescribeTargetHealth", ELBV2_NS,
                          {"TargetHealthDescriptions": Items("member", out)})


@on("elbv2", "DeleteTargetGroup")
def delete_target_group(ctx, call_next):
    resp = call_next()
    if resp.status < 300:
        arn = ctx.params().get("TargetGroupArn", "")
        with _lock:
            _registered.pop((ctx.account, ctx.region, arn), None)
            _draining.pop((ctx.account, ctx.region, arn), None)
    return resp


def _forwarded_by(lb) -> set[str]:
    """The target groups one load balancer's listeners and rules forward to."""
    arns: set[str] = set()
    for listener in lb.listeners.values():
        actions = list(getattr(listener, "default_actions", []) or [])
        for rule in listener.rules.values():
            actions.extend(getattr(rule, "actions", []) or [])
        for action in actions:
            data = getattr(action, "data", action) or {}
            if data.get("TargetGroupArn"):
                arns.add(data["TargetGroupArn"])
            for tg in (data.get("ForwardConfig") or {}).get("TargetGroups") or []:
                if tg.get("TargetGroupArn"):
                    arns.add(tg["TargetGroupArn"])
    return arns


def sync_associations(backend) -> None:
    """Each target group's load balancers as AWS has them: those whose listener or rule forwards
    to it now (DescribeTargetGroups `LoadBalancerArns`: "The Amazon Resource Name (ARN) of the
    load balancer that routes traffic to this target group"). moto records an association only at
    CreateListener/CreateRule and never drops or moves it, so a rule pointed at another group by
    ModifyRule left the new group "not in use" and the old one in use."""
    forwarding = {arn: _forwarded_by(lb) for arn, lb in backend.load_balancers.items()}
    for tg in backend.target_groups.values():
        tg.load_balancer_arns = [lb for lb, groups in forwarding.items() if tg.arn in groups]


@on("elbv2", "ModifyRule", "ModifyListener", "DeleteRule", "DeleteListener", "CreateRule",
    "CreateListener")
def associations_follow_the_actions(ctx, call_next):
    resp = call_next()
    if resp.status == 200:
        from moto.elbv2.models import elbv2_backends

        sync_associations(elbv2_backends[ctx.account][ctx.region])
    return resp
