//! IAM roles with partition-correct trust policies, their AWS-managed policy attachments, the
//! cluster's OIDC provider, and the IAM roles of Kubernetes service accounts (IRSA) for the
//! controllers the workload relies on: the AWS Load Balancer Controller (keeps ShinyProxy's pods
//! in the target group) and the EFS CSI driver (node groups only: on Fargate the driver is built
//! in and needs no role).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{Catalog, Partition, addresses as a};
use crate::plan::{Resource, ResourceKind as K};

/// An IAM role's properties.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct IamRoleProps {
    pub(crate) role_name: String,
    pub(crate) path: String,
    pub(crate) description: String,
    /// The trust policy; an IRSA role's holds embedded references to the OIDC provider.
    pub(crate) assume_role_policy: Value,
    /// Inline policies by name (set after the role is built: [`set_inline_policy`]).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub(crate) inline_policies: Option<Map<String, Value>>,
}

/// A managed policy's attachment to a role: both identify it (nothing changes in place).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct IamRolePolicyAttachmentProps {
    /// The role's address (its ARN once resolved).
    pub(crate) role: String,
    pub(crate) policy_arn: String,
}

/// An EC2 instance profile's properties: how an instance gets its IAM role (one role at most:
/// AddRoleToInstanceProfile refuses a second with `LimitExceeded`). No section makes one yet:
/// the servers of issue 14 will.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct IamInstanceProfileProps {
    pub(crate) name: String,
    pub(crate) path: String,
    /// The role's address (its ARN once resolved).
    pub(crate) role: String,
}

/// The cluster's OIDC provider's properties.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct IamOidcProviderProps {
    /// The cluster's `oidcIssuer` attribute (its issuer URL once resolved).
    pub(crate) url: String,
    /// The audiences the provider accepts.
    pub(crate) client_id_list: Vec<String>,
}

pub(crate) fn build(catalog: &mut Catalog) {
    if let Some(cluster) = &catalog.bp.cluster {
        let (has_nodes, has_fargate) = (
            !cluster.node_groups.is_empty(),
            !cluster.fargate_profiles.is_empty(),
        );
        role(
            catalog,
            Role {
                section: "cluster",
                address: a::CLUSTER_ROLE,
                key: "cluster",
                name: catalog.names.cluster_role(),
                trust: service_trust(catalog.partition, "eks"),
                description: "EKS control plane",
                managed: &["AmazonEKSClusterPolicy"],
                origin: "cluster",
            },
        );
        if has_nodes {
            role(
                catalog,
                Role {
                    section: "cluster",
                    address: a::NODE_ROLE,
                    key: "node",
                    name: catalog.names.node_role(),
                    trust: service_trust(catalog.partition, "ec2"),
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
                catalog,
                Role {
                    section: "cluster",
                    address: a::FARGATE_ROLE,
                    key: "fargate_pod_execution",
                    name: catalog.names.fargate_role(),
                    trust: service_trust(catalog.partition, "eks-fargate-pods"),
                    description: "EKS Fargate pod execution",
                    managed: &["AmazonEKSFargatePodExecutionRolePolicy"],
                    origin: "cluster.fargateProfiles",
                },
            );
        }
        // The issuer URL exists only once the cluster does; the executor resolves it.
        catalog.push(
            Resource::new(
                a::OIDC_PROVIDER,
                K::IamOidcProvider,
                catalog.names.cluster(),
                "cluster",
            )
            .props(&IamOidcProviderProps {
                url: a::attribute(a::EKS_CLUSTER, "oidcIssuer"),
                client_id_list: vec![STS_AUDIENCE.to_string()],
            }),
        );
        // The controller only keeps ShinyProxy's pods in the catalog's target group, which
        // exists with an ingress section.
        if catalog.bp.ingress.is_some() {
            let policy = load_balancer_controller_policy(
                catalog.partition,
                &catalog.bp.metadata.region,
                &catalog.names.target_group(),
            );
            role(
                catalog,
                Role {
                    section: "cluster",
                    address: a::LB_CONTROLLER_ROLE,
                    key: "load_balancer_controller",
                    name: catalog.names.load_balancer_controller_role(),
                    trust: service_account_trust(LB_CONTROLLER_SERVICE_ACCOUNT),
                    description: "AWS Load Balancer Controller (IRSA)",
                    managed: &[],
                    origin: "ingress",
                },
            );
            set_inline_policy(
                catalog,
                a::LB_CONTROLLER_ROLE,
                "load-balancer-controller",
                policy,
            );
        }
        // Fargate has the EFS driver built in; only node groups run the add-on (storage.rs).
        let efs = catalog.bp.storage.as_ref().is_some_and(|s| s.efs.is_some());
        if has_nodes && efs {
            role(
                catalog,
                Role {
                    section: "cluster",
                    address: a::EFS_CSI_DRIVER_ROLE,
                    key: "efs_csi_driver",
                    name: catalog.names.efs_csi_driver_role(),
                    trust: service_account_trust(EFS_CSI_SERVICE_ACCOUNT),
                    description: "EFS CSI driver (IRSA)",
                    managed: &["service-role/AmazonEFSCSIDriverPolicy"],
                    origin: "storage.efs",
                },
            );
        }
    }
    let canaries = catalog
        .bp
        .monitoring
        .as_ref()
        .is_some_and(|m| !m.canaries.is_empty());
    if canaries {
        let bucket_arn = format!(
            "{}:s3:::{}",
            catalog.partition.arn_prefix(),
            catalog.names.canary_bucket(&catalog.bp.metadata.region)
        );
        role(
            catalog,
            Role {
                section: "monitoring",
                address: a::CANARY_ROLE,
                key: "canary",
                name: catalog.names.canary_role(),
                trust: service_trust(catalog.partition, "lambda"),
                description: "CloudWatch Synthetics canaries",
                managed: &["service-role/AWSLambdaBasicExecutionRole"],
                origin: "monitoring.canaries",
            },
        );
        let policy = canary_policy(catalog.partition, &bucket_arn);
        set_inline_policy(catalog, a::CANARY_ROLE, "canary", policy);
    }
}

/// The audience of the tokens EKS projects into pods (the OIDC provider's client id).
const STS_AUDIENCE: &str = "sts.amazonaws.com";
/// `kube-system` service accounts the controllers run as (the chart's and the add-on's defaults).
pub(crate) const LB_CONTROLLER_SERVICE_ACCOUNT: &str = "aws-load-balancer-controller";
pub(crate) const EFS_CSI_SERVICE_ACCOUNT: &str = "efs-csi-controller-sa";

/// Where a secret reference points, as the IAM resource a policy grants reading: a Secrets
/// Manager secret (`secretsmanager:NAME`, `#KEY` ignored) or an SSM parameter (`ssm:/PATH`).
/// A secret's ARN ends with `-` and six characters Secrets Manager adds, hence `-??????` ("Secrets
/// Manager ARN" patterns, AWS Secrets Manager user guide, permissions). `None` for anything else.
pub(crate) enum SecretArn {
    Secret(String),
    Parameter(String),
}

pub(crate) fn secret_arn(partition: Partition, region: &str, reference: &str) -> Option<SecretArn> {
    let prefix = partition.arn_prefix();
    if let Some(parameter) = reference.strip_prefix("ssm:") {
        return Some(SecretArn::Parameter(format!(
            "{prefix}:ssm:{region}:*:parameter/{}",
            parameter.trim_start_matches('/')
        )));
    }
    let rest = reference.strip_prefix("secretsmanager:")?;
    let name = rest.split_once('#').map_or(rest, |(name, _)| name);
    Some(SecretArn::Secret(format!(
        "{prefix}:secretsmanager:{region}:*:secret:{name}-??????"
    )))
}

pub(crate) fn set_inline_policy(catalog: &mut Catalog, role: &str, name: &str, policy: Value) {
    if let Some(role) = catalog.out.iter_mut().find(|r| r.address.as_str() == role) {
        let policies = role
            .properties
            .entry("inlinePolicies")
            .or_insert_with(|| json!({}));
        if let Some(policies) = policies.as_object_mut() {
            policies.insert(name.into(), policy);
        }
    }
}

pub(crate) struct Role<'s> {
    pub(crate) section: &'s str,
    pub(crate) address: &'s str,
    /// Attachment address key, e.g. `node`.
    pub(crate) key: &'s str,
    pub(crate) name: String,
    /// The trust policy: a service principal ([`service_trust`]) or a Kubernetes service
    /// account ([`service_account_trust`]).
    pub(crate) trust: Value,
    pub(crate) description: &'s str,
    /// AWS-managed policies by name (with path where they have one).
    pub(crate) managed: &'s [&'s str],
    pub(crate) origin: &'s str,
}

pub(crate) fn role(catalog: &mut Catalog, role: Role) {
    catalog.push(
        Resource::new(role.address, K::IamRole, role.name.clone(), role.origin).props(
            &IamRoleProps {
                role_name: role.name.clone(),
                path: "/".into(),
                description: format!("shinyctl: {}", role.description),
                assume_role_policy: role.trust,
                inline_policies: None,
            },
        ),
    );
    for policy in role.managed {
        let short = policy.rsplit('/').next().unwrap_or(policy);
        catalog.push(
            Resource::new(
                a::iam_role_policy_attachment(role.section, role.key, short),
                K::IamRolePolicyAttachment,
                format!("{}/{short}", role.name),
                role.origin,
            )
            .props(&IamRolePolicyAttachmentProps {
                role: role.address.to_string(),
                policy_arn: catalog.partition.managed_policy_arn(policy),
            }),
        );
    }
}

/// `service` (`eks`, `ec2`, `lambda`, ...) may assume the role.
pub(crate) fn service_trust(partition: Partition, service: &str) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": partition.service_principal(service)},
            "Action": "sts:AssumeRole"
        }]
    })
}

/// Pods running as `kube-system/<service_account>` may assume the role with the token EKS
/// projects into them. The condition keys start with the issuer's host and path, known only once
/// the cluster exists: embedded references the executor resolves (and the reader restores).
fn service_account_trust(service_account: &str) -> Value {
    let issuer = a::embed(a::OIDC_PROVIDER, Some("issuerHost"));
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": a::embed(a::OIDC_PROVIDER, None)},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {
                format!("{issuer}:sub"): format!("system:serviceaccount:kube-system:{service_account}"),
                format!("{issuer}:aud"): STS_AUDIENCE
            }}
        }]
    })
}

/// What the AWS Load Balancer Controller needs for what shinyctl asks of it: a
/// TargetGroupBinding keeping ShinyProxy's pod IPs registered in the catalog's target group.
/// Follows the controller's published `docs/install/iam_policy.json` as of v3.5.0
/// (kubernetes-sigs/aws-load-balancer-controller): its read-only statement whole (the controller
/// describes VPCs, subnets, ENIs, load balancers and target groups at start and per binding), and
/// of its write statements only `RegisterTargets`/`DeregisterTargets`, narrowed to this
/// blueprint's target group. Left out, because shinyctl's catalog owns them: creating or changing
/// load balancers, listeners, rules, target groups and security groups, tagging, WAF, Shield,
/// ACM and Cognito lookups (Ingress mode only), and the ELB service-linked role.
fn load_balancer_controller_policy(
    partition: Partition,
    region: &str,
    target_group: &str,
) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [
                    "ec2:DescribeAccountAttributes",
                    "ec2:DescribeAddresses",
                    "ec2:DescribeAvailabilityZones",
                    "ec2:DescribeInternetGateways",
                    "ec2:DescribeVpcs",
                    "ec2:DescribeVpcPeeringConnections",
                    "ec2:DescribeSubnets",
                    "ec2:DescribeSecurityGroups",
                    "ec2:DescribeInstances",
                    "ec2:DescribeNetworkInterfaces",
                    "ec2:DescribeTags",
                    "ec2:GetCoipPoolUsage",
                    "ec2:DescribeCoipPools",
                    "ec2:GetSecurityGroupsForVpc",
                    "ec2:DescribeIpamPools",
                    "ec2:DescribeRouteTables",
                    "elasticloadbalancing:DescribeLoadBalancers",
                    "elasticloadbalancing:DescribeLoadBalancerAttributes",
                    "elasticloadbalancing:DescribeListeners",
                    "elasticloadbalancing:DescribeListenerCertificates",
                    "elasticloadbalancing:DescribeSSLPolicies",
                    "elasticloadbalancing:DescribeRules",
                    "elasticloadbalancing:DescribeTargetGroups",
                    "elasticloadbalancing:DescribeTargetGroupAttributes",
                    "elasticloadbalancing:DescribeTargetHealth",
                    "elasticloadbalancing:DescribeTags",
                    "elasticloadbalancing:DescribeTrustStores",
                    "elasticloadbalancing:DescribeListenerAttributes",
                    "elasticloadbalancing:DescribeCapacityReservation"
                ],
                "Resource": "*"
            },
            {
                "Effect": "Allow",
                "Action": [
                    "elasticloadbalancing:RegisterTargets",
                    "elasticloadbalancing:DeregisterTargets"
                ],
                "Resource": format!(
                    "{}:elasticloadbalancing:{region}:*:targetgroup/{target_group}/*",
                    partition.arn_prefix()
                )
            }
        ]
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::props::check_spec_fields;

    #[test]
    fn properties_structs_have_the_fields_their_specs_name() {
        check_spec_fields::<IamRoleProps>(K::IamRole);
        check_spec_fields::<IamRolePolicyAttachmentProps>(K::IamRolePolicyAttachment);
        check_spec_fields::<IamOidcProviderProps>(K::IamOidcProvider);
        check_spec_fields::<IamInstanceProfileProps>(K::IamInstanceProfile);
    }
}
