"""What EKS puts on a new cluster, for the Kubernetes stand-in: the default namespaces, the
`kubernetes` Service, and in kube-system the CoreDNS Deployment (marked for EC2 compute), its
kube-dns Service, and the kube-proxy and aws-node (VPC CNI) DaemonSets. The EKS `coredns`
add-on with `configurationValues` `{"computeType": "Fargate"}` manages the CoreDNS Deployment
without the EC2 annotation.

Sources: EKS user guide "Manage CoreDNS for DNS in Amazon EKS clusters" (two replicas, labels
`k8s-app: kube-dns` and `eks.amazonaws.com/component: coredns`), "Get started with AWS Fargate"
(CoreDNS is configured for EC2 by default: its pod template carries
`eks.amazonaws.com/compute-type: ec2`; remove it with a JSON patch to run on Fargate — as
eksctl's pkg/fargate/coredns does), the coredns add-on's configuration schema
(`aws eks describe-addon-configuration --addon-name coredns`: `computeType`), "View Amazon
container image registries for Amazon EKS add-ons" (602401143452; cn-north-1 918309763551,
cn-northwest-1 961992271922), and "Create a cluster" (service CIDR 10.100.0.0/16 or
172.20.0.0/16; kube-dns at .10).
"""

from __future__ import annotations

import ipaddress
import json

import yaml

from . import kube_sched

_REGISTRY_ACCOUNTS = {"cn-north-1": "918309763551", "cn-northwest-1": "961992271922"}


def _registry(region: str) -> str:
    suffix = ".amazonaws.com.cn" if region.startswith("cn-") else ".amazonaws.com"
    return f"{_REGISTRY_ACCOUNTS.get(region, '602401143452')}.dkr.ecr.{region}{suffix}"


def _service_ip(cidr: str, index: int) -> str:
    return str(ipaddress.ip_network(cidr, strict=False).network_address + index)


def default_objects(region: str, version: str, service_cidr: str) -> list[tuple[str, str, dict]]:
    """(group, plural, object) for everything a new EKS cluster has besides its namespaces."""
    registry = _registry(region)
    dns_labels = {"eks.amazonaws.com/component": "coredns", "k8s-app": "kube-dns"}
    coredns = {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "coredns", "namespace": "kube-system",
                     "labels": {**dns_labels, "kubernetes.io/name": "CoreDNS"}},
        "spec": {
            "replicas": 2, "progressDeadlineSeconds": 600, "revisionHistoryLimit": 10,
            "selector": {"matchLabels": dns_labels},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 1}},
            "template": {
                "metadata": {"labels": dict(dns_labels), "annotations": {kube_sched.COMPUTE_TYPE: "ec2"}},
                "spec": {
                    "serviceAccountName": "coredns", "priorityClassName": "system-cluster-critical",
                    "dnsPolicy": "Default",
                    "tolerations": [{"key": "CriticalAddonsOnly", "operator": "Exists"},
                                    {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}],
                    "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
                        "nodeSelectorTerms": [{"matchExpressions": [
                            {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]},
                            {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64", "arm64"]}]}]}}},
                    "containers": [{
                        "name": "coredns", "image": f"{registry}/eks/coredns:v1.11.4-eksbuild.2",
                        "args": ["-conf", "/etc/coredns/Corefile"],
                        "ports": [{"name": "dns", "containerPort": 53, "protocol": "UDP"},
                                  {"name": "dns-tcp", "containerPort": 53, "protocol": "TCP"},
                                  {"name": "metrics", "containerPort": 9153, "protocol": "TCP"}],
                        "resources": {"limits": {"memory": "170Mi"}, "requests": {"cpu": "100m", "memory": "70Mi"}},
                    }],
                },
            },
        },
    }
    kube_dns = {
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "kube-dns", "namespace": "kube-system",
                     "labels": {"eks.amazonaws.com/component": "kube-dns", "k8s-app": "kube-dns",
                                "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "CoreDNS"}},
        "spec": {"type": "ClusterIP", "selector": {"k8s-app": "kube-dns"},
                 "clusterIP": _service_ip(service_cidr, 10), "clusterIPs": [_service_ip(service_cidr, 10)],
                 "ports": [{"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
                           {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
                           {"name": "metrics", "port": 9153, "protocol": "TCP", "targetPort": 9153}]},
    }
    kubernetes = {
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "kubernetes", "namespace": "default",
                     "labels": {"component": "apiserver", "provider": "kubernetes"}},
        "spec": {"type": "ClusterIP", "clusterIP": _service_ip(service_cidr, 1),
                 "clusterIPs": [_service_ip(service_cidr, 1)],
                 "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 443}]},
    }

    def daemonset(name: str, labels: dict, image: str) -> dict:
        return {
            "apiVersion": "apps/v1", "kind": "DaemonSet",
            "metadata": {"name": name, "namespace": "kube-system", "labels": dict(labels)},
            "spec": {"selector": {"matchLabels": {"k8s-app": name}},
                     "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "10%"}},
                     "template": {"metadata": {"labels": {"k8s-app": name}}, "spec": {
                         "hostNetwork": True, "priorityClassName": "system-node-critical",
                         "tolerations": [{"operator": "Exists"}],
                         "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
                             "nodeSelectorTerms": [{"matchExpressions": [
                                 {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]},
                                 {"key": kube_sched.COMPUTE_TYPE, "operator": "NotIn",
                                  "values": ["fargate", "hybrid", "auto"]}]}]}}},
                         "containers": [{"name": name, "image": image}]}}},
        }

    return [
        ("apps", "deployments", coredns),
        ("", "services", kube_dns),
        ("", "services", kubernetes),
        ("apps", "daemonsets", daemonset("kube-proxy", {"eks.amazonaws.com/component": "kube-proxy",
                                                        "k8s-app": "kube-proxy"},
                                         f"{registry}/eks/kube-proxy:v{version}.0-minimal-eksbuild.1")),
        ("apps", "daemonsets", daemonset("aws-node", {"app.kubernetes.io/name": "aws-node",
                                                      "k8s-app": "aws-node"},
                                         f"{registry}/amazon-k8s-cni:v1.19.2-eksbuild.1")),
    ]


def coredns_compute_type(account: str, region: str, cluster: str) -> str | None:
    """"Fargate" or "EC2" as the cluster's ACTIVE `coredns` EKS add-on sets it; None without
    one (or while it is not ACTIVE): then the Deployment is left as it is."""
    from . import eks_addons

    with eks_addons._lock:
        addon = eks_addons._addons.get((account, region, cluster), {}).get("coredns")
        if addon is None or eks_addons._status(addon) != "ACTIVE":
            return None
        raw = addon.get("configurationValues") or ""
    try:
        values = json.loads(raw) if raw.strip().startswith("{") else yaml.safe_load(raw)
    except (ValueError, yaml.YAMLError):
        values = None
    wanted = (values or {}).get("computeType") if isinstance(values, dict) else None
    return "Fargate" if str(wanted or "").lower() == "fargate" else "EC2"
