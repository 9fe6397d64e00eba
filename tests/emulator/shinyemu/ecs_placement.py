"""ECS container instances, task placement and target registration, where moto 5.2.5 falls short
(moto only knows container instances registered by hand with RegisterContainerInstance, with
fixed resources, places no task for a service, and registers nothing in target groups).

- **Container instances from Auto Scaling groups.** On AWS the ECS agent on an instance
  registers it in the cluster named by `ECS_CLUSTER` in `/etc/ecs/ecs.config` ("Amazon ECS
  container agent configuration"; without it, the `default` cluster). Here the `InService`,
  running instances of a group are registered in a cluster (through moto's
  `register_container_instance`, so ListContainerInstances / DescribeContainerInstances answer
  them) when their user data sets `ECS_CLUSTER` to an ACTIVE cluster, or — user data not
  naming one — when the group backs a capacity provider in that cluster's list. Their
  `registeredResources` follow the agent ("Amazon ECS container instance memory management":
  the agent registers the instance's memory less `ECS_RESERVED_MEMORY`; CPU is 1,024 units
  per vCPU, "Amazon ECS task definition parameters", cpu): CPU = vCPUs × 1024, MEMORY = the
  instance type's MiB (moto's instance-type table) less `ECS_RESERVED_MEMORY` read from the
  user data (0 without it, the agent's default). An instance belongs to the capacity provider
  its group backs, whenever that provider was made (on AWS the agent registers once the
  instance has booted, which in practice is after the provider an apply makes next; an
  instance registered before its group's provider exists stays outside it — not emulated,
  since the emulator's instances register the moment they run). An instance that leaves service (scale-in,
  termination, its group deleted) is deregistered, so DeleteCluster's
  ClusterContainsContainerInstancesException follows the instances (`ecs_ext.py`).
- **Placement.** A service's tasks go where their launch type or capacity provider strategy
  says (the service's, else the cluster's default strategy, else the EC2 launch type; botocore
  `ecs` CreateService capacityProviderStrategy/launchType). On EC2 capacity a task is placed
  on a container instance (of the strategy's providers' groups) whose remaining CPU and memory
  hold it: the task-level `cpu`/`memory` if set, else the containers' `cpu` and
  `memoryReservation` (else `memory`) summed ("the memoryReservation … is the amount reserved
  on the container instance", task definition parameters); a static host port in use on an
  instance keeps another such task off it ("Amazon ECS task placement": CPU, memory and ports
  are the resources checked). Spread over zones then instances by default, least memory left
  first with a `binpack` strategy. A task that fits nowhere stays `PROVISIONING` (task
  lifecycle: "PROVISIONING … tasks waiting for capacity" with a capacity provider) and the
  service gets AWS's event "unable to place a task because no container instance met all of
  its requirements". Fargate tasks (launch type FARGATE, or FARGATE/FARGATE_SPOT providers)
  always place. A deployment completes (`ecs_ext.py`) only when its desired count of tasks runs.
  Tasks are placed at the call that starts them (`ecs_ext._schedule`: CreateService,
  UpdateService, any change) and are then RUNNING (PENDING and ACTIVATING are not emulated); a
  task that waited for capacity starts when its new instance began running (`_emu_since`, from
  the instance's `pending` phase), not at the call that sees the instance.
- **Managed scaling** ("Amazon ECS cluster auto scaling", "Deep dive on Amazon ECS cluster auto
  scaling"): a capacity provider with `managedScaling.status` ENABLED tracks
  CapacityProviderReservation = M / N × 100 at `targetCapacity`, M being the instances needed
  (those running a task, plus new ones of the group's instance type to binpack the
  PROVISIONING tasks). Emulated: scale-out only, at once (no CloudWatch period), to
  ceil(M × 100 / targetCapacity), by at least `minimumScalingStepSize` and at most
  `maximumScalingStepSize`, never above the group's MaxSize; new instances place the waiting
  tasks once `InService`. Scale-in, managed termination protection and managed draining:
  `ecs_capacity.py` (an instance leaving through ECS's draining hook stays registered,
  DRAINING, and takes no task; its tasks are replaced before they stop). Not emulated:
  instance warm-up.
- **Target registration** ("Use load balancing to distribute Amazon ECS service traffic"):
  a running task of a service with `loadBalancers` is registered in each target group — in
  bridge mode the instance id with the task's host port, a dynamic one (hostPort 0 or none)
  taken from `ECS_DYNAMIC_HOST_PORT_RANGE` in the user data, else 32768–60999 (the Linux
  ephemeral range the agent uses by default); in awsvpc mode the task's private IP (an address
  of its subnet; AWS gives each task an ENI there) with the container port. Registrations go
  through `elbv2_targets.py`'s bookkeeping, so DescribeTargetHealth reports `initial` then
  `healthy` after the group's interval × healthy threshold counted from the task's start, and a
  deregistered task `draining` for the deregistration delay. A deployment is COMPLETED only when its tasks are healthy in
  every target group; the deployments it replaced then stop their tasks (deregistered,
  draining), as do a FAILED deployment's, a scale-down's surplus and every task of a deleted
  service. A rollback deployment keeps the running tasks of the deployment it rolls back to.
- **Stopping** (`_stop`): a task ECS stops has desiredStatus STOPPED at once, is DEACTIVATING
  while its targets drain, STOPPING for `ecs_task_stop`, then STOPPED (kept for ListTasks
  desiredStatus STOPPED); until then it holds its resources and host ports. A task whose
  instance is gone is STOPPED at once ("Host EC2 (instance …) terminated."). A deleted service
  is DRAINING until its tasks are STOPPING or STOPPED, then INACTIVE (`_inactivate`); the task
  API that shows all this: `ecs_tasks.py`.
- **CreateService refusal**: a target group with no load balancer answers
  InvalidParameterException "The target group with targetGroupArn … does not have an
  associated load balancer." (as ECS does).

Not emulated: ENIs for awsvpc tasks (ENI limits, trunking), placement constraints, daemon
services, the states PENDING and ACTIVATING between PROVISIONING and RUNNING, and the health
checks themselves (see `elbv2_targets.py`).
"""

from __future__ import annotations

import base64
import ipaddress
import math
import random
import re
import threading
import time
import uuid

from . import ecs_capacity, ecs_ext
from . import elbv2_targets as targets
from .errors import AwsError
from .hooks import on
from .lifecycle import duration

DYNAMIC_PORTS = (32768, 60999)
FARGATE = ("FARGATE", "FARGATE_SPOT")
NO_PLACEMENT = ("(service {name}) was unable to place a task because no container instance met all of "
                "its requirements. Reason: No Container Instances were found in your capacity provider.")
NO_FIT = ("(service {name}) was unable to place a task because no container instance met all of its "
          "requirements. The closest matching container-instance {ci} has insufficient memory available.")

_lock = threading.RLock()
# (account, region) -> [task]: the tasks on their instances (or Fargate), stopping ones included
_tasks: dict[tuple[str, str], list[dict]] = {}
# (account, region) -> [task]: STOPPED ones, newest first
_stopped: dict[tuple[str, str], list[dict]] = {}


# --- moto's backends -------------------------------------------------------------------------

def _ecs(ctx):
    from moto.ecs.models import ecs_backends

    return ecs_backends[ctx.account][ctx.region]


def _asg(ctx):
    from moto.autoscaling.models import autoscaling_backends

    return autoscaling_backends[ctx.account][ctx.region]


def _ec2(ctx):
    from moto.ec2.models import ec2_backends

    return ec2_backends[ctx.account][ctx.region]


def _elbv2(ctx):
    from moto.elbv2.models import elbv2_backends

    return elbv2_backends[ctx.account][ctx.region]


# --- the agent's configuration -----------------------------------------------------------------

def _text(data) -> str:
    if data is None:
        return ""
    if isinstance(data, (list, tuple)):
        data = data[0] if data else ""
    if isinstance(data, bytes):
        data = data.decode("utf-8", "replace")
    data = str(data)
    try:
        decoded = base64.b64decode(data, validate=True).decode("utf-8")
        if "=" in decoded or "\n" in decoded:
            return decoded
    except Exception:  # noqa: BLE001 - not base64: the text itself
        pass
    return data


def agent_config(user_data) -> dict[str, str]:
    """The `KEY=value` lines of `/etc/ecs/ecs.config` as the user data writes them."""
    out = {}
    for line in _text(user_data).splitlines():
        # `ECS_CLUSTER=x` in a heredoc, or `echo ECS_CLUSTER=x >> /etc/ecs/ecs.config`
        for m in re.finditer(r"(?:^|[\s\"'])(ECS_[A-Z0-9_]+)=([^\s\"'>]*)", line):
            out[m.group(1)] = m.group(2)
    return out


def _port_range(config: dict) -> tuple[int, int]:
    m = re.match(r"^(\d+)-(\d+)$", config.get("ECS_DYNAMIC_HOST_PORT_RANGE", ""))
    return (int(m.group(1)), int(m.group(2))) if m else DYNAMIC_PORTS


def _type_capacity(instance_type: str | None, config: dict) -> tuple[int, int] | None:
    from moto.ec2.models.instance_types import INSTANCE_TYPES

    info = INSTANCE_TYPES.get(instance_type or "")
    if not info:
        return None
    cpu = int(info["VCpuInfo"]["DefaultVCpus"]) * 1024
    reserved = int(config.get("ECS_RESERVED_MEMORY") or 0)
    return cpu, int(info["MemoryInfo"]["SizeInMiB"]) - reserved


def _set_resource(resources: list[dict], name: str, value: int) -> None:
    for r in resources:
        if r.get("name") == name:
            r["integerValue"] = value


def _resource(resources: list[dict], name: str) -> int:
    return next((int(r.get("integerValue") or 0) for r in resources if r.get("name") == name), 0)


# --- container instances ---------------------------------------------------------------------

def _group_name(provider) -> str:
    arn = (provider.auto_scaling_group_provider or {}).get("autoScalingGroupArn", "")
    return arn.split("autoScalingGroupName/")[-1]


def _sync_instances(ctx) -> None:
    """Registers the running InService instances of the groups in their clusters, and
    deregisters those that left."""
    ecs = _ecs(ctx)
    groups = _asg(ctx).autoscaling_groups
    active = {name for name, c in ecs.clusters.items() if c.status == "ACTIVE"}
    by_group = {_group_name(p): p for p in ecs.capacity_providers.values()}
    listed = {}
    for name in active:
        for provider_name in ecs.clusters[name].capacity_providers or []:
            listed.setdefault(provider_name, name)
    wanted = {}  # (cluster, instance id) -> (group name, provider name, config, instance, since)
    now = time.time()
    for group_name, group in list(groups.items()):
        if group.__dict__.get("_emu_gone_at") is not None:
            continue
        provider = by_group.get(group_name)
        for state in group.instance_states:
            instance = state.instance
            # An instance on its way out through a terminating lifecycle hook (managed draining's,
            # `ecs_capacity.py`) stays registered, DRAINING, until EC2 stops it.
            if state.lifecycle_state != "InService" and not leaving(state):
                continue
            if instance._state.name != "running":
                continue
            config = agent_config(instance.user_data)
            cluster = config.get("ECS_CLUSTER") or (listed.get(provider.name) if provider else None)
            if cluster in active:
                wanted[(cluster, instance.id)] = (group_name, provider.name if provider else None, config, instance,
                                                  _running_since(state, now))
    for cluster_name, instances in list(ecs.container_instances.items()):
        for ci_id, ci in list(instances.items()):
            if ci.__dict__.get("_emu_group") is None:
                continue
            if (cluster_name, ci.ec2_instance_id) in wanted:
                # The group's capacity provider, made after the instance registered (see above).
                ci.__dict__["_emu_provider"] = wanted[(cluster_name, ci.ec2_instance_id)][1]
                continue
            del instances[ci_id]
            if cluster_name in ecs.clusters:
                ecs.clusters[cluster_name].registered_container_instances_count -= 1
    present = {(c, ci.ec2_instance_id) for c, cis in ecs.container_instances.items() for ci in cis.values()}
    for (cluster_name, instance_id), (group_name, provider, config, instance, since) in wanted.items():
        if (cluster_name, instance_id) in present:
            continue
        ci = ecs.register_container_instance(cluster_name, instance_id)
        ci.__dict__["_emu_group"] = group_name
        ci.__dict__["_emu_provider"] = provider
        ci.__dict__["_emu_ports"] = _port_range(config)
        # The agent registers it as the instance runs, whichever call sees it first here.
        ci.__dict__["_emu_since"] = since
        capacity = _type_capacity(instance.instance_type, config)
        if capacity is not None:
            for resources in (ci.registered_resources, ci.remaining_resources):
                _set_resource(resources, "CPU", capacity[0])
                _set_resource(resources, "MEMORY", capacity[1])


def _instances(ctx) -> dict[str, tuple[str, object]]:
    """container instance id -> (cluster, ContainerInstance), ACTIVE ones (where tasks go)."""
    return {ci_id: (c, ci) for c, cis in _ecs(ctx).container_instances.items() if c != "orphaned"
            for ci_id, ci in cis.items() if ci.status == "ACTIVE"}


def registered(ctx) -> dict[str, tuple[str, object]]:
    """container instance id -> (cluster, ContainerInstance), ACTIVE and DRAINING ones."""
    return {ci_id: (c, ci) for c, cis in _ecs(ctx).container_instances.items() if c != "orphaned"
            for ci_id, ci in cis.items() if ci.status in ("ACTIVE", "DRAINING")}


def _running_since(state, now: float) -> float:
    from .autoscaling_ext import _running_since as since

    return since(state, now)


def leaving(state) -> bool:
    from .autoscaling_hooks import is_leaving

    return is_leaving(state)


# --- tasks -----------------------------------------------------------------------------------

def _task_definition(ctx, arn: str):
    try:
        return _ecs(ctx).describe_task_definition(arn)
    except Exception:  # noqa: BLE001 - deregistered and gone
        return None


def _needs(td) -> tuple[int, int]:
    cpu = sum(int(c.get("cpu") or 0) for c in td.container_definitions)
    memory = sum(int(c.get("memoryReservation") or c.get("memory") or 0) for c in td.container_definitions)
    if getattr(td, "cpu", None):
        cpu = int(td.cpu)
    if getattr(td, "memory", None):
        memory = int(td.memory)
    return cpu, memory


def _mappings(td) -> list[tuple[str, int, int]]:
    """(container, containerPort, hostPort asked: 0 dynamic)."""
    out = []
    for c in td.container_definitions:
        for m in c.get("portMappings") or []:
            port = int(m.get("containerPort") or 0)
            host = int(m.get("hostPort") or 0)
            if td.network_mode in ("host", "awsvpc"):
                host = port
            out.append((c.get("name", ""), port, host))
    return out


def _capacity(ctx, service) -> tuple[str, list[str] | None]:
    """("FARGATE", None) or ("EC2", provider names, None meaning any instance)."""
    kept = ecs_ext._attributes.get((ctx.account, ctx.region, service.arn), {})
    strategy = kept.get("capacityProviderStrategy")
    if not strategy and not service.launch_type:
        cluster = _ecs(ctx).clusters.get(service.cluster_name)
        strategy = (cluster.default_capacity_provider_strategy or []) if cluster is not None else []
    if strategy:
        names = [i.get("capacityProvider") for i in strategy]
        if all(n in FARGATE for n in names):
            return "FARGATE", None
        return "EC2", [n for n in names if n not in FARGATE]
    if service.launch_type == "FARGATE":
        return "FARGATE", None
    return "EC2", None


def _service_tasks(ctx, service) -> list[dict]:
    """The service's tasks ECS wants running (PROVISIONING or RUNNING; not those stopping)."""
    return [t for t in _tasks.get((ctx.account, ctx.region), [])
            if t["service"] == service.arn and t["desired"] == "RUNNING"]


def service_tasks_all(ctx, service_arn: str) -> list[dict]:
    """Every task of the service still on its instance, stopping ones included."""
    return [t for t in _tasks.get((ctx.account, ctx.region), []) if t["service"] == service_arn]


def _used(ctx, ci_id: str) -> tuple[int, int, set[int]]:
    cpu = memory = 0
    ports: set[int] = set()
    for t in _tasks.get((ctx.account, ctx.region), []):
        if t["instance"] == ci_id:
            cpu += t["cpu"]
            memory += t["memory"]
            ports |= set(t["ports"].values()) if t["network"] != "awsvpc" else set()
    return cpu, memory, ports


def _fits(ctx, ci_id: str, ci, task: dict) -> bool:
    cpu, memory, ports = _used(ctx, ci_id)
    if task["cpu"] > _resource(ci.registered_resources, "CPU") - cpu:
        return False
    if task["memory"] > _resource(ci.registered_resources, "MEMORY") - memory:
        return False
    return not any(h and h in ports for _, _, h in task["asked"])


def _free_ip(ctx, subnet_id: str) -> str | None:
    ec2 = _ec2(ctx)
    try:
        subnet = ec2.get_subnet(subnet_id)
    except Exception:  # noqa: BLE001 - a subnet gone
        return None
    network = ipaddress.ip_network(subnet.cidr_block, strict=False)
    used = {t["ip"] for t in _tasks.get((ctx.account, ctx.region), []) if t.get("ip")}
    used |= {getattr(e, "private_ip_address", None) for e in ec2.enis.values()}
    # AWS keeps the first four addresses and the last. Picked by number: listing a /18's hosts
    # took a quarter of a second per task.
    first, last = int(network.network_address) + 4, int(network.broadcast_address) - 1
    if last < first:
        return None
    rng = random.Random()
    for _ in range(64):
        ip = str(ipaddress.ip_address(rng.randint(first, last)))
        if ip not in used:
            return ip
    return next((str(ipaddress.ip_address(n)) for n in range(first, last + 1)
                 if str(ipaddress.ip_address(n)) not in used), None)


def _new_task(ctx, service, d: dict, td) -> dict:
    cpu, memory = _needs(td)
    task_id = uuid.uuid4().hex
    return {
        "id": task_id,
        "arn": f"arn:aws:ecs:{ctx.region}:{ctx.account}:task/{service.cluster_name}/{task_id}",
        "service": service.arn, "deployment": d["id"], "taskDefinition": d["taskDefinition"],
        "cluster": service.cluster_name, "clusterArn": service.cluster_arn, "serviceName": service.name,
        "family": getattr(td, "family", ""), "revision": getattr(td, "revision", 0),
        "containers": [{"name": c.get("name", ""), "image": c.get("image", ""),
                        "cpu": c.get("cpu"), "memory": c.get("memory"),
                        "memoryReservation": c.get("memoryReservation")} for c in td.container_definitions],
        "createdAt": time.time(), "startedAt": None, "stoppingAt": None, "stoppedAt": None,
        "desired": "RUNNING", "stoppedReason": None, "stopCode": None, "draining": False,
        "status": "PROVISIONING", "instance": None, "ec2": None, "zone": None, "provider": None,
        "cpu": cpu, "memory": memory, "network": td.network_mode or "bridge",
        "asked": _mappings(td), "ports": {}, "ip": None, "targets": [],
    }


def _start_on(ctx, service, task: dict, ci_id: str | None, ci) -> None:
    now = time.time()
    task["status"] = "RUNNING"
    task["startedAt"] = now
    # A task that waited for this instance (managed scaling's, say) started when the instance
    # joined the cluster, not at the call that sees it there.
    since = ci.__dict__.get("_emu_since") if ci is not None else None
    if since is not None and task["createdAt"] < since < now:
        task["startedAt"] = since
    task["_register_from"] = task["startedAt"]  # its targets' health checks count from its start
    task["launchType"] = "FARGATE" if ci is None else "EC2"
    if ci is not None:
        task["instance"], task["ec2"] = ci_id, ci.ec2_instance_id
        task["instanceArn"] = ci.container_instance_arn
        task["zone"] = ci.attributes.get("ecs.availability-zone")
        task["provider"] = ci.__dict__.get("_emu_provider")
        _, _, in_use = _used(ctx, ci_id)
        low, high = ci.__dict__.get("_emu_ports") or DYNAMIC_PORTS
        for name, port, host in task["asked"]:
            if not host:
                host = next((p for p in range(low, high + 1) if p not in in_use), 0)
                in_use.add(host)
            task["ports"][(name, port)] = host
    else:
        for name, port, _ in task["asked"]:
            task["ports"][(name, port)] = port
    if task["network"] == "awsvpc":
        subnets = ((service.network_configuration or {}).get("awsvpcConfiguration") or {}).get("subnets") or []
        if subnets:
            task["ip"] = _free_ip(ctx, subnets[len(_service_tasks(ctx, service)) % len(subnets)])
        if ci is not None:
            task["ports"] = {k: k[1] for k in task["ports"]}


def _place(ctx, service, task: dict, kind: str, providers) -> bool:
    if kind == "FARGATE":
        _start_on(ctx, service, task, None, None)
        return True
    candidates = [(ci_id, ci) for ci_id, (cluster, ci) in _instances(ctx).items()
                  if cluster == service.cluster_name
                  and (providers is None or ci.__dict__.get("_emu_provider") in providers)
                  and _fits(ctx, ci_id, ci, task)]
    if not candidates:
        return False
    kept = ecs_ext._attributes.get((ctx.account, ctx.region, service.arn), {})
    strategy = kept.get("placementStrategy") or []
    mine = [t for t in _service_tasks(ctx, service) if t["status"] == "RUNNING"]
    if strategy and strategy[0].get("type") == "binpack":
        candidates.sort(key=lambda c: _resource(c[1].registered_resources, "MEMORY") - _used(ctx, c[0])[1])
    else:
        def spread(c):
            zone = c[1].attributes.get("ecs.availability-zone")
            return (sum(t["zone"] == zone for t in mine), sum(t["instance"] == c[0] for t in mine),
                    -(_resource(c[1].registered_resources, "MEMORY") - _used(ctx, c[0])[1]))

        candidates.sort(key=spread)
    _start_on(ctx, service, task, *candidates[0])
    return True


# --- target groups ---------------------------------------------------------------------------

def _target_of(task: dict, tg, lb: dict) -> tuple[str, int] | None:
    port = int(lb.get("containerPort") or 0)
    host = task["ports"].get((lb.get("containerName", ""), port))
    if host is None:
        host = next((h for (_, p), h in task["ports"].items() if p == port), None)
    if getattr(tg, "target_type", "instance") == "ip":
        return (task["ip"], port) if task.get("ip") else None
    return (task["ec2"], int(host)) if task.get("ec2") and host else None


def _register(ctx, task: dict, service) -> None:
    """Registers a running task in its service's target groups: as it started when it was just
    placed (ECS registers it as it runs), else now (a group it could not be registered in before)."""
    at = task.pop("_register_from", None) or time.time()
    groups = _elbv2(ctx).target_groups
    for lb in service.load_balancers or []:
        tg = groups.get(lb.get("targetGroupArn", ""))
        target = _target_of(task, tg, lb) if tg is not None else None
        if target is None or (tg.arn, target) in task["targets"]:
            continue
        checks = float(tg.health_check_interval_seconds) * float(tg.healthy_threshold_count)
        key = (ctx.account, ctx.region, tg.arn)
        with targets._lock:
            targets._draining.get(key, {}).pop(target, None)
            targets._registered.setdefault(key, {}).setdefault(
                target, at + checks * duration("target_health_scale"))
        tg.targets[target[0]] = {"Id": target[0], "Port": target[1]}
        task["targets"].append((tg.arn, target))


def _deregister(ctx, task: dict, at: float | None = None) -> None:
    """Deregisters the task's targets, draining from `at` (now if None)."""
    at = time.time() if at is None else at
    groups = _elbv2(ctx).target_groups
    for arn, target in task["targets"]:
        tg = groups.get(arn)
        if tg is None:
            continue
        key = (ctx.account, ctx.region, arn)
        delay = float(tg.attributes.get("deregistration_delay.timeout_seconds", 300))
        with targets._lock:
            registered = targets._registered.get(key, {})
            if registered.pop(target, None) is not None:
                targets._draining.setdefault(key, {})[target] = at + delay * duration("target_health_scale")
            still = {t[0] for t in registered}
        if target[0] not in still:
            tg.targets.pop(target[0], None)
    task["targets"] = []


def _healthy_at(ctx, task: dict) -> list[float]:
    """When each of the task's targets passes (passed) its health checks."""
    out = []
    for arn, target in task["targets"]:
        at = targets._registered.get((ctx.account, ctx.region, arn), {}).get(target)
        if at is not None:
            out.append(at)
    return out


def _healthy(ctx, task: dict) -> bool:
    groups = _elbv2(ctx).target_groups
    now = time.time()
    for arn, target in task["targets"]:
        tg = groups.get(arn)
        at = targets._registered.get((ctx.account, ctx.region, arn), {}).get(target)
        if tg is None or at is None:
            return False
        if targets._registered_state(ctx, tg, target, at, now)["TargetHealth"]["State"] != "healthy":
            return False
    return True


# --- reconciling -----------------------------------------------------------------------------

# Why the scheduler stops a task (DescribeTasks `stoppedReason`; `stopCode`
# ServiceSchedulerInitiated: "the service scheduler stopped the task", botocore `ecs` Task).
SCALED_IN = "Scaling activity initiated by (deployment {deployment})"
REPLACED = "Deployment {deployment} replaced this task"
SERVICE_DELETED = "Service {name} was deleted"
INSTANCE_DRAINING = "Container instance {ci} is DRAINING: the task was replaced on another instance"
HOST_TERMINATED = "Host EC2 (instance {ec2}) terminated."


def _stop(ctx, task: dict, reason: str = "", code: str = "ServiceSchedulerInitiated", at: float | None = None) -> None:
    """ECS stops a task: its desired status is STOPPED at once; a task that ran goes through
    DEACTIVATING — "for tasks that are part of services configured to use Elastic Load
    Balancing, the load balancer target group deregistration occurs during this state" (ECS
    developer guide, "Amazon ECS task lifecycle") — for its target groups' deregistration delay
    (× `target_health_scale`), then STOPPING for `ecs_task_stop` (the agent stops the
    containers: SIGTERM, then SIGKILL after the stop timeout), then STOPPED. Until then it keeps
    its CPU, memory and host ports on its instance. A task never placed is STOPPED at once.
    `at`: when ECS stopped it (a deployment's completion the emulator sees at a later call), so
    the states follow from then; now if None."""
    if task["desired"] == "STOPPED":
        return
    now = time.time() if at is None else min(at, time.time())
    task["desired"] = "STOPPED"
    task["stoppingAt"] = now
    task["stoppedReason"] = reason or task.get("stoppedReason")
    task["stopCode"] = code
    delay = _deregistration_delay(ctx, task)
    _deregister(ctx, task, now)
    if task["status"] == "PROVISIONING":
        _stopped_now(ctx, task)
        return
    task["status"] = "DEACTIVATING" if delay > 0 else "STOPPING"
    task["_deactivated_at"] = now + delay
    task["_stopped_at"] = now + delay + duration("ecs_task_stop")


def _deregistration_delay(ctx, task: dict) -> float:
    groups = _elbv2(ctx).target_groups
    delays = [0.0]
    for arn, _ in task["targets"]:
        tg = groups.get(arn)
        if tg is not None:
            delays.append(float(tg.attributes.get("deregistration_delay.timeout_seconds", 300)))
    return max(delays) * duration("target_health_scale")


def _stopped_now(ctx, task: dict) -> None:
    task["status"] = "STOPPED"
    task["desired"] = "STOPPED"
    # When it stopped, which may be before the call that sees it.
    task["stoppedAt"] = min(task.get("_stopped_at") or time.time(), time.time())
    tasks = _tasks.get((ctx.account, ctx.region), [])
    if task in tasks:
        tasks.remove(task)
    stopped = _stopped.setdefault((ctx.account, ctx.region), [])
    stopped.insert(0, task)
    # AWS lists stopped tasks for a while ("Recently stopped tasks might appear in the returned
    # results", ListTasks desiredStatus): the newest few hundred are kept.
    del stopped[500:]


def _advance_stops(ctx) -> None:
    now = time.time()
    for task in list(_tasks.get((ctx.account, ctx.region), [])):
        if task["desired"] != "STOPPED":
            continue
        if task["status"] == "DEACTIVATING" and now >= task["_deactivated_at"]:
            task["status"] = "STOPPING"
        if task["status"] == "STOPPING" and now >= task["_stopped_at"]:
            _stopped_now(ctx, task)


def stop_on_gone_instance(ctx, task: dict) -> None:
    """Its instance is gone (terminated, deregistered): the task is STOPPED at once."""
    _stop(ctx, task, HOST_TERMINATED.format(ec2=task.get("ec2")), "TerminationNotice")
    _stopped_now(ctx, task)


def _images_failing(ctx, td) -> bool:
    failing = ecs_ext._failing.get(ctx.account, set())
    return any(c.get("image", "") in failing for c in td.container_definitions)


def _reconcile_service(ctx, service) -> None:
    live = {d["id"]: d for d in service.deployments}
    retired = service.__dict__.get("_emu_retired") or {}  # when a deployment was replaced or failed
    for task in _service_tasks(ctx, service):
        if task["deployment"] not in live:
            adopt = next((d for d in live.values() if d.get("_emu_rollback_of") == task["deployment"]), None)
            if adopt is not None and adopt["taskDefinition"] == task["taskDefinition"]:
                task["deployment"] = adopt["id"]
                continue
            primary = next((d for d in service.deployments if d.get("status") == "PRIMARY"), None)
            _stop(ctx, task, REPLACED.format(deployment=primary["id"] if primary else "?"),
                  at=retired.get(task["deployment"]))
        elif live[task["deployment"]].get("rolloutState") == "FAILED":
            _stop(ctx, task, "Task failed to start", "TaskFailedToStart", at=retired.get(task["deployment"]))
    primary = next((d for d in service.deployments if d.get("status") == "PRIMARY"), None)
    if primary is None or primary.get("rolloutState") == "FAILED":
        return
    td = _task_definition(ctx, primary["taskDefinition"])
    if td is None or _images_failing(ctx, td):
        return
    # A task on a DRAINING instance (managed draining, `ecs_capacity.py`) no longer counts: the
    # scheduler starts its replacement elsewhere, then stops it ("Draining Amazon ECS container
    # instances": RUNNING service tasks are replaced "according to the service's deployment
    # configuration parameters, minimumHealthyPercent and maximumPercent").
    mine = [t for t in _service_tasks(ctx, service) if t["deployment"] == primary["id"] and not t["draining"]]
    surplus = len(mine) - service.desired_count
    if surplus > 0:
        for task in sorted(mine, key=lambda t: t["status"] == "RUNNING")[:surplus]:
            _stop(ctx, task, SCALED_IN.format(deployment=primary["id"]))
    for _ in range(-surplus):
        _tasks.setdefault((ctx.account, ctx.region), []).append(_new_task(ctx, service, primary, td))
    kind, providers = _capacity(ctx, service)
    unplaced = False
    for task in _service_tasks(ctx, service):
        if task["status"] == "PROVISIONING":
            task["kind"], task["providers"] = kind, providers
            if not _place(ctx, service, task, kind, providers):
                unplaced = True
    if unplaced and not primary.get("_emu_unplaced_event"):
        primary["_emu_unplaced_event"] = True
        candidates = [ci for c, ci in _instances(ctx).values() if c == service.cluster_name]
        ecs_ext._event(service, NO_FIT.format(name=service.name, ci=candidates[0].container_instance_arn.split("/")[-1])
                       if candidates else NO_PLACEMENT.format(name=service.name))
    for task in _service_tasks(ctx, service):
        if task["status"] == "RUNNING":
            _register(ctx, task, service)
    _drain(ctx, service)
    # The counts are the tasks' (the ServicesStable waiter compares runningCount and desiredCount).
    for d in service.deployments:
        if d.get("rolloutState") != "FAILED":
            ours = [t for t in _service_tasks(ctx, service) if t["deployment"] == d["id"]]
            d["runningCount"] = sum(t["status"] == "RUNNING" for t in ours)
            d["pendingCount"] = sum(t["status"] == "PROVISIONING" for t in ours)
    mine = _service_tasks(ctx, service)
    service.running_count = sum(t["status"] == "RUNNING" for t in mine)
    service.pending_count = sum(t["status"] == "PROVISIONING" for t in mine)


def _drain(ctx, service) -> None:
    """Stops the service's tasks on DRAINING instances as far as `minimumHealthyPercent` allows:
    "If the minimum is 100%, the service scheduler can't remove existing tasks until the
    replacement tasks are considered healthy" — RUNNING, and healthy in the target groups when
    the service has a load balancer ("Draining Amazon ECS container instances")."""
    tasks = _service_tasks(ctx, service)
    draining = [t for t in tasks if t["draining"]]
    if not draining:
        return
    config = (ecs_ext._attributes.get((ctx.account, ctx.region, service.arn), {})
              .get("deploymentConfiguration") or {})
    floor = math.ceil(service.desired_count * int(config.get("minimumHealthyPercent", 100)) / 100)

    def healthy(t):
        return t["status"] == "RUNNING" and (not service.load_balancers or _healthy(ctx, t))

    serving = sum(healthy(t) for t in tasks)
    for task in draining:
        if task["status"] != "RUNNING" or serving - healthy(task) >= floor:
            serving -= healthy(task)
            _stop(ctx, task, INSTANCE_DRAINING.format(ci=task["instance"]))


def _managed_scaling(ctx) -> None:
    ecs = _ecs(ctx)
    groups = _asg(ctx).autoscaling_groups
    tasks = _tasks.get((ctx.account, ctx.region), [])
    for provider in list(ecs.capacity_providers.values()):
        scaling = (provider.auto_scaling_group_provider or {}).get("managedScaling") or {}
        if scaling.get("status") != "ENABLED":
            continue
        group = groups.get(_group_name(provider))
        if group is None or group.__dict__.get("_emu_gone_at") is not None:
            continue
        waiting = [t for t in tasks if t["status"] == "PROVISIONING" and t.get("kind") == "EC2"
                   and (t.get("providers") is None or provider.name in t["providers"])]
        mine = [(ci_id, ci) for ci_id, (_, ci) in _instances(ctx).items()
                if ci.__dict__.get("_emu_provider") == provider.name]
        # Instances running a task (one stopping still runs it); no daemon services here.
        busy = [ci_id for ci_id, _ in mine if any(t["instance"] == ci_id for t in tasks)]
        size = _fresh_capacity(ctx, group, mine)
        needed = _binpack(waiting, size) if size else 0
        m = len(busy) + needed
        target = max(1, int(scaling.get("targetCapacity") or 100))
        wanted = math.ceil(m * 100 / target)
        current = int(group.desired_capacity or 0)
        if wanted < current:
            ecs_capacity.scale_in(ctx, provider, group, max(wanted, int(group.min_size or 0)), set(busy))
            continue
        ecs_capacity.not_low(provider)
        if wanted == current:
            continue
        step = min(max(wanted - current, int(scaling.get("minimumScalingStepSize") or 1)),
                   int(scaling.get("maximumScalingStepSize") or 10000))
        new = min(int(group.max_size), current + step)
        if new > current:
            group.set_desired_capacity(new)


def _fresh_capacity(ctx, group, mine) -> tuple[int, int] | None:
    """What a new instance of the group registers."""
    if mine:
        ci = mine[0][1]
        return _resource(ci.registered_resources, "CPU"), _resource(ci.registered_resources, "MEMORY")
    template = group.ec2_launch_template
    if template is None:
        return None
    try:
        version = template.get_version(ecs_ext_version(group))
    except Exception:  # noqa: BLE001 - an unknown version: the default one
        version = template.default_version()
    data = version.data or {}
    return _type_capacity(data.get("InstanceType"), agent_config(data.get("UserData")))


def ecs_ext_version(group) -> str:
    from .autoscaling_ext import _version_now

    return _version_now(group) or "1"


def _binpack(waiting: list[dict], size: tuple[int, int]) -> int:
    """How many new instances of `size` the waiting tasks fill (first fit)."""
    bins: list[list[int]] = []
    for t in waiting:
        if t["cpu"] > size[0] or t["memory"] > size[1]:
            continue  # fits no instance of this type: never placed
        for b in bins:
            if b[0] >= t["cpu"] and b[1] >= t["memory"]:
                b[0] -= t["cpu"]
                b[1] -= t["memory"]
                break
        else:
            bins.append([size[0] - t["cpu"], size[1] - t["memory"]])
    return len(bins)


def _update_remaining(ctx) -> None:
    """A container instance's remainingResources, runningTasksCount and pendingTasksCount as
    DescribeContainerInstances answers them (botocore `ecs` ContainerInstance: "For CPU and
    MEMORY resource types, this parameter describes the remaining CPU and memory that wasn't
    already allocated to tasks"; PORTS, the ports in use — the agent's reserved ones and the
    tasks' host ports; runningTasksCount "the number of tasks on the container instance that
    have a desired status (desiredStatus) of RUNNING"). A stopping task holds its share until it
    is STOPPED."""
    tasks = _tasks.get((ctx.account, ctx.region), [])
    for ci_id, (_, ci) in registered(ctx).items():
        cpu, memory, ports = _used(ctx, ci_id)
        _set_resource(ci.remaining_resources, "CPU", _resource(ci.registered_resources, "CPU") - cpu)
        _set_resource(ci.remaining_resources, "MEMORY", _resource(ci.registered_resources, "MEMORY") - memory)
        reserved = next((r.get("stringSetValue") or [] for r in ci.registered_resources
                         if r.get("name") == "PORTS"), [])
        for r in ci.remaining_resources:
            if r.get("name") == "PORTS":
                r["stringSetValue"] = list(reserved) + [str(p) for p in sorted(ports) if str(p) not in reserved]
        on = [t for t in tasks if t["instance"] == ci_id and t["desired"] == "RUNNING"]
        ci.running_tasks_count = len(on)
        ci.pending_tasks_count = sum(t["status"] == "PROVISIONING" for t in on)


def reconcile(ctx) -> None:
    """Brings instances, tasks and registrations up to date (called by `ecs_ext._advance`)."""
    with _lock:
        _sync_instances(ctx)
        _advance_stops(ctx)
        ecs_capacity.mark_draining(ctx)
        instances = registered(ctx)
        everything = _ecs(ctx).services.values()
        services = {s.arn: s for s in everything if s.status == "ACTIVE"}
        for task in list(_tasks.get((ctx.account, ctx.region), [])):
            if task["instance"] is not None and task["instance"] not in instances:
                stop_on_gone_instance(ctx, task)  # its instance is gone: the scheduler starts another
            elif task["service"] not in services:
                _stop(ctx, task, SERVICE_DELETED.format(name=task["serviceName"]))  # the service is deleted
        for service in services.values():
            _reconcile_service(ctx, service)
        _advance_stops(ctx)  # tasks stopped from an earlier moment may be further on by now
        _inactivate(ctx, everything)
        _managed_scaling(ctx)
        ecs_capacity.manage(ctx)
        _sync_instances(ctx)
        _update_remaining(ctx)


def _inactivate(ctx, services) -> None:
    """A deleted service is DRAINING until its tasks are stopping: "After all tasks have
    transitioned to either STOPPING or STOPPED status, the service status moves from DRAINING
    to INACTIVE" (botocore `ecs` DeleteService)."""
    for service in services:
        if service.status != "DRAINING":
            continue
        if all(t["status"] in ("STOPPING", "STOPPED") for t in service_tasks_all(ctx, service.arn)):
            service.status = "INACTIVE"
            service.running_count = service.pending_count = 0


def ready_at(ctx, service, d: dict) -> float | None:
    """When deployment `d` came to run its desired count of tasks, healthy in its target groups
    (the last of its tasks to start, or to pass its health checks), or None if it does not yet."""
    with _lock:
        ours = [t for t in _service_tasks(ctx, service) if t["deployment"] == d["id"]]
        running = [t for t in ours if t["status"] == "RUNNING"]
        if len(running) < service.desired_count:
            return None
        if service.load_balancers and not all(
                len(t["targets"]) >= len(service.load_balancers) and _healthy(ctx, t) for t in running):
            return None
        # The desired count's earliest-ready tasks (a surplus one ready later does not count).
        times = sorted(max([t["startedAt"] or 0.0] + _healthy_at(ctx, t)) for t in running)
        return times[service.desired_count - 1] if service.desired_count else d.get("_emu_until", time.time())


ecs_ext.PLACEMENT = __import__(__name__, fromlist=["reconcile"])


@on("ecs", "CreateService")
def refuse_target_group_without_load_balancer(ctx, call_next):
    groups = _elbv2(ctx).target_groups
    for lb in ctx.params().get("loadBalancers") or []:
        tg = groups.get(lb.get("targetGroupArn", ""))
        if tg is not None and not tg.load_balancer_arns:
            raise AwsError("InvalidParameterException", f"The target group with targetGroupArn {tg.arn} "
                           "does not have an associated load balancer.")
    return call_next()


@on("elbv2", "*")
def target_health_sees_the_tasks(ctx, call_next):
    """ECS registers a service's tasks on its own, whoever asks next: DescribeTargetHealth sees
    them (states are computed lazily, from the ECS side's clock)."""
    if ctx.info.operation == "DescribeTargetHealth":
        ecs_ext._advance(ctx)
    return call_next()
