"""Where a pod of the Kubernetes stand-in could run, and the status that follows: a Deployment's
pods become ready only where they can be scheduled, as on EKS, so a rollout that would hang on
AWS hangs here. Re-evaluated on every read (a node group or Fargate profile made later, or a
patched pod template, lets a stuck Deployment finish).

Rules (sources: EKS user guide "AWS Fargate" and "Define which Pods use AWS Fargate when
launched" — a pod runs on Fargate when an ACTIVE profile's selector matches its namespace and
every selector label, `*`/`?` wildcards allowed, and its template is not annotated
`eks.amazonaws.com/compute-type: ec2`; "Get started with AWS Fargate" — CoreDNS ships with that
annotation, so it stays Pending on a cluster without nodes; EKS "Managed node groups" — node
labels `eks.amazonaws.com/nodegroup`, `eks.amazonaws.com/capacityType`, the group's labels and
taints; Kubernetes scheduler messages "no nodes available to schedule pods" and "0/N nodes are
available"; a Deployment past `progressDeadlineSeconds` (default 600) reports
ProgressDeadlineExceeded):
- a pod selected by a Fargate profile goes to Fargate, where it runs unless a nodeSelector or
  required node affinity asks for labels a Fargate node does not have;
- any other pod needs a node of an ACTIVE (or UPDATING, DEGRADED) managed node group whose labels satisfy its
  nodeSelector/required node affinity and whose NoSchedule/NoExecute taints it tolerates;
- DaemonSets run one pod per node of the ACTIVE node groups (none on Fargate).
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import time
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

COMPUTE_TYPE = "eks.amazonaws.com/compute-type"
# Labels every Fargate node carries (EKS sets these on the virtual node of each Fargate pod).
FARGATE_NODE_LABELS = {"kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64", COMPUTE_TYPE: "fargate"}
DEFAULT_PROGRESS_DEADLINE = 600


@dataclass
class NodeGroup:
    name: str
    labels: dict
    taints: list
    nodes: int


@dataclass
class Placement:
    """What the cluster offers pods right now."""
    node_groups: list[NodeGroup] = field(default_factory=list)
    fargate_selectors: list[dict] = field(default_factory=list)

    @property
    def nodes(self) -> int:
        return sum(g.nodes for g in self.node_groups)


def placement(account: str, region: str, cluster: str) -> Placement:
    """The ACTIVE managed node groups and Fargate profiles of the EKS cluster (moto's backend)."""
    from moto.eks.models import eks_backends

    c = eks_backends[account][region].clusters.get(cluster)
    out = Placement()
    if c is None:
        return out
    for ng in list(c.nodegroups.values()):
        # UPDATING and DEGRADED node groups still have their nodes; CREATING ones not yet,
        # DELETING ones are drained (EKS API reference: Nodegroup.status).
        if ng.status not in ("ACTIVE", "UPDATING", "DEGRADED"):
            continue
        labels = {"kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
                  "eks.amazonaws.com/nodegroup": ng.nodegroup_name,
                  "eks.amazonaws.com/capacityType": getattr(ng, "capacity_type", None) or "ON_DEMAND",
                  **(ng.labels or {})}
        nodes = int((ng.scaling_config or {}).get("desiredSize", 0))
        out.node_groups.append(NodeGroup(ng.nodegroup_name, labels, list(ng.taints or []), nodes))
    for fp in list(c.fargate_profiles.values()):
        if fp.status == "ACTIVE":
            out.fargate_selectors.extend(fp.selectors or [])
    return out


# --- matching ----------------------------------------------------------------------------
def _fargate_selects(selector: dict, namespace: str, labels: dict) -> bool:
    if not fnmatchcase(namespace, selector.get("namespace") or ""):
        return False
    return all(k in labels and fnmatchcase(labels[k], str(v)) for k, v in (selector.get("labels") or {}).items())


def _expression_holds(expr: dict, labels: dict) -> bool:
    key, op, values = expr.get("key"), expr.get("operator"), [str(v) for v in expr.get("values") or []]
    if op == "In":
        return labels.get(key) in values
    if op == "NotIn":
        return labels.get(key) not in values
    if op == "Exists":
        return key in labels
    if op == "DoesNotExist":
        return key not in labels
    if op in ("Gt", "Lt") and key in labels and values:
        try:
            a, b = int(labels[key]), int(values[0])
        except ValueError:
            return False
        return a > b if op == "Gt" else a < b
    return False


def node_fits(spec: dict, labels: dict) -> bool:
    """The pod's nodeSelector and required node affinity against a node's labels."""
    if any(labels.get(k) != str(v) for k, v in (spec.get("nodeSelector") or {}).items()):
        return False
    required = (((spec.get("affinity") or {}).get("nodeAffinity") or {})
                .get("requiredDuringSchedulingIgnoredDuringExecution") or {})
    terms = required.get("nodeSelectorTerms") or []
    if terms and not any(all(_expression_holds(e, labels) for e in (t.get("matchExpressions") or []))
                         for t in terms):
        return False
    return True


_EFFECTS = {"NO_SCHEDULE": "NoSchedule", "NO_EXECUTE": "NoExecute", "PREFER_NO_SCHEDULE": "PreferNoSchedule"}


def _tolerates(spec: dict, taint: dict) -> bool:
    effect = _EFFECTS.get(taint.get("effect", ""), taint.get("effect", ""))
    if effect == "PreferNoSchedule":
        return True
    for t in spec.get("tolerations") or []:
        if t.get("effect") and t["effect"] != effect:
            continue
        if t.get("operator") == "Exists" and (not t.get("key") or t["key"] == taint.get("key")):
            return True
        if t.get("key") == taint.get("key") and str(t.get("value", "")) == str(taint.get("value") or ""):
            return True
    return False


def where(template: dict, namespace: str, where_now: Placement) -> tuple[str | None, str]:
    """Where a pod of `template` (a pod template: metadata + spec) runs: ("fargate" | "<node
    group>", "") or (None, the scheduler's message)."""
    meta, spec = template.get("metadata") or {}, template.get("spec") or {}
    labels, annotations = meta.get("labels") or {}, meta.get("annotations") or {}
    if annotations.get(COMPUTE_TYPE) != "ec2" and any(
            _fargate_selects(s, namespace, labels) for s in where_now.fargate_selectors):
        if node_fits(spec, FARGATE_NODE_LABELS):
            return "fargate", ""
        return None, ("Pod not supported on Fargate: its nodeSelector or node affinity asks for labels "
                      "a Fargate node does not have")
    if where_now.nodes == 0:
        return None, "no nodes available to schedule pods"
    for g in where_now.node_groups:
        if g.nodes and node_fits(spec, g.labels) and all(_tolerates(spec, t) for t in g.taints):
            return g.name, ""
    n = where_now.nodes
    return None, (f"0/{n} nodes are available: {n} node(s) didn't match Pod's node affinity/selector "
                  f"or had untolerated taint. preemption: 0/{n} nodes are available: {n} Preemption is not "
                  f"helpful for scheduling.")


# --- status ------------------------------------------------------------------------------
def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


_SAFE = "bcdfghjklmnpqrstvwxz2456789"  # Kubernetes' rand.SafeEncodeString alphabet


def _safe_hash(text: str, n: int) -> str:
    digest = hashlib.sha256(text.encode()).digest()
    return "".join(_SAFE[b % len(_SAFE)] for b in digest[:n])


def replica_set_name(obj: dict) -> str:
    import json

    template = json.dumps((obj.get("spec") or {}).get("template") or {}, sort_keys=True)
    return f'{obj["metadata"]["name"]}-{_safe_hash(template, 10)}'


def deployment_status(obj: dict, delay: float, where_now: Placement) -> dict:
    spec = obj.get("spec") or {}
    replicas = int(spec.get("replicas", 1))
    generation = int(obj["metadata"].get("generation", 1))
    namespace = obj["metadata"].get("namespace", "default")
    rs = replica_set_name(obj)
    now = _now()
    since_change = time.time() - obj.get("_changed_at", 0)
    placed, _why = where(spec.get("template") or {}, namespace, where_now)
    if placed is not None and since_change >= delay:
        return {"observedGeneration": generation, "replicas": replicas, "updatedReplicas": replicas,
                "readyReplicas": replicas, "availableReplicas": replicas, "conditions": [
                    {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable",
                     "message": "Deployment has minimum availability.", "lastUpdateTime": now,
                     "lastTransitionTime": now},
                    {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable",
                     "message": f'ReplicaSet "{rs}" has successfully progressed.',
                     "lastUpdateTime": now, "lastTransitionTime": now}]}
    progressing = {"type": "Progressing", "status": "True", "reason": "ReplicaSetUpdated",
                   "message": f'ReplicaSet "{rs}" is progressing.', "lastUpdateTime": now,
                   "lastTransitionTime": now}
    deadline = int(spec.get("progressDeadlineSeconds", DEFAULT_PROGRESS_DEADLINE))
    if placed is None and since_change >= deadline:
        progressing = {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
                       "message": f'ReplicaSet "{rs}" has timed out progressing.', "lastUpdateTime": now,
                       "lastTransitionTime": now}
    return {"observedGeneration": generation, "replicas": replicas,
            "updatedReplicas": replicas if placed is None else 0,
            "readyReplicas": 0, "availableReplicas": 0, "unavailableReplicas": replicas, "conditions": [
                {"type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable",
                 "message": "Deployment does not have minimum availability.", "lastUpdateTime": now,
                 "lastTransitionTime": now},
                progressing]}


def daemonset_status(obj: dict, where_now: Placement) -> dict:
    """One pod on each node of the groups the DaemonSet's template fits (none on Fargate)."""
    spec = (obj.get("spec") or {}).get("template", {}).get("spec") or {}
    n = sum(g.nodes for g in where_now.node_groups
            if node_fits(spec, g.labels) and all(_tolerates(spec, t) for t in g.taints))
    return {"observedGeneration": int(obj["metadata"].get("generation", 1)), "desiredNumberScheduled": n,
            "currentNumberScheduled": n, "updatedNumberScheduled": n, "numberReady": n, "numberAvailable": n,
            "numberMisscheduled": 0}


def pods_of(obj: dict, delay: float, where_now: Placement) -> list[dict]:
    """The pods a Deployment's ReplicaSet would have now, with the scheduler's verdict."""
    spec = obj.get("spec") or {}
    template = copy.deepcopy(spec.get("template") or {})
    meta = obj["metadata"]
    namespace = meta.get("namespace", "default")
    rs = replica_set_name(obj)
    pod_hash = rs.rsplit("-", 1)[1]
    placed, why = where(template, namespace, where_now)
    ready = placed is not None and time.time() - obj.get("_changed_at", 0) >= delay
    now = _now()
    containers = (template.get("spec") or {}).get("containers") or []
    pods = []
    for i in range(int(spec.get("replicas", 1))):
        name = f"{rs}-{_safe_hash(str(meta.get('uid')) + rs + str(i), 5)}"
        pod_meta = {"name": name, "namespace": namespace, "uid": f"{meta.get('uid', '')[:24]}{i:012d}",
                    "creationTimestamp": meta.get("creationTimestamp", now), "resourceVersion": "1",
                    "generateName": f"{rs}-",
                    "labels": {**((template.get("metadata") or {}).get("labels") or {}),
                               "pod-template-hash": pod_hash},
                    "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs,
                                         "uid": meta.get("uid", ""), "controller": True,
                                         "blockOwnerDeletion": True}]}
        annotations = (template.get("metadata") or {}).get("annotations")
        if annotations:
            pod_meta["annotations"] = dict(annotations)
        pod_spec = copy.deepcopy(template.get("spec") or {})
        if placed == "fargate":
            pod_spec["schedulerName"] = "fargate-scheduler"
        if placed is None:
            status = {"phase": "Pending", "qosClass": "BestEffort", "conditions": [
                {"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": why,
                 "lastProbeTime": None, "lastTransitionTime": now}]}
        else:
            pod_spec["nodeName"] = (f"fargate-ip-10-0-{i // 250}-{i % 250 + 1}.compute.internal"
                                    if placed == "fargate" else f"ip-10-0-{i // 250}-{i % 250 + 1}.{placed}.internal")
            state = {"running": {"startedAt": now}} if ready else {"waiting": {"reason": "ContainerCreating"}}
            flag = "True" if ready else "False"
            status = {"phase": "Running" if ready else "Pending", "qosClass": "BestEffort", "conditions": [
                {"type": "PodScheduled", "status": "True", "lastProbeTime": None, "lastTransitionTime": now},
                {"type": "Initialized", "status": "True", "lastProbeTime": None, "lastTransitionTime": now},
                {"type": "ContainersReady", "status": flag, "lastProbeTime": None, "lastTransitionTime": now,
                 **({} if ready else {"reason": "ContainersNotReady"})},
                {"type": "Ready", "status": flag, "lastProbeTime": None, "lastTransitionTime": now,
                 **({} if ready else {"reason": "ContainersNotReady"})}],
                "containerStatuses": [{"name": c.get("name", ""), "image": c.get("image", ""), "ready": ready,
                                       "started": ready, "restartCount": 0, "state": state}
                                      for c in containers]}
        pods.append({"apiVersion": "v1", "kind": "Pod", "metadata": pod_meta, "spec": pod_spec, "status": status})
    return pods
