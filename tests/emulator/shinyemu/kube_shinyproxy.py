"""What a ShinyProxy server does to running apps when its pod goes away, in the Kubernetes stand-in.

The stand-in runs no pods. This models the one ShinyProxy behaviour a rollout depends on, from
containerproxy 1.2.0 (what ShinyProxy 3.2.0 is built on): `ProxyService.shutdown()` (`@PreDestroy`)
stops every proxy in its store unless `proxy.stop-proxies-on-shutdown` is `false` (default `true`);
with `proxy.store-mode: Redis` the store is shared, so that is every app of the realm. Stopping a
proxy deletes its pod (`KubernetesBackend`), which carries the annotations
`openanalytics.eu/sp-proxy-id` and `openanalytics.eu/sp-realm-id`.

A Deployment is taken to run ShinyProxy when its pod template mounts a ConfigMap holding
`application.yml` with a `proxy` section. Its servers start with the file as it is when the
template changes (shinyctl applies the ConfigMap before the Deployment), and shut down when the
template changes again (a rollout replaces every pod) or the Deployment is deleted.
"""

from __future__ import annotations

import yaml

PROXY_ID = "openanalytics.eu/sp-proxy-id"
REALM_ID = "openanalytics.eu/sp-realm-id"
# Where the configuration the running servers started with is kept on the Deployment (internal).
STARTED_WITH = "_shinyproxy_config"


def _config(objects: dict, deployment: dict) -> dict | None:
    namespace = deployment.get("metadata", {}).get("namespace", "")
    volumes = (((deployment.get("spec") or {}).get("template") or {}).get("spec") or {}).get("volumes") or []
    for volume in volumes:
        name = (volume.get("configMap") or {}).get("name")
        cm = objects.get(("", "configmaps", namespace, name)) if name else None
        text = ((cm or {}).get("data") or {}).get("application.yml")
        if text:
            try:
                doc = yaml.safe_load(text)
            except yaml.YAMLError:
                return None
            if isinstance(doc, dict) and isinstance(doc.get("proxy"), dict):
                return doc
    return None


def started(objects: dict, deployment: dict) -> None:
    """New servers start: they read the configuration as it is now."""
    config = _config(objects, deployment)
    if config is not None:
        deployment[STARTED_WITH] = config


def shut_down(objects: dict, deployment: dict) -> list[str]:
    """The Deployment's servers shut down with the configuration they started with; returns the
    names of the app pods they stopped."""
    config = deployment.get(STARTED_WITH)
    if not config:
        return []
    proxy = config["proxy"]
    if proxy.get("stop-proxies-on-shutdown", True) is False:
        return []
    namespace = (proxy.get("kubernetes") or {}).get("namespace", "default")
    realm = proxy.get("realm-id")
    stopped = []
    for key in [k for k in objects if k[:3] == ("", "pods", namespace)]:
        annotations = objects[key].get("metadata", {}).get("annotations") or {}
        if PROXY_ID not in annotations:
            continue
        if realm is not None and annotations.get(REALM_ID) != realm:
            continue
        del objects[key]
        stopped.append(key[3])
    return stopped


def template_changed(old: dict, new: dict) -> bool:
    return (old.get("spec") or {}).get("template") != (new.get("spec") or {}).get("template")
