"""State Manager associations, which moto lacks (moto 5.2.5's SSM has documents, parameters,
commands and maintenance windows, but no CreateAssociation): CreateAssociation,
DescribeAssociation, UpdateAssociation, DeleteAssociation, ListAssociations,
DescribeAssociationExecutions, DescribeAssociationExecutionTargets, and an association's tags
(AddTagsToResource / ListTagsForResource / RemoveTagsFromResource with ResourceType
`Association`, which botocore's `ResourceTypeForTagging` has). The Resource Groups Tagging API
lists associations and documents (`ssm:association`, `ssm:document`: AWS's list of resource
types the tagging API supports; moto leaves SSM out).

Requests have already passed the botocore model (`model_validation.py`: required members,
patterns such as AssociationName `^[a-zA-Z0-9_\\-.]{3,128}$`, MaxConcurrency, MaxErrors, enums);
this module adds what the model cannot say:

- the document must exist (`InvalidDocument`), and a numbered `DocumentVersion` must be one of
  its versions (`InvalidDocumentVersion`); `$DEFAULT` / `$LATEST` are kept as given and resolved
  when an execution starts;
- a target's key is `InstanceIds`, `tag:<key>`, `tag-key`, `resource-groups:Name`,
  `resource-groups:ResourceTypeFilters` or `ParameterValues` (botocore `ssm` Target
  documentation), else `InvalidTarget`;
- a schedule is `rate(N unit)` — at least 30 minutes — `cron(...)` or `at(...)` (Systems Manager
  user guide, "Reference: Cron and rate expressions for Systems Manager": "rate expressions ...
  for associations the minimum is 30 minutes"), else `InvalidSchedule`;
- UpdateAssociation "removes all optional parameters from the request and overwrites the
  association with null values for those parameters" (botocore `ssm` UpdateAssociation
  documentation): an update that leaves out MaxConcurrency or DocumentVersion clears it;
  `AssociationVersion`, when given, must be the latest (`InvalidAssociationVersion`).

Executions, with time. Creating or updating an association starts an execution ("When you
update an association, the association immediately runs against the specified targets", same
documentation). Its targets are resolved when it starts: the account's **running** EC2 instances
(moto's EC2 backend, same account and region) matching every target entry (`InstanceIds`: those
ids, `*` all; `tag:K`: tag K with one of the values; `tag-key`: one of the keys). Every running
instance counts as a managed node (the emulator has no SSM agent); an instance still `pending`
is not one yet, so it is not a target — as on AWS, where an association made while its instance
is still initialising finds no node (hashicorp/terraform-provider-aws#31175). The execution is
`Pending` for the profile's `ssm_association_dispatch` seconds, then its targets run
`MaxConcurrency` at a time (a number, or a percentage of the targets, at least one), each
`InProgress` for `ssm_association_target` seconds, then `Success` — or `Failed` where a test
marked the instance as failing (`PUT /_emulator/ssm/failing?account=A`
`{"instances": ["i-..."]}`, `GET`, `DELETE`). Once more targets have failed than `MaxErrors`
allows (a number, or a percentage of the targets; `0`: the first failure stops it), the targets
not yet started are not run ("the system stops sending requests to run the association on
additional targets", botocore MaxErrors documentation) and are not listed. An execution with no
target succeeds at once: AWS reports such an association `Success` with an empty
`AssociationStatusAggregatedCount` (an association on a tag no node has, quoted in
iann0036/former2#92).

The association's `Overview` follows its latest execution: `Pending` (`DetailedStatus`
`Creating` for a new association, as AWS answers CreateAssociation — see the describe-association
output quoted in turbot/steampipe-plugin-aws#1143 — else `Pending`/`InProgress`) until every
target is done, then `Success` or `Failed`, with `AssociationStatusAggregatedCount` counting the
targets by status, counted over the latest run of each target since the last create or update.

Nodes that join later. "For dynamic targets, such as an AWS resource group or an AWS autoscaling
group, State Manager applies the configuration when new managed nodes are added to the group"
(botocore `ssm` CreateAssociation documentation), and the user guide's "Running Auto Scaling groups
with associations" targets the group's instances by tag for exactly that. So an instance that
starts running after an execution resolved its targets, and that the targets name, gets an
execution of its own (the association's current version, its own ExecutionId) that starts when the
instance reached `running` (or when it is first seen, for one moto launched running), `Pending`
for the dispatch time, then runs as above; the association's overview is `Pending` again until it
ends. Instances an association names by `InstanceIds` join the same way when they start. Schedules
never fire.
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
import uuid

from .errors import AwsError
from .hooks import Response, on
from .lifecycle import duration, phase_of
from .partition import partition_of

_lock = threading.Lock()
# (account, region) -> {association id -> association}
_associations: dict[tuple[str, str], dict[str, dict]] = {}
# account -> instance ids whose runs end Failed (the test control)
_failing: dict[str, set[str]] = {}

# What UpdateAssociation overwrites with null when the request leaves it out.
_OPTIONAL = ("DocumentVersion", "ScheduleExpression", "Parameters", "AssociationName", "MaxErrors",
             "MaxConcurrency", "ComplianceSeverity", "SyncCompliance", "ApplyOnlyAtCronInterval",
             "OutputLocation", "AutomationTargetParameterName")
_TARGET_KEYS = {"InstanceIds", "tag-key", "resource-groups:Name", "resource-groups:ResourceTypeFilters",
                "ParameterValues"}
_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_DONE = ("Success", "Failed")


def _json(data) -> Response:
    return Response(200, [("Content-Type", "application/x-amz-json-1.1")], json.dumps(data).encode())


def _store(ctx) -> dict[str, dict]:
    return _associations.setdefault((ctx.account, ctx.region), {})


def _arn(ctx, association_id: str) -> str:
    return f"arn:{partition_of(ctx.region)}:ssm:{ctx.region}:{ctx.account}:association/{association_id}"


# --- documents (moto's SSM backend) ------------------------------------------------------------

def _ssm(ctx):
    from moto.ssm.models import ssm_backends

    return ssm_backends[ctx.account][ctx.region]


def _check_document(ctx, name: str, version: str | None) -> None:
    documents = _ssm(ctx)._documents.get(name.rsplit("/", 1)[-1])
    if documents is None:
        raise AwsError("InvalidDocument", f"Document {name} does not exist in your account", 400)
    if version and version not in ("$DEFAULT", "$LATEST") and version not in documents.versions:
        raise AwsError("InvalidDocumentVersion", f"Document {name} does not have version {version}", 400)


# --- validation the model cannot express -------------------------------------------------------

def _check_targets(targets: list[dict]) -> None:
    for target in targets:
        key = target.get("Key", "")
        if key not in _TARGET_KEYS and not key.startswith("tag:"):
            raise AwsError("InvalidTarget", f"Target key {key} is not valid.", 400)


def _check_schedule(expression: str | None) -> None:
    if expression is None:
        return
    rate = _RATE.match(expression)
    if rate:
        minutes = int(rate.group(1)) * {"m": 1, "h": 60, "d": 1440}[rate.group(2)[0]]
        if minutes >= 30:
            return
    elif re.match(r"^(cron|at)\(.+\)$", expression):
        return
    raise AwsError("InvalidSchedule", f"Schedule expression {expression} is not valid.", 400)


# --- targets and executions --------------------------------------------------------------------

def _running_instances(ctx) -> list:
    from moto.ec2.models import ec2_backends

    backend = ec2_backends[ctx.account][ctx.region]
    instances = [i for r in list(backend.reservations.values()) for i in r.instances]
    return [i for i in instances if i._state.name == "running"]


def _instance_tags(instance) -> dict[str, str]:
    return {t["key"]: t["value"] for t in instance.get_tags()}


def _matches(instance, target: dict) -> bool:
    key, values = target.get("Key", ""), target.get("Values") or []
    if key == "InstanceIds":
        return "*" in values or instance.id in values
    tags = _instance_tags(instance)
    if key.startswith("tag:"):
        return tags.get(key[len("tag:"):]) in values
    if key == "tag-key":
        return any(v in tags for v in values)
    return False  # resource groups and Automation parameters are not emulated: no node


def _resolve(ctx, targets: list[dict]) -> list[str]:
    if not targets:
        return []
    return sorted(i.id for i in _running_instances(ctx) if all(_matches(i, t) for t in targets))


def _count(spec: str | None, total: int, default: int, at_least: int) -> int:
    """A MaxConcurrency / MaxErrors value: a number, or a percentage of the targets."""
    if not spec:
        return default
    if spec.endswith("%"):
        return max(at_least, math.floor(total * int(spec[:-1]) / 100))
    return max(at_least, int(spec))


def _start_execution(ctx, association: dict, targets: list[str] | None = None,
                     at: float | None = None) -> None:
    """An execution over `targets` (default: every node the targets name now) created `at` (now);
    `targets` given: nodes that joined after the last create or update."""
    joined = targets is not None
    if targets is None:
        targets = _resolve(ctx, association.get("Targets") or [])
    now = time.time() if at is None else at
    association["_executions"].append({
        "ExecutionId": str(uuid.uuid4()),
        "AssociationVersion": association["AssociationVersion"],
        "CreatedTime": now,
        "_first": association["AssociationVersion"] == "1" and not joined,
        "_joined": joined,
        "_targets": targets,
        "_start": now + duration("ssm_association_dispatch"),
        "_step": duration("ssm_association_target"),
        # AWS's default MaxConcurrency is 100% (botocore MaxConcurrency documentation).
        "_concurrency": _count(association.get("MaxConcurrency"), len(targets), max(1, len(targets)), 1),
        # No MaxErrors: no limit.
        "_max_errors": _count(association.get("MaxErrors"), len(targets), len(targets), 0),
        "_failing": set(_failing.get(ctx.account, set())),
    })


def _since_update(association: dict) -> list[dict]:
    """The executions from the last create or update on (that one first, then nodes that joined)."""
    executions = association["_executions"]
    last = max(i for i, e in enumerate(executions) if not e["_joined"])
    return executions[last:]


def _running_since(instance, now: float) -> float:
    """When the instance reached `running`: the end of its emulated `pending` phase, else now."""
    ph = phase_of(instance._state)
    if ph is not None and ph.steps and ph.steps[0][0] == "pending":
        return min(now, ph.start + sum(seconds for _, seconds in ph.steps))
    return now


def _join_new_nodes(ctx, association: dict) -> None:
    """Starts an execution for running nodes the targets name that no execution since the last
    create or update has covered (nodes that joined: see the module's documentation)."""
    targets = association.get("Targets") or []
    if not targets:
        return
    covered = {i for e in _since_update(association) for i in e["_targets"]}
    now = time.time()
    joined = [i for i in _running_instances(ctx) if i.id not in covered and all(_matches(i, t) for t in targets)]
    if not joined:
        return
    latest = association["_executions"][-1]["CreatedTime"]
    at = max([latest] + [_running_since(i, now) for i in joined])
    _start_execution(ctx, association, sorted(i.id for i in joined), at)


def _runs(execution: dict, now: float) -> list[dict]:
    """Each run target's state at `now`: [{ResourceId, Status, _end}]; not-run ones left out."""
    step, width = execution["_step"], execution["_concurrency"]
    out = []
    ended: list[tuple[float, bool]] = []  # (end, failed) of the targets started so far
    for i, resource in enumerate(execution["_targets"]):
        start = execution["_start"] + (i // width) * step
        end = start + step
        failures = sum(1 for e, failed in ended if failed and e <= start)
        if failures > execution["_max_errors"]:
            if now >= start:
                break  # stopped: this target and the rest are never run
            out.append({"ResourceId": resource, "Status": "Pending", "_end": None})
            continue
        failed = resource in execution["_failing"]
        ended.append((end, failed))
        if now < start:
            status = "Pending"
        elif now < end:
            status = "InProgress"
        else:
            status = "Failed" if failed else "Success"
        out.append({"ResourceId": resource, "Status": status, "_end": end})
    return out


def _execution_status(execution: dict, now: float) -> tuple[str, list[dict]]:
    runs = _runs(execution, now)
    if any(r["Status"] not in _DONE for r in runs):
        status = "Pending" if now < execution["_start"] else "InProgress"
    elif any(r["Status"] == "Failed" for r in runs) or len(runs) < len(execution["_targets"]):
        status = "Failed"
    else:
        status = "Success"
    return status, runs


def _counts(runs: list[dict]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in runs:
        counts[r["Status"]] = counts.get(r["Status"], 0) + 1
    return counts


def _finished_at(execution: dict, runs: list[dict]) -> float:
    ends = [r["_end"] for r in runs if r["_end"] is not None]
    return max(ends, default=execution["CreatedTime"])


def _overview(association: dict, now: float) -> dict:
    executions = _since_update(association)
    statuses, latest = [], {}
    for execution in executions:
        status, runs = _execution_status(execution, now)
        statuses.append(status)
        latest.update({r["ResourceId"]: r for r in runs})
    counts = _counts(list(latest.values()))
    if all(s in _DONE for s in statuses):
        status = "Failed" if "Failed" in statuses else "Success"
        return {"Status": status, "DetailedStatus": status, "AssociationStatusAggregatedCount": counts}
    pending = next(s for s in statuses if s not in _DONE)
    detailed = "Creating" if executions[0]["_first"] and statuses[0] == "Pending" else pending
    return {"Status": "Pending", "DetailedStatus": detailed, "AssociationStatusAggregatedCount": counts}


def _dates(association: dict, now: float) -> dict:
    out = {}
    for execution in reversed(association["_executions"]):
        status, runs = _execution_status(execution, now)
        if status not in _DONE:
            continue
        out.setdefault("LastExecutionDate", _finished_at(execution, runs))
        if status == "Success":
            out.setdefault("LastSuccessfulExecutionDate", _finished_at(execution, runs))
            break
    return out


def _description(association: dict, now: float, version: dict | None = None) -> dict:
    shown = version or association
    out = {k: v for k, v in shown.items() if not k.startswith("_") and v is not None}
    out["Overview"] = _overview(association, now)
    out.update(_dates(association, now))
    return out


def _listed(association: dict, now: float) -> dict:
    """An entry of ListAssociations (botocore `Association`: fewer members than the description)."""
    d = _description(association, now)
    keys = ("Name", "InstanceId", "AssociationId", "AssociationVersion", "DocumentVersion", "Targets",
            "LastExecutionDate", "Overview", "ScheduleExpression", "AssociationName", "ScheduleOffset",
            "Duration", "TargetMaps")
    return {k: d[k] for k in keys if k in d}


def _association(ctx, association_id: str | None) -> dict:
    with _lock:
        association = _store(ctx).get(association_id or "")
        if association is not None:
            _join_new_nodes(ctx, association)
    if association is None:
        raise AwsError("AssociationDoesNotExist", "The specified association does not exist.", 400)
    return association


def _snapshot(association: dict) -> dict:
    return {k: v for k, v in association.items() if not k.startswith("_")}


# --- operations ---------------------------------------------------------------------------------

@on("ssm", "CreateAssociation")
def create_association(ctx, _next):
    p = ctx.params()
    _check_document(ctx, p["Name"], p.get("DocumentVersion"))
    _check_targets(p.get("Targets") or [])
    _check_schedule(p.get("ScheduleExpression"))
    now = time.time()
    association = {k: p.get(k) for k in ("Name", "InstanceId", "Targets") + _OPTIONAL}
    association.update({
        "AssociationId": str(uuid.uuid4()),
        "AssociationVersion": "1",
        "Date": now,
        "LastUpdateAssociationDate": now,
        "_tags": {t["Key"]: t["Value"] for t in p.get("Tags") or []},
        "_executions": [],
        "_versions": {},
    })
    association["DocumentVersion"] = association["DocumentVersion"] or "$DEFAULT"
    association["_versions"]["1"] = _snapshot(association)
    _start_execution(ctx, association)
    with _lock:
        _store(ctx)[association["AssociationId"]] = association
    return _json({"AssociationDescription": _description(association, now)})


@on("ssm", "DescribeAssociation")
def describe_association(ctx, _next):
    p = ctx.params()
    if not p.get("AssociationId"):
        # Name + InstanceId (the legacy form) names no association made with Targets.
        raise AwsError("AssociationDoesNotExist", "The specified association does not exist.", 400)
    association = _association(ctx, p.get("AssociationId"))
    version = p.get("AssociationVersion")
    shown = None
    if version and version != "$LATEST":
        shown = association["_versions"].get(version)
        if shown is None:
            raise AwsError("InvalidAssociationVersion",
                           f"Association version {version} does not exist.", 400)
    return _json({"AssociationDescription": _description(association, time.time(), shown)})


@on("ssm", "UpdateAssociation")
def update_association(ctx, _next):
    p = ctx.params()
    association = _association(ctx, p["AssociationId"])
    version = p.get("AssociationVersion")
    if version and version not in ("$LATEST", association["AssociationVersion"]):
        raise AwsError("InvalidAssociationVersion",
                       f"Association version {version} is not the latest version.", 400)
    name = p.get("Name") or association["Name"]
    _check_document(ctx, name, p.get("DocumentVersion"))
    if "Targets" in p:
        _check_targets(p["Targets"] or [])
    _check_schedule(p.get("ScheduleExpression"))
    now = time.time()
    with _lock:
        for key in _OPTIONAL:
            association[key] = p.get(key)
        association["Name"] = name
        if "Targets" in p:
            association["Targets"] = p["Targets"]
        association["DocumentVersion"] = association["DocumentVersion"] or "$DEFAULT"
        association["AssociationVersion"] = str(int(association["AssociationVersion"]) + 1)
        association["LastUpdateAssociationDate"] = now
        association["_versions"][association["AssociationVersion"]] = _snapshot(association)
        _start_execution(ctx, association)
    return _json({"AssociationDescription": _description(association, now)})


@on("ssm", "DeleteAssociation")
def delete_association(ctx, _next):
    p = ctx.params()
    if not p.get("AssociationId"):
        raise AwsError("AssociationDoesNotExist", "The specified association does not exist.", 400)
    _association(ctx, p["AssociationId"])
    with _lock:
        _store(ctx).pop(p["AssociationId"], None)
    return _json({})


def _page(items: list, p: dict, default: int = 50) -> tuple[list, str | None]:
    try:
        start = int(p.get("NextToken") or 0)
    except ValueError:
        raise AwsError("InvalidNextToken", "The specified token is not valid.", 400) from None
    size = int(p.get("MaxResults") or default)
    token = str(start + size) if start + size < len(items) else None
    return items[start:start + size], token


def _list_filter(association: dict, f: dict, now: float) -> bool:
    key, value = f["key"], f["value"]
    if key == "Name":
        return association["Name"] == value
    if key == "AssociationId":
        return association["AssociationId"] == value
    if key == "AssociationName":
        return association.get("AssociationName") == value
    if key == "AssociationStatusName":
        return _overview(association, now)["Status"] == value
    if key == "InstanceId":
        return association.get("InstanceId") == value
    if key in ("LastExecutedBefore", "LastExecutedAfter"):
        last = _dates(association, now).get("LastExecutionDate")
        try:
            when = float(value) if value.replace(".", "", 1).isdigit() else _iso(value)
        except ValueError:
            return False
        if last is None:
            return False
        return last < when if key == "LastExecutedBefore" else last > when
    return False  # ResourceGroupName, CloudConnectorId: none here


def _iso(value: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


@on("ssm", "ListAssociations")
def list_associations(ctx, _next):
    p = ctx.params()
    now = time.time()
    with _lock:
        associations = sorted(_store(ctx).values(), key=lambda a: (a["Date"], a["AssociationId"]))
        for association in associations:
            _join_new_nodes(ctx, association)
    filters = p.get("AssociationFilterList") or []
    chosen = [a for a in associations if all(_list_filter(a, f, now) for f in filters)]
    page, token = _page(chosen, p)
    out = {"Associations": [_listed(a, now) for a in page]}
    if token:
        out["NextToken"] = token
    return _json(out)


def _resource_count(runs: list[dict]) -> str:
    counts = _counts(runs)
    return "{" + ", ".join(f"{k}={v}" for k, v in sorted(counts.items())) + "}"


def _execution_view(association: dict, execution: dict, now: float) -> dict:
    status, runs = _execution_status(execution, now)
    view = {
        "AssociationId": association["AssociationId"],
        "AssociationVersion": execution["AssociationVersion"],
        "ExecutionId": execution["ExecutionId"],
        "Status": status,
        "DetailedStatus": status,
        "CreatedTime": execution["CreatedTime"],
        "ResourceCountByStatus": _resource_count(runs),
    }
    if status in _DONE:
        view["LastExecutionDate"] = _finished_at(execution, runs)
    return view


def _execution_filter(view: dict, f: dict) -> bool:
    key, value, kind = f["Key"], f["Value"], f["Type"]
    if key == "CreatedTime":
        when = float(value) if value.replace(".", "", 1).isdigit() else _iso(value)
        created = view["CreatedTime"]
        return {"EQUAL": created == when, "LESS_THAN": created < when, "GREATER_THAN": created > when}[kind]
    return kind == "EQUAL" and view.get(key) == value


@on("ssm", "DescribeAssociationExecutions")
def describe_association_executions(ctx, _next):
    p = ctx.params()
    association = _association(ctx, p["AssociationId"])
    now = time.time()
    views = [_execution_view(association, e, now) for e in reversed(association["_executions"])]
    views = [v for v in views if all(_execution_filter(v, f) for f in p.get("Filters") or [])]
    page, token = _page(views, p)
    out = {"AssociationExecutions": page}
    if token:
        out["NextToken"] = token
    return _json(out)


@on("ssm", "DescribeAssociationExecutionTargets")
def describe_association_execution_targets(ctx, _next):
    p = ctx.params()
    association = _association(ctx, p["AssociationId"])
    execution = next((e for e in association["_executions"] if e["ExecutionId"] == p["ExecutionId"]), None)
    if execution is None:
        raise AwsError("AssociationExecutionDoesNotExist",
                       f"Execution {p['ExecutionId']} does not exist for association {p['AssociationId']}.", 400)
    now = time.time()
    targets = []
    for run in _runs(execution, now):
        target = {
            "AssociationId": association["AssociationId"],
            "AssociationVersion": execution["AssociationVersion"],
            "ExecutionId": execution["ExecutionId"],
            "ResourceId": run["ResourceId"],
            "ResourceType": "ManagedInstance",
            "Status": run["Status"],
            "DetailedStatus": run["Status"],
            "OutputSource": {"OutputSourceId": str(uuid.uuid5(uuid.NAMESPACE_URL, execution["ExecutionId"]
                                                               + run["ResourceId"])),
                             "OutputSourceType": "RunCommand"},
        }
        if run["Status"] in _DONE:
            target["LastExecutionDate"] = run["_end"]
        targets.append(target)
    for f in p.get("Filters") or []:
        targets = [t for t in targets if t.get(f["Key"]) == f["Value"]]
    page, token = _page(targets, p)
    out = {"AssociationExecutionTargets": page}
    if token:
        out["NextToken"] = token
    return _json(out)


@on("ssm", "AddTagsToResource", "ListTagsForResource", "RemoveTagsFromResource")
def association_tags(ctx, call_next):
    p = ctx.params()
    if p.get("ResourceType") != "Association":
        return call_next()
    with _lock:
        association = _store(ctx).get(p.get("ResourceId", ""))
    if association is None:
        raise AwsError("InvalidResourceId", "The resource ID is not valid. Verify that you entered "
                       "the correct ID and try again.", 400)
    op = ctx.info.operation
    with _lock:
        if op == "AddTagsToResource":
            association["_tags"].update({t["Key"]: t["Value"] for t in p["Tags"]})
        elif op == "RemoveTagsFromResource":
            for key in p["TagKeys"]:
                association["_tags"].pop(key, None)
        else:
            return _json({"TagList": [{"Key": k, "Value": v} for k, v in association["_tags"].items()]})
    return _json({})


# --- the tagging API ----------------------------------------------------------------------------

def _tagged_ssm(ctx) -> list[tuple[str, str, dict[str, str]]]:
    out = []
    with _lock:
        associations = list(_store(ctx).values())
    for a in associations:
        out.append(("ssm:association", _arn(ctx, a["AssociationId"]), dict(a["_tags"])))
    try:
        backend = _ssm(ctx)
    except KeyError:
        return out
    for name in list(backend._documents):
        tags = {t["Key"]: t["Value"] for t in backend._get_documents_tags(name)}
        arn = f"arn:{partition_of(ctx.region)}:ssm:{ctx.region}:{ctx.account}:document/{name}"
        out.append(("ssm:document", arn, tags))
    return out


@on("resourcegroupstaggingapi", "GetResources")
def tagged_ssm_resources(ctx, call_next):
    resp = call_next()
    p = ctx.params()
    if resp.status >= 300 or p.get("ResourceARNList"):
        return resp
    try:
        body = json.loads(resp.body or b"{}")
    except ValueError:
        return resp
    if body.get("PaginationToken"):
        return resp  # added to the last page only
    type_filters = p.get("ResourceTypeFilters") or []
    tag_filters = p.get("TagFilters") or []
    listed = body.setdefault("ResourceTagMappingList", [])
    known = {m.get("ResourceARN") for m in listed}
    for resource_type, arn, tags in _tagged_ssm(ctx):
        if not tags or arn in known:
            continue
        if type_filters and not any(f in ("ssm", resource_type) for f in type_filters):
            continue
        if any(f.get("Key") not in tags or (f.get("Values") and tags[f["Key"]] not in f["Values"])
               for f in tag_filters):
            continue
        listed.append({"ResourceARN": arn, "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]})
    return Response(resp.status, resp.headers, json.dumps(body).encode())


# --- the test control ---------------------------------------------------------------------------

def admin(method: str, account: str | None, body: bytes) -> tuple[int, dict]:
    """`/_emulator/ssm/failing?account=A`: the instances whose association runs end Failed
    (from the next execution on)."""
    if not account:
        return 400, {"error": "account is required"}
    if method == "PUT":
        instances = json.loads(body or b"{}").get("instances") or []
        _failing[account] = set(instances)
    elif method == "DELETE":
        _failing.pop(account, None)
    elif method != "GET":
        return 405, {"error": f"{method} is not supported"}
    return 200, {"account": account, "instances": sorted(_failing.get(account, set()))}
