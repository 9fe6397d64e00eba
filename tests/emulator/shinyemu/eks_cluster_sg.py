"""The cluster security group EKS makes for every cluster, and rule descriptions moto drops.

- `CreateCluster` makes `eks-cluster-sg-<name>-<id>` in the cluster's VPC, described as AWS
  describes it, tagged `kubernetes.io/cluster/<name>=owned` and `aws:eks:cluster-name=<name>`,
  with its default rules: inbound all traffic from itself, outbound all to 0.0.0.0/0. Its id is
  `resourcesVpcConfig.clusterSecurityGroupId` (and the VPC's `vpcId`) in every cluster answer;
  `UpdateClusterConfig` keeps both. `DeleteCluster` deletes the group with the cluster. Sources:
  EKS user guide, "View Amazon EKS security group requirements for clusters"
  (https://docs.aws.amazon.com/eks/latest/userguide/sec-group-reqs.html, "Default cluster
  security group"); botocore `eks` model, `VpcConfigResponse.clusterSecurityGroupId`.
- `DescribeSecurityGroupRules` answers a group-referencing rule's `Description` (moto keeps it
  only on IP-range rules; AWS has it on both: botocore `ec2` model, `SecurityGroupRule`).
"""

from __future__ import annotations

import json
import random
import string

from .hooks import on

DESCRIPTION = ("EKS created security group applied to ENI that is attached to EKS Control Plane master "
               "nodes, as well as any managed workloads.")


def install() -> None:
    from moto.ec2.models.security_groups import SecurityGroupRule

    def description(self):
        return (self.ip_range or {}).get("Description") or (self.source_group or {}).get("Description")

    SecurityGroupRule.description = property(description)


def _ec2(ctx):
    from moto.ec2.models import ec2_backends

    return ec2_backends[ctx.account][ctx.region]


def _cluster(ctx, name):
    from moto.eks.models import eks_backends

    return eks_backends[ctx.account][ctx.region].clusters.get(name)


def _vpc_of(ctx, subnet_ids) -> str | None:
    for sid in subnet_ids or []:
        try:
            return _ec2(ctx).get_subnet(sid).vpc_id
        except Exception:
            continue
    return None


def _make_group(ctx, name: str, vpc: str) -> str:
    ec2 = _ec2(ctx)
    suffix = "".join(random.choices(string.ascii_uppercase + string.digits, k=13))
    group = ec2.create_security_group(
        f"eks-cluster-sg-{name}-{suffix}", DESCRIPTION, vpc_id=vpc,
        tags={f"kubernetes.io/cluster/{name}": "owned", "aws:eks:cluster-name": name})
    # A new group already has the allow-all egress; the self-referencing ingress is EKS's.
    ec2.authorize_security_group_ingress(group.id, "-1", None, None, [],
                                         source_groups=[{"GroupId": group.id}])
    return group.id


@on("eks", "CreateCluster")
def create_cluster_group(ctx, call_next):
    resp = call_next()
    if resp.status >= 300:
        return resp
    p = ctx.params()
    cluster = _cluster(ctx, p.get("name"))
    config = getattr(cluster, "resources_vpc_config", None)
    if cluster is None or config is None or config.get("clusterSecurityGroupId"):
        return resp
    vpc = _vpc_of(ctx, config.get("subnetIds"))
    if vpc is None:
        return resp
    config["vpcId"] = vpc
    config["clusterSecurityGroupId"] = _make_group(ctx, cluster.name, vpc)
    return _reanswer(cluster, resp)


def _reanswer(cluster, resp):
    """The create answer with the group, which moto's answer was built without."""

    try:
        body = json.loads(resp.body)
    except ValueError:
        return resp
    if isinstance(body.get("cluster"), dict):
        body["cluster"]["resourcesVpcConfig"] = cluster.resources_vpc_config
        resp.body = json.dumps(body).encode()
        resp.set_header("Content-Length", str(len(resp.body)))
    return resp


@on("eks", "UpdateClusterConfig")
def keep_cluster_group(ctx, call_next):
    cluster = _cluster(ctx, ctx.params().get("name"))
    kept = {k: v for k, v in (getattr(cluster, "resources_vpc_config", None) or {}).items()
            if k in ("clusterSecurityGroupId", "vpcId")}
    resp = call_next()
    if cluster is not None and kept and resp.status < 300:
        cluster.resources_vpc_config.update(kept)
    return resp


@on("eks", "DeleteCluster")
def delete_cluster_group(ctx, call_next):
    cluster = _cluster(ctx, ctx.params().get("name"))
    group = (getattr(cluster, "resources_vpc_config", None) or {}).get("clusterSecurityGroupId")
    resp = call_next()
    if group and resp.status < 300:
        try:
            _ec2(ctx).delete_security_group(group_id=group)
        except Exception:
            pass  # already gone
    return resp
