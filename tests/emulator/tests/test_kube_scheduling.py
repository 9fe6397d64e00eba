"""What EKS puts on a new cluster, and pods ready only where they can be scheduled: a managed
node group, or a Fargate profile selecting them without the EC2 compute-type annotation."""

import json

import pytest
import requests
from conftest import wait_for
from test_kube import apply, eks_token

COMPUTE_TYPE = "eks.amazonaws.com/compute-type"
APP = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: app, namespace: shiny-apps}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web, tier: %s}}
    spec:
      containers: [{name: web, image: nginx}]
"""


@pytest.fixture
def bare(emu, account):
    """An ACTIVE cluster with no node group and no Fargate profile."""
    emu.set_profile(account, {"durations": {"eks_cluster_create": 0, "eks_nodegroup_create": 0,
                                            "eks_fargate_profile_create": 0, "eks_addon_create": 0,
                                            "kube_deployment_rollout": 0}})
    eks = emu.client("eks", account)
    eks.create_cluster(name="c", roleArn=f"arn:aws:iam::{account}:role/eks", resourcesVpcConfig={"subnetIds": []},
                       kubernetesNetworkConfig={"serviceIpv4Cidr": "10.100.0.0/16"})
    c = eks.describe_cluster(name="c")["cluster"]
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {eks_token(emu, account, 'c')}"
    return eks, c["endpoint"], s


def fargate_profile(eks, account, name, selectors):
    eks.create_fargate_profile(fargateProfileName=name, clusterName="c", selectors=selectors,
                               podExecutionRoleArn=f"arn:aws:iam::{account}:role/pods", subnets=["subnet-1"])


def status(s, url):
    return s.get(url, timeout=5).json()["status"]


def available(st):
    return any(x["type"] == "Available" and x["status"] == "True" for x in st["conditions"])


COREDNS = "/apis/apps/v1/namespaces/kube-system/deployments/coredns"


def test_a_new_cluster_has_what_eks_puts_there(bare):
    _eks, ep, s = bare
    ns = {i["metadata"]["name"] for i in s.get(f"{ep}/api/v1/namespaces", timeout=5).json()["items"]}
    assert ns == {"default", "kube-system", "kube-public", "kube-node-lease"}
    dns = s.get(f"{ep}{COREDNS}", timeout=5).json()
    assert dns["metadata"]["labels"]["k8s-app"] == "kube-dns"
    assert dns["spec"]["replicas"] == 2
    assert dns["spec"]["template"]["metadata"]["annotations"] == {COMPUTE_TYPE: "ec2"}
    assert dns["spec"]["template"]["spec"]["containers"][0]["image"].startswith(
        "602401143452.dkr.ecr.us-east-1.amazonaws.com/eks/coredns:")
    ds = {d["metadata"]["name"]: d for d in
          s.get(f"{ep}/apis/apps/v1/namespaces/kube-system/daemonsets", timeout=5).json()["items"]}
    assert set(ds) == {"kube-proxy", "aws-node"}
    assert ds["aws-node"]["status"]["numberReady"] == 0 and ds["aws-node"]["status"]["desiredNumberScheduled"] == 0
    svc = s.get(f"{ep}/api/v1/namespaces/kube-system/services/kube-dns", timeout=5).json()
    assert svc["spec"]["clusterIP"] == "10.100.0.10"
    assert {(p["port"], p["protocol"]) for p in svc["spec"]["ports"]} >= {(53, "UDP"), (53, "TCP")}
    assert s.get(f"{ep}/api/v1/namespaces/default/services/kubernetes", timeout=5).json()["spec"]["clusterIP"] == \
        "10.100.0.1"
    # no nodes: CoreDNS stays unavailable and its pods say why
    st = status(s, f"{ep}{COREDNS}")
    assert st["readyReplicas"] == 0 and st["unavailableReplicas"] == 2 and not available(st)
    pods = s.get(f"{ep}/api/v1/namespaces/kube-system/pods", params={"labelSelector": "k8s-app=kube-dns"},
                 timeout=5).json()["items"]
    assert len(pods) == 2 and all(p["status"]["phase"] == "Pending" for p in pods)
    cond = pods[0]["status"]["conditions"][0]
    assert (cond["type"], cond["status"], cond["reason"]) == ("PodScheduled", "False", "Unschedulable")
    assert cond["message"] == "no nodes available to schedule pods"
    one = s.get(f"{ep}/api/v1/namespaces/kube-system/pods/{pods[0]['metadata']['name']}", timeout=5).json()
    assert one["metadata"]["ownerReferences"][0]["kind"] == "ReplicaSet"


def test_a_node_group_runs_coredns_and_the_daemonsets(bare, account):
    eks, ep, s = bare
    eks.create_nodegroup(clusterName="c", nodegroupName="ng", nodeRole=f"arn:aws:iam::{account}:role/n",
                         subnets=["subnet-1"], scalingConfig={"minSize": 1, "maxSize": 3, "desiredSize": 3})
    st = status(s, f"{ep}{COREDNS}")
    assert st["readyReplicas"] == 2 and available(st)
    ds = status(s, f"{ep}/apis/apps/v1/namespaces/kube-system/daemonsets/kube-proxy")
    assert ds["numberReady"] == 3 and ds["desiredNumberScheduled"] == 3
    pods = s.get(f"{ep}/api/v1/namespaces/kube-system/pods", timeout=5).json()["items"]
    assert all(any(c["type"] == "Ready" and c["status"] == "True" for c in p["status"]["conditions"]) for p in pods)


def test_fargate_runs_only_what_its_profile_selects_and_coredns_only_without_the_ec2_annotation(bare, account):
    eks, ep, s = bare
    apply(s, f"{ep}/api/v1/namespaces/shiny-apps", "apiVersion: v1\nkind: Namespace\nmetadata: {name: shiny-apps}\n")
    app = f"{ep}/apis/apps/v1/namespaces/shiny-apps/deployments/app"
    apply(s, app, APP % "front")
    assert not available(status(s, app))
    fargate_profile(eks, account, "apps", [{"namespace": "shiny-*", "labels": {"tier": "back"}}])
    assert not available(status(s, app))  # the labels do not match
    apply(s, app, APP % "back")
    assert available(status(s, app))
    # a nodeSelector Fargate cannot satisfy keeps it off Fargate
    pinned = (APP % "back").replace("containers:", "nodeSelector: {eks.amazonaws.com/nodegroup: ng}\n      containers:")
    apply(s, app, pinned)
    assert not available(status(s, app))
    pods = s.get(f"{ep}/api/v1/namespaces/shiny-apps/pods", timeout=5).json()["items"]
    assert "Fargate" in pods[0]["status"]["conditions"][0]["message"]

    # a Fargate profile for kube-system: CoreDNS still needs EC2 until the annotation goes
    fargate_profile(eks, account, "system", [{"namespace": "kube-system"}])
    assert not available(status(s, f"{ep}{COREDNS}"))
    patch = [{"op": "remove", "path": f"/spec/template/metadata/annotations/{COMPUTE_TYPE.replace('/', '~1')}"}]
    r = s.patch(f"{ep}{COREDNS}", data=json.dumps(patch), headers={"Content-Type": "application/json-patch+json"},
                timeout=5)
    assert r.status_code == 200, r.text
    assert r.json()["metadata"]["generation"] == 2
    assert available(status(s, f"{ep}{COREDNS}"))
    pods = s.get(f"{ep}/api/v1/namespaces/kube-system/pods", timeout=5).json()["items"]
    assert all(p["spec"]["schedulerName"] == "fargate-scheduler" for p in pods)
    # DaemonSets never run on Fargate
    assert status(s, f"{ep}/apis/apps/v1/namespaces/kube-system/daemonsets/aws-node")["numberReady"] == 0


def test_the_coredns_addon_with_fargate_compute_type_drops_the_annotation(bare, account):
    eks, ep, s = bare
    fargate_profile(eks, account, "system", [{"namespace": "kube-system"}])
    eks.create_addon(clusterName="c", addonName="coredns", configurationValues='{"computeType":"Fargate"}')
    dns = s.get(f"{ep}{COREDNS}", timeout=5).json()
    assert COMPUTE_TYPE not in (dns["spec"]["template"]["metadata"].get("annotations") or {})
    assert dns["metadata"]["generation"] == 2
    assert wait_for(lambda: available(status(s, f"{ep}{COREDNS}")), True)[-1] is True


def test_a_rollout_that_cannot_be_scheduled_exceeds_its_progress_deadline(bare):
    _eks, ep, s = bare
    apply(s, f"{ep}/api/v1/namespaces/shiny-apps", "apiVersion: v1\nkind: Namespace\nmetadata: {name: shiny-apps}\n")
    app = f"{ep}/apis/apps/v1/namespaces/shiny-apps/deployments/app"
    apply(s, app, (APP % "x").replace("replicas: 2", "replicas: 2\n  progressDeadlineSeconds: 1"))

    def reason():
        return next(c["reason"] for c in status(s, app)["conditions"] if c["type"] == "Progressing")
    assert wait_for(reason, "ProgressDeadlineExceeded")[-1] == "ProgressDeadlineExceeded"
