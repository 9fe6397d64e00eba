"""batch/v1 Jobs in the Kubernetes API stand-in: a Job runs one pod (as `completions: 1`,
`parallelism: 1` do) where the scheduler can place it (kube_sched), and finishes
`kube_job_run` seconds after it was created.

From the Kubernetes documentation ("Jobs"; batch/v1 JobSpec/JobStatus; "Pod Lifecycle"):
- the pod template's `restartPolicy` must be `Never` or `OnFailure` (422 `Invalid`, `Unsupported
  value`), and `spec.template` cannot change once the Job exists (422, `field is immutable`);
- its pods are named `<job>-<5 characters>`, labelled `batch.kubernetes.io/job-name`, `job-name`,
  `batch.kubernetes.io/controller-uid` and `controller-uid`, owned by the Job;
- a pod that succeeds ends `Succeeded` (container terminated, reason `Completed`, exit code 0) and
  the Job gets `status.succeeded: 1`, `completionTime` and the conditions `SuccessCriteriaMet` and
  `Complete` `True`;
- a pod that fails ends `Failed` (terminated, reason `Error`, exit code 1); with `restartPolicy:
  Never` the Job makes a new pod until `backoffLimit` (default 6) retries have failed, then
  `status.failed` is `backoffLimit + 1` and the conditions `FailureTarget` and `Failed` are `True`
  with reason `BackoffLimitExceeded` ("Job has reached the specified backoff limit");
- a Job active longer than `activeDeadlineSeconds` (here: whose pod cannot be placed) fails with
  reason `DeadlineExceeded` ("Job was active longer than specified deadline");
- a pod's log is `GET /api/v1/namespaces/<ns>/pods/<pod>/log` (`tailLines`), plain text.

The stand-in runs nothing: a pod succeeds unless a test marks its image failing
(`PUT /_emulator/kube/failing?account=A` `{"images": {"<image>": "<log text>"}}`, `GET`, `DELETE`);
then every attempt fails at once and its log is that text. Not emulated: backoff delays between
attempts, `OnFailure` restarts, parallel or indexed Jobs, `ttlSecondsAfterFinished`, suspension,
pod failure policies, and garbage collection of what a Job owns (deleting a Job deletes its pods,
whatever the propagation policy).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import threading
import time

from . import kube_sched

JOB_NAME_LABEL = "batch.kubernetes.io/job-name"
DEFAULT_BACKOFF_LIMIT = 6

_lock = threading.Lock()
# account -> image -> the log its failing pods write
_failing: dict[str, dict[str, str]] = {}


def admin(method: str, account: str | None, body: bytes) -> tuple[int, dict]:
    """`/_emulator/kube/failing?account=A`: the images whose Job pods fail, with their log."""
    if not account:
        return 400, {"error": "account is required"}
    with _lock:
        if method == "PUT":
            images = json.loads(body or b"{}").get("images") or {}
            if isinstance(images, list):
                images = {i: "" for i in images}
            _failing[account] = {str(k): str(v) for k, v in images.items()}
        elif method == "DELETE":
            _failing.pop(account, None)
        return 200, {"account": account, "images": dict(_failing.get(account, {}))}


def failing(account: str) -> dict[str, str]:
    with _lock:
        return dict(_failing.get(account, {}))


def problems(doc: dict) -> list[str]:
    """What the API server refuses in a Job (pkg/apis/batch/validation)."""
    spec = (doc.get("spec") or {}).get("template", {}).get("spec") or {}
    out = []
    policy = spec.get("restartPolicy")
    if policy not in ("Never", "OnFailure"):
        out.append(f'spec.template.spec.restartPolicy: Unsupported value: "{policy or "Always"}": '
                   f'supported values: "OnFailure", "Never"')
    if not spec.get("containers"):
        out.append("spec.template.spec.containers: Required value")
    return out


def immutable_problems(old: dict, new: dict) -> list[str]:
    """A Job's pod template cannot change (pkg/apis/batch/validation ValidateJobSpecUpdate)."""
    if (old.get("spec") or {}).get("template") != (new.get("spec") or {}).get("template"):
        return ["spec.template: Invalid value: the pod template: field is immutable"]
    return []


def _now(at: float | None = None) -> str:
    stamp = dt.datetime.fromtimestamp(at, dt.timezone.utc) if at else dt.datetime.now(dt.timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")


def _outcome(obj: dict, delay: float, where_now: kube_sched.Placement, failing_images: dict[str, str]):
    """("pending", why) | ("running", node) | ("succeeded", node) | ("failed", node) |
    ("deadline", why)."""
    spec = obj.get("spec") or {}
    template = spec.get("template") or {}
    namespace = obj["metadata"].get("namespace", "default")
    since = time.time() - obj.get("_changed_at", 0)
    placed, why = kube_sched.where(template, namespace, where_now)
    if placed is None:
        deadline = spec.get("activeDeadlineSeconds")
        if deadline is not None and since >= float(deadline):
            return "deadline", why
        return "pending", why
    images = [c.get("image", "") for c in (template.get("spec") or {}).get("containers") or []]
    if any(i in failing_images for i in images):
        return "failed", placed
    if since < delay:
        return "running", placed
    return "succeeded", placed


def status(obj: dict, delay: float, where_now: kube_sched.Placement, failing_images: dict[str, str]) -> dict:
    spec = obj.get("spec") or {}
    outcome, _ = _outcome(obj, delay, where_now, failing_images)
    started = obj.get("_changed_at", time.time())
    out: dict = {"startTime": _now(started)}
    now = _now()
    if outcome in ("pending", "running"):
        out.update({"active": 1, "ready": 1 if outcome == "running" else 0})
    elif outcome == "succeeded":
        out.update({"succeeded": 1, "ready": 0, "completionTime": _now(started + delay), "conditions": [
            {"type": "SuccessCriteriaMet", "status": "True", "reason": "CompletionsReached",
             "message": "Reached expected number of succeeded pods", "lastProbeTime": now,
             "lastTransitionTime": now},
            {"type": "Complete", "status": "True", "reason": "CompletionsReached",
             "message": "Reached expected number of succeeded pods", "lastProbeTime": now,
             "lastTransitionTime": now}]})
    else:
        reason, message = (("DeadlineExceeded", "Job was active longer than specified deadline")
                           if outcome == "deadline" else
                           ("BackoffLimitExceeded", "Job has reached the specified backoff limit"))
        attempts = int(spec.get("backoffLimit", DEFAULT_BACKOFF_LIMIT)) + 1 if outcome == "failed" else 1
        out.update({"failed": attempts, "ready": 0, "conditions": [
            {"type": "FailureTarget", "status": "True", "reason": reason, "message": message,
             "lastProbeTime": now, "lastTransitionTime": now},
            {"type": "Failed", "status": "True", "reason": reason, "message": message,
             "lastProbeTime": now, "lastTransitionTime": now}]})
    return out


def _pod_name(obj: dict, attempt: int) -> str:
    return f'{obj["metadata"]["name"]}-{kube_sched._safe_hash(str(obj["metadata"].get("uid")) + str(attempt), 5)}'


def pods_of(obj: dict, delay: float, where_now: kube_sched.Placement, failing_images: dict[str, str]) -> list[dict]:
    """The pods the Job has made by now, with their states."""
    spec = obj.get("spec") or {}
    template = copy.deepcopy(spec.get("template") or {})
    meta = obj["metadata"]
    namespace = meta.get("namespace", "default")
    outcome, where = _outcome(obj, delay, where_now, failing_images)
    if outcome == "deadline":
        return []  # the Job controller deletes a Job's active pods at its deadline
    attempts = int(spec.get("backoffLimit", DEFAULT_BACKOFF_LIMIT)) + 1 if outcome == "failed" else 1
    containers = (template.get("spec") or {}).get("containers") or []
    created = _now(obj.get("_changed_at"))
    now = _now()
    pods = []
    for attempt in range(attempts):
        uid = meta.get("uid", "")
        labels = {**((template.get("metadata") or {}).get("labels") or {}),
                  JOB_NAME_LABEL: meta["name"], "job-name": meta["name"],
                  "batch.kubernetes.io/controller-uid": uid, "controller-uid": uid}
        pod_meta = {"name": _pod_name(obj, attempt), "namespace": namespace, "uid": f"{uid[:24]}{attempt:012d}",
                    "creationTimestamp": created, "resourceVersion": "1", "generateName": f'{meta["name"]}-',
                    "labels": labels,
                    "ownerReferences": [{"apiVersion": "batch/v1", "kind": "Job", "name": meta["name"],
                                         "uid": uid, "controller": True, "blockOwnerDeletion": True}]}
        pod_spec = copy.deepcopy(template.get("spec") or {})
        if outcome == "pending":
            status = {"phase": "Pending", "qosClass": "Burstable",
                      "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                                      "message": where, "lastProbeTime": None, "lastTransitionTime": now}]}
        else:
            pod_spec["schedulerName"] = "fargate-scheduler" if where == "fargate" else "default-scheduler"
            pod_spec["nodeName"] = ("fargate-ip-10-0-0-1.compute.internal" if where == "fargate"
                                    else f"ip-10-0-0-1.{where}.internal")
            if outcome == "running":
                phase, state, ready = "Running", {"running": {"startedAt": created}}, "True"
            elif outcome == "succeeded":
                phase, ready = "Succeeded", "False"
                state = {"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": created,
                                        "finishedAt": now}}
            else:
                phase, ready = "Failed", "False"
                state = {"terminated": {"exitCode": 1, "reason": "Error", "startedAt": created,
                                        "finishedAt": now}}
            status = {"phase": phase, "qosClass": "Burstable", "conditions": [
                {"type": "PodScheduled", "status": "True", "lastProbeTime": None, "lastTransitionTime": now},
                {"type": "Initialized", "status": "True", "lastProbeTime": None, "lastTransitionTime": now},
                {"type": "ContainersReady", "status": ready, "lastProbeTime": None, "lastTransitionTime": now,
                 **({} if ready == "True" else {"reason": "PodCompleted" if phase != "Running" else ""})},
                {"type": "Ready", "status": ready, "lastProbeTime": None, "lastTransitionTime": now,
                 **({} if ready == "True" else {"reason": "PodCompleted" if phase != "Running" else ""})}],
                "containerStatuses": [{"name": c.get("name", ""), "image": c.get("image", ""),
                                       "ready": ready == "True", "started": phase == "Running",
                                       "restartCount": 0, "state": state} for c in containers]}
        pods.append({"apiVersion": "v1", "kind": "Pod", "metadata": pod_meta, "spec": pod_spec, "status": status})
    return pods


def log_of(obj: dict, pod: dict, failing_images: dict[str, str]) -> str:
    """What a Job's pod wrote: the failing image's log text when its pod failed; nothing else
    (the stand-in runs no container)."""
    if pod.get("status", {}).get("phase") != "Failed":
        return ""
    for c in (pod.get("spec") or {}).get("containers") or []:
        if c.get("image", "") in failing_images:
            return failing_images[c.get("image", "")]
    return ""
