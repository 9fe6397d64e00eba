"""batch/v1 Jobs in the Kubernetes API stand-in (kube_job.py): one pod where the scheduler can
place it, succeeding after `kube_job_run`, or failing with its log for an image a test marks."""

import json
import time

import pytest
import requests
from test_kube import apply, eks_token

JOB = """
apiVersion: batch/v1
kind: Job
metadata: {name: make-user, namespace: sp}
spec:
  backoffLimit: %d
  template:
    metadata: {labels: {app: make-user}}
    spec:
      restartPolicy: %s
      containers: [{name: psql, image: %s}]
"""
NS = "apiVersion: v1\nkind: Namespace\nmetadata: {name: sp}\n"


@pytest.fixture
def cluster(emu, account):
    emu.set_profile(account, {"durations": {"eks_cluster_create": 0, "eks_nodegroup_create": 0,
                                            "kube_job_run": 0.3}})
    eks = emu.client("eks", account)
    eks.create_cluster(name="c", roleArn=f"arn:aws:iam::{account}:role/eks", resourcesVpcConfig={"subnetIds": []})
    eks.create_nodegroup(clusterName="c", nodegroupName="ng", nodeRole=f"arn:aws:iam::{account}:role/n",
                         subnets=["subnet-1"], scalingConfig={"minSize": 1, "maxSize": 1, "desiredSize": 1})
    ep = eks.describe_cluster(name="c")["cluster"]["endpoint"]
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {eks_token(emu, account, 'c')}"
    assert apply(s, f"{ep}/api/v1/namespaces/sp", NS).status_code == 201
    return ep, s


def job_url(ep):
    return f"{ep}/apis/batch/v1/namespaces/sp/jobs/make-user"


def conditions(s, ep):
    return {c["type"]: c for c in s.get(job_url(ep), timeout=5).json()["status"].get("conditions", [])}


def pods(s, ep):
    return s.get(f"{ep}/api/v1/namespaces/sp/pods", params={"labelSelector": "batch.kubernetes.io/job-name=make-user"},
                 timeout=5).json()["items"]


def test_a_job_runs_its_pod_and_completes(emu, cluster):
    ep, s = cluster
    r = apply(s, job_url(ep), JOB % (2, "Never", "postgres:17.5-alpine"))
    assert r.status_code == 201, r.text
    assert s.get(job_url(ep), timeout=5).json()["status"]["active"] == 1
    [pod] = pods(s, ep)
    assert pod["status"]["phase"] == "Running" and pod["metadata"]["labels"]["job-name"] == "make-user"
    time.sleep(0.4)
    c = conditions(s, ep)
    assert c["Complete"]["status"] == "True" and c["SuccessCriteriaMet"]["status"] == "True"
    status = s.get(job_url(ep), timeout=5).json()["status"]
    assert status["succeeded"] == 1 and "completionTime" in status
    [pod] = pods(s, ep)
    assert pod["status"]["phase"] == "Succeeded"
    assert pod["status"]["containerStatuses"][0]["state"]["terminated"]["reason"] == "Completed"
    # The pod template cannot change; the Job goes with its pods.
    r = apply(s, job_url(ep), JOB % (2, "Never", "postgres:18-alpine"))
    assert r.status_code == 422 and "field is immutable" in r.json()["message"]
    assert s.delete(job_url(ep), params={"propagationPolicy": "Background"}, timeout=5).status_code == 200
    assert pods(s, ep) == []


def test_a_failing_image_fails_the_job_after_its_retries_with_its_log(emu, account, cluster):
    ep, s = cluster
    r = requests.put(f"{emu.endpoint}/_emulator/kube/failing", params={"account": account},
                     data=json.dumps({"images": {"bad:1": "line 1\npsql: error: connection refused"}}), timeout=5)
    assert r.status_code == 200
    assert apply(s, job_url(ep), JOB % (2, "Never", "bad:1")).status_code == 201
    c = conditions(s, ep)
    assert c["Failed"]["reason"] == "BackoffLimitExceeded"
    assert s.get(job_url(ep), timeout=5).json()["status"]["failed"] == 3
    failed = pods(s, ep)
    assert len(failed) == 3 and all(p["status"]["phase"] == "Failed" for p in failed)
    log = s.get(f"{ep}/api/v1/namespaces/sp/pods/{failed[0]['metadata']['name']}/log", params={"tailLines": 1},
                timeout=5)
    assert log.status_code == 200 and log.text == "psql: error: connection refused\n"
    requests.delete(f"{emu.endpoint}/_emulator/kube/failing", params={"account": account}, timeout=5)


def test_a_job_needs_a_restart_policy_jobs_allow(cluster):
    ep, s = cluster
    r = apply(s, job_url(ep), JOB % (0, "Always", "postgres:17.5-alpine"))
    assert r.status_code == 422 and "restartPolicy: Unsupported value" in r.json()["message"]
