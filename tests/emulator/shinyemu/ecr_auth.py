"""ECR `GetAuthorizationToken` as AWS answers it, and where the account's registry is.

AWS (botocore model ecr 2015-09-21, `AuthorizationData`; ECR user guide, "Private registry
authentication"): `authorizationToken` is base64 of `AWS:<password>`, the password an opaque token
valid for 12 hours; `expiresAt` is when it stops working (12 hours on); `proxyEndpoint` is the
registry URL to log in to, `https://<account>.dkr.ecr.<region>.amazonaws.com` (`.amazonaws.com.cn`
in China). `registryIds` is deprecated and only names which registries' entries to answer.
moto answers an `expiresAt` of 2015-01-01 and a password derived from the account id.

The emulator does not serve the registry API itself. A test points the account's registry at a
local OCI registry (Debian's `docker-registry` on 127.0.0.1) with
`PUT /_emulator/ecr/registry?account=A` `{"endpoint": "http://127.0.0.1:PORT"}`; from then on
`proxyEndpoint` answers that URL for the account (in every region), so a client that logs in as
`docker login` does talks to the local registry. `DELETE` drops it; `GET` shows it.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time

from .hooks import Response, on
from .partition import dns_suffix

TOKEN_LIFETIME_SECONDS = 12 * 3600

_lock = threading.Lock()
# account -> the registry URL proxyEndpoint answers instead of ECR's hostname
_endpoints: dict[str, str] = {}


def _json(status: int, data) -> Response:
    return Response(status, [("Content-Type", "application/x-amz-json-1.1")], json.dumps(data).encode())


def proxy_endpoint(account: str, region: str) -> str:
    with _lock:
        local = _endpoints.get(account)
    return local or f"https://{account}.dkr.ecr.{region}.{dns_suffix(region)}"


@on("ecr", "GetAuthorizationToken")
def get_authorization_token(ctx, _next):
    registries = ctx.params().get("registryIds") or [ctx.account]
    expires = time.time() + TOKEN_LIFETIME_SECONDS
    data = []
    for registry in registries:
        password = secrets.token_urlsafe(48)
        data.append({
            "authorizationToken": base64.b64encode(f"AWS:{password}".encode()).decode(),
            "expiresAt": expires,
            "proxyEndpoint": proxy_endpoint(registry, ctx.region),
        })
    return _json(200, {"authorizationData": data})


def admin(method: str, account: str | None, body: bytes) -> tuple[int, dict]:
    """`/_emulator/ecr/registry?account=A`: GET, PUT {"endpoint": URL}, DELETE."""
    if not account:
        return 400, {"error": "account is required"}
    with _lock:
        if method == "PUT":
            endpoint = json.loads(body or b"{}").get("endpoint", "")
            if not endpoint.startswith(("http://127.0.0.1", "http://localhost", "https://127.0.0.1")):
                return 400, {"error": "the registry must be on 127.0.0.1: tests never leave the machine"}
            _endpoints[account] = endpoint.rstrip("/")
        elif method == "DELETE":
            _endpoints.pop(account, None)
        return 200, {"account": account, "endpoint": _endpoints.get(account)}
