"""ShinyProxy's shutdown as the Kubernetes stand-in models it (containerproxy 1.2.0 ProxyService)."""

from shinyemu import kube_shinyproxy as sp

CONFIG = """
proxy:
  realm-id: analytics
  store-mode: Redis
  kubernetes: {namespace: apps}
{extra}
"""


def objects(extra=""):
    cm = {"kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "sp"},
          "data": {"application.yml": CONFIG.replace("{extra}", extra)}}
    pods = {}
    for name, realm in (("app-1", "analytics"), ("app-2", "other")):
        pods[("", "pods", "apps", name)] = {"kind": "Pod", "metadata": {"name": name, "annotations": {
            sp.PROXY_ID: name, sp.REALM_ID: realm}}}
    pods[("", "pods", "apps", "not-an-app")] = {"kind": "Pod", "metadata": {"name": "not-an-app"}}
    return {("", "configmaps", "sp", "cfg"): cm, **pods}


def deployment():
    return {"kind": "Deployment", "metadata": {"name": "shinyproxy", "namespace": "sp"},
            "spec": {"template": {"spec": {"volumes": [{"name": "c", "configMap": {"name": "cfg"}}]}}}}


def test_by_default_shutdown_stops_the_realms_apps():
    objs, d = objects(), deployment()
    sp.started(objs, d)
    assert sp.shut_down(objs, d) == ["app-1"]
    assert ("", "pods", "apps", "app-2") in objs and ("", "pods", "apps", "not-an-app") in objs


def test_apps_survive_when_the_server_started_with_stop_proxies_on_shutdown_false():
    objs, d = objects("  stop-proxies-on-shutdown: false"), deployment()
    sp.started(objs, d)
    # The ConfigMap changing afterwards does not change what the running servers read.
    objs[("", "configmaps", "sp", "cfg")]["data"]["application.yml"] = CONFIG.replace("{extra}", "")
    assert sp.shut_down(objs, d) == []
    assert ("", "pods", "apps", "app-1") in objs


def test_a_deployment_without_shinyproxy_config_stops_nothing():
    objs, d = objects(), deployment()
    d["spec"]["template"]["spec"]["volumes"] = []
    sp.started(objs, d)
    assert sp.shut_down(objs, d) == []
