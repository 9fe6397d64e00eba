"""The tasks ECS runs for services, as the task API shows them, and a deleted service's DRAINING,
where moto 5.2.5 falls short (it runs no task for a service, so ListTasks and DescribeTasks knew
only tasks made by RunTask/StartTask; its ListTasks ignores `serviceName` and lists every desired
status when none is given; DeleteService made a service INACTIVE at once and ListServices listed
it):

- **ListTasks** (botocore `ecs` ListTasks) of the services' tasks (`ecs_placement.py`) with the
  filters the model has: `cluster`, `containerInstance` (ARN or id), `family`, `startedBy`
  (a service's tasks are started by `ecs-svc/<deployment number>`), `serviceName` ("limits the
  results to tasks that belong to that service"), `launchType` and `desiredStatus` — "The
  default status filter is RUNNING"; STOPPED lists the tasks ECS has set to stop, those still
  stopping and the recently stopped ("Recently stopped tasks might appear in the returned
  results"); PENDING none of a service's (their desired status is RUNNING from the start).
  `maxResults` (1–100, default 100) and `nextToken` page the answer. moto's own tasks are listed
  as moto lists them, but not under a `serviceName` (they belong to no service).
- **DescribeTasks** of those tasks: `lastStatus` PROVISIONING, RUNNING, DEACTIVATING, STOPPING
  or STOPPED (ECS developer guide, "Amazon ECS task lifecycle"), `desiredStatus`, the container
  instance, zone, capacity provider, launch type, `group` `service:<name>`, `startedBy`, the
  containers with their `networkBindings` (bridge: the host port ECS chose) or the task's
  private IP (awsvpc), `createdAt`/`startedAt`/`stoppingAt`/`stoppedAt`, `stopCode` and
  `stoppedReason`; an ARN or id ECS does not know is a failure `MISSING`.
- **DeleteService** answers the service DRAINING while tasks still need cleaning up, INACTIVE
  once they are all STOPPING or STOPPED ("When you delete a service, if there are still running
  tasks that require cleanup, the service status moves from ACTIVE to DRAINING, and the service
  is no longer visible in the console or in the ListServices API operation. After all tasks
  have transitioned to either STOPPING or STOPPED status, the service status moves from
  DRAINING to INACTIVE", botocore `ecs` DeleteService); ListServices lists ACTIVE services
  only; CreateService of a name still DRAINING answers InvalidParameterException "Unable to
  Start a service that is still Draining." (as ECS does).
"""

from __future__ import annotations

import json

from . import ecs_ext, ecs_placement
from .errors import AwsError
from .hooks import Response, on

JSON = [("Content-Type", "application/x-amz-json-1.1")]


def _answer(data: dict) -> Response:
    return Response(200, list(JSON), json.dumps(data).encode())


def _ours(ctx) -> list[dict]:
    """Every service task of the account and region: on instances (stopping ones too), then
    stopped ones, newest first."""
    key = (ctx.account, ctx.region)
    with ecs_placement._lock:
        return list(ecs_placement._tasks.get(key, [])) + list(ecs_placement._stopped.get(key, []))


def _failed_starts(ctx) -> list[dict]:
    """The tasks of circuit-breaker failures (`ecs_ext.py`), already in the Task shape."""
    return [t for (acct, region, _, _), tasks in ecs_ext._stopped.items() if (acct, region) == (ctx.account, ctx.region)
            for t in tasks]


def _cluster_name(ref: str | None) -> str:
    return (ref or "default").split("/")[-1]


def _started_by(task: dict) -> str:
    return "ecs-svc/" + task["deployment"].split("/")[-1]


def _matches(task: dict, p: dict) -> bool:
    if task["cluster"] != _cluster_name(p.get("cluster")):
        return False
    if p.get("serviceName") and task["serviceName"] != p["serviceName"].split("/")[-1]:
        return False
    wanted = p.get("desiredStatus") or "RUNNING"
    if task["desired"] != wanted:
        return False
    if p.get("containerInstance") and (task["instance"] or "") != p["containerInstance"].split("/")[-1]:
        return False
    if p.get("family") and task["family"] != p["family"]:
        return False
    if p.get("startedBy") and _started_by(task) != p["startedBy"]:
        return False
    return not (p.get("launchType") and task.get("launchType", "EC2") != p["launchType"])


def _page(arns: list[str], p: dict) -> dict:
    size = int(p.get("maxResults") or 100)
    if not 1 <= size <= 100:
        raise AwsError("InvalidParameterException", "maxResults must be between 1 and 100.")
    start = int(p["nextToken"]) if str(p.get("nextToken") or "").isdigit() else 0
    out = {"taskArns": arns[start:start + size]}
    if start + size < len(arns):
        out["nextToken"] = str(start + size)
    return out


@on("ecs", "ListTasks")
def list_tasks(ctx, call_next):
    p = ctx.params()
    # moto's own tasks (RunTask, StartTask), and its ClusterNotFoundException for a missing cluster.
    body = {k: v for k, v in p.items() if k not in ("maxResults", "nextToken", "serviceName", "launchType")}
    body.setdefault("desiredStatus", "RUNNING")
    resp = ctx.call_moto(json.dumps(body).encode())
    if resp.status != 200:
        return resp
    theirs = [] if p.get("serviceName") else list(ecs_ext._json_body(resp).get("taskArns") or [])
    ours = [t["arn"] for t in _ours(ctx) if _matches(t, p)]
    if (p.get("desiredStatus") == "STOPPED" and p.get("serviceName")
            and not p.get("containerInstance") and not p.get("startedBy")):
        key = (ctx.account, ctx.region, _cluster_name(p.get("cluster")), p["serviceName"].split("/")[-1])
        ours += [t["taskArn"] for t in ecs_ext._stopped.get(key, [])]
    return _answer(_page(ours + [a for a in theirs if a not in ours], p))


def _ts(value):
    return value if value is None else round(float(value), 3)


def _task_view(ctx, task: dict, tags: bool) -> dict:
    containers = []
    for c in task["containers"]:
        bindings = [{"bindIP": "0.0.0.0", "containerPort": port, "hostPort": host, "protocol": "tcp"}
                    for (name, port), host in task["ports"].items()
                    if name == c["name"] and task["network"] != "awsvpc" and host]
        status = {"PROVISIONING": "PENDING", "STOPPED": "STOPPED"}.get(task["status"], "RUNNING")
        view = {
            "containerArn": f"arn:aws:ecs:{ctx.region}:{ctx.account}:container/{task['cluster']}/{task['id']}/"
                            f"{abs(hash((task['id'], c['name']))) % 10**12:012d}",
            "taskArn": task["arn"], "name": c["name"], "image": c["image"], "lastStatus": status,
            "networkBindings": bindings, "healthStatus": "UNKNOWN",
        }
        if task.get("ip"):
            view["networkInterfaces"] = [{"privateIpv4Address": task["ip"]}]
        for key in ("cpu", "memory", "memoryReservation"):
            if c.get(key) is not None:
                view[key] = str(c[key])
        containers.append(view)
    view = {
        "taskArn": task["arn"], "clusterArn": task["clusterArn"], "taskDefinitionArn": task["taskDefinition"],
        "lastStatus": task["status"], "desiredStatus": task["desired"],
        "launchType": task.get("launchType", "EC2" if task.get("kind") != "FARGATE" else "FARGATE"),
        "group": f"service:{task['serviceName']}", "startedBy": _started_by(task),
        "cpu": str(task["cpu"]), "memory": str(task["memory"]), "containers": containers,
        "createdAt": _ts(task["createdAt"]), "version": 1, "connectivity": "CONNECTED",
        "healthStatus": "UNKNOWN", "attachments": [], "overrides": {"containerOverrides": []},
    }
    optional = {
        "containerInstanceArn": task.get("instanceArn"), "availabilityZone": task.get("zone"),
        "capacityProviderName": task.get("provider"), "startedAt": _ts(task.get("startedAt")),
        "stoppingAt": _ts(task.get("stoppingAt")), "stoppedAt": _ts(task.get("stoppedAt")),
        "stopCode": task.get("stopCode"), "stoppedReason": task.get("stoppedReason"),
    }
    view.update({k: v for k, v in optional.items() if v is not None})
    if tags:
        view["tags"] = []
    return view


@on("ecs", "DescribeTasks")
def describe_tasks(ctx, call_next):
    p = ctx.params()
    wanted = list(p.get("tasks") or [])
    tags = "TAGS" in (p.get("include") or [])
    cluster = _cluster_name(p.get("cluster"))
    mine = {t["arn"]: t for t in _ours(ctx) if t["cluster"] == cluster}
    by_id = {t["id"]: t for t in mine.values()}
    failed = {t["taskArn"]: t for t in _failed_starts(ctx)}
    found, rest = [], []
    for ref in wanted:
        task = mine.get(ref) or by_id.get(ref)
        if task is not None:
            found.append(_task_view(ctx, task, tags))
        elif ref in failed:
            found.append(dict(failed[ref]))
        else:
            rest.append(ref)
    failures = []
    if rest or not wanted:
        # The others as moto answers them (its own tasks, and its errors for a missing cluster).
        resp = ctx.call_moto(json.dumps(dict(p, tasks=rest)).encode())
        if resp.status != 200:
            return resp
        theirs = ecs_ext._json_body(resp).get("tasks") or []
        found += theirs
        known = {t.get("taskArn") for t in theirs} | {t.get("taskArn", "").split("/")[-1] for t in theirs}
        failures = [{"arn": ref, "reason": "MISSING"} for ref in rest if ref not in known]
    return _answer({"tasks": found, "failures": failures})


@on("ecs", "ListServices")
def list_active_services(ctx, call_next):
    """DRAINING and INACTIVE services are not listed (moto lists them all)."""
    resp = call_next()
    if resp.status == 200:
        data = ecs_ext._json_body(resp)
        status = {s.arn: s.status for s in ecs_ext._backend(ctx).services.values()}
        data["serviceArns"] = [a for a in data.get("serviceArns") or [] if status.get(a, "ACTIVE") == "ACTIVE"]
        resp.body = json.dumps(data).encode()
    return resp


@on("ecs", "CreateService")
def refuse_a_name_still_draining(ctx, call_next):
    p = ctx.params()
    backend = ecs_ext._backend(ctx)
    existing = backend.services.get(f"{_cluster_name(p.get('cluster'))}:{p.get('serviceName', '')}")
    if existing is not None and existing.status == "DRAINING":
        raise AwsError("InvalidParameterException", "Unable to Start a service that is still Draining.")
    return call_next()


@on("ecs", "DeleteService")
def delete_service_drains(ctx, call_next):
    p = ctx.params()
    resp = call_next()
    if resp.status != 200:
        return resp
    service = ecs_ext._service(ctx, p.get("cluster", "default"), p.get("service", ""))
    if service is None:
        return resp
    with ecs_placement._lock:
        ecs_placement.reconcile(ctx)  # its tasks start stopping now
        cleaning = [t for t in ecs_placement.service_tasks_all(ctx, service.arn)
                    if t["status"] not in ("STOPPING", "STOPPED")]
        service.status = "DRAINING" if cleaning else "INACTIVE"
    data = ecs_ext._json_body(resp)
    if "service" in data:
        data["service"]["status"] = service.status
        resp.body = json.dumps(data).encode()
    return resp
