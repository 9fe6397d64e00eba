"""ECS deployments and the destroy-order refusals, where moto 5.2.5 falls short:

- **Deployments with a rollout.** moto makes one deployment at CreateService, IN_PROGRESS for ever
  unless `MOTO_ECS_SERVICE_RUNNING` says otherwise, and UpdateService with a new task definition
  starts none. On AWS a create, or an update with a new task definition (or
  `forceNewDeployment`), starts a deployment that is PRIMARY and `rolloutState` IN_PROGRESS, the
  previous PRIMARY becoming ACTIVE; "When the service reaches a steady state, the deployment
  transitions to a COMPLETED state. If the service fails to reach a steady state and circuit
  breaker is turned on, the deployment transitions to a FAILED state. A deployment in FAILED
  state doesn't launch any new tasks" (botocore `ecs` Deployment rolloutState). Here a new
  deployment is IN_PROGRESS for the profile's `ecs_deployment_rollout` seconds, then COMPLETED
  with its desired count running, and the deployments it replaced are gone (the service runs
  one deployment: what the `ServicesStable` waiter checks).
- **The scheduler acts as the call returns** (`_schedule`): CreateService, UpdateService and
  every other successful change place the tasks (and scale out) at the call; the answer is the
  service as the call left it, its new deployment PRIMARY and IN_PROGRESS. Between calls,
  states are computed from the clock and dated when they happened (`_advance`): completion at
  the later of the rollout time and the tasks' health, the replaced tasks stopping from then, a
  rollback from the failure.
- **A circuit-breaker failure a test can cause.** Images listed at
  `PUT /_emulator/ecs/failing?account=A` `{"images": ["registry/app:bad"]}` never start: a
  deployment of a task definition with such an image ends FAILED after the same time, with the
  reason ECS gives ("ECS deployment circuit breaker: tasks failed to start."), `failedTasks` at
  the circuit breaker's threshold (`threshold`), events on the service, and — with the circuit breaker's rollback — a new PRIMARY deployment of the task
  definition the last COMPLETED deployment ran (IN_PROGRESS, then COMPLETED), the failed one
  ACTIVE with rolloutState FAILED ("the service is rolled back to the last deployment that
  completed successfully", ECS developer guide, "How the Amazon ECS deployment circuit breaker
  detects failures"). Its stopped tasks are listed by ListTasks with desiredStatus STOPPED and
  described by DescribeTasks with `stoppedReason` "Essential container in task exited" and the
  container's `reason` ("CannotPullContainerError: … not found") — through `ecs_tasks.py`,
  which answers the task API.
- **Destroy order.** DeleteCluster with ACTIVE or DRAINING services answers
  ClusterContainsServicesException ("The Cluster cannot be deleted while Services are active.")
  and with registered container instances ClusterContainsContainerInstancesException (botocore
  `ecs` DeleteCluster errors); moto deletes it. DeleteCapacityProvider of a provider in a
  cluster's list answers ClientException "The specified capacity provider is in use and cannot be
  removed." (moto deletes it).
- **DescribeServices of an unknown cluster** answers ClusterNotFoundException as moto does.

Placement (`ecs_placement.py`, which sets `PLACEMENT`): a deployment that is due completes only
once its desired count of tasks is placed and healthy in its target groups; a rollback deployment
keeps the running tasks of the deployment it rolls back to (`_emu_rollback_of`).

A deleted service's DRAINING and INACTIVE, and the task API: `ecs_tasks.py`. Not emulated
(documented in docs/emulator.md): what `ecs_placement.py` and `ecs_capacity.py` list.
"""

from __future__ import annotations

import json
import math
import threading
import time
import uuid

from .errors import AwsError
from .hooks import Response, on
from .lifecycle import duration

_lock = threading.RLock()
# account -> images whose tasks fail to start
_failing: dict[str, set[str]] = {}
# (account, region, cluster name, service name) -> stopped tasks [{taskArn, ...}]
_stopped: dict[tuple, list[dict]] = {}

REASON_FAILED = "ECS deployment circuit breaker: tasks failed to start."
# `ecs_placement` when installed: places the tasks and registers them (`reconcile`), and says
# when a deployment's tasks run, healthy in their target groups (`ready`).
PLACEMENT = None


def _backend(ctx):
    from moto.ecs.models import ecs_backends

    return ecs_backends[ctx.account][ctx.region]


def admin(method: str, account: str | None, body: bytes) -> tuple[int, dict]:
    """`/_emulator/ecs/failing?account=A`: the images whose tasks fail to start."""
    if not account:
        return 400, {"error": "account is required"}
    if method == "PUT":
        _failing[account] = set(json.loads(body or b"{}").get("images") or [])
    elif method == "DELETE":
        _failing.pop(account, None)
    elif method != "GET":
        return 405, {"error": f"{method} is not supported"}
    return 200, {"account": account, "images": sorted(_failing.get(account, set()))}


def _now() -> float:
    return time.time()


def _images(backend, task_definition: str) -> list[str]:
    try:
        td = backend.describe_task_definition(task_definition)
    except Exception:  # noqa: BLE001 - a task definition gone meanwhile runs nothing here
        return []
    return [c.get("image", "") for c in td.container_definitions]


def _deployment(service, task_definition: str, seconds: float, start: float | None = None) -> dict:
    """A PRIMARY deployment IN_PROGRESS from `start` (now if None) for `seconds`."""
    from datetime import datetime, timezone

    start = _now() if start is None else start
    created = datetime.fromtimestamp(start, tz=timezone.utc).replace(tzinfo=None)
    deployment_id = f"ecs-svc/{uuid.uuid4().int % 10**19}"
    return {
        "createdAt": created,
        "desiredCount": service.desired_count,
        "failedTasks": 0,
        "id": deployment_id,
        "launchType": service.launch_type,
        "pendingCount": service.desired_count,
        "rolloutState": "IN_PROGRESS",
        "rolloutStateReason": f"ECS deployment {deployment_id} in progress.",
        "runningCount": 0,
        "status": "PRIMARY",
        "taskDefinition": task_definition,
        "updatedAt": created,
        "_emu_until": start + seconds,
    }


def _event(service, message: str, at: float | None = None) -> None:
    from datetime import datetime, timezone

    created = datetime.fromtimestamp(_now() if at is None else at, tz=timezone.utc).replace(tzinfo=None)
    service.events.insert(0, {"id": str(uuid.uuid4()), "createdAt": created, "message": message})


def _start(ctx, service, task_definition: str) -> None:
    """A new PRIMARY deployment of `task_definition`; the one before becomes ACTIVE."""
    with _lock:
        for d in service.deployments:
            if d.get("status") == "PRIMARY":
                d["status"] = "ACTIVE"
        service.deployments.insert(0, _deployment(service, task_definition, duration("ecs_deployment_rollout")))
        service.task_definition = task_definition
        service.running_count = 0
        service.pending_count = service.desired_count


def _advance(ctx) -> None:
    """Brings every service's deployments up to the clock (states are computed lazily). What
    happened between two calls is dated when it happened, not when the emulator looks: a
    deployment completes at the later of its `_emu_until` and the moment its tasks were all
    healthy, fails at its `_emu_until`, and what follows (the replaced tasks stopping, the
    rollback deployment) starts from that moment."""
    backend = _backend(ctx)
    failing = _failing.get(ctx.account, set())
    now = _now()
    with _lock:
        if PLACEMENT is not None:
            PLACEMENT.reconcile(ctx)
        for service in list(backend.services.values()):
            if service.status != "ACTIVE":
                continue  # a deleted service's deployments go with it
            for d in list(service.deployments):
                until = d.get("_emu_until")
                if until is None or d.get("rolloutState") != "IN_PROGRESS" or until > now:
                    continue
                if any(image in failing for image in _images(backend, d["taskDefinition"])):
                    _fail(ctx, service, d, until)
                elif PLACEMENT is None:
                    _complete(service, d, until)
                else:
                    healthy = PLACEMENT.ready_at(ctx, service, d)
                    if healthy is not None:
                        _complete(service, d, max(until, healthy))
        if PLACEMENT is not None:
            PLACEMENT.reconcile(ctx)  # the tasks of the deployments completion replaced stop


def _retired(service) -> dict[str, float]:
    """deployment id -> when it was replaced or failed: its tasks stop from then."""
    return service.__dict__.setdefault("_emu_retired", {})


def _complete(service, d: dict, at: float) -> None:
    d["rolloutState"] = "COMPLETED"
    d["rolloutStateReason"] = f"ECS deployment {d['id']} completed."
    d["runningCount"] = d["desiredCount"] = service.desired_count
    d["pendingCount"] = 0
    d.pop("_emu_until", None)
    if d.get("status") == "PRIMARY":
        # The deployments it replaced stop their tasks (from `at`) and are gone.
        for x in service.deployments:
            if x is not d:
                _retired(service)[x["id"]] = at
        service.deployments[:] = [x for x in service.deployments if x is d]
        service.running_count = service.desired_count
        service.pending_count = 0
        _event(service, f"(service {service.name}) has reached a steady state.", at)


def threshold(desired: int) -> int:
    """The circuit breaker's failure threshold: "The deployment circuit breaker has a minimum
    threshold of 3 and a maximum threshold of 200 ... 0.5 * desired task count" (ECS API
    reference, ServiceDeploymentCircuitBreaker threshold; the developer guide's "How the Amazon
    ECS deployment circuit breaker detects failures": Stage 1 counts the tasks that never reach
    RUNNING, and the deployment is FAILED once that count reaches the threshold)."""
    return min(200, max(3, math.ceil(0.5 * desired)))


def _fail(ctx, service, d: dict, at: float) -> None:
    d["rolloutState"] = "FAILED"
    d["rolloutStateReason"] = REASON_FAILED
    d["failedTasks"] = threshold(service.desired_count)
    d["runningCount"] = 0
    d.pop("_emu_until", None)
    _retired(service)[d["id"]] = at
    images = _images(_backend(ctx), d["taskDefinition"])
    key = (ctx.account, ctx.region, service.cluster_name, service.name)
    stopped = _stopped.setdefault(key, [])
    for _ in range(d["failedTasks"]):
        task_id = uuid.uuid4().hex
        stopped.insert(0, {
            "taskArn": f"arn:aws:ecs:{ctx.region}:{ctx.account}:task/{service.cluster_name}/{task_id}",
            "clusterArn": service.cluster_arn,
            "taskDefinitionArn": d["taskDefinition"],
            "lastStatus": "STOPPED",
            "desiredStatus": "STOPPED",
            "group": f"service:{service.name}",
            "stopCode": "TaskFailedToStart",
            "stoppedAt": round(at, 3),
            "stoppedReason": "Essential container in task exited",
            "containers": [{
                "name": "app",
                "lastStatus": "STOPPED",
                "reason": f"CannotPullContainerError: pull image manifest has been retried 5 time(s): "
                          f"{images[0] if images else 'image'}: not found",
            }],
        })
    _event(service, f"(service {service.name}) (deployment {d['id']}) deployment failed: tasks failed to start.", at)
    previous = next((x for x in service.deployments if x is not d and x.get("rolloutState") == "COMPLETED"), None)
    if d.get("status") == "PRIMARY" and previous is not None:
        # Rolled back: a new PRIMARY deployment of the last completed one's task definition.
        d["status"] = "ACTIVE"
        _event(service, f"(service {service.name}) rolling back to deployment {previous['id']}.", at)
        # The rollback starts when the deployment failed, with the duration the profile has now.
        rollback = _deployment(service, previous["taskDefinition"], duration("ecs_deployment_rollout"), at)
        rollback["_emu_rollback_of"] = previous["id"]  # it keeps that deployment's running tasks
        service.deployments.remove(previous)
        service.deployments.insert(0, rollback)
        service.task_definition = previous["taskDefinition"]


def _json_body(resp: Response) -> dict:
    try:
        return json.loads(resp.body or b"{}")
    except ValueError:
        return {}


def _strip_private(resp: Response) -> Response:
    """Takes the emulator's own keys (`_emu_…`) out of an answer."""
    data = _json_body(resp)
    changed = False
    for service in ([data.get("service")] if data.get("service") else []) + list(data.get("services") or []):
        for d in service.get("deployments") or []:
            for k in [k for k in d if k.startswith("_emu_")]:
                del d[k]
                changed = True
    if changed:
        resp.body = json.dumps(data).encode()
    return resp


@on("ecs", "*")
def advance(ctx, call_next):
    _advance(ctx)
    resp = _strip_private(call_next())
    if resp.status == 200 and not ctx.info.operation.startswith(("Describe", "List")):
        # What a change sets going starts as the call returns (`_schedule`): a capacity
        # provider's managed scaling turned on scales out now, not at the account's next call.
        _schedule(ctx)
    return resp


def _service(ctx, cluster: str, name: str):
    backend = _backend(ctx)
    try:
        return backend._get_service(cluster or "default", name.split("/")[-1])
    except Exception:  # noqa: BLE001 - moto's ServiceNotFound and ClusterNotFound
        return None


# What AWS keeps of a service and moto 5.2.5 drops (botocore `ecs` Service:
# capacityProviderStrategy, deploymentConfiguration, healthCheckGracePeriodSeconds,
# enableECSManagedTags, placementStrategy). A service made with a capacity provider strategy has
# no launchType in AWS's answers (the two are exclusive in CreateService: "If a
# capacityProviderStrategy is specified, the launchType parameter must be omitted").
_KEPT = ("capacityProviderStrategy", "deploymentConfiguration", "healthCheckGracePeriodSeconds",
         "enableECSManagedTags", "placementStrategy")
_attributes: dict[tuple, dict] = {}


def _key(ctx, service) -> tuple:
    return (ctx.account, ctx.region, service.arn)


def _remember(ctx, service, p: dict) -> None:
    with _lock:
        kept = _attributes.setdefault(_key(ctx, service), {})
        for name in _KEPT:
            if name in p:
                kept[name] = p[name]
        if "deploymentConfiguration" in kept:
            # AWS answers with the defaults it applied (100/200, no circuit breaker).
            config = dict(kept["deploymentConfiguration"])
            config.setdefault("minimumHealthyPercent", 100)
            config.setdefault("maximumPercent", 200)
            kept["deploymentConfiguration"] = config


def _with_attributes(ctx, service: dict) -> dict:
    kept = _attributes.get((ctx.account, ctx.region, service.get("serviceArn")), {})
    service.update(kept)
    if kept.get("capacityProviderStrategy"):
        service.pop("launchType", None)
    return service


@on("ecs", "DescribeServices")
def describe_services(ctx, call_next):
    resp = call_next()
    if resp.status == 200:
        data = _json_body(resp)
        data["services"] = [_with_attributes(ctx, svc) for svc in data.get("services") or []]
        resp.body = json.dumps(data).encode()
    return resp


@on("ecs", "CreateService")
def create_service(ctx, call_next):
    resp = call_next()
    if resp.status == 200:
        p = ctx.params()
        service = _service(ctx, p.get("cluster", "default"), p.get("serviceName", ""))
        if service is not None:
            with _lock:
                _attributes.pop(_key(ctx, service), None)  # a service made again starts afresh
            _remember(ctx, service, p)
        if service is not None and service.task_definition:
            with _lock:
                service.deployments.clear()
            _start(ctx, service, service.task_definition)
            answer = _strip_private(_rewrite(ctx, resp, service))
            _schedule(ctx)
            return answer
    return resp


def _schedule(ctx) -> None:
    """The service scheduler acts as the call returns, not at the account's next call: "Amazon
    ECS runs another copy of the task" as soon as fewer than `desiredCount` run (botocore `ecs`
    CreateService), and an UpdateService with a new task definition starts the deployment's tasks
    at once, the scheduler using minimumHealthyPercent and maximumPercent to replace the old ones
    (botocore `ecs` UpdateService; ECS developer guide, "Deploy Amazon ECS services by replacing
    tasks"). So the tasks are placed (and registered in their target groups, whose health checks
    start counting) at the call; the answer is the service as the call left it, the new
    deployment PRIMARY and IN_PROGRESS — a deployment never completes or fails inside the call
    that started it (the circuit breaker needs failed tasks: `threshold`), which is why only
    placement runs here and not `_advance`: a rollout of 0 s failing inside UpdateService would
    answer the rollback as PRIMARY, and a client following that deployment would see it COMPLETED."""
    if PLACEMENT is not None:
        with _lock:
            PLACEMENT.reconcile(ctx)


@on("ecs", "UpdateService")
def update_service(ctx, call_next):
    p = ctx.params()
    service = _service(ctx, p.get("cluster", "default"), p.get("service", ""))
    before = service.task_definition if service is not None else None
    resp = call_next()
    if resp.status != 200 or service is None:
        return resp
    _remember(ctx, service, p)
    wanted = p.get("taskDefinition")
    if wanted:
        wanted = _backend(ctx).describe_task_definition(wanted).arn
    if (wanted and wanted != before) or p.get("forceNewDeployment"):
        _start(ctx, service, wanted or before)
    elif "desiredCount" in p:
        for d in service.deployments:
            if d.get("status") == "PRIMARY":
                d["desiredCount"] = service.desired_count
                if d.get("rolloutState") == "COMPLETED":
                    d["runningCount"] = service.desired_count
    answer = _strip_private(_rewrite(ctx, resp, service))
    _schedule(ctx)
    return answer


def _rewrite(ctx, resp: Response, service) -> Response:
    """The answer's service as it now is (moto built it before the deployment started)."""
    data = _json_body(resp)
    if "service" in data:
        data["service"]["deployments"] = [
            {k: (v.timestamp() if hasattr(v, "timestamp") else v) for k, v in d.items() if not k.startswith("_emu_")}
            for d in service.deployments
        ]
        data["service"]["taskDefinition"] = service.task_definition
        _with_attributes(ctx, data["service"])
        resp.body = json.dumps(data).encode()
    return resp


@on("ecs", "DeleteCluster")
def delete_cluster(ctx, call_next):
    backend = _backend(ctx)
    name = ctx.params().get("cluster", "").split("/")[-1]
    active = [s for s in backend.services.values() if s.cluster_name == name and s.status in ("ACTIVE", "DRAINING")]
    if active:
        raise AwsError("ClusterContainsServicesException", "The Cluster cannot be deleted while Services are active.")
    if backend.container_instances.get(name):
        raise AwsError("ClusterContainsContainerInstancesException",
                       "The Cluster cannot be deleted while Container Instances are active or draining.")
    return call_next()


@on("ecs", "DeleteCapacityProvider")
def delete_capacity_provider(ctx, call_next):
    backend = _backend(ctx)
    ref = ctx.params().get("capacityProvider", "")
    provider = backend._get_provider(ref)
    if provider is None:
        raise AwsError("ClientException", f"The specified capacity provider {ref} does not exist.")
    for cluster in backend.clusters.values():
        if cluster.status == "ACTIVE" and provider.name in (cluster.capacity_providers or []):
            raise AwsError("ClientException", "The specified capacity provider is in use and cannot be removed.")
    return call_next()


@on("ecs", "DescribeCapacityProviders")
def describe_capacity_providers(ctx, call_next):
    """Without `capacityProviders`, AWS describes every capacity provider of the account and
    region (botocore `ecs` DescribeCapacityProviders: the member is optional, and the call
    pages with maxResults/nextToken); moto 5.2.5 fails on the missing list. Ask moto for them
    all by name instead."""
    p = ctx.params()
    if p.get("capacityProviders"):
        return call_next()
    names = list(_backend(ctx).capacity_providers)
    if not names:
        return Response(200, [("Content-Type", "application/x-amz-json-1.1")],
                        json.dumps({"capacityProviders": [], "failures": []}).encode())
    body = dict(p, capacityProviders=names)
    body.pop("maxResults", None)
    body.pop("nextToken", None)
    return ctx.call_moto(json.dumps(body).encode())
