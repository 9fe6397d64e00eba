"""CustomResourceDefinitions in the Kubernetes API stand-in: what an applied CRD serves, the
checks the API server makes on one, the status it reports, and its objects going with it.

Sources: Kubernetes "Extend the Kubernetes API with CustomResourceDefinitions" (the name is
`<plural>.<group>`, one storage version, served versions appear in discovery, deleting the CRD
deletes its objects) and apiextensions-apiserver's validation (pkg/apis/apiextensions/validation).
"""

from __future__ import annotations

from . import kube_api

GROUP, PLURAL = "apiextensions.k8s.io", "customresourcedefinitions"


def _crds(objects: dict) -> list[dict]:
    return [o for (g, p, _ns, _n), o in objects.items() if g == GROUP and p == PLURAL]


def custom_resources(objects: dict) -> kube_api.Custom:
    """group -> version -> [((plural, singular, kind, namespaced), has status)] for the served
    versions of every CRD in `objects` (a Store's)."""
    out: kube_api.Custom = {}
    for crd in _crds(objects):
        spec = crd.get("spec") or {}
        names = spec.get("names") or {}
        kind = names.get("kind", "")
        row = (names.get("plural", ""), names.get("singular") or kind.lower(), kind,
               spec.get("scope") == "Namespaced")
        for version in spec.get("versions") or []:
            if version.get("served"):
                has_status = "status" in ((version.get("subresources") or {}))
                out.setdefault(spec.get("group", ""), {}).setdefault(version["name"], []).append((row, has_status))
    return out


def problems(doc: dict) -> list[str]:
    """What the API server refuses in a CRD (422 Invalid), as `field: message` sentences."""
    spec = doc.get("spec") or {}
    names = spec.get("names") or {}
    group, plural = spec.get("group") or "", names.get("plural") or ""
    name = (doc.get("metadata") or {}).get("name", "")
    found = []
    if name != f"{plural}.{group}":
        found.append(f'metadata.name: Invalid value: "{name}": must be spec.names.plural+"."+spec.group')
    if not group:
        found.append("spec.group: Required value")
    elif "." not in group:
        found.append(f'spec.group: Invalid value: "{group}": should be a domain with at least one dot')
    if not plural:
        found.append("spec.names.plural: Required value")
    if not names.get("kind"):
        found.append("spec.names.kind: Required value")
    if spec.get("scope") not in ("Namespaced", "Cluster"):
        found.append(f'spec.scope: Unsupported value: "{spec.get("scope") or ""}": supported values: '
                     '"Cluster", "Namespaced"')
    versions = spec.get("versions") or []
    if not versions:
        found.append("spec.versions: Invalid value: null: must have exactly one version marked as storage "
                     "version")
    elif sum(1 for v in versions if v.get("storage")) != 1:
        found.append("spec.versions: Invalid value: must have exactly one version marked as storage version")
    annotations = (doc.get("metadata") or {}).get("annotations") or {}
    if group.endswith((".k8s.io", ".kubernetes.io")) and "api-approved.kubernetes.io" not in annotations:
        # KEP-1111: the Kubernetes project's own groups are protected.
        found.append('metadata.annotations[api-approved.kubernetes.io]: Required value: protected groups must '
                     'have approval annotation "api-approved.kubernetes.io", see '
                     'https://github.com/kubernetes/enhancements/pull/1111')
    return found


def status(crd: dict, now: str) -> dict:
    """The status an API server reports once a CRD's names are accepted and it is established
    (the stand-in establishes it at once)."""
    spec = crd.get("spec") or {}
    names = dict(spec.get("names") or {})
    names.setdefault("singular", names.get("kind", "").lower())
    names.setdefault("listKind", f"{names.get('kind', '')}List")
    stored = [v["name"] for v in spec.get("versions") or [] if v.get("storage")]
    return {
        "conditions": [
            {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts", "message": "no conflicts found",
             "lastTransitionTime": now},
            {"type": "Established", "status": "True", "reason": "InitialNamesAccepted",
             "message": "the initial names have been accepted", "lastTransitionTime": now},
        ],
        "acceptedNames": names,
        "storedVersions": stored,
    }


def delete_objects_of(objects: dict, crd: dict) -> None:
    """Deleting a CRD deletes every object of its kind."""
    spec = crd.get("spec") or {}
    group, plural = spec.get("group"), (spec.get("names") or {}).get("plural")
    for key in [k for k in objects if k[0] == group and k[1] == plural]:
        del objects[key]
