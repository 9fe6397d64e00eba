"""EC2 describe filters moto 5.2.5 ignores.

- **DescribeNatGateways `tag:<key>` and `tag-key`.** AWS filters NAT gateways by tag ("tag -
  The key/value combination of a tag assigned to the resource. Use the tag key in the filter name
  and the tag value as the filter value"; "tag-key - The key of a tag assigned to the resource",
  botocore `ec2` DescribeNatGatewaysRequest Filter); moto's NAT gateway backend applies only
  `nat-gateway-id`, `state`, `subnet-id` and `vpc-id`, so a listing filtered by one blueprint's
  ownership tag returned every blueprint's gateways in the account.
"""

from __future__ import annotations


def _tag_filters_hold(resource, filters: dict) -> bool:
    tags = {t["key"]: t["value"] for t in resource.get_tags()}
    for name, values in (filters or {}).items():
        if name.startswith("tag:"):
            if tags.get(name[len("tag:"):]) not in set(values):
                return False
        elif name == "tag-key":
            if not set(values) & set(tags):
                return False
    return True


def install() -> None:
    from moto.ec2.models.nat_gateways import NatGatewayBackend

    original = NatGatewayBackend.describe_nat_gateways
    if getattr(original, "_shinyemu", False):
        return

    def describe_nat_gateways(self, filters, nat_gateway_ids):
        found = original(self, filters, nat_gateway_ids)
        return [n for n in found if _tag_filters_hold(n, filters)]

    describe_nat_gateways._shinyemu = True
    NatGatewayBackend.describe_nat_gateways = describe_nat_gateways
