"""A small AWS Price List Query API: `GetProducts` (botocore `pricing` 2017-10-15, awsJson1_1,
target `AWSPriceListService.GetProducts`), for the live plan's cost estimate.

The answer has AWS's shape: `{"FormatVersion": "aws_v1", "PriceList": [<one JSON document per
product, as a string>], "NextToken"?}`; each document holds `product` (`productFamily`,
`attributes` with `servicecode`, `regionCode`, `usagetype`, ...) and `terms.OnDemand.<offer>.
priceDimensions.<rate>` with `unit`, `beginRange`, `endRange` and `pricePerUnit` — USD in the
commercial regions, CNY in the China ones (the China endpoint answers in CNY). `Filters` are
`TERM_MATCH` on `productFamily`, `servicecode` or any attribute, all of which must match;
`MaxResults` pages (1 to 100), `NextToken` continues. A `ServiceCode` the catalog does not know
answers an empty list.

The catalog is the emulator's own: the products shinyctl prices in us-east-1 (AWS's on-demand
list prices, the same figures as shinyctl's shipped table) and cn-northwest-1, whose CNY figures
are the emulator's test data, not AWS's prices.
"""

from __future__ import annotations

import json

from .errors import AwsError
from .hooks import Response, on

# (region, usage type prefix, currency, factor applied to the us-east-1 USD figures)
_REGIONS = [("us-east-1", "USE1-", "USD", 1.0), ("cn-northwest-1", "CNW1-", "CNY", 7.0)]

# (servicecode, productFamily, attributes, usagetype without the region prefix, unit, USD price)
_PRODUCTS = [
    ("AmazonEKS", "Compute", {"operation": "CreateOperation"}, "AmazonEKS-Hours:perCluster", "Hrs", 0.10),
    ("AmazonEKS", "Compute", {"operation": "ExtendedSupport"}, "AmazonEKS-Hours:extendedSupport", "Hrs", 0.60),
    ("AmazonEC2", "NAT Gateway", {"group": "NGW:NatGateway"}, "NatGateway-Hours", "Hrs", 0.045),
    ("AmazonEC2", "NAT Gateway", {"group": "NGW:NatGateway"}, "NatGateway-Bytes", "GB", 0.045),
    ("AmazonEC2", "Storage", {"volumeApiName": "gp3"}, "EBS:VolumeUsage.gp3", "GB-Mo", 0.08),
    ("AmazonVPC", "VpcPublicIpv4Address", {}, "PublicIPv4:InUseAddress", "Hrs", 0.005),
    ("AmazonVPC", "VpcPublicIpv4Address", {}, "PublicIPv4:IdleAddress", "Hrs", 0.005),
    ("AWSELB", "Load Balancer-Application", {"locationType": "AWS Region"}, "LoadBalancerUsage", "Hrs", 0.0225),
    ("AWSELB", "Load Balancer-Application", {"locationType": "AWS Region"}, "LCUUsage", "LCU-Hrs", 0.008),
    ("AWSELB", "Load Balancer-Network", {"locationType": "AWS Region"}, "LoadBalancerUsage", "Hrs", 0.0225),
    ("AmazonCloudWatch", "Alarm", {"alarmType": "Standard"}, "CW:AlarmMonitorUsage", "Alarms", 0.10),
    ("AmazonCloudWatch", "Canary", {}, "CW:Canary-runs", "Canary-runs", 0.0012),
    # Fargate in the `AmazonECS` offer, family `Compute`: Linux/x86 per vCPU-hour and per
    # GB-hour (usage types as Infracost matches them, internal/resources/aws/ecs_service.go),
    # and the ARM ones a query for x86 must leave out (aws.amazon.com/fargate/pricing: ARM
    # costs less, so a wrong match would under-estimate).
    ("AmazonECS", "Compute", {}, "Fargate-vCPU-Hours:perCPU", "hours", 0.04048),
    ("AmazonECS", "Compute", {}, "Fargate-GB-Hours", "hours", 0.004445),
    ("AmazonECS", "Compute", {}, "Fargate-ARM-vCPU-Hours:perCPU", "hours", 0.03238),
    ("AmazonECS", "Compute", {}, "Fargate-ARM-GB-Hours", "hours", 0.00356),
    # Secrets Manager: a secret's month (family `Secret`, as Infracost asks for it,
    # internal/resources/aws/secretsmanager_secret.go) and API requests (family `API Request`).
    # The usage type names are the emulator's: shinyctl's query does not depend on them.
    ("AWSSecretsManager", "Secret", {}, "AWSSecretsManager-Secrets", "Secrets", 0.40),
    ("AWSSecretsManager", "API Request", {}, "AWSSecretsManager-APIRequest", "API Requests", 0.000005),
]

for _type, _price in [("t3.medium", 0.0416), ("t3.large", 0.0832), ("m6i.large", 0.096), ("m5.large", 0.096),
                      ("m6i.2xlarge", 0.384)]:
    _PRODUCTS.append(("AmazonEC2", "Compute Instance",
                      {"instanceType": _type, "operatingSystem": "Linux", "tenancy": "Shared",
                       "preInstalledSw": "NA", "capacitystatus": "Used", "licenseModel": "No License required"},
                      f"BoxUsage:{_type}", "Hrs", _price))
    # The same instance on Windows: a filter on operatingSystem must leave it out.
    _PRODUCTS.append(("AmazonEC2", "Compute Instance",
                      {"instanceType": _type, "operatingSystem": "Windows", "tenancy": "Shared",
                       "preInstalledSw": "NA", "capacitystatus": "Used", "licenseModel": "No License required"},
                      f"BoxUsage:{_type}", "Hrs", _price * 2))

for _engine, _class, _single in [("MySQL", "db.t3.medium", 0.068), ("PostgreSQL", "db.t3.medium", 0.072),
                                  ("PostgreSQL", "db.t3.micro", 0.018)]:
    for _deployment, _factor in [("Single-AZ", 1), ("Multi-AZ", 2)]:
        _PRODUCTS.append(("AmazonRDS", "Database Instance",
                          {"instanceType": _class, "databaseEngine": _engine, "deploymentOption": _deployment},
                          f"{'Multi-AZUsage' if _factor == 2 else 'InstanceUsage'}:{_class}", "Hrs", _single * _factor))
for _deployment, _price in [("Single-AZ", 0.115), ("Multi-AZ", 0.23)]:
    _PRODUCTS.append(("AmazonRDS", "Database Storage",
                      {"volumeType": "General Purpose", "databaseEngine": "Any", "deploymentOption": _deployment},
                      f"RDS:{'Multi-AZ-' if _deployment == 'Multi-AZ' else ''}GP2-Storage", "GB-Mo", _price))
for _type, _price in [("cache.t3.micro", 0.017), ("cache.t3.small", 0.034), ("cache.t3.medium", 0.068)]:
    _PRODUCTS.append(("AmazonElastiCache", "Cache Instance",
                      {"instanceType": _type, "cacheEngine": "Redis", "locationType": "AWS Region"},
                      f"NodeUsage:{_type}", "Hrs", _price))


def _catalog() -> list[dict]:
    out = []
    for region, prefix, currency, factor in _REGIONS:
        for i, (service, family, attributes, usage, unit, usd) in enumerate(_PRODUCTS):
            sku = f"{prefix}{i:04d}"
            attrs = {"servicecode": service, "regionCode": region, "locationType": "AWS Region",
                     "usagetype": f"{prefix}{usage}", **attributes}
            out.append({
                "product": {"productFamily": family, "attributes": attrs, "sku": sku},
                "serviceCode": service,
                "terms": {"OnDemand": {f"{sku}.JRTCKXETXF": {
                    "offerTermCode": "JRTCKXETXF", "sku": sku,
                    "priceDimensions": {f"{sku}.JRTCKXETXF.6YS6EN2CT7": {
                        "unit": unit, "beginRange": "0", "endRange": "Inf",
                        "description": f"{usage} in {region}",
                        "pricePerUnit": {currency: f"{usd * factor:.10f}"}}}}}},
            })
    return out


CATALOG = _catalog()


def _field(product: dict, name: str) -> str | None:
    if name == "productFamily":
        return product["product"]["productFamily"]
    if name == "ServiceCode":
        return product["serviceCode"]
    return product["product"]["attributes"].get(name)


@on("pricing", "GetProducts")
def get_products(ctx, _next):
    p = ctx.params()
    service = p.get("ServiceCode")
    filters = p.get("Filters") or []
    for f in filters:
        if f.get("Type") != "TERM_MATCH":
            # The emulator serves only the filter type shinyctl sends.
            raise AwsError("InvalidParameterException", f"unsupported filter type {f.get('Type')}")
    wanted = [(f["Field"], f["Value"]) for f in filters]
    found = [c for c in CATALOG if c["serviceCode"] == service
             and all(_field(c, k) == v for k, v in wanted)]
    size = int(p.get("MaxResults") or 100)
    start = 0
    if p.get("NextToken"):
        try:
            start = int(p["NextToken"])
        except ValueError:
            raise AwsError("InvalidNextTokenException", "The pagination token is invalid.") from None
    page = found[start:start + size]
    body = {"FormatVersion": "aws_v1",
            "PriceList": [json.dumps(c) for c in page]}
    if start + size < len(found):
        body["NextToken"] = str(start + size)
    return Response(200, [("Content-Type", "application/x-amz-json-1.1")], json.dumps(body).encode())
