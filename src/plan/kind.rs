//! Every kind of AWS resource a blueprint can produce, with what the planner and executor must know
//! about it: the service, whether it holds data, which property changes force a replacement,
//! AWS's naming rules, and creation/deletion time estimates (published `terraform apply` logs).

use serde::{Deserialize, Serialize};

macro_rules! kinds {
    ($($variant:ident => $name:literal),* $(,)?) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum ResourceKind {
            $(#[serde(rename = $name)] $variant,)*
        }
        impl ResourceKind {
            pub const ALL: &'static [ResourceKind] = &[$(ResourceKind::$variant,)*];
            /// Snake-case name used in addresses, JSON plans and observed state.
            pub fn as_str(self) -> &'static str {
                match self { $(ResourceKind::$variant => $name,)* }
            }
            pub fn parse(s: &str) -> Option<ResourceKind> {
                match s { $($name => Some(ResourceKind::$variant),)* _ => None }
            }
        }
    };
}

kinds! {
    Vpc => "vpc",
    Subnet => "subnet",
    InternetGateway => "internet_gateway",
    ElasticIp => "elastic_ip",
    NatGateway => "nat_gateway",
    RouteTable => "route_table",
    RouteTableAssociation => "route_table_association",
    Route => "route",
    SecurityGroup => "security_group",
    SecurityGroupRule => "security_group_rule",
    IamRole => "iam_role",
    IamRolePolicyAttachment => "iam_role_policy_attachment",
    IamOidcProvider => "iam_oidc_provider",
    EksCluster => "eks_cluster",
    FargateProfile => "fargate_profile",
    NodeGroup => "node_group",
    EksAddon => "eks_addon",
    EfsFileSystem => "efs_file_system",
    EfsMountTarget => "efs_mount_target",
    EfsAccessPoint => "efs_access_point",
    DbSubnetGroup => "db_subnet_group",
    DbParameterGroup => "db_parameter_group",
    DbClusterParameterGroup => "db_cluster_parameter_group",
    DbInstance => "db_instance",
    DbCluster => "db_cluster",
    DbClusterInstance => "db_cluster_instance",
    CacheSubnetGroup => "cache_subnet_group",
    CacheParameterGroup => "cache_parameter_group",
    CacheReplicationGroup => "cache_replication_group",
    EcrRepository => "ecr_repository",
    EcrLifecyclePolicy => "ecr_lifecycle_policy",
    LoadBalancer => "load_balancer",
    TargetGroup => "target_group",
    Listener => "listener",
    ListenerRule => "listener_rule",
    SnsTopic => "sns_topic",
    SnsSubscription => "sns_subscription",
    S3Bucket => "s3_bucket",
    Canary => "canary",
    CloudWatchAlarm => "cloudwatch_alarm",
    // An object of the proxy workload on the cluster (ops deploys these; no AWS adapter).
    KubernetesObject => "kubernetes_object",
}

/// AWS's limits on a kind's name, checked at validate time so an apply never fails ten minutes in.
#[derive(Debug, Clone, Copy)]
pub struct NameRule {
    pub max_len: usize,
    /// Human description of the allowed characters, used in hints.
    pub charset: &'static str,
    pub allowed: fn(char) -> bool,
    /// Must start with a letter (RDS, ElastiCache identifiers).
    pub starts_with_letter: bool,
    /// No two consecutive hyphens and no trailing hyphen (RDS, ElastiCache, ELB).
    pub no_double_or_trailing_hyphen: bool,
}

fn alnum_hyphen(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-'
}
fn lower_alnum_hyphen(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'
}
fn iam_chars(c: char) -> bool {
    c.is_ascii_alphanumeric() || "+=,.@_-".contains(c)
}
fn eks_chars(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}
fn ecr_chars(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || "-_./".contains(c)
}
fn canary_chars(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_'
}
fn bucket_chars(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.'
}
fn any_printable(c: char) -> bool {
    !c.is_control()
}

impl ResourceKind {
    /// The AWS service that owns this kind (used for rate limits and reporting).
    pub fn service(self) -> &'static str {
        use ResourceKind::*;
        match self {
            Vpc
            | Subnet
            | InternetGateway
            | ElasticIp
            | NatGateway
            | RouteTable
            | RouteTableAssociation
            | Route
            | SecurityGroup
            | SecurityGroupRule => "ec2",
            IamRole | IamRolePolicyAttachment | IamOidcProvider => "iam",
            EksCluster | FargateProfile | NodeGroup | EksAddon => "eks",
            EfsFileSystem | EfsMountTarget | EfsAccessPoint => "efs",
            DbSubnetGroup
            | DbParameterGroup
            | DbClusterParameterGroup
            | DbInstance
            | DbCluster
            | DbClusterInstance => "rds",
            CacheSubnetGroup | CacheParameterGroup | CacheReplicationGroup => "elasticache",
            EcrRepository | EcrLifecyclePolicy => "ecr",
            LoadBalancer | TargetGroup | Listener | ListenerRule => "elbv2",
            SnsTopic | SnsSubscription => "sns",
            S3Bucket => "s3",
            Canary => "synthetics",
            CloudWatchAlarm => "cloudwatch",
            KubernetesObject => "kubernetes",
        }
    }

    /// Resources whose loss loses users' data: never deleted or replaced without `--allow-data-loss`.
    pub fn holds_data(self) -> bool {
        use ResourceKind::*;
        matches!(
            self,
            EfsFileSystem | DbInstance | DbCluster | CacheReplicationGroup | S3Bucket
        )
    }

    /// Properties the live reader sets only on a resource AWS left broken, which the catalog
    /// never sets: their presence is a difference, and they are in [`Self::replace_on`], so the
    /// plan replaces the broken resource and says why.
    pub fn broken_markers(self) -> &'static [&'static str] {
        match self {
            // A canary in ERROR: AWS offers no way to repair it (see aws::services::synthetics).
            ResourceKind::Canary => &["status"],
            _ => &[],
        }
    }

    /// Properties AWS can set or change in place but not take away: their removal forces a
    /// replacement. EKS's `UpdateAddon` takes a role ARN of at least one character (botocore's
    /// `RoleArn`, min 1), so no call unbinds an add-on's role (the Terraform AWS provider's
    /// issue #30645 meets the same wall).
    pub fn replace_when_removed(self) -> &'static [&'static str] {
        match self {
            ResourceKind::EksAddon => &["serviceAccountRoleArn"],
            _ => &[],
        }
    }

    /// Properties that AWS cannot change in place: a change to any of them forces a replacement.
    pub fn replace_on(self) -> &'static [&'static str] {
        use ResourceKind::*;
        match self {
            Vpc => &["cidr"],
            // An address's domain is fixed (vpc), and so is a NAT gateway's primary address
            // (AssociateNatGatewayAddress adds secondary ones only).
            ElasticIp => &["domain"],
            Subnet => &["cidr", "availabilityZone", "vpc"],
            NatGateway => &["subnet", "connectivity", "allocation"],
            RouteTable | InternetGateway => &["vpc"],
            RouteTableAssociation => &["subnet", "routeTable"],
            Route => &["routeTable", "destination", "target"],
            // AWS can change neither the name nor the description of a security group.
            SecurityGroup => &["vpc", "groupName", "description"],
            // Only a rule's description changes in place; the kind of source goes with the source.
            SecurityGroupRule => &[
                "securityGroup",
                "direction",
                "protocol",
                "fromPort",
                "toPort",
                "source",
                "sourceType",
            ],
            IamRole => &["path"],
            IamRolePolicyAttachment => &["role", "policyArn"],
            IamOidcProvider => &["url"],
            // Subnets and security groups are updatable in place since October 2023
            // (UpdateClusterConfig); the role is not.
            EksCluster => &["role"],
            // Neither a profile nor a node group moves to another cluster.
            FargateProfile => &["cluster", "selectors", "subnets", "podExecutionRole"],
            NodeGroup => &[
                "cluster",
                "instanceTypes",
                "subnets",
                "diskSizeGib",
                "capacityType",
                "nodeRole",
            ],
            // The cluster and which add-on; version and role change in place (UpdateAddon).
            EksAddon => &["cluster", "addonName"],
            EfsFileSystem => &["encrypted", "performanceMode"],
            EfsMountTarget => &["fileSystem", "subnet"],
            EfsAccessPoint => &["fileSystem", "path", "uid", "gid", "permissions"],
            DbSubnetGroup => &[],
            // A parameter group's description is fixed at create (no Modify… takes it).
            DbParameterGroup | DbClusterParameterGroup => &["family", "description"],
            DbInstance => &["engine", "dbName", "masterUsername", "storageEncrypted"],
            // ModifyDBCluster cannot move an Aurora cluster to another subnet group.
            DbCluster => &[
                "engine",
                "dbName",
                "masterUsername",
                "storageEncrypted",
                "dbSubnetGroup",
            ],
            // AWS cannot move an Aurora instance to another zone: a new instance replaces it.
            DbClusterInstance => &["cluster", "engine", "availabilityZone"],
            CacheSubnetGroup => &[],
            CacheParameterGroup => &["family", "description"],
            // ModifyReplicationGroup takes neither a port nor a subnet group.
            CacheReplicationGroup => &[
                "engine",
                "clusterMode",
                "transitEncryption",
                "atRestEncryption",
                "port",
                "cacheSubnetGroup",
            ],
            // Encryption is set by CreateRepository only: botocore's ecr model has no call that
            // changes it.
            EcrRepository => &["encryptionConfiguration"],
            EcrLifecyclePolicy => &["repository"],
            LoadBalancer => &["type", "scheme"],
            TargetGroup => &["protocol", "port", "targetType", "vpc"],
            Listener => &["loadBalancer"],
            ListenerRule => &["listener"],
            SnsTopic => &[],
            SnsSubscription => &["topic", "protocol", "endpoint"],
            S3Bucket => &[],
            // `status`: see broken_markers.
            Canary => &["artifactBucket", "status"],
            CloudWatchAlarm | KubernetesObject => &[],
        }
    }

    /// AWS's naming limits for this kind, or None where AWS assigns an id and takes no name.
    pub fn name_rule(self) -> Option<NameRule> {
        use ResourceKind::*;
        let rule = |max_len, charset, allowed| NameRule {
            max_len,
            charset,
            allowed,
            starts_with_letter: false,
            no_double_or_trailing_hyphen: false,
        };
        let strict = |max_len, charset, allowed| NameRule {
            max_len,
            charset,
            allowed,
            starts_with_letter: true,
            no_double_or_trailing_hyphen: true,
        };
        Some(match self {
            IamRole => rule(64, "letters, digits and +=,.@_-", iam_chars),
            EksCluster => rule(100, "letters, digits, hyphens and underscores", eks_chars),
            FargateProfile | NodeGroup => {
                rule(63, "letters, digits, hyphens and underscores", eks_chars)
            }
            LoadBalancer | TargetGroup => NameRule {
                max_len: 32,
                charset: "letters, digits and hyphens",
                allowed: alnum_hyphen,
                starts_with_letter: false,
                no_double_or_trailing_hyphen: true,
            },
            DbInstance | DbCluster | DbClusterInstance => {
                strict(63, "letters, digits and hyphens", alnum_hyphen)
            }
            DbSubnetGroup | DbParameterGroup | DbClusterParameterGroup => {
                strict(255, "letters, digits and hyphens", alnum_hyphen)
            }
            CacheReplicationGroup => strict(
                40,
                "lowercase letters, digits and hyphens",
                lower_alnum_hyphen,
            ),
            CacheSubnetGroup | CacheParameterGroup => strict(
                255,
                "lowercase letters, digits and hyphens",
                lower_alnum_hyphen,
            ),
            EcrRepository => rule(256, "lowercase letters, digits and -_./", ecr_chars),
            SnsTopic => rule(256, "letters, digits, hyphens and underscores", eks_chars),
            // The canary name is embedded in its Lambda function name, which caps it at 21 characters.
            Canary => rule(
                21,
                "lowercase letters, digits, hyphens and underscores",
                canary_chars,
            ),
            S3Bucket => rule(
                63,
                "lowercase letters, digits, hyphens and dots",
                bucket_chars,
            ),
            CloudWatchAlarm => rule(255, "printable characters", any_printable),
            SecurityGroup => rule(255, "printable characters", any_printable),
            _ => return None,
        })
    }

    /// Typical seconds from create call to ready: published `terraform apply` logs (midpoints),
    /// as the emulator's default profile has them (`tests/emulator/profiles/default.json` is
    /// these figures ÷ 60). Waits poll most often near these, so they should be right.
    pub fn create_seconds(self) -> f64 {
        use ResourceKind::*;
        match self {
            EksCluster => 600.0,
            // Creating, then the first automated backup before `available`.
            DbInstance | DbClusterInstance => 330.0,
            DbCluster => 120.0,
            CacheReplicationGroup => 360.0,
            // Until the add-on's pods run on the nodes: about a minute.
            EksAddon => 60.0,
            LoadBalancer => 150.0,
            NatGateway => 105.0,
            NodeGroup => 150.0,
            FargateProfile => 120.0,
            EfsMountTarget => 60.0,
            // Created, then started.
            Canary => 90.0,
            EfsFileSystem => 6.0,
            IamRole | IamOidcProvider => 5.0,
            _ => 2.0,
        }
    }

    /// Typical seconds from delete call to gone.
    pub fn delete_seconds(self) -> f64 {
        use ResourceKind::*;
        match self {
            EksCluster => 300.0,
            DbInstance | DbClusterInstance => 180.0,
            DbCluster => 120.0,
            CacheReplicationGroup => 240.0,
            NodeGroup => 150.0,
            FargateProfile => 120.0,
            NatGateway => 60.0,
            EksAddon => 30.0,
            LoadBalancer => 30.0,
            EfsMountTarget => 60.0,
            EfsFileSystem => 6.0,
            Canary => 30.0,
            _ => 2.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_names_round_trip() {
        for kind in ResourceKind::ALL {
            assert_eq!(ResourceKind::parse(kind.as_str()), Some(*kind));
        }
    }
}
