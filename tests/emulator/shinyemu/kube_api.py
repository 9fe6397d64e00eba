"""Discovery data for the Kubernetes API stand-in: the built-in groups and resources it serves,
plus those of the CustomResourceDefinitions applied to a cluster (`custom`, from kube_crd)."""

from __future__ import annotations

import re

# (plural, singular, kind, namespaced)
Resource = tuple[str, str, str, bool]

# group ("" = core) -> version -> [Resource]: the built-in APIs of a Kubernetes 1.3x API server
# that the stand-in stores. No third-party group is here: on a real cluster those exist only
# once their CustomResourceDefinition is applied (e.g. elbv2.k8s.aws by the AWS Load Balancer
# Controller's chart).
RESOURCES: dict[str, dict[str, list[Resource]]] = {
    "": {"v1": [
        ("namespaces", "namespace", "Namespace", False),
        ("configmaps", "configmap", "ConfigMap", True),
        ("secrets", "secret", "Secret", True),
        ("services", "service", "Service", True),
        ("serviceaccounts", "serviceaccount", "ServiceAccount", True),
        ("persistentvolumeclaims", "persistentvolumeclaim", "PersistentVolumeClaim", True),
        ("persistentvolumes", "persistentvolume", "PersistentVolume", False),
        ("pods", "pod", "Pod", True),
    ]},
    "batch": {"v1": [("jobs", "job", "Job", True)]},
    "apps": {"v1": [
        ("deployments", "deployment", "Deployment", True),
        ("statefulsets", "statefulset", "StatefulSet", True),
        ("daemonsets", "daemonset", "DaemonSet", True),
        ("replicasets", "replicaset", "ReplicaSet", True),
    ]},
    "rbac.authorization.k8s.io": {"v1": [
        ("roles", "role", "Role", True),
        ("rolebindings", "rolebinding", "RoleBinding", True),
        ("clusterroles", "clusterrole", "ClusterRole", False),
        ("clusterrolebindings", "clusterrolebinding", "ClusterRoleBinding", False),
    ]},
    "policy": {"v1": [("poddisruptionbudgets", "poddisruptionbudget", "PodDisruptionBudget", True)]},
    "networking.k8s.io": {"v1": [
        ("ingresses", "ingress", "Ingress", True),
        ("ingressclasses", "ingressclass", "IngressClass", False),
        ("networkpolicies", "networkpolicy", "NetworkPolicy", True),
    ]},
    "storage.k8s.io": {"v1": [
        ("storageclasses", "storageclass", "StorageClass", False),
        ("csidrivers", "csidriver", "CSIDriver", False),
    ]},
    "apiextensions.k8s.io": {"v1": [
        ("customresourcedefinitions", "customresourcedefinition", "CustomResourceDefinition", False),
    ]},
    "admissionregistration.k8s.io": {"v1": [
        ("mutatingwebhookconfigurations", "mutatingwebhookconfiguration", "MutatingWebhookConfiguration",
         False),
        ("validatingwebhookconfigurations", "validatingwebhookconfiguration",
         "ValidatingWebhookConfiguration", False),
    ]},
    "coordination.k8s.io": {"v1": [("leases", "lease", "Lease", True)]},
}

VERBS = ["create", "delete", "get", "list", "patch", "update"]
DEFAULT_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
# Kinds whose `status` subresource the built-in discovery lists.
_STATUS_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CustomResourceDefinition")

# A custom group -> version -> [(Resource, has status subresource)], from kube_crd.custom_resources.
Custom = dict[str, dict[str, list[tuple[Resource, bool]]]]


def _merged(custom: Custom | None) -> dict[str, dict[str, list[tuple[Resource, bool]]]]:
    out = {g: {v: [(r, r[2] in _STATUS_KINDS) for r in rs] for v, rs in vs.items()}
           for g, vs in RESOURCES.items()}
    for group, versions in (custom or {}).items():
        for version, rows in versions.items():
            out.setdefault(group, {}).setdefault(version, [])
            known = {r[0][0] for r in out[group][version]}
            out[group][version].extend(r for r in rows if r[0][0] not in known)
    return out


def lookup(group: str, version: str, plural: str, custom: Custom | None = None):
    for (p, singular, kind, namespaced), _status in _merged(custom).get(group, {}).get(version, []):
        if p == plural:
            return singular, kind, namespaced
    return None


def api_version(group: str, version: str) -> str:
    return f"{group}/{version}" if group else version


def api_versions() -> dict:
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]}


_VERSION = re.compile(r"^v(\d+)(?:(alpha|beta)(\d+))?$")


def version_priority(version: str) -> tuple:
    """Kubernetes' version order (GA > beta > alpha, higher numbers first, then other strings
    alphabetically), as sorted keys: the first is a group's preferred version."""
    m = _VERSION.match(version)
    if not m:
        return (3, 0, 0, version)
    major, stage, minor = int(m.group(1)), m.group(2), int(m.group(3) or 0)
    return ({None: 0, "beta": 1, "alpha": 2}[stage], -major, -minor, "")


def api_group_list(custom: Custom | None = None) -> dict:
    groups = []
    for group, versions in _merged(custom).items():
        if not group:
            continue
        ordered = sorted(versions, key=version_priority)
        vs = [{"groupVersion": f"{group}/{v}", "version": v} for v in ordered]
        groups.append({"name": group, "versions": vs, "preferredVersion": vs[0]})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def resource_list(group: str, version: str, custom: Custom | None = None) -> dict | None:
    served = _merged(custom).get(group, {})
    if version not in served:
        return None
    resources = []
    for (plural, singular, kind, namespaced), has_status in served[version]:
        resources.append({"name": plural, "singularName": singular, "namespaced": namespaced, "kind": kind,
                          "verbs": VERBS})
        if has_status:
            resources.append({"name": f"{plural}/status", "singularName": "", "namespaced": namespaced,
                              "kind": kind, "verbs": ["get", "patch", "update"]})
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": api_version(group, version),
            "resources": resources}
