"""CustomResourceDefinitions: a group exists only once its CRD is applied, and goes with it.
The example is Kubernetes' own (CronTab in stable.example.com)."""

from test_kube import apply, cluster  # noqa: F401  (the fixture)

CRONTAB_CRD = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: crontabs.stable.example.com}
spec:
  group: stable.example.com
  names: {kind: CronTab, listKind: CronTabList, plural: crontabs,
          singular: crontab}
  scope: Namespaced
  versions:
  - {name: v1alpha1, served: true, storage: false, schema: {openAPIV3Schema: {type: object}}}
  - name: v1beta1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object}}
    subresources: {status: {}}
"""
SCHEDULE_CRD = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: schedules.stable.example.com}
spec:
  group: stable.example.com
  names: {kind: Schedule, listKind: ScheduleList, plural: schedules,
          singular: schedule}
  scope: Cluster
  versions:
  - {name: v1beta1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}
"""
CRONTAB = """
apiVersion: stable.example.com/v1beta1
kind: CronTab
metadata: {name: nightly, namespace: default}
spec: {cronSpec: "* * * * */5", image: my-cron-image}
"""
CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
# The AWS Load Balancer Controller's TargetGroupBinding CRD (its chart's crds/crds.yaml), abridged.
TGB_CRD = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: targetgroupbindings.elbv2.k8s.aws}
spec:
  group: elbv2.k8s.aws
  names: {kind: TargetGroupBinding, listKind: TargetGroupBindingList, plural: targetgroupbindings,
          singular: targetgroupbinding}
  scope: Namespaced
  versions:
  - {name: v1alpha1, served: true, storage: false, schema: {openAPIV3Schema: {type: object}}}
  - {name: v1beta1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}},
     subresources: {status: {}}}
"""
TGB = """
apiVersion: elbv2.k8s.aws/v1beta1
kind: TargetGroupBinding
metadata: {name: proxy, namespace: default}
spec: {serviceRef: {name: proxy, port: 80}, targetGroupARN: "arn:aws:elasticloadbalancing:x"}
"""


def _group_names(s, ep):
    return {g["name"] for g in s.get(f"{ep}/apis", timeout=5).json()["groups"]}


def test_crd_serves_its_group_versions_and_kinds(cluster):  # noqa: F811
    c, s = cluster
    ep = c["endpoint"]
    assert "apiextensions.k8s.io" in _group_names(s, ep)
    r = apply(s, f"{ep}{CRDS}/crontabs.stable.example.com", CRONTAB_CRD)
    assert r.status_code == 201, r.text
    crd = r.json()
    established = {x["type"]: x["status"] for x in crd["status"]["conditions"]}
    assert established == {"NamesAccepted": "True", "Established": "True"}
    assert crd["status"]["acceptedNames"]["kind"] == "CronTab"
    assert crd["status"]["storedVersions"] == ["v1beta1"]

    group = s.get(f"{ep}/apis/stable.example.com", timeout=5).json()
    assert group["kind"] == "APIGroup"
    assert [v["version"] for v in group["versions"]] == ["v1beta1", "v1alpha1"]
    assert group["preferredVersion"]["version"] == "v1beta1"
    res = {r["name"]: r for r in s.get(f"{ep}/apis/stable.example.com/v1beta1", timeout=5).json()["resources"]}
    assert res["crontabs"]["kind"] == "CronTab"
    assert res["crontabs"]["namespaced"] is True
    assert "crontabs/status" in res
    alpha = s.get(f"{ep}/apis/stable.example.com/v1alpha1", timeout=5).json()["resources"]
    assert [r["name"] for r in alpha] == ["crontabs"]

    url = f"{ep}/apis/stable.example.com/v1beta1/namespaces/default/crontabs/nightly"
    assert apply(s, url, CRONTAB).status_code == 201
    listed = s.get(f"{ep}/apis/stable.example.com/v1beta1/crontabs", timeout=5).json()
    assert listed["kind"] == "CronTabList" and len(listed["items"]) == 1

    # a second CRD of the same group adds its kind, cluster-scoped
    assert apply(s, f"{ep}{CRDS}/schedules.stable.example.com", SCHEDULE_CRD).status_code == 201
    res = {r["name"]: r for r in s.get(f"{ep}/apis/stable.example.com/v1beta1", timeout=5).json()["resources"]}
    assert res["schedules"]["namespaced"] is False
    params = "apiVersion: stable.example.com/v1beta1\nkind: Schedule\nmetadata: {name: weekly}\nspec: {}\n"
    assert apply(s, f"{ep}/apis/stable.example.com/v1beta1/schedules/weekly", params).status_code == 201

    # get, list, and delete of the CRD itself; its objects go with it
    assert s.get(f"{ep}{CRDS}/crontabs.stable.example.com", timeout=5).json()["spec"]["group"] == \
        "stable.example.com"
    names = [i["metadata"]["name"] for i in s.get(f"{ep}{CRDS}", timeout=5).json()["items"]]
    assert names == ["crontabs.stable.example.com", "schedules.stable.example.com"]
    assert s.delete(f"{ep}{CRDS}/crontabs.stable.example.com", timeout=5).status_code == 200
    assert s.get(url, timeout=5).status_code == 404
    res = [r["name"] for r in s.get(f"{ep}/apis/stable.example.com/v1beta1", timeout=5).json()["resources"]]
    assert res == ["schedules"]
    assert s.get(f"{ep}/apis/stable.example.com/v1alpha1", timeout=5).status_code == 404
    assert apply(s, f"{ep}{CRDS}/crontabs.stable.example.com", CRONTAB_CRD).status_code == 201
    assert s.get(url, timeout=5).status_code == 404  # deleted objects do not come back


def test_crd_created_with_post_and_not_served_versions(cluster):  # noqa: F811
    c, s = cluster
    ep = c["endpoint"]
    body = CRONTAB_CRD.replace("{name: v1alpha1, served: true", "{name: v1alpha1, served: false")
    r = s.post(f"{ep}{CRDS}", data=body, headers={"Content-Type": "application/yaml"}, timeout=5)
    assert r.status_code == 201, r.text
    assert s.post(f"{ep}{CRDS}", data=body, headers={"Content-Type": "application/yaml"},
                  timeout=5).status_code == 409
    assert s.get(f"{ep}/apis/stable.example.com/v1alpha1", timeout=5).status_code == 404
    alpha = f"{ep}/apis/stable.example.com/v1alpha1/namespaces/default/crontabs/nightly"
    assert apply(s, alpha, CRONTAB.replace("v1beta1", "v1alpha1")).status_code == 404


def test_invalid_crd_is_refused_as_the_api_server_does(cluster):  # noqa: F811
    c, s = cluster
    ep = c["endpoint"]
    wrong_name = CRONTAB_CRD.replace("name: crontabs.stable.example.com", "name: tabs.stable.example.com")
    r = apply(s, f"{ep}{CRDS}/tabs.stable.example.com", wrong_name)
    assert r.status_code == 422 and r.json()["reason"] == "Invalid"
    assert 'must be spec.names.plural+"."+spec.group' in r.json()["message"]
    assert r.json()["details"]["causes"][0]["field"] == "metadata.name"
    two_storage = CRONTAB_CRD.replace("served: true, storage: false", "served: true, storage: true")
    r = apply(s, f"{ep}{CRDS}/crontabs.stable.example.com", two_storage)
    assert r.status_code == 422 and "exactly one version marked as storage" in r.json()["message"]
    protected = CRONTAB_CRD.replace("stable.example.com", "stable.k8s.io")
    r = apply(s, f"{ep}{CRDS}/crontabs.stable.k8s.io", protected)
    assert r.status_code == 422 and "api-approved.kubernetes.io" in r.json()["message"]
    assert "stable.k8s.io" not in _group_names(s, ep)


def test_no_target_group_binding_until_the_load_balancer_controllers_crd(cluster):  # noqa: F811
    c, s = cluster
    ep = c["endpoint"]
    assert "elbv2.k8s.aws" not in _group_names(s, ep)
    assert s.get(f"{ep}/apis/elbv2.k8s.aws/v1beta1", timeout=5).status_code == 404
    url = f"{ep}/apis/elbv2.k8s.aws/v1beta1/namespaces/default/targetgroupbindings/proxy"
    for r in (s.get(url, timeout=5), apply(s, url, TGB)):
        assert r.status_code == 404 and r.json()["reason"] == "NotFound"
    assert apply(s, f"{ep}{CRDS}/targetgroupbindings.elbv2.k8s.aws", TGB_CRD).status_code == 201
    assert "elbv2.k8s.aws" in _group_names(s, ep)
    assert apply(s, url, TGB).status_code == 201
    assert s.get(url, timeout=5).json()["spec"]["serviceRef"]["name"] == "proxy"
