//! The IAM actions a plan's steps call, per resource kind and action: what `doctor` asks the
//! policy simulator about. Pure. The action names are the SDK operations each adapter in
//! `aws/services/` calls (IAM action = service prefix + operation, Service Authorization
//! Reference), plus the permissions AWS checks besides the operation's own: `iam:PassRole` for a
//! role handed to EKS, Synthetics or a node group, tagging on create (`ec2:CreateTags`,
//! `eks:TagResource`, `rds:AddTagsToResource`, ... — each service's "tag on create"
//! authorization), and for canaries what CloudWatch's user guide lists for users who create
//! them ("Required roles and permissions for CloudWatch canaries": Lambda function and layer,
//! `iam:PassRole`).

use std::collections::BTreeSet;

use crate::plan::{Action, Plan, ResourceKind};

/// What every live plan reads, whatever it changes.
const READS: &[&str] = &["sts:GetCallerIdentity", "tag:GetResources"];

/// (reads, creates, updates, deletes) for one kind.
type Table = (
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
);

fn table(kind: ResourceKind) -> Table {
    use ResourceKind as K;
    match kind {
        K::Vpc => (
            &["ec2:DescribeVpcs", "ec2:DescribeVpcAttribute"],
            &["ec2:CreateVpc", "ec2:CreateTags", "ec2:ModifyVpcAttribute"],
            &["ec2:ModifyVpcAttribute", "ec2:CreateTags", "ec2:DeleteTags"],
            &["ec2:DeleteVpc"],
        ),
        K::Subnet => (
            &["ec2:DescribeSubnets"],
            &[
                "ec2:CreateSubnet",
                "ec2:CreateTags",
                "ec2:ModifySubnetAttribute",
            ],
            &[
                "ec2:ModifySubnetAttribute",
                "ec2:CreateTags",
                "ec2:DeleteTags",
            ],
            &["ec2:DeleteSubnet"],
        ),
        K::InternetGateway => (
            &["ec2:DescribeInternetGateways"],
            &[
                "ec2:CreateInternetGateway",
                "ec2:CreateTags",
                "ec2:AttachInternetGateway",
            ],
            &["ec2:CreateTags", "ec2:DeleteTags"],
            &["ec2:DetachInternetGateway", "ec2:DeleteInternetGateway"],
        ),
        K::ElasticIp => (
            &["ec2:DescribeAddresses"],
            &["ec2:AllocateAddress", "ec2:CreateTags"],
            &["ec2:CreateTags", "ec2:DeleteTags"],
            &["ec2:ReleaseAddress"],
        ),
        K::NatGateway => (
            &["ec2:DescribeNatGateways"],
            &["ec2:CreateNatGateway", "ec2:CreateTags"],
            &["ec2:CreateTags", "ec2:DeleteTags"],
            &["ec2:DeleteNatGateway"],
        ),
        K::RouteTable | K::RouteTableAssociation | K::Route => (
            &["ec2:DescribeRouteTables"],
            &[
                "ec2:CreateRouteTable",
                "ec2:CreateTags",
                "ec2:AssociateRouteTable",
                "ec2:CreateRoute",
            ],
            &[
                "ec2:ReplaceRoute",
                "ec2:ReplaceRouteTableAssociation",
                "ec2:CreateTags",
            ],
            &[
                "ec2:DeleteRoute",
                "ec2:DisassociateRouteTable",
                "ec2:DeleteRouteTable",
            ],
        ),
        K::SecurityGroup | K::SecurityGroupRule => (
            &[
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSecurityGroupRules",
            ],
            &[
                "ec2:CreateSecurityGroup",
                "ec2:CreateTags",
                "ec2:AuthorizeSecurityGroupIngress",
                "ec2:AuthorizeSecurityGroupEgress",
                "ec2:RevokeSecurityGroupEgress",
            ],
            &["ec2:CreateTags", "ec2:DeleteTags"],
            &[
                "ec2:RevokeSecurityGroupIngress",
                "ec2:RevokeSecurityGroupEgress",
                "ec2:DeleteSecurityGroup",
            ],
        ),
        K::IamRole | K::IamRolePolicyAttachment => (
            &[
                "iam:GetRole",
                "iam:ListRolePolicies",
                "iam:GetRolePolicy",
                "iam:ListAttachedRolePolicies",
            ],
            &[
                "iam:CreateRole",
                "iam:TagRole",
                "iam:PutRolePolicy",
                "iam:AttachRolePolicy",
            ],
            &[
                "iam:UpdateAssumeRolePolicy",
                "iam:PutRolePolicy",
                "iam:AttachRolePolicy",
                "iam:DetachRolePolicy",
                "iam:TagRole",
            ],
            &[
                "iam:ListInstanceProfilesForRole",
                "iam:DetachRolePolicy",
                "iam:DeleteRolePolicy",
                "iam:DeleteRole",
            ],
        ),
        K::IamOidcProvider => (
            &["iam:GetOpenIDConnectProvider"],
            &[
                "iam:CreateOpenIDConnectProvider",
                "iam:TagOpenIDConnectProvider",
            ],
            &["iam:TagOpenIDConnectProvider"],
            &["iam:DeleteOpenIDConnectProvider"],
        ),
        K::EksCluster => (
            &["eks:DescribeCluster", "eks:DescribeUpdate"],
            &["eks:CreateCluster", "eks:TagResource", "iam:PassRole"],
            &[
                "eks:UpdateClusterConfig",
                "eks:UpdateClusterVersion",
                "eks:TagResource",
                "eks:UntagResource",
            ],
            &["eks:DeleteCluster"],
        ),
        K::FargateProfile => (
            &["eks:DescribeFargateProfile"],
            &[
                "eks:CreateFargateProfile",
                "eks:TagResource",
                "iam:PassRole",
            ],
            &["eks:TagResource", "eks:UntagResource"],
            &["eks:DeleteFargateProfile"],
        ),
        K::NodeGroup => (
            &["eks:DescribeNodegroup", "ec2:DescribeLaunchTemplates"],
            &[
                "eks:CreateNodegroup",
                "eks:TagResource",
                "iam:PassRole",
                "ec2:CreateLaunchTemplate",
                "ec2:CreateTags",
            ],
            &[
                "eks:UpdateNodegroupConfig",
                "eks:UpdateNodegroupVersion",
                "ec2:CreateLaunchTemplateVersion",
                "eks:TagResource",
            ],
            &["eks:DeleteNodegroup", "ec2:DeleteLaunchTemplate"],
        ),
        K::EksAddon => (
            &["eks:DescribeAddon", "eks:ListAddons"],
            &["eks:CreateAddon", "eks:TagResource", "iam:PassRole"],
            &["eks:UpdateAddon", "eks:TagResource"],
            &["eks:DeleteAddon"],
        ),
        K::EfsFileSystem | K::EfsMountTarget | K::EfsAccessPoint => (
            &[
                "elasticfilesystem:DescribeFileSystems",
                "elasticfilesystem:DescribeMountTargets",
                "elasticfilesystem:DescribeAccessPoints",
            ],
            &[
                "elasticfilesystem:CreateFileSystem",
                "elasticfilesystem:CreateMountTarget",
                "elasticfilesystem:CreateAccessPoint",
                "elasticfilesystem:TagResource",
            ],
            &[
                "elasticfilesystem:UpdateFileSystem",
                "elasticfilesystem:ModifyMountTargetSecurityGroups",
                "elasticfilesystem:TagResource",
            ],
            &[
                "elasticfilesystem:DeleteAccessPoint",
                "elasticfilesystem:DeleteMountTarget",
                "elasticfilesystem:DeleteFileSystem",
            ],
        ),
        K::DbSubnetGroup | K::DbParameterGroup | K::DbClusterParameterGroup => (
            &[
                "rds:DescribeDBSubnetGroups",
                "rds:DescribeDBParameterGroups",
            ],
            &[
                "rds:CreateDBSubnetGroup",
                "rds:CreateDBParameterGroup",
                "rds:CreateDBClusterParameterGroup",
                "rds:AddTagsToResource",
            ],
            &[
                "rds:ModifyDBSubnetGroup",
                "rds:ModifyDBParameterGroup",
                "rds:ModifyDBClusterParameterGroup",
                "rds:AddTagsToResource",
            ],
            &[
                "rds:DeleteDBSubnetGroup",
                "rds:DeleteDBParameterGroup",
                "rds:DeleteDBClusterParameterGroup",
            ],
        ),
        K::DbInstance | K::DbCluster | K::DbClusterInstance => (
            &["rds:DescribeDBInstances", "rds:DescribeDBClusters"],
            &[
                "rds:CreateDBInstance",
                "rds:CreateDBCluster",
                "rds:AddTagsToResource",
            ],
            &[
                "rds:ModifyDBInstance",
                "rds:ModifyDBCluster",
                "rds:AddTagsToResource",
            ],
            &["rds:DeleteDBInstance", "rds:DeleteDBCluster"],
        ),
        K::CacheSubnetGroup | K::CacheParameterGroup | K::CacheReplicationGroup => (
            &[
                "elasticache:DescribeReplicationGroups",
                "elasticache:DescribeCacheSubnetGroups",
                "elasticache:DescribeCacheParameterGroups",
            ],
            &[
                "elasticache:CreateCacheSubnetGroup",
                "elasticache:CreateCacheParameterGroup",
                "elasticache:CreateReplicationGroup",
                "elasticache:AddTagsToResource",
            ],
            &[
                "elasticache:ModifyCacheSubnetGroup",
                "elasticache:ModifyCacheParameterGroup",
                "elasticache:ModifyReplicationGroup",
                "elasticache:AddTagsToResource",
            ],
            &[
                "elasticache:DeleteReplicationGroup",
                "elasticache:DeleteCacheSubnetGroup",
                "elasticache:DeleteCacheParameterGroup",
            ],
        ),
        K::EcrRepository | K::EcrLifecyclePolicy => (
            &["ecr:DescribeRepositories", "ecr:GetLifecyclePolicy"],
            &[
                "ecr:CreateRepository",
                "ecr:TagResource",
                "ecr:PutLifecyclePolicy",
            ],
            &["ecr:PutLifecyclePolicy", "ecr:TagResource"],
            &["ecr:DeleteLifecyclePolicy", "ecr:DeleteRepository"],
        ),
        K::LoadBalancer | K::TargetGroup | K::Listener | K::ListenerRule => (
            &[
                "elasticloadbalancing:DescribeLoadBalancers",
                "elasticloadbalancing:DescribeTargetGroups",
                "elasticloadbalancing:DescribeListeners",
                "elasticloadbalancing:DescribeRules",
                "elasticloadbalancing:DescribeTags",
            ],
            &[
                "elasticloadbalancing:CreateLoadBalancer",
                "elasticloadbalancing:CreateTargetGroup",
                "elasticloadbalancing:CreateListener",
                "elasticloadbalancing:CreateRule",
                "elasticloadbalancing:AddTags",
            ],
            &[
                "elasticloadbalancing:ModifyLoadBalancerAttributes",
                "elasticloadbalancing:ModifyTargetGroup",
                "elasticloadbalancing:ModifyTargetGroupAttributes",
                "elasticloadbalancing:ModifyListener",
                "elasticloadbalancing:ModifyRule",
                "elasticloadbalancing:SetSecurityGroups",
                "elasticloadbalancing:SetSubnets",
            ],
            &[
                "elasticloadbalancing:DeleteRule",
                "elasticloadbalancing:DeleteListener",
                "elasticloadbalancing:DeleteTargetGroup",
                "elasticloadbalancing:DeleteLoadBalancer",
            ],
        ),
        K::SnsTopic | K::SnsSubscription => (
            &["sns:GetTopicAttributes", "sns:ListSubscriptionsByTopic"],
            &["sns:CreateTopic", "sns:TagResource", "sns:Subscribe"],
            &["sns:TagResource", "sns:UntagResource"],
            &["sns:Unsubscribe", "sns:DeleteTopic"],
        ),
        K::Canary => (
            &["synthetics:DescribeCanaries", "synthetics:GetCanary"],
            &[
                "synthetics:CreateCanary",
                "synthetics:StartCanary",
                "synthetics:TagResource",
                "iam:PassRole",
                "lambda:CreateFunction",
                "lambda:PublishLayerVersion",
                "lambda:PublishVersion",
            ],
            &[
                "synthetics:UpdateCanary",
                "synthetics:StopCanary",
                "synthetics:StartCanary",
                "synthetics:TagResource",
            ],
            &[
                "synthetics:StopCanary",
                "synthetics:DeleteCanary",
                "lambda:DeleteFunction",
                "lambda:DeleteLayerVersion",
            ],
        ),
        K::CloudWatchAlarm => (
            &["cloudwatch:DescribeAlarms"],
            &["cloudwatch:PutMetricAlarm", "cloudwatch:TagResource"],
            &["cloudwatch:PutMetricAlarm", "cloudwatch:TagResource"],
            &["cloudwatch:DeleteAlarms"],
        ),
        K::S3Bucket => (
            &["s3:ListAllMyBuckets", "s3:GetBucketTagging"],
            &[
                "s3:CreateBucket",
                "s3:PutBucketTagging",
                "s3:PutEncryptionConfiguration",
            ],
            &["s3:PutBucketTagging", "s3:PutEncryptionConfiguration"],
            &["s3:DeleteBucket"],
        ),
        // The workload goes to the cluster with the cluster's own authentication (EKS access).
        K::KubernetesObject => (&["eks:DescribeCluster"], &[], &[], &[]),
    }
}

/// Every IAM action `plan`'s execution calls, reads included, sorted.
pub fn needed(plan: &Plan) -> Vec<String> {
    let mut out: BTreeSet<&'static str> = READS.iter().copied().collect();
    for change in &plan.changes {
        let (reads, creates, updates, deletes) = table(change.kind);
        out.extend(reads);
        match change.action {
            Action::NoOp => {}
            Action::Create => out.extend(creates),
            Action::Update => out.extend(updates),
            Action::Replace => out.extend(deletes.iter().chain(creates)),
            Action::Delete => out.extend(deletes),
        }
    }
    out.into_iter().map(str::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{ObservedState, diff};

    #[test]
    fn a_first_apply_needs_creates_and_reads_and_no_deletes() {
        let loaded = crate::load::load_file(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/blueprints/shinyproxy-eks.yaml"
        )))
        .unwrap();
        let plan = diff(
            &loaded.resources,
            &ObservedState::empty("analytics", "cn-northwest-1"),
        );
        let actions = needed(&plan);
        for wanted in [
            "ec2:CreateVpc",
            "eks:CreateCluster",
            "iam:PassRole",
            "elasticloadbalancing:CreateLoadBalancer",
            "tag:GetResources",
        ] {
            assert!(
                actions.iter().any(|a| a == wanted),
                "{wanted} in {actions:?}"
            );
        }
        assert!(!actions.iter().any(|a| a == "ec2:DeleteVpc"));
    }
}
