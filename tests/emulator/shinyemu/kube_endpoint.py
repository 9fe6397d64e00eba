"""Points each EKS cluster's `endpoint` at the emulator's Kubernetes stand-in and gives it a
real (self-signed) certificate authority in `certificateAuthority.data`."""

from __future__ import annotations

import base64
import datetime as dt
from functools import lru_cache

from . import hooks


@lru_cache(maxsize=1)
def ca_data() -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kubernetes (shinyctl emulator stand-in)")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    return base64.b64encode(cert.public_bytes(serialization.Encoding.PEM)).decode()


def endpoint_for(base_url: str, account: str, region: str, cluster: str) -> str:
    return f"{base_url}/_k8s/{account}/{region}/{cluster}"


def install() -> None:
    from moto.eks.models import Cluster

    if getattr(Cluster, "_emu_endpoint", False):
        return
    Cluster._emu_endpoint = True
    orig_init = Cluster.__init__

    def init(self, *args, **kwargs):
        orig_init(self, *args, **kwargs)
        ctx = hooks.current()
        if ctx is not None:
            self.endpoint = endpoint_for(ctx.state.base_url, ctx.account, ctx.region, self.name)
            self.certificate_authority = {"data": ca_data()}

    Cluster.__init__ = init
