"""Service Quotas: `GetServiceQuota`, `GetAWSDefaultServiceQuota` and `ListServiceQuotas` for the
quotas shinyctl's `doctor` checks (moto 5.2.5 answers only the `vpc` defaults, with a fixed
eu-west-1 ARN).

Codes, names and defaults from AWS's quota pages (Amazon VPC quotas, Amazon EC2 Elastic IP
quotas, Amazon EKS service quotas, Amazon RDS quotas, Elastic Load Balancing quotas — each page
lists the quota code the Service Quotas console shows) and the botocore `service-quotas` model
(shapes `ServiceQuota`, `NoSuchResourceException`). A test lowers an account's applied value with
`PUT /_emulator/quotas?account=A` `{"vpc/L-F678F1CE": 1}` (GET shows it), as an administrator's
lower limit or an exhausted account would look to the caller.
"""

from __future__ import annotations

import json
import threading

from .errors import AwsError
from .hooks import Response, on
from .partition import partition_of

# (service code, quota code) -> (quota name, service name, default value, adjustable)
QUOTAS: dict[tuple[str, str], tuple[str, str, float, bool]] = {
    ("vpc", "L-F678F1CE"): ("VPCs per Region", "Amazon Virtual Private Cloud (Amazon VPC)", 5, True),
    ("vpc", "L-A4707A72"): ("Internet gateways per Region", "Amazon Virtual Private Cloud (Amazon VPC)", 5, True),
    ("vpc", "L-FE5A380F"): ("NAT gateways per Availability Zone", "Amazon Virtual Private Cloud (Amazon VPC)", 5, True),
    ("ec2", "L-0263D0A3"): ("EC2-VPC Elastic IPs", "Amazon Elastic Compute Cloud (Amazon EC2)", 5, True),
    ("eks", "L-1194D53C"): ("Clusters", "Amazon Elastic Kubernetes Service (Amazon EKS)", 100, True),
    ("eks", "L-6D54EA21"): ("Managed node groups per cluster", "Amazon Elastic Kubernetes Service (Amazon EKS)", 30, True),
    ("rds", "L-7B6409FD"): ("DB instances", "Amazon Relational Database Service (Amazon RDS)", 40, True),
    ("rds", "L-952B80B8"): ("DB clusters", "Amazon Relational Database Service (Amazon RDS)", 40, True),
    ("elasticloadbalancing", "L-53DA6B97"): ("Application Load Balancers per Region", "Elastic Load Balancing (ELB)", 50, True),
    ("elasticloadbalancing", "L-69A177A2"): ("Network Load Balancers per Region", "Elastic Load Balancing (ELB)", 50, True),
}

_lock = threading.Lock()
_applied: dict[str, dict[str, float]] = {}  # account -> {"service/code": value}


def set_applied(account: str, values: dict) -> dict:
    """Replaces the account's applied values (the admin endpoint)."""
    for key in values:
        service, _, code = key.partition("/")
        if (service, code) not in QUOTAS:
            raise ValueError(f"unknown quota {key}: known are {sorted(f'{s}/{c}' for s, c in QUOTAS)}")
    with _lock:
        _applied[account] = {k: float(v) for k, v in values.items()}
        return dict(_applied[account])


def applied(account: str) -> dict:
    with _lock:
        return dict(_applied.get(account, {}))


def _quota(ctx, service: str, code: str, default: bool) -> dict:
    known = QUOTAS.get((service, code))
    if known is None:
        # botocore `service-quotas`: NoSuchResourceException, "The specified resource does not exist."
        raise AwsError("NoSuchResourceException", "The request failed because the specified service "
                       "does not exist.", 400)
    name, service_name, value, adjustable = known
    partition = partition_of(ctx.region)
    if not default:
        value = applied(ctx.account).get(f"{service}/{code}", value)
    account = "" if default else ctx.account
    return {
        "ServiceCode": service, "ServiceName": service_name,
        "QuotaArn": f"arn:{partition}:servicequotas:{ctx.region}:{account}:{service}/{code}",
        "QuotaCode": code, "QuotaName": name, "Value": value, "Unit": "None",
        "Adjustable": adjustable, "GlobalQuota": False,
    }


def _json(data) -> Response:
    return Response(200, [("Content-Type", "application/x-amz-json-1.1")], json.dumps(data).encode())


@on("service-quotas", "GetServiceQuota")
def get_service_quota(ctx, _next):
    p = ctx.params()
    return _json({"Quota": _quota(ctx, p["ServiceCode"], p["QuotaCode"], default=False)})


@on("service-quotas", "GetAWSDefaultServiceQuota")
def get_default_service_quota(ctx, _next):
    p = ctx.params()
    return _json({"Quota": _quota(ctx, p["ServiceCode"], p["QuotaCode"], default=True)})


@on("service-quotas", "ListServiceQuotas")
def list_service_quotas(ctx, _next):
    service = ctx.params()["ServiceCode"]
    codes = sorted(c for s, c in QUOTAS if s == service)
    if not codes:
        raise AwsError("NoSuchResourceException", "The request failed because the specified service "
                       "does not exist.", 400)
    return _json({"Quotas": [_quota(ctx, service, c, default=False) for c in codes]})
