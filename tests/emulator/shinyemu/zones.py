"""Availability zones as the regions have them, and the zones EKS refuses.

- `DescribeAvailabilityZones` answers each region's zones with their zone ids. moto's table is
  right for us-east-1 (a-f), us-west-2 (a-d), ap-northeast-1 (a, c, d: there is no 1b for new
  accounts) and cn-northwest-1 (a, b, c), but gives cn-north-1 only a and b; AWS's China
  regions page lists cn-north-1 with three zones, a, b and d (zone ids cnn1-az1, -az2, -az4).
  Sources: https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/using-regions-availability-zones.html,
  https://docs.amazonaws.cn/en_us/aws/latest/userguide/endpoints-Beijing.html.
- `CreateSubnet` in a zone (or zone id) the request's region lacks: `InvalidParameterValue`,
  "Value (us-east-1g) for parameter availabilityZone is invalid. Subnets can currently only be
  created in the following availability zones: ..." listing that region's zones (moto checks
  against every region's zones, so a cn-north-1 subnet in us-east-1a passed).
- EKS `CreateCluster` with a subnet in a zone whose id EKS does not support for the control
  plane (use1-az3, usw1-az2, cac1-az3: EKS user guide, "Subnet requirements for clusters",
  https://docs.aws.amazon.com/eks/latest/userguide/network-reqs.html) answers 400
  `UnsupportedAvailabilityZoneException` with `clusterName` and `validZones` (botocore model) and
  the message AWS gives, e.g. "Cannot create cluster 'x' because us-east-1e, the targeted
  availability zone, does not currently have sufficient capacity to support the cluster. Retry
  and choose from these availability zones: us-east-1a, us-east-1b, us-east-1c, us-east-1d,
  us-east-1f" (eksctl-io/eksctl#817, awsdocs/amazon-eks-user-guide#36).
"""

from __future__ import annotations

from .errors import AwsError
from .hooks import on

# Zone ids the EKS control plane cannot use (EKS user guide, network requirements).
EKS_UNSUPPORTED_ZONE_IDS = frozenset({"use1-az3", "usw1-az2", "cac1-az3"})

# Regions whose zones moto has wrong: region -> [(zone name, zone id)].
_CORRECTIONS = {
    "cn-north-1": [("cn-north-1a", "cnn1-az1"), ("cn-north-1b", "cnn1-az2"), ("cn-north-1d", "cnn1-az4")],
}


def install() -> None:
    from moto.ec2.models.availability_zones_and_regions import RegionsAndZonesBackend, Zone

    for region, zones in _CORRECTIONS.items():
        RegionsAndZonesBackend.zones[region] = [Zone(region_name=region, name=n, zone_id=i)
                                                for n, i in zones]


def region_zones(region: str) -> list:
    from moto.ec2.models.availability_zones_and_regions import RegionsAndZonesBackend

    return list(RegionsAndZonesBackend.zones.get(region, []))


@on("ec2", "CreateSubnet")
def subnet_zone_in_region(ctx, call_next):
    p = ctx.params()
    zones = region_zones(ctx.region)
    names = ", ".join(z.name for z in zones)
    name, zone_id = p.get("AvailabilityZone"), p.get("AvailabilityZoneId")
    if zones and name and name not in {z.name for z in zones}:
        raise AwsError("InvalidParameterValue",
                       f"Value ({name}) for parameter availabilityZone is invalid. Subnets can "
                       f"currently only be created in the following availability zones: {names}.")
    if zones and zone_id and zone_id not in {z.zone_id for z in zones}:
        ids = ", ".join(z.zone_id for z in zones)
        raise AwsError("InvalidParameterValue",
                       f"Value ({zone_id}) for parameter availabilityZoneId is invalid. Subnets can "
                       f"currently only be created in the following availability zone ids: {ids}.")
    return call_next()


def _subnet_zones(ctx, subnet_ids: list[str]) -> list[tuple[str, str]]:
    """(zone name, zone id) of each known subnet; unknown subnets are left to other checks."""
    from moto.ec2.models import ec2_backends

    backend = ec2_backends[ctx.account][ctx.region]
    out = []
    for sid in subnet_ids:
        try:
            subnet = backend.get_subnet(sid)
        except Exception:
            continue
        out.append((subnet.availability_zone, subnet.availability_zone_id))
    return out


@on("eks", "CreateCluster")
def eks_cluster_zones(ctx, call_next):
    p = ctx.params()
    subnet_ids = (p.get("resourcesVpcConfig") or {}).get("subnetIds") or []
    for zone, zone_id in _subnet_zones(ctx, subnet_ids):
        if zone_id in EKS_UNSUPPORTED_ZONE_IDS:
            valid = [z.name for z in region_zones(ctx.region) if z.zone_id not in EKS_UNSUPPORTED_ZONE_IDS]
            name = p.get("name", "")
            raise AwsError(
                "UnsupportedAvailabilityZoneException",
                f"Cannot create cluster '{name}' because {zone}, the targeted availability zone, does "
                f"not currently have sufficient capacity to support the cluster. Retry and choose from "
                f"these availability zones: {', '.join(valid)}",
                400, extra={"clusterName": name, "validZones": valid})
    return call_next()
