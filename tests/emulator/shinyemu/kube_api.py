"""Discovery data for the Kubernetes API stand-in: the groups and resources it serves."""

from __future__ import annotations

# group ("" = core) -> version -> [(plural, singular, kind, namespaced)]
RESOURCES: dict[str, dict[str, list[tuple[str, str, str, bool]]]] = {
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
    "elbv2.k8s.aws": {"v1beta1": [
        ("targetgroupbindings", "targetgroupbinding", "TargetGroupBinding", True),
        ("ingressclassparams", "ingressclassparams", "IngressClassParams", False),
    ]},
}

VERBS = ["create", "delete", "get", "list", "patch", "update"]
DEFAULT_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


def lookup(group: str, version: str, plural: str):
    for p, singular, kind, namespaced in RESOURCES.get(group, {}).get(version, []):
        if p == plural:
            return singular, kind, namespaced
    return None


def api_version(group: str, version: str) -> str:
    return f"{group}/{version}" if group else version


def api_versions() -> dict:
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]}


def api_group_list() -> dict:
    groups = []
    for group, versions in RESOURCES.items():
        if not group:
            continue
        vs = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
        groups.append({"name": group, "versions": vs, "preferredVersion": vs[0]})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def resource_list(group: str, version: str) -> dict | None:
    if version not in RESOURCES.get(group, {}):
        return None
    resources = []
    for plural, singular, kind, namespaced in RESOURCES[group][version]:
        resources.append({"name": plural, "singularName": singular, "namespaced": namespaced, "kind": kind,
                          "verbs": VERBS})
        if kind in ("Deployment", "StatefulSet"):
            resources.append({"name": f"{plural}/status", "singularName": "", "namespaced": namespaced,
                              "kind": kind, "verbs": ["get", "patch", "update"]})
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": api_version(group, version),
            "resources": resources}
