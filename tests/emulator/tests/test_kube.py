"""The Kubernetes API stand-in at the EKS cluster endpoint, driven with plain HTTP."""

import base64

import pytest
import requests
from conftest import wait_for

DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shinyproxy
  namespace: shiny
  labels: {app: shinyproxy, tier: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: shinyproxy}}
  template:
    metadata: {labels: {app: shinyproxy}}
    spec:
      containers:
      - name: shinyproxy
        image: openanalytics/shinyproxy:3.1.1
"""


def eks_token(emu, account, cluster):
    sts = emu.client("sts", account)
    url = sts.generate_presigned_url("get_caller_identity", ExpiresIn=60)
    return "k8s-aws-v1." + base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")


@pytest.fixture
def cluster(emu, account):
    emu.set_profile(account, {"durations": {"eks_cluster_create": 0, "kube_deployment_rollout": 0.6}})
    eks = emu.client("eks", account)
    eks.create_cluster(name="shiny", roleArn=f"arn:aws:iam::{account}:role/eks", resourcesVpcConfig={"subnetIds": []})
    c = eks.describe_cluster(name="shiny")["cluster"]
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {eks_token(emu, account, 'shiny')}"
    return c, session


def apply(session, url, body, manager="shinyctl"):
    return session.patch(url, params={"fieldManager": manager, "force": "true"}, data=body,
                         headers={"Content-Type": "application/apply-patch+yaml"}, timeout=10)


def test_endpoint_and_certificate(emu, account, cluster):
    c, _ = cluster
    assert c["endpoint"] == f"{emu.endpoint}/_k8s/{account}/us-east-1/shiny"
    pem = base64.b64decode(c["certificateAuthority"]["data"])
    assert pem.startswith(b"-----BEGIN CERTIFICATE-----")


def test_requires_eks_token(emu, cluster):
    c, _ = cluster
    assert requests.get(f"{c['endpoint']}/api", timeout=5).status_code == 401
    r = requests.get(f"{c['endpoint']}/api", headers={"Authorization": "Bearer k8s-aws-v1.bm9wZQ"}, timeout=5)
    assert r.status_code == 401 and r.json()["kind"] == "Status"


def test_discovery(cluster):
    c, s = cluster
    ep = c["endpoint"]
    assert s.get(f"{ep}/api", timeout=5).json()["versions"] == ["v1"]
    groups = {g["name"]: g["preferredVersion"]["groupVersion"] for g in s.get(f"{ep}/apis", timeout=5).json()["groups"]}
    assert groups == {"apps": "apps/v1", "rbac.authorization.k8s.io": "rbac.authorization.k8s.io/v1",
                      "policy": "policy/v1", "networking.k8s.io": "networking.k8s.io/v1",
                      "storage.k8s.io": "storage.k8s.io/v1",
                      "apiextensions.k8s.io": "apiextensions.k8s.io/v1",
                      "admissionregistration.k8s.io": "admissionregistration.k8s.io/v1",
                      "coordination.k8s.io": "coordination.k8s.io/v1", "batch": "batch/v1"}
    core = {r["name"]: r for r in s.get(f"{ep}/api/v1", timeout=5).json()["resources"]}
    assert core["namespaces"]["namespaced"] is False and core["configmaps"]["kind"] == "ConfigMap"
    apps = s.get(f"{ep}/apis/apps/v1", timeout=5).json()
    assert apps["groupVersion"] == "apps/v1"
    assert {"deployments", "deployments/status"} <= {r["name"] for r in apps["resources"]}
    assert s.get(f"{ep}/apis/nope/v1", timeout=5).status_code == 404


def test_server_side_apply_get_list_delete(emu, account, cluster):
    c, s = cluster
    ep = c["endpoint"]
    dep_url = f"{ep}/apis/apps/v1/namespaces/shiny/deployments/shinyproxy"
    # the namespace must exist first, as on Kubernetes
    assert apply(s, dep_url, DEPLOYMENT).status_code == 404
    r = apply(s, f"{ep}/api/v1/namespaces/shiny", "apiVersion: v1\nkind: Namespace\nmetadata: {name: shiny}\n")
    assert r.status_code == 201
    # pods need somewhere to run (test_kube_scheduling): a managed node group
    emu.client("eks", account).create_nodegroup(clusterName="shiny", nodegroupName="proxy",
                                                nodeRole=f"arn:aws:iam::{account}:role/node",
                                                subnets=["subnet-1"])
    r = apply(s, dep_url, DEPLOYMENT)
    assert r.status_code == 201
    created = r.json()
    assert created["metadata"]["generation"] == 1 and created["metadata"]["uid"]
    assert created["metadata"]["managedFields"][0]["manager"] == "shinyctl"

    # rollout: not complete at first, complete after the profile's delay
    def rolled_out():
        st = s.get(dep_url, timeout=5).json()["status"]
        return (st["observedGeneration"] >= 1 and st["updatedReplicas"] == 2 and st["availableReplicas"] == 2
                and any(x["type"] == "Available" and x["status"] == "True" for x in st["conditions"]))
    assert wait_for(rolled_out, True) == [False, True]
    st = s.get(f"{dep_url}/status", timeout=5).json()["status"]
    assert st["readyReplicas"] == 2 and st["replicas"] == 2

    # re-apply with a change: merged, generation bumped, rollout starts again
    r = apply(s, dep_url, DEPLOYMENT.replace("replicas: 2", "replicas: 3"))
    assert r.status_code == 200
    assert r.json()["metadata"]["generation"] == 2 and r.json()["spec"]["replicas"] == 3
    assert r.json()["metadata"]["uid"] == created["metadata"]["uid"]
    assert r.json()["status"]["updatedReplicas"] == 0
    # an identical re-apply changes nothing
    again = apply(s, dep_url, DEPLOYMENT.replace("replicas: 2", "replicas: 3")).json()
    assert again["metadata"]["generation"] == 2
    assert again["metadata"]["resourceVersion"] == r.json()["metadata"]["resourceVersion"]

    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s, namespace: shiny, labels: {app: %s}}\ndata: {k: v}\n"
    apply(s, f"{ep}/api/v1/namespaces/shiny/configmaps/a", cm % ("a", "shinyproxy"))
    apply(s, f"{ep}/api/v1/namespaces/shiny/configmaps/b", cm % ("b", "other"))
    listed = s.get(f"{ep}/api/v1/namespaces/shiny/configmaps", params={"labelSelector": "app=shinyproxy"},
                   timeout=5).json()
    assert listed["kind"] == "ConfigMapList" and [i["metadata"]["name"] for i in listed["items"]] == ["a"]
    sel = s.get(f"{ep}/api/v1/namespaces/shiny/configmaps", params={"labelSelector": "app in (other,x)"},
                timeout=5).json()
    assert [i["metadata"]["name"] for i in sel["items"]] == ["b"]
    every = s.get(f"{ep}/api/v1/configmaps", params={"labelSelector": "app"}, timeout=5).json()
    assert len(every["items"]) == 2

    assert s.delete(f"{ep}/api/v1/namespaces/shiny/configmaps/a", timeout=5).status_code == 200
    r = s.get(f"{ep}/api/v1/namespaces/shiny/configmaps/a", timeout=5)
    assert r.status_code == 404 and r.json()["reason"] == "NotFound"
    assert s.delete(f"{ep}/api/v1/namespaces/shiny", timeout=5).status_code == 200
    assert s.get(dep_url, timeout=5).status_code == 404
    assert any(call["service"] == "kubernetes" for call in emu.calls(account))


def test_apply_needs_field_manager_and_matching_kind(cluster):
    c, s = cluster
    url = f"{c['endpoint']}/apis/rbac.authorization.k8s.io/v1/clusterroles/reader"
    role = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: reader}\nrules: []\n"
    r = s.patch(url, data=role, headers={"Content-Type": "application/apply-patch+yaml"}, timeout=5)
    assert r.status_code == 422
    assert apply(s, url, role.replace("ClusterRole\n", "Role\n")).status_code == 400
    assert apply(s, url, role).status_code == 201
    assert s.get(url, timeout=5).json()["kind"] == "ClusterRole"


def test_cluster_not_active(emu, account):
    emu.set_profile(account, {"durations": {"eks_cluster_create": 30}})
    eks = emu.client("eks", account)
    c = eks.create_cluster(name="slow", roleArn=f"arn:aws:iam::{account}:role/eks",
                           resourcesVpcConfig={"subnetIds": []})["cluster"]
    r = requests.get(f"{c['endpoint']}/api", headers={"Authorization": f"Bearer {eks_token(emu, account, 'slow')}"},
                     timeout=5)
    assert r.status_code == 503


def test_webhook_configurations_and_leases_are_stored_not_called(cluster):
    c, s = cluster
    ep = c["endpoint"]
    hook = """
apiVersion: admissionregistration.k8s.io/v1
kind: %s
metadata: {name: aws-load-balancer-webhook}
webhooks:
- name: mtargetgroupbinding.elbv2.k8s.aws
  admissionReviewVersions: [v1beta1]
  clientConfig: {caBundle: Y2E=, service: {name: aws-load-balancer-webhook-service, namespace: kube-system,
                 path: /mutate-elbv2-k8s-aws-v1beta1-targetgroupbinding}}
  failurePolicy: Fail
  sideEffects: None
  rules: [{apiGroups: [elbv2.k8s.aws], apiVersions: [v1beta1], operations: [CREATE, UPDATE],
           resources: [targetgroupbindings]}]
"""
    base = f"{ep}/apis/admissionregistration.k8s.io/v1"
    for kind, plural in (("MutatingWebhookConfiguration", "mutatingwebhookconfigurations"),
                         ("ValidatingWebhookConfiguration", "validatingwebhookconfigurations")):
        r = apply(s, f"{base}/{plural}/aws-load-balancer-webhook", hook % kind)
        assert r.status_code == 201, r.text
        got = s.get(f"{base}/{plural}/aws-load-balancer-webhook", timeout=5).json()
        assert got["kind"] == kind and got["webhooks"][0]["failurePolicy"] == "Fail"
        # cluster-scoped: there is no namespaced path
        assert s.get(f"{ep}/apis/admissionregistration.k8s.io/v1/namespaces/kube-system/{plural}",
                     timeout=5).status_code == 404
    lease = ("apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata: {name: aws-load-balancer-controller-leader, "
             "namespace: kube-system}\nspec: {holderIdentity: pod-a, leaseDurationSeconds: 15}\n")
    r = apply(s, f"{ep}/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/aws-load-balancer-controller-leader",
              lease)
    assert r.status_code == 201 and r.json()["spec"]["holderIdentity"] == "pod-a"


def test_a_tls_secret_needs_its_certificate_and_key(cluster):
    c, s = cluster
    url = f"{c['endpoint']}/api/v1/namespaces/kube-system/secrets/tls"
    empty = "apiVersion: v1\nkind: Secret\ntype: kubernetes.io/tls\nmetadata: {name: tls, namespace: kube-system}\n"
    r = apply(s, url, empty)
    assert r.status_code == 422
    assert "data[tls.crt]: Required value" in r.json()["message"]
    assert "data[tls.key]: Required value" in r.json()["message"]
    filled = empty + "data: {tls.crt: Y2VydA==, tls.key: a2V5}\n"
    assert apply(s, url, filled).status_code == 201
    # Other types are not checked.
    opaque = "apiVersion: v1\nkind: Secret\ntype: Opaque\nmetadata: {name: plain, namespace: kube-system}\n"
    assert apply(s, url.replace("/tls", "/plain"), opaque).status_code == 201
