//! IAM roles with partition-correct trust policies, their AWS-managed policy attachments, and the
//! cluster's OIDC provider (for IAM roles of Kubernetes service accounts).

use serde_json::{Value, json};

use super::{Ctx, Partition, addresses as a};
use crate::plan::{Resource, ResourceKind as K};

pub(crate) fn build(cx: &mut Ctx) {
    if let Some(cluster) = &cx.bp.cluster {
        let (has_nodes, has_fargate) = (
            !cluster.node_groups.is_empty(),
            !cluster.fargate_profiles.is_empty(),
        );
        role(
            cx,
            Role {
                section: "cluster",
                address: a::CLUSTER_ROLE,
                key: "cluster",
                name: cx.names.cluster_role(),
                service: "eks",
                description: "EKS control plane",
                managed: &["AmazonEKSClusterPolicy"],
                origin: "cluster",
            },
        );
        if has_nodes {
            role(
                cx,
                Role {
                    section: "cluster",
                    address: a::NODE_ROLE,
                    key: "node",
                    name: cx.names.node_role(),
                    service: "ec2",
                    description: "EKS managed node groups",
                    managed: &[
                        "AmazonEKSWorkerNodePolicy",
                        "AmazonEKS_CNI_Policy",
                        "AmazonEC2ContainerRegistryReadOnly",
                    ],
                    origin: "cluster.nodeGroups",
                },
            );
        }
        if has_fargate {
            role(
                cx,
                Role {
                    section: "cluster",
                    address: a::FARGATE_ROLE,
                    key: "fargate_pod_execution",
                    name: cx.names.fargate_role(),
                    service: "eks-fargate-pods",
                    description: "EKS Fargate pod execution",
                    managed: &["AmazonEKSFargatePodExecutionRolePolicy"],
                    origin: "cluster.fargateProfiles",
                },
            );
        }
        // The issuer URL exists only once the cluster does; the executor resolves it.
        cx.push(
            Resource::new(
                a::OIDC_PROVIDER,
                K::IamOidcProvider,
                cx.names.cluster(),
                "cluster",
            )
            .with("url", a::attribute(a::EKS_CLUSTER, "oidcIssuer"))
            .with("clientIdList", json!(["sts.amazonaws.com"])),
        );
    }
    let canaries = cx
        .bp
        .monitoring
        .as_ref()
        .is_some_and(|m| !m.canaries.is_empty());
    if canaries {
        let bucket_arn = format!(
            "{}:s3:::{}",
            cx.partition.arn_prefix(),
            cx.names.canary_bucket(&cx.bp.metadata.region)
        );
        role(
            cx,
            Role {
                section: "monitoring",
                address: a::CANARY_ROLE,
                key: "canary",
                name: cx.names.canary_role(),
                service: "lambda",
                description: "CloudWatch Synthetics canaries",
                managed: &["service-role/AWSLambdaBasicExecutionRole"],
                origin: "monitoring.canaries",
            },
        );
        let policy = canary_policy(cx.partition, &bucket_arn);
        if let Some(role) = cx
            .out
            .iter_mut()
            .find(|r| r.address.as_str() == a::CANARY_ROLE)
        {
            role.properties
                .insert("inlinePolicies".into(), json!({ "canary": policy }));
        }
    }
}

struct Role<'s> {
    section: &'s str,
    address: &'s str,
    /// Attachment address key, e.g. `node`.
    key: &'s str,
    name: String,
    /// Service whose principal may assume the role (`eks`, `ec2`, `lambda`, ...).
    service: &'s str,
    description: &'s str,
    /// AWS-managed policies by name (with path where they have one).
    managed: &'s [&'s str],
    origin: &'s str,
}

fn role(cx: &mut Ctx, role: Role) {
    let principal = cx.partition.service_principal(role.service);
    cx.push(
        Resource::new(role.address, K::IamRole, role.name.clone(), role.origin)
            .with("roleName", role.name.clone())
            .with("path", "/")
            .with("description", format!("shinyctl: {}", role.description))
            .with("assumeRolePolicy", trust_policy(&principal)),
    );
    for policy in role.managed {
        let short = policy.rsplit('/').next().unwrap_or(policy);
        cx.push(
            Resource::new(
                a::iam_role_policy_attachment(role.section, role.key, short),
                K::IamRolePolicyAttachment,
                format!("{}/{short}", role.name),
                role.origin,
            )
            .with("role", role.address)
            .with("policyArn", cx.partition.managed_policy_arn(policy)),
        );
    }
}

fn trust_policy(principal: &str) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": principal},
            "Action": "sts:AssumeRole"
        }]
    })
}

/// What a Synthetics canary's code needs besides logs: write its artifacts, publish its metrics.
fn canary_policy(partition: Partition, bucket_arn: &str) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["s3:PutObject", "s3:GetObject"],
                "Resource": format!("{bucket_arn}/*")
            },
            {
                "Effect": "Allow",
                "Action": ["s3:GetBucketLocation"],
                "Resource": bucket_arn
            },
            {
                "Effect": "Allow",
                "Action": ["s3:ListAllMyBuckets", "xray:PutTraceSegments"],
                "Resource": "*"
            },
            {
                "Effect": "Allow",
                "Action": "cloudwatch:PutMetricData",
                "Resource": "*",
                "Condition": {"StringEquals": {"cloudwatch:namespace": "CloudWatchSynthetics"}}
            },
            {
                "Effect": "Allow",
                "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": format!("{}:logs:*:*:log-group:/aws/lambda/cwsyn-*", partition.arn_prefix())
            }
        ]
    })
}
