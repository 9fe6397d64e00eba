"""A Kubernetes API stand-in at each EKS cluster's endpoint: NOT a Kubernetes.

Served at `/_k8s/<account>/<region>/<cluster>` (DescribeCluster's `endpoint`). It keeps
objects in memory and supports discovery of the built-in APIs (kube_api) and of applied
CustomResourceDefinitions (kube_crd), server-side apply (PATCH with
`application/apply-patch+yaml` and `fieldManager`), JSON merge patch, JSON patch, create,
replace, get, list with labelSelector and delete. A new cluster holds what EKS puts there
(kube_eks); Deployment and DaemonSet status and a Deployment's pods follow where pods can be
scheduled and the profile's `kube_deployment_rollout` delay (kube_sched); a batch/v1 Job runs one
pod that succeeds after `kube_job_run`, or fails for an image a test marks (kube_job). It does no schema
validation, no admission (webhook configurations are stored, never called), no watch, and
merges applied configuration naïvely (maps deep-merged, lists replaced). Requests need an
EKS-style bearer token (`k8s-aws-v1.` + base64url of a presigned STS GetCallerIdentity URL);
without one the answer is 401. A rollout or deletion of a Deployment running ShinyProxy stops
app pods as ShinyProxy's shutdown would (`kube_shinyproxy.py`).
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote

import yaml

from . import kube_api, kube_crd, kube_eks, kube_job, kube_sched, kube_shinyproxy
from .hooks import Response

_lock = threading.RLock()
_stores: dict[tuple[str, str, str], "Store"] = {}
_rv = iter(range(1, 10**12))


class KubeError(Exception):
    def __init__(self, code: int, reason: str, message: str, details: dict | None = None):
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details or {}


class Store:
    """One cluster's objects, starting with what EKS puts on a new cluster (kube_eks)."""

    def __init__(self, region: str = "us-east-1", version: str = "1.31",
                 service_cidr: str = "10.100.0.0/16") -> None:
        self.objects: dict[tuple[str, str, str, str], dict] = {}  # (group, plural, ns, name) -> obj
        self.coredns_compute: str | None = None  # what the coredns add-on last set
        now = _now()
        for ns in kube_api.DEFAULT_NAMESPACES:
            self.objects[("", "namespaces", "", ns)] = {
                "apiVersion": "v1", "kind": "Namespace",
                "metadata": _new_meta(ns, None, now), "spec": {"finalizers": ["kubernetes"]},
                "status": {"phase": "Active"}}
        for group, plural, doc in kube_eks.default_objects(region, version, service_cidr):
            meta = doc["metadata"]
            doc["metadata"] = {**meta, **_new_meta(meta["name"], meta.get("namespace"), now)}
            doc["_changed_at"] = 0.0  # rolled out long ago (wherever it could be scheduled)
            self.objects[(group, plural, meta.get("namespace", ""), meta["name"])] = doc


@dataclass
class View:
    """What presenting an object needs: the rollout delay and where pods can run now; a Job's
    run time and the images whose Job pods fail (kube_job)."""
    delay: float
    placement: kube_sched.Placement
    job_delay: float = 0.0
    failing: dict | None = None


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _new_meta(name: str, namespace: str | None, now: str) -> dict:
    meta = {"name": name, "uid": str(uuid.uuid4()), "resourceVersion": str(next(_rv)),
            "generation": 1, "creationTimestamp": now}
    if namespace:
        meta["namespace"] = namespace
    return meta


def _status_obj(code: int, reason: str, message: str, details: dict | None = None) -> dict:
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure" if code >= 400 else "Success",
            "message": message, "reason": reason, "details": details or {}, "code": code}


def _json(code: int, data) -> Response:
    return Response(code, [("Content-Type", "application/json")], json.dumps(data).encode())


# --- authentication --------------------------------------------------------------------
def token_ok(header: str) -> bool:
    """An EKS token: `k8s-aws-v1.` + base64url(presigned STS GetCallerIdentity URL)."""
    if not header.startswith("Bearer k8s-aws-v1."):
        return False
    payload = header[len("Bearer k8s-aws-v1."):]
    try:
        url = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return False
    q = parse_qs(url.partition("?")[2])
    return (url.startswith(("https://sts.", "http://sts.", "https://", "http://"))
            and q.get("Action") == ["GetCallerIdentity"]
            and "X-Amz-Signature" in q and "X-Amz-Credential" in q)


# --- entry point ---------------------------------------------------------------------
_PREFIX = re.compile(r"^/_k8s/(\d{12})/([a-z0-9-]+)/([^/]+)(/.*)?$")


def handle(state, environ) -> Response:
    path = environ.get("PATH_INFO", "")
    m = _PREFIX.match(path)
    method = environ.get("REQUEST_METHOD", "GET")
    if not m:
        return _json(404, _status_obj(404, "NotFound", f"no cluster endpoint at {path}"))
    account, region, cluster, rest = m.group(1), m.group(2), m.group(3), m.group(4) or "/"
    op = f"{method} {rest}"
    code = 500
    try:
        resp = _handle(state, environ, account, region, cluster, rest, method)
        code = resp.status
        return resp
    except KubeError as err:
        code = err.code
        return _json(err.code, _status_obj(err.code, err.reason, err.message, err.details))
    finally:
        state.calls.record("kubernetes", op, account, region, code,
                           None if code < 400 else str(code), None)


def _handle(state, environ, account, region, cluster, rest, method) -> Response:
    if not token_ok(environ.get("HTTP_AUTHORIZATION", "")):
        raise KubeError(401, "Unauthorized", "Unauthorized")
    eks_cluster = _require_active_cluster(account, region, cluster)
    with _lock:
        store = _stores.get((account, region, cluster))
        if store is None:
            cidr = (eks_cluster.kubernetes_network_config or {}).get("serviceIpv4Cidr") or "10.100.0.0/16"
            store = _stores[(account, region, cluster)] = Store(region, eks_cluster.version or "1.31", cidr)
        _sync_coredns_addon(store, kube_eks.coredns_compute_type(account, region, cluster))
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    parts = [unquote(p) for p in rest.strip("/").split("/") if p]

    with _lock:
        custom = kube_crd.custom_resources(store.objects)
    if method == "GET":
        if parts == ["version"]:
            return _json(200, {"major": "1", "minor": "30", "gitVersion": "v1.30.0-eks-emulator",
                               "platform": "linux/amd64"})
        if parts == ["api"]:
            return _json(200, kube_api.api_versions())
        if parts == ["apis"]:
            return _json(200, kube_api.api_group_list(custom))
        if parts == ["api", "v1"]:
            return _json(200, kube_api.resource_list("", "v1"))
        if len(parts) == 3 and parts[0] == "apis":
            listing = kube_api.resource_list(parts[1], parts[2], custom)
            if listing is None:
                raise KubeError(404, "NotFound", "the server could not find the requested resource")
            return _json(200, listing)
        if len(parts) == 2 and parts[0] == "apis":
            group = next((g for g in kube_api.api_group_list(custom)["groups"] if g["name"] == parts[1]), None)
            if group is None:
                raise KubeError(404, "NotFound", "the server could not find the requested resource")
            return _json(200, {"kind": "APIGroup", "apiVersion": "v1", **group})

    ref = _parse_resource_path(parts, custom)
    view = View(state.duration("kube_deployment_rollout", account), kube_sched.placement(account, region, cluster),
                state.duration("kube_job_run", account), kube_job.failing(account))
    with _lock:
        return _serve(store, ref, method, body, query, environ, view)


def _sync_coredns_addon(store: Store, compute: str | None) -> None:
    """The coredns add-on manages the CoreDNS Deployment: when its computeType changes, the pod
    template gains or loses the EC2 compute-type annotation (a new rollout)."""
    if compute is None or compute == store.coredns_compute:
        return
    store.coredns_compute = compute
    obj = store.objects.get(("apps", "deployments", "kube-system", "coredns"))
    if obj is None:
        return
    template_meta = obj["spec"]["template"].setdefault("metadata", {})
    annotations = dict(template_meta.get("annotations") or {})
    if compute == "Fargate":
        annotations.pop(kube_sched.COMPUTE_TYPE, None)
    else:
        annotations[kube_sched.COMPUTE_TYPE] = "ec2"
    if annotations == (template_meta.get("annotations") or {}):
        return
    template_meta["annotations"] = annotations
    obj["metadata"]["generation"] = int(obj["metadata"].get("generation", 1)) + 1
    obj["metadata"]["resourceVersion"] = str(next(_rv))
    obj["_changed_at"] = time.time()


def _require_active_cluster(account, region, cluster) -> None:
    from moto.eks.models import eks_backends

    c = eks_backends[account][region].clusters.get(cluster)
    if c is None:
        raise KubeError(404, "NotFound", f"no EKS cluster {cluster} in {account}/{region}")
    if c.status not in ("ACTIVE", "UPDATING"):
        raise KubeError(503, "ServiceUnavailable", f"cluster {cluster} is {c.status}")
    return c


def _parse_resource_path(parts: list[str], custom: kube_api.Custom) -> dict:
    """-> {group, version, plural, namespace, name, subresource} or KubeError 404."""
    if parts[:2] == ["api", "v1"]:
        group, version, rest = "", "v1", parts[2:]
    elif len(parts) >= 3 and parts[0] == "apis":
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        raise KubeError(404, "NotFound", "the server could not find the requested resource")
    namespace = None
    if len(rest) >= 3 and rest[0] == "namespaces":
        namespace, rest = rest[1], rest[2:]
    if not rest or len(rest) > 3:
        raise KubeError(404, "NotFound", "the server could not find the requested resource")
    plural = rest[0]
    found = kube_api.lookup(group, version, plural, custom)
    if found is None:
        raise KubeError(404, "NotFound", "the server could not find the requested resource")
    singular, kind, namespaced = found
    if namespaced is False and namespace is not None:
        raise KubeError(404, "NotFound", "the server could not find the requested resource")
    return {"group": group, "version": version, "plural": plural, "kind": kind, "namespaced": namespaced,
            "namespace": namespace, "name": rest[1] if len(rest) > 1 else None,
            "subresource": rest[2] if len(rest) > 2 else None}


def _key(ref: dict, name: str | None = None) -> tuple:
    return (ref["group"], ref["plural"], ref["namespace"] or "", name or ref["name"])


def _serve(store: Store, ref: dict, method: str, body: bytes, query: dict, environ, view: View) -> Response:
    name = ref["name"]
    if ref["namespaced"] and ref["namespace"] and method in ("POST", "PATCH", "PUT"):
        if ("", "namespaces", "", ref["namespace"]) not in store.objects:
            raise KubeError(404, "NotFound", f'namespaces "{ref["namespace"]}" not found',
                            {"name": ref["namespace"], "kind": "namespaces"})
    if method == "GET" and name is None:
        return _json(200, _list(store, ref, query, view))
    if method == "GET":
        if (ref["group"], ref["plural"]) == ("", "pods") and _key(ref) not in store.objects:
            pod = next((p for p in _deployment_pods(store, ref["namespace"], view)
                        if p["metadata"]["name"] == name), None)
            if ref["subresource"] == "log":
                return _pod_log(store, ref, pod, query, view)
            if pod is not None:
                return _json(200, pod)
        return _json(200, _present(_get(store, ref), view))
    if method == "DELETE" and name is not None:
        obj = _get(store, ref)
        del store.objects[_key(ref)]
        if obj.get("kind") == "Deployment":
            kube_shinyproxy.shut_down(store.objects, obj)
        if ref["plural"] == "namespaces":
            for k in [k for k in store.objects if k[2] == name]:
                del store.objects[k]
        if (ref["group"], ref["plural"]) == (kube_crd.GROUP, kube_crd.PLURAL):
            kube_crd.delete_objects_of(store.objects, obj)
        return _json(200, {**_status_obj(200, "", ""), "status": "Success",
                           "details": {"name": name, "kind": ref["plural"], "uid": obj["metadata"]["uid"]}})
    if method == "POST" and name is None:
        doc = _decode(body, environ)
        _check_doc(ref, doc, doc.get("metadata", {}).get("name"))
        ref = {**ref, "name": doc["metadata"]["name"]}
        if _key(ref) in store.objects:
            raise KubeError(409, "AlreadyExists", f'{ref["plural"]} "{ref["name"]}" already exists',
                            {"name": ref["name"], "kind": ref["plural"]})
        return _json(201, _present(_store_new(store, ref, doc, None), view))
    if method == "PUT" and name is not None:
        doc = _decode(body, environ)
        _check_doc(ref, doc, name)
        old = store.objects.get(_key(ref))
        if old is None:
            raise KubeError(404, "NotFound", f'{ref["plural"]} "{name}" not found',
                            {"name": name, "kind": ref["plural"]})
        if (ref["group"], ref["plural"]) == ("batch", "jobs"):
            _invalid_if(kube_job.immutable_problems(old, doc), ref, name)
        return _json(200, _present(_replace(store, ref, old, doc), view))
    if method == "PATCH" and name is not None:
        ctype = (environ.get("CONTENT_TYPE") or "").split(";")[0].strip()
        if ctype == "application/apply-patch+yaml":
            manager = query.get("fieldManager")
            if not manager:
                raise KubeError(422, "Invalid", "PATCH /apply requires fieldManager (the fieldManager query "
                                                "parameter must be set for apply requests)")
            doc = _decode(body, environ)
            _check_doc(ref, doc, name)
            old = store.objects.get(_key(ref))
            if old is None:
                return _json(201, _present(_store_new(store, ref, doc, manager), view))
            merged = _merge(copy.deepcopy(old), doc)
            if (ref["group"], ref["plural"]) == ("batch", "jobs"):
                _invalid_if(kube_job.immutable_problems(old, merged), ref, name)
            return _json(200, _present(_replace(store, ref, old, merged, manager), view))
        if ctype in ("application/merge-patch+json", "application/strategic-merge-patch+json"):
            old = _get(store, ref)
            patch = _decode(body, environ)
            merged = _merge_patch(copy.deepcopy(old), patch)
            return _json(200, _present(_replace(store, ref, old, merged), view))
        if ctype == "application/json-patch+json":
            old = _get(store, ref)
            merged = _json_patch(copy.deepcopy(old), _decode_any(body))
            return _json(200, _present(_replace(store, ref, old, merged), view))
        raise KubeError(415, "UnsupportedMediaType", f"the body of the request was in an unknown format: {ctype}")
    raise KubeError(405, "MethodNotAllowed", f"the server does not allow this method on the requested resource")


def _decode(body: bytes, environ) -> dict:
    try:
        doc = yaml.safe_load(body.decode("utf-8")) if body else None
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise KubeError(400, "BadRequest", f"error decoding body: {err}")
    if not isinstance(doc, dict):
        raise KubeError(400, "BadRequest", "the body must be a single object")
    return doc


def _check_doc(ref: dict, doc: dict, name: str | None) -> None:
    want_api = kube_api.api_version(ref["group"], ref["version"])
    if doc.get("apiVersion") != want_api or doc.get("kind") != ref["kind"]:
        raise KubeError(400, "BadRequest",
                        f"the API version in the data ({doc.get('apiVersion')}) and kind ({doc.get('kind')}) "
                        f"do not match the request ({want_api}, {ref['kind']})")
    meta = doc.get("metadata") or {}
    if not meta.get("name") or (name is not None and meta.get("name") != name):
        raise KubeError(400, "BadRequest", "the name of the object does not match the name on the URL")
    ns = meta.get("namespace")
    if ref["namespaced"] and ns is not None and ns != ref["namespace"]:
        raise KubeError(400, "BadRequest", "the namespace of the object does not match the namespace on the URL")
    if (ref["group"], ref["plural"]) == (kube_crd.GROUP, kube_crd.PLURAL):
        _invalid_if(kube_crd.problems(doc), ref, meta["name"])
    if (ref["group"], ref["plural"]) == ("", "secrets"):
        _invalid_if(_secret_problems(doc), ref, meta["name"])
    if (ref["group"], ref["plural"]) == ("batch", "jobs"):
        _invalid_if(kube_job.problems(doc), ref, meta["name"])


# Kubernetes "Secrets", TLS Secrets: a `kubernetes.io/tls` Secret must have `tls.key` and `tls.crt`
# in `data` or `stringData` (the values are not checked); the API server refuses it otherwise
# (pkg/apis/core/validation ValidateSecret: `data[tls.crt]: Required value`).
_SECRET_KEYS = {"kubernetes.io/tls": ("tls.crt", "tls.key")}


def _secret_problems(doc: dict) -> list[str]:
    keys = set((doc.get("data") or {})) | set((doc.get("stringData") or {}))
    return [f"data[{k}]: Required value" for k in _SECRET_KEYS.get(doc.get("type") or "", ()) if k not in keys]


def _invalid_if(problems: list[str], ref: dict, name: str) -> None:
    """422 Invalid, as the API server answers a object that fails validation."""
    if not problems:
        return
    group_kind = f'{ref["kind"]}.{ref["group"]}' if ref["group"] else ref["kind"]
    causes = [{"reason": "FieldValueInvalid", "message": p.split(": ", 1)[1], "field": p.split(": ", 1)[0]}
              for p in problems]
    raise KubeError(422, "Invalid", f'{group_kind} "{name}" is invalid: [{", ".join(problems)}]'
                    if len(problems) > 1 else f'{group_kind} "{name}" is invalid: {problems[0]}',
                    {"name": name, "group": ref["group"], "kind": ref["kind"], "causes": causes})


def _store_new(store: Store, ref: dict, doc: dict, manager: str | None) -> dict:
    obj = copy.deepcopy(doc)
    obj.pop("status", None)
    now = _now()
    meta = obj.setdefault("metadata", {})
    meta.update({k: v for k, v in _new_meta(meta["name"], ref["namespace"], now).items()})
    if manager:
        meta["managedFields"] = [_managed(manager, obj["apiVersion"], now)]
    obj["_changed_at"] = time.time()
    store.objects[_key(ref, meta["name"])] = obj
    if obj.get("kind") == "Deployment":
        kube_shinyproxy.started(store.objects, obj)
    return obj


def _replace(store: Store, ref: dict, old: dict, new: dict, manager: str | None = None) -> dict:
    obj = copy.deepcopy(new)
    obj.pop("status", None)
    keep = {k: old["metadata"][k] for k in ("uid", "creationTimestamp", "generation", "namespace")
            if k in old["metadata"]}
    meta = obj.setdefault("metadata", {})
    meta.update(keep)
    spec_changed = {k: v for k, v in old.items() if k not in ("metadata", "status") and not k.startswith("_")} != \
                   {k: v for k, v in obj.items() if k not in ("metadata", "status") and not k.startswith("_")}
    obj["_changed_at"] = old.get("_changed_at", time.time())
    if spec_changed:
        meta["generation"] = int(old["metadata"].get("generation", 1)) + 1
        obj["_changed_at"] = time.time()
    changed = spec_changed or meta.get("labels") != old["metadata"].get("labels") \
        or meta.get("annotations") != old["metadata"].get("annotations")
    meta["resourceVersion"] = str(next(_rv)) if changed else old["metadata"]["resourceVersion"]
    fields = [f for f in old["metadata"].get("managedFields", []) if f["manager"] != manager]
    if manager:
        fields.append(_managed(manager, obj["apiVersion"], _now()))
    if fields:
        meta["managedFields"] = fields
    store.objects[_key(ref)] = obj
    if obj.get("kind") == "Deployment":
        # A new pod template replaces every pod: the old servers shut down, new ones start.
        if kube_shinyproxy.template_changed(old, obj):
            kube_shinyproxy.shut_down(store.objects, old)
            kube_shinyproxy.started(store.objects, obj)
        elif kube_shinyproxy.STARTED_WITH in old:
            obj[kube_shinyproxy.STARTED_WITH] = old[kube_shinyproxy.STARTED_WITH]
    return obj


def _managed(manager: str, api_version: str, now: str) -> dict:
    return {"manager": manager, "operation": "Apply", "apiVersion": api_version, "time": now,
            "fieldsType": "FieldsV1", "fieldsV1": {}}


def _merge(base, overlay):
    """Applied configuration merged into the live object: maps deep-merged, everything else replaced."""
    if isinstance(base, dict) and isinstance(overlay, dict):
        for k, v in overlay.items():
            base[k] = _merge(base.get(k), v) if k in base else copy.deepcopy(v)
        return base
    return copy.deepcopy(overlay)


def _decode_any(body: bytes):
    try:
        return json.loads(body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as err:
        raise KubeError(400, "BadRequest", f"error decoding body: {err}")


def _json_patch(doc, ops):
    """RFC 6902 JSON patch (add, remove, replace, test), as `kubectl patch --type json` sends."""
    if not isinstance(ops, list):
        raise KubeError(400, "BadRequest", "a JSON patch is a list of operations")
    for op in ops:
        path = [p.replace("~1", "/").replace("~0", "~") for p in str(op.get("path", "")).split("/")[1:]]
        if not path:
            raise KubeError(422, "Invalid", "the JSON patch path must not be empty")
        parent = doc
        try:
            for part in path[:-1]:
                parent = parent[int(part)] if isinstance(parent, list) else parent[part]
            last = path[-1]
            kind = op.get("op")
            if isinstance(parent, list):
                index = len(parent) if last == "-" else int(last)
                if kind == "add":
                    parent.insert(index, op["value"])
                elif kind == "remove":
                    parent.pop(index)
                elif kind == "replace":
                    parent[index] = op["value"]
                elif kind == "test" and parent[index] != op["value"]:
                    raise KubeError(422, "Invalid", f"testing value {op.get('path')} failed")
            elif kind == "add":
                parent[last] = op["value"]
            elif kind == "remove":
                del parent[last]
            elif kind == "replace":
                parent[last]  # noqa: B018  (must exist)
                parent[last] = op["value"]
            elif kind == "test" and parent.get(last) != op["value"]:
                raise KubeError(422, "Invalid", f"testing value {op.get('path')} failed")
        except (KeyError, IndexError, ValueError, TypeError):
            raise KubeError(422, "Invalid", f"the server rejected our request due to an error in our request: "
                                            f'{kind} operation does not apply: doc is missing path: "{op.get("path")}"')
    return doc


def _merge_patch(base, patch):
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if not isinstance(base, dict):
        base = {}
    for k, v in patch.items():
        if v is None:
            base.pop(k, None)
        else:
            base[k] = _merge_patch(base.get(k), v)
    return base


def _get(store: Store, ref: dict) -> dict:
    obj = store.objects.get(_key(ref))
    if obj is None:
        raise KubeError(404, "NotFound", f'{ref["plural"]}.{ref["group"] or "core"} "{ref["name"]}" not found',
                        {"name": ref["name"], "group": ref["group"], "kind": ref["plural"]})
    return obj


def _list(store: Store, ref: dict, query: dict, view: View) -> dict:
    selector = _parse_selector(query.get("labelSelector", ""))
    items = []
    for (group, plural, ns, _name), obj in sorted(store.objects.items()):
        if group != ref["group"] or plural != ref["plural"]:
            continue
        if ref["namespace"] and ns != ref["namespace"]:
            continue
        if all(test(obj.get("metadata", {}).get("labels") or {}) for test in selector):
            items.append(_present(obj, view))
    if (ref["group"], ref["plural"]) == ("", "pods"):
        items.extend(p for p in _deployment_pods(store, ref["namespace"], view)
                     if all(test(p["metadata"]["labels"]) for test in selector))
    return {"kind": f"{ref['kind']}List", "apiVersion": kube_api.api_version(ref["group"], ref["version"]),
            "metadata": {"resourceVersion": str(next(_rv))}, "items": items}


_SET_EXPR = re.compile(r"^\s*([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")


def _parse_selector(text: str):
    """Label selectors: a=b, a==b, a!=b, a, !a, a in (x,y), a notin (x,y); comma-separated."""
    tests = []
    for term in re.split(r",(?![^()]*\))", text):
        term = term.strip()
        if not term:
            continue
        m = _SET_EXPR.match(term)
        if m:
            key, op, values = m.group(1), m.group(2), {v.strip() for v in m.group(3).split(",")}
            if op == "in":
                tests.append(lambda labels, k=key, vs=values: labels.get(k) in vs)
            else:
                tests.append(lambda labels, k=key, vs=values: labels.get(k) not in vs)
        elif "!=" in term:
            k, v = (s.strip() for s in term.split("!=", 1))
            tests.append(lambda labels, k=k, v=v: labels.get(k) != v)
        elif "=" in term:
            k, v = (s.strip() for s in term.replace("==", "=").split("=", 1))
            tests.append(lambda labels, k=k, v=v: labels.get(k) == v)
        elif term.startswith("!"):
            tests.append(lambda labels, k=term[1:].strip(): k not in labels)
        else:
            tests.append(lambda labels, k=term: k in labels)
    return tests


def _deployment_pods(store: Store, namespace: str | None, view: View) -> list[dict]:
    """The pods of every Deployment (in `namespace`), as their ReplicaSets would have them, and
    of every Job."""
    pods = []
    for (group, plural, ns, _name), obj in sorted(store.objects.items()):
        if (group, plural) == ("apps", "deployments") and (not namespace or ns == namespace):
            pods.extend(kube_sched.pods_of(obj, view.delay, view.placement))
        if (group, plural) == ("batch", "jobs") and (not namespace or ns == namespace):
            pods.extend(kube_job.pods_of(obj, view.job_delay, view.placement, view.failing or {}))
    return pods


def _pod_log(store: Store, ref: dict, pod: dict | None, query: dict, view: View) -> Response:
    """`GET .../pods/<name>/log` (plain text, `tailLines`): what a Job's pod wrote (kube_job);
    a Deployment's pods write nothing here."""
    if pod is None:
        raise KubeError(404, "NotFound", f'pods "{ref["name"]}" not found',
                        {"name": ref["name"], "kind": "pods"})
    text = ""
    owner = (pod["metadata"].get("ownerReferences") or [{}])[0]
    job = store.objects.get(("batch", "jobs", ref["namespace"] or "", owner.get("name", "")))
    if owner.get("kind") == "Job" and job is not None:
        text = kube_job.log_of(job, pod, view.failing or {})
    lines = text.splitlines()
    if query.get("tailLines"):
        lines = lines[-int(query["tailLines"]):] if int(query["tailLines"]) > 0 else []
    body = "".join(line + "\n" for line in lines)
    return Response(200, [("Content-Type", "text/plain")], body.encode())


def _present(obj: dict, view: View) -> dict:
    out = {k: copy.deepcopy(v) for k, v in obj.items() if not k.startswith("_")}
    if out.get("kind") == "Deployment":
        out["status"] = kube_sched.deployment_status(obj, view.delay, view.placement)
    elif out.get("kind") == "DaemonSet":
        out["status"] = kube_sched.daemonset_status(obj, view.placement)
    elif out.get("kind") == "Job" and out.get("apiVersion") == "batch/v1":
        out["status"] = kube_job.status(obj, view.job_delay, view.placement, view.failing or {})
    elif out.get("kind") == "CustomResourceDefinition" and out.get("apiVersion") == "apiextensions.k8s.io/v1":
        out["status"] = kube_crd.status(obj, obj["metadata"].get("creationTimestamp") or _now())
    return out
