//! Every kind of AWS resource a blueprint can produce, and one [`KindSpec`] row per kind with
//! everything the planner, the executor and the bench must know about it: the service, whether it
//! holds data, which property changes force a replacement, whether AWS tags it (and how an
//! untagged one is recognised), AWS's naming rules, creation/deletion time estimates (published
//! `terraform apply` logs), the serialisation AWS imposes, and the reads a no-change plan makes.
//! `shinyctl kinds --json` prints the rows (the bench reads them from there).
//! Adding a kind: `docs/adding-a-kind.md`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

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
            #[cfg(test)]
            pub(crate) fn parse(s: &str) -> Option<ResourceKind> {
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
    SecretsmanagerSecret => "secretsmanager_secret",
    IamRole => "iam_role",
    IamRolePolicyAttachment => "iam_role_policy_attachment",
    IamOidcProvider => "iam_oidc_provider",
    IamInstanceProfile => "iam_instance_profile",
    LaunchTemplate => "launch_template",
    Ec2Instance => "ec2_instance",
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
    TargetGroupAttachment => "target_group_attachment",
    SsmDocument => "ssm_document",
    SsmAssociation => "ssm_association",
    AutoScalingGroup => "autoscaling_group",
    AutoScalingLifecycleHook => "autoscaling_lifecycle_hook",
    CloudWatchLogGroup => "cloudwatch_log_group",
    AppAutoScalingTarget => "appautoscaling_target",
    AppAutoScalingPolicy => "appautoscaling_policy",
    EcsCluster => "ecs_cluster",
    EcsCapacityProvider => "ecs_capacity_provider",
    EcsClusterCapacityProviders => "ecs_cluster_capacity_providers",
    EcsTaskDefinition => "ecs_task_definition",
    EcsService => "ecs_service",
    // An object of the proxy workload on the cluster (ops deploys these; no AWS adapter).
    KubernetesObject => "kubernetes_object",
}

/// Everything the planner, the executor and the bench know about one kind: one row of [`SPECS`].
#[derive(Debug, Clone, Copy)]
pub struct KindSpec {
    pub(crate) kind: ResourceKind,
    /// The AWS service that owns the kind (used for rate limits and reporting).
    pub(crate) service: &'static str,
    /// Its loss loses users' data: never deleted or replaced without `--allow-data-loss`.
    pub(crate) holds_data: bool,
    /// Properties that AWS cannot change in place: a change to any of them forces a replacement.
    pub(crate) replace_on: &'static [&'static str],
    /// Properties AWS can set or change in place but not take away: their removal forces a
    /// replacement.
    pub(crate) replace_when_removed: &'static [&'static str],
    /// What the kind's update changes in place; every other property the catalog sets is in
    /// `replace_on`, fixed at create, or `tags` (`aws/services/in_place_tests.rs` checks it over
    /// every blueprint, and that the adapters change what this names).
    pub(crate) in_place: InPlace,
    /// Properties the live reader sets only on a resource AWS left broken, which the catalog
    /// never sets: their presence is a difference, and they are in `replace_on`, so the plan
    /// replaces the broken resource and says why.
    pub(crate) broken_markers: &'static [&'static str],
    /// Whether AWS tags it, and how a live one is told apart when it does not.
    pub(crate) tagging: Tagging,
    /// AWS's naming limits, or None where AWS assigns an id and takes no name.
    pub(crate) name_rule: Option<NameRule>,
    /// Typical seconds from create call to ready: published `terraform apply` logs (midpoints),
    /// as the emulator's default profile has them (`tests/emulator/profiles/default.json` is
    /// these figures ÷ 60). Waits poll most often near these, so they should be right.
    pub(crate) create_seconds: f64,
    /// Typical seconds from delete call to gone.
    pub(crate) delete_seconds: f64,
    /// Operations on resources of the kind that AWS runs one at a time.
    pub(crate) serialise: Option<Serialise>,
    /// Attributes (outputs) an in-place update changes: a resource embedding one (`${address#
    /// attribute}`) changes with it, in the same plan (`plan::diff`).
    pub(crate) updated_attributes: &'static [&'static str],
    /// Properties written at create only and then left to whatever manages them (an ECS
    /// service's desired count, which Application Auto Scaling changes): the diff never compares
    /// them, so a plan neither undoes the scaling nor shows it as a change.
    pub(crate) set_at_create: &'static [&'static str],
    /// Properties AWS (or who scales the resource) sets when the blueprint leaves them out:
    /// compared only when the blueprint gives them (Terraform's Optional+Computed). An Auto
    /// Scaling group's desired capacity under an ECS capacity provider.
    pub(crate) computed: &'static [&'static str],
    /// Replacements roll: resources of the kind with the same value of this property (the
    /// servers launched from one template) are replaced one at a time, each after the one
    /// before is back with everything that uses it (`apply::schedule`).
    pub(crate) rolls_by: Option<&'static str>,
    /// The calls a no-change plan makes to read the kind; None where the AWS reader does not
    /// read it.
    pub reads: Option<Reads>,
    /// Price List lookups a cold cost estimate makes for the kind.
    pub(crate) prices: Prices,
    /// The IAM actions its steps call, for `doctor`'s policy simulation.
    pub(crate) permissions: Permissions,
}

/// What an update changes in place (besides `tags`, which every tagged kind's update syncs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InPlace {
    /// These properties: the update's AWS calls change them.
    Only(&'static [&'static str]),
    /// Every property: the update writes the whole resource again (a `Put…` call).
    Whole,
}

impl InPlace {
    /// The properties named (none for [`InPlace::Whole`], which names no list).
    pub(crate) const fn properties(&self) -> &'static [&'static str] {
        match self {
            InPlace::Only(list) => list,
            InPlace::Whole => &[],
        }
    }
}

/// Whether AWS lets shinyctl tag a kind (its ownership tags find a tagged resource).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tagging {
    Tagged,
    /// AWS takes no tags: a live resource is matched to a desired one of its kind by these
    /// properties (after references are resolved to addresses). Other differences then show as
    /// updates or replaces.
    Untagged {
        identity: &'static [&'static str],
    },
}

/// Operations AWS runs one at a time: steps of the kind with the same value of property `by`
/// (desired, else observed) share the key `scope:value`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Serialise {
    pub(crate) scope: &'static str,
    pub(crate) by: &'static str,
}

/// How the live reader reads a kind (the no-change plan's call budget in
/// `xtask/src/bench/budget.rs`): one listing call in the kind's service, per page, plus these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reads {
    /// Listing calls beyond the kind's one, made once (per page) when the blueprint has
    /// resources of the kind: (service, action).
    pub(crate) further_listing: &'static [(&'static str, &'static str)],
    /// Calls per resource of the kind that AWS offers no batch read for: (service, action).
    pub(crate) per_resource: &'static [(&'static str, &'static str)],
    /// Why those further calls are needed ("" when there are none).
    pub(crate) why: &'static str,
}

/// Price List `GetProducts` calls (`aws::pricing`) for a kind the blueprint has, while the
/// region's price cache is cold or stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Prices {
    pub(crate) per_resource: usize,
    pub(crate) per_kind: usize,
}

/// The IAM actions a kind's steps call, per operation: what `doctor` asks the policy simulator
/// about. The action names are the SDK operations its adapter calls (the IAM action is the
/// service prefix and the operation: Service Authorization Reference), plus the permissions AWS checks besides the
/// operation's own: `iam:PassRole` for a role handed to EKS, Synthetics or a node group, tagging
/// on create (`ec2:CreateTags`, `eks:TagResource`, `rds:AddTagsToResource`, ... — each service's
/// "tag on create" authorization), and for canaries what CloudWatch's user guide lists for users
/// who create them ("Required roles and permissions for CloudWatch canaries": Lambda function and
/// layer, `iam:PassRole`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Permissions {
    /// What reading it takes (every live plan).
    pub(crate) reads: &'static [&'static str],
    pub(crate) creates: &'static [&'static str],
    pub(crate) updates: &'static [&'static str],
    pub(crate) deletes: &'static [&'static str],
}

impl Permissions {
    const NONE: Permissions = Permissions {
        reads: &[],
        creates: &[],
        updates: &[],
        deletes: &[],
    };
}

/// AWS's limits on a kind's name, checked at validate time so an apply never fails ten minutes in.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NameRule {
    pub(crate) max_len: usize,
    /// Human description of the allowed characters, used in hints.
    pub(crate) charset: &'static str,
    pub(crate) allowed: fn(char) -> bool,
    /// Must start with a letter (RDS, ElastiCache identifiers).
    pub(crate) starts_with_letter: bool,
    /// No two consecutive hyphens and no trailing hyphen (RDS, ElastiCache, ELB).
    pub(crate) no_double_or_trailing_hyphen: bool,
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
fn launch_template_chars(c: char) -> bool {
    c.is_ascii_alphanumeric() || "().-/_".contains(c)
}
/// botocore `ssm` DocumentName and AssociationName: `^[a-zA-Z0-9_\-.]{3,128}$`.
fn ssm_chars(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_-.".contains(c)
}
/// botocore `autoscaling` CreateAutoScalingGroup AutoScalingGroupName: "any ASCII character 33
/// to 126 including most punctuation characters, digits, and upper and lowercased letters. You
/// cannot use a colon (:) in the name" (the shape is XmlStringMaxLen255: 1 to 255).
fn asg_chars(c: char) -> bool {
    c.is_ascii_graphic() && c != ':'
}
/// botocore `autoscaling` PutLifecycleHook LifecycleHookName (AsciiStringMaxLen255): 1 to 255 of
/// the pattern `[A-Za-z0-9\-_\/]+`.
fn lifecycle_hook_chars(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-_/".contains(c)
}
/// botocore `secretsmanager` CreateSecret Name (NameType, 1 to 512; the model has no pattern):
/// "The secret name can contain ASCII letters, numbers, and the following characters:
/// /_+=.@-". AWS refuses any other with ValidationException "Invalid name. Must be a valid name
/// containing alphanumeric characters, or any of the following: -/_+=.@!" (its message also
/// names `!`, which the documentation does not: shinyctl keeps to the documented set).
fn secret_chars(c: char) -> bool {
    c.is_ascii_alphanumeric() || "/_+=.@-".contains(c)
}
/// botocore `logs` LogGroupName: 1 to 512 of the pattern `[\.\-_/#A-Za-z0-9]+`.
fn log_group_chars(c: char) -> bool {
    c.is_ascii_alphanumeric() || "._-/#".contains(c)
}
/// botocore `application-autoscaling` PolicyName (ResourceIdMaxLen1600's sibling): 1 to 256 of
/// the pattern `\p{Print}+` (Java's printable ASCII: space to `~`).
fn policy_name_chars(c: char) -> bool {
    c == ' ' || c.is_ascii_graphic()
}
fn any_printable(c: char) -> bool {
    !c.is_control()
}

const fn rule(max_len: usize, charset: &'static str, allowed: fn(char) -> bool) -> NameRule {
    NameRule {
        max_len,
        charset,
        allowed,
        starts_with_letter: false,
        no_double_or_trailing_hyphen: false,
    }
}

/// RDS and ElastiCache identifiers: a letter first, no `--`, no trailing hyphen.
const fn strict(max_len: usize, charset: &'static str, allowed: fn(char) -> bool) -> NameRule {
    NameRule {
        max_len,
        charset,
        allowed,
        starts_with_letter: true,
        no_double_or_trailing_hyphen: true,
    }
}

const EKS_CHARSET: &str = "letters, digits, hyphens and underscores";
const RDS_CHARSET: &str = "letters, digits and hyphens";
const ELASTICACHE_CHARSET: &str = "lowercase letters, digits and hyphens";

/// A row's defaults: tagged, no data, nothing forces a replacement, no name rule, two seconds
/// each way, no serialisation, one listing call, not priced.
const fn row(kind: ResourceKind, service: &'static str) -> KindSpec {
    KindSpec {
        kind,
        service,
        holds_data: false,
        replace_on: &[],
        replace_when_removed: &[],
        in_place: InPlace::Only(&[]),
        broken_markers: &[],
        tagging: Tagging::Tagged,
        name_rule: None,
        create_seconds: 2.0,
        delete_seconds: 2.0,
        serialise: None,
        rolls_by: None,
        updated_attributes: &[],
        set_at_create: &[],
        computed: &[],
        reads: Some(Reads::LISTING),
        prices: Prices::NONE,
        permissions: Permissions::NONE,
    }
}

impl Reads {
    /// One listing call of the kind, per page, and nothing more.
    const LISTING: Reads = Reads {
        further_listing: &[],
        per_resource: &[],
        why: "",
    };

    const fn per_resource(
        per_resource: &'static [(&'static str, &'static str)],
        why: &'static str,
    ) -> Option<Reads> {
        Some(Reads {
            further_listing: &[],
            per_resource,
            why,
        })
    }

    const fn listed_twice(
        further_listing: &'static [(&'static str, &'static str)],
        why: &'static str,
    ) -> Option<Reads> {
        Some(Reads {
            further_listing,
            per_resource: &[],
            why,
        })
    }
}

impl Prices {
    const NONE: Prices = Prices {
        per_resource: 0,
        per_kind: 0,
    };

    const fn once(per_kind: usize) -> Prices {
        Prices {
            per_resource: 0,
            per_kind,
        }
    }
}

use ResourceKind::*;

/// One row per kind, in [`ResourceKind::ALL`]'s order (checked when compiling).
pub const SPECS: &[KindSpec] = &[
    KindSpec {
        replace_on: &["cidr"],
        reads: Reads::per_resource(
            &[
                ("ec2", "DescribeVpcAttribute"),
                ("ec2", "DescribeVpcAttribute"),
            ],
            "enableDnsSupport and enableDnsHostnames: DescribeVpcAttribute takes one VPC and one \
             attribute, and DescribeVpcs does not carry them",
        ),
        permissions: Permissions {
            reads: &["ec2:DescribeVpcs", "ec2:DescribeVpcAttribute"],
            creates: &["ec2:CreateVpc", "ec2:CreateTags", "ec2:ModifyVpcAttribute"],
            updates: &["ec2:ModifyVpcAttribute", "ec2:CreateTags", "ec2:DeleteTags"],
            deletes: &["ec2:DeleteVpc"],
        },
        // ModifyVpcAttribute, one attribute per call.
        in_place: InPlace::Only(&["enableDnsHostnames", "enableDnsSupport"]),
        ..row(Vpc, "ec2")
    },
    KindSpec {
        replace_on: &["cidr", "availabilityZone", "vpc"],
        reads: Reads::listed_twice(
            &[("ec2", "DescribeAvailabilityZones")],
            "the subnets' zones are chosen from the zones EC2 lists for the account",
        ),
        permissions: Permissions {
            reads: &["ec2:DescribeSubnets"],
            creates: &[
                "ec2:CreateSubnet",
                "ec2:CreateTags",
                "ec2:ModifySubnetAttribute",
            ],
            updates: &[
                "ec2:ModifySubnetAttribute",
                "ec2:CreateTags",
                "ec2:DeleteTags",
            ],
            deletes: &["ec2:DeleteSubnet"],
        },
        // ModifySubnetAttribute.
        in_place: InPlace::Only(&["mapPublicIpOnLaunch"]),
        ..row(Subnet, "ec2")
    },
    KindSpec {
        replace_on: &["vpc"],
        permissions: Permissions {
            reads: &["ec2:DescribeInternetGateways"],
            creates: &[
                "ec2:CreateInternetGateway",
                "ec2:CreateTags",
                "ec2:AttachInternetGateway",
            ],
            updates: &["ec2:CreateTags", "ec2:DeleteTags"],
            deletes: &["ec2:DetachInternetGateway", "ec2:DeleteInternetGateway"],
        },
        ..row(InternetGateway, "ec2")
    },
    KindSpec {
        // An address's domain is fixed (vpc).
        replace_on: &["domain"],
        prices: Prices::once(1),
        permissions: Permissions {
            reads: &["ec2:DescribeAddresses"],
            creates: &["ec2:AllocateAddress", "ec2:CreateTags"],
            updates: &["ec2:CreateTags", "ec2:DeleteTags"],
            deletes: &["ec2:ReleaseAddress"],
        },
        ..row(ElasticIp, "ec2")
    },
    KindSpec {
        // A NAT gateway's primary address is fixed (AssociateNatGatewayAddress adds secondary
        // ones only).
        replace_on: &["subnet", "connectivity", "allocation"],
        create_seconds: 105.0,
        delete_seconds: 60.0,
        prices: Prices::once(1),
        permissions: Permissions {
            reads: &["ec2:DescribeNatGateways"],
            creates: &["ec2:CreateNatGateway", "ec2:CreateTags"],
            updates: &["ec2:CreateTags", "ec2:DeleteTags"],
            deletes: &["ec2:DeleteNatGateway"],
        },
        ..row(NatGateway, "ec2")
    },
    KindSpec {
        replace_on: &["vpc"],
        permissions: ROUTE_TABLE_FAMILY,
        ..row(RouteTable, "ec2")
    },
    KindSpec {
        replace_on: &["subnet", "routeTable"],
        tagging: Tagging::Untagged {
            identity: &["subnet"],
        },
        permissions: ROUTE_TABLE_FAMILY,
        ..row(RouteTableAssociation, "ec2")
    },
    KindSpec {
        replace_on: &["routeTable", "destination", "target"],
        tagging: Tagging::Untagged {
            identity: &["routeTable", "destination"],
        },
        permissions: ROUTE_TABLE_FAMILY,
        ..row(Route, "ec2")
    },
    KindSpec {
        // AWS can change neither the name nor the description of a security group.
        replace_on: &["vpc", "groupName", "description"],
        name_rule: Some(rule(255, "printable characters", any_printable)),
        permissions: SECURITY_GROUP_FAMILY,
        ..row(SecurityGroup, "ec2")
    },
    KindSpec {
        // Only a rule's description changes in place; the kind of source goes with the source.
        replace_on: &[
            "securityGroup",
            "direction",
            "protocol",
            "fromPort",
            "toPort",
            "source",
            "sourceType",
        ],
        tagging: Tagging::Untagged {
            identity: &[
                "securityGroup",
                "direction",
                "protocol",
                "fromPort",
                "toPort",
                "source",
            ],
        },
        reads: Reads::listed_twice(
            &[("ec2", "DescribeSecurityGroupRules")],
            "rules in the cluster security group EKS makes (not one of shinyctl's groups) are \
             found by their ownership tag; made only when the blueprint has such a rule",
        ),
        permissions: SECURITY_GROUP_FAMILY,
        // UpdateSecurityGroupRuleDescriptions{Ingress,Egress}.
        in_place: InPlace::Only(&["description"]),
        ..row(SecurityGroupRule, "ec2")
    },
    KindSpec {
        // No call renames a secret: every Secrets Manager call names it by SecretId (botocore
        // `secretsmanager` UpdateSecretRequest has no Name), as the Terraform AWS provider's
        // aws_secretsmanager_secret forces a new one on `name`. Its value is generated once, at
        // create (GetRandomPassword), and never read back: a new recipe is a new secret with a
        // new value, so `generate` replaces it.
        replace_on: &["name", "generate"],
        name_rule: Some(rule(512, "letters, digits and /_+=.@-", secret_chars)),
        // ForceDeleteWithoutRecovery: "Secrets Manager performs the actual deletion with an
        // asynchronous background process, so there might be a short delay before the secret is
        // permanently deleted" (botocore `secretsmanager` DeleteSecretRequest).
        delete_seconds: 5.0,
        permissions: Permissions {
            reads: &["secretsmanager:ListSecrets"],
            // "If you include tags in the secret, you also need secretsmanager:TagResource"
            // (botocore `secretsmanager` CreateSecret, Required permissions); DescribeSecret
            // finds a secret an interrupted run made.
            creates: &[
                "secretsmanager:GetRandomPassword",
                "secretsmanager:DescribeSecret",
                "secretsmanager:CreateSecret",
                "secretsmanager:TagResource",
            ],
            updates: &[
                "secretsmanager:UpdateSecret",
                "secretsmanager:TagResource",
                "secretsmanager:UntagResource",
            ],
            deletes: &[
                "secretsmanager:DeleteSecret",
                "secretsmanager:DescribeSecret",
            ],
        },
        // UpdateSecret with the description and no value (no new version).
        in_place: InPlace::Only(&["description"]),
        ..row(SecretsmanagerSecret, "secretsmanager")
    },
    KindSpec {
        replace_on: &["path"],
        name_rule: Some(rule(64, "letters, digits and +=,.@_-", iam_chars)),
        create_seconds: 5.0,
        reads: Reads::listed_twice(
            &[("iam", "ListRoles")],
            "GetAccountAuthorizationDetails carries every role's tags, trust policy, inline and \
             attached policies but not its description, which only ListRoles (or GetRole per \
             role) carries",
        ),
        permissions: IAM_ROLE_FAMILY,
        // UpdateRole, UpdateAssumeRolePolicy, Put/DeleteRolePolicy.
        in_place: InPlace::Only(&["assumeRolePolicy", "description", "inlinePolicies"]),
        ..row(IamRole, "iam")
    },
    KindSpec {
        replace_on: &["role", "policyArn"],
        tagging: Tagging::Untagged {
            identity: &["role", "policyArn"],
        },
        permissions: IAM_ROLE_FAMILY,
        ..row(IamRolePolicyAttachment, "iam")
    },
    KindSpec {
        replace_on: &["url"],
        create_seconds: 5.0,
        reads: Reads::per_resource(
            &[("iam", "GetOpenIDConnectProvider")],
            "ListOpenIDConnectProviders gives ARNs only (no URL, client ids or tags), and IAM has \
             no batch read of providers",
        ),
        permissions: Permissions {
            reads: &["iam:GetOpenIDConnectProvider"],
            creates: &[
                "iam:CreateOpenIDConnectProvider",
                "iam:TagOpenIDConnectProvider",
            ],
            updates: &["iam:TagOpenIDConnectProvider"],
            deletes: &["iam:DeleteOpenIDConnectProvider"],
        },
        // Add/RemoveClientIDToOpenIDConnectProvider.
        in_place: InPlace::Only(&["clientIdList"]),
        ..row(IamOidcProvider, "iam")
    },
    KindSpec {
        // IAM has no call that moves an instance profile to another path (botocore `iam`:
        // CreateInstanceProfile takes `Path`; no UpdateInstanceProfile exists).
        replace_on: &["path"],
        name_rule: Some(rule(128, "letters, digits and +=,.@_-", iam_chars)),
        create_seconds: 5.0,
        reads: Reads::per_resource(
            &[("iam", "GetInstanceProfile")],
            "ListInstanceProfiles does not return tags (IAM API reference: \"IAM resource-listing \
             operations return a subset of the available attributes\"), and only the tags say a \
             profile is the blueprint's; one GetInstanceProfile per profile with its name prefix",
        ),
        permissions: Permissions {
            reads: &["iam:ListInstanceProfiles", "iam:GetInstanceProfile"],
            creates: &[
                "iam:CreateInstanceProfile",
                "iam:TagInstanceProfile",
                "iam:AddRoleToInstanceProfile",
                "iam:PassRole",
            ],
            updates: &[
                "iam:AddRoleToInstanceProfile",
                "iam:RemoveRoleFromInstanceProfile",
                "iam:TagInstanceProfile",
                "iam:UntagInstanceProfile",
                "iam:PassRole",
            ],
            deletes: &[
                "iam:RemoveRoleFromInstanceProfile",
                "iam:DeleteInstanceProfile",
            ],
        },
        // RemoveRoleFromInstanceProfile, then AddRoleToInstanceProfile.
        in_place: InPlace::Only(&["role"]),
        ..row(IamInstanceProfile, "iam")
    },
    KindSpec {
        // ModifyLaunchTemplate changes only which version is the default; no call renames a
        // template (botocore `ec2` model: LaunchTemplateName identifies it there).
        replace_on: &["name"],
        // botocore `ec2` model, LaunchTemplateName: 3 to 128 characters of `[a-zA-Z0-9\(\)\.\-/_]`.
        name_rule: Some(rule(
            128,
            "letters, digits and ().-/_",
            launch_template_chars,
        )),
        reads: Reads::per_resource(
            &[("ec2", "DescribeLaunchTemplateVersions")],
            "DescribeLaunchTemplates gives a template's name, tags and version numbers but not \
             what it launches; DescribeLaunchTemplateVersions takes one template for its default \
             version's data",
        ),
        permissions: Permissions {
            reads: &[
                "ec2:DescribeLaunchTemplates",
                "ec2:DescribeLaunchTemplateVersions",
            ],
            // ssm:GetParameter: an image named by a parameter (`resolve:ssm:`) is looked up for
            // its root device.
            creates: &[
                "ec2:DescribeImages",
                "ssm:GetParameter",
                "ec2:CreateLaunchTemplate",
                "ec2:CreateTags",
            ],
            updates: &[
                "ec2:DescribeImages",
                "ssm:GetParameter",
                "ec2:CreateLaunchTemplateVersion",
                "ec2:ModifyLaunchTemplate",
                "ec2:CreateTags",
                "ec2:DeleteTags",
            ],
            deletes: &["ec2:DeleteLaunchTemplate"],
        },
        // A template's versions are immutable: a change of what it launches is a new version
        // (CreateLaunchTemplateVersion with all of it), made the default (ModifyLaunchTemplate).
        in_place: InPlace::Only(&[
            "imageId",
            "instanceType",
            "instanceProfile",
            "securityGroups",
            "rootVolumeGib",
            "userData",
            "metadataHopLimit",
        ]),
        // A change of the template data is a new version made the default.
        updated_attributes: &["defaultVersion", "latestVersion"],
        ..row(LaunchTemplate, "ec2")
    },
    KindSpec {
        // A fixed server keeps files on its root volume (issue 14: replacing one is data loss).
        holds_data: true,
        // An instance's launch template version and subnet are fixed at launch (no Modify… call
        // takes them); its type changes only while it is stopped (ModifyInstanceAttribute
        // refuses a running instance), which shinyctl does not do to a server that serves.
        replace_on: &[
            "launchTemplate",
            "launchTemplateVersion",
            "subnet",
            "instanceType",
        ],
        // Published `terraform apply` logs of `aws_instance`: "Creation complete after" 12-42 s,
        // "Destruction complete after" 20-31 s (tests/emulator/shinyemu/ec2_instances.py).
        create_seconds: 30.0,
        delete_seconds: 30.0,
        permissions: Permissions {
            reads: &["ec2:DescribeInstances"],
            creates: &[
                "ec2:RunInstances",
                "ec2:CreateTags",
                // The launch template's instance profile hands its role to the instance.
                "iam:PassRole",
                // A template's `resolve:ssm:` image is resolved with the caller's rights ("Use a
                // Systems Manager parameter instead of an AMI ID", EC2 user guide).
                "ssm:GetParameters",
            ],
            updates: &["ec2:CreateTags", "ec2:DeleteTags"],
            deletes: &["ec2:TerminateInstances"],
        },
        // A group's servers are replaced one at a time, so the others keep serving.
        rolls_by: Some("launchTemplate"),
        ..row(Ec2Instance, "ec2")
    },
    KindSpec {
        // Subnets and security groups are updatable in place since October 2023
        // (UpdateClusterConfig); the role is not.
        replace_on: &["role"],
        name_rule: Some(rule(100, EKS_CHARSET, eks_chars)),
        create_seconds: 600.0,
        delete_seconds: 300.0,
        reads: Some(Reads {
            further_listing: &[("eks", "DescribeClusterVersions")],
            per_resource: &[
                ("eks", "DescribeCluster"),
                ("eks", "ListNodegroups"),
                ("eks", "ListFargateProfiles"),
                ("eks", "ListAddons"),
            ],
            why: "ListClusters gives names only and EKS has no batch describe; a cluster's node \
                  groups, Fargate profiles and add-ons are listed per cluster (each list takes \
                  one cluster name); the version check asks EKS which Kubernetes versions it \
                  supports",
        }),
        prices: Prices::once(1),
        permissions: Permissions {
            reads: &["eks:DescribeCluster", "eks:DescribeUpdate"],
            creates: &["eks:CreateCluster", "eks:TagResource", "iam:PassRole"],
            updates: &[
                "eks:UpdateClusterConfig",
                "eks:UpdateClusterVersion",
                "eks:TagResource",
                "eks:UntagResource",
            ],
            deletes: &["eks:DeleteCluster"],
        },
        // UpdateClusterVersion, UpdateClusterConfig (one update at a time).
        in_place: InPlace::Only(&[
            "version",
            "logging",
            "endpointPublicAccess",
            "endpointPrivateAccess",
            "publicAccessCidrs",
            "subnets",
            "securityGroups",
        ]),
        ..row(EksCluster, "eks")
    },
    KindSpec {
        // A profile does not move to another cluster.
        replace_on: &["cluster", "selectors", "subnets", "podExecutionRole"],
        name_rule: Some(rule(63, EKS_CHARSET, eks_chars)),
        create_seconds: 120.0,
        delete_seconds: 120.0,
        // EKS rejects a Fargate-profile operation while another runs on the same cluster.
        serialise: Some(Serialise {
            scope: "eks-fargate-profiles",
            by: "cluster",
        }),
        reads: Reads::per_resource(
            &[("eks", "DescribeFargateProfile")],
            "ListFargateProfiles gives names only",
        ),
        permissions: Permissions {
            reads: &["eks:DescribeFargateProfile"],
            creates: &[
                "eks:CreateFargateProfile",
                "eks:TagResource",
                "iam:PassRole",
            ],
            updates: &["eks:TagResource", "eks:UntagResource"],
            deletes: &["eks:DeleteFargateProfile"],
        },
        ..row(FargateProfile, "eks")
    },
    KindSpec {
        // A node group does not move to another cluster.
        replace_on: &[
            "cluster",
            "instanceTypes",
            "subnets",
            "diskSizeGib",
            "capacityType",
            "nodeRole",
        ],
        name_rule: Some(rule(63, EKS_CHARSET, eks_chars)),
        create_seconds: 150.0,
        delete_seconds: 150.0,
        reads: Reads::per_resource(
            &[
                ("eks", "DescribeNodegroup"),
                ("ec2", "DescribeLaunchTemplateVersions"),
            ],
            "ListNodegroups gives names only; the node group's security groups and disk size are \
             in its launch template, and DescribeLaunchTemplateVersions takes one template",
        ),
        // An instance type and its EBS disk each.
        prices: Prices {
            per_resource: 1,
            per_kind: 1,
        },
        permissions: Permissions {
            reads: &["eks:DescribeNodegroup", "ec2:DescribeLaunchTemplates"],
            creates: &[
                "eks:CreateNodegroup",
                "eks:TagResource",
                "iam:PassRole",
                "ec2:CreateLaunchTemplate",
                "ec2:CreateTags",
            ],
            updates: &[
                "eks:UpdateNodegroupConfig",
                "eks:UpdateNodegroupVersion",
                "ec2:CreateLaunchTemplateVersion",
                "eks:TagResource",
            ],
            deletes: &["eks:DeleteNodegroup", "ec2:DeleteLaunchTemplate"],
        },
        // UpdateNodegroupConfig.
        in_place: InPlace::Only(&["scaling", "labels", "securityGroups"]),
        ..row(NodeGroup, "eks")
    },
    KindSpec {
        // The cluster and which add-on; version and role change in place (UpdateAddon).
        replace_on: &["cluster", "addonName"],
        // EKS's `UpdateAddon` takes a role ARN of at least one character (botocore's `RoleArn`,
        // min 1), so no call unbinds an add-on's role (the Terraform AWS provider's issue
        // #30645 meets the same wall).
        replace_when_removed: &["serviceAccountRoleArn"],
        // Until the add-on's pods run on the nodes: about a minute.
        create_seconds: 60.0,
        delete_seconds: 30.0,
        reads: Reads::per_resource(&[("eks", "DescribeAddon")], "ListAddons gives names only"),
        permissions: Permissions {
            reads: &["eks:DescribeAddon", "eks:ListAddons"],
            creates: &["eks:CreateAddon", "eks:TagResource", "iam:PassRole"],
            updates: &["eks:UpdateAddon", "eks:TagResource"],
            deletes: &["eks:DeleteAddon"],
        },
        // UpdateAddon.
        in_place: InPlace::Only(&["serviceAccountRoleArn", "configurationValues"]),
        ..row(EksAddon, "eks")
    },
    KindSpec {
        holds_data: true,
        replace_on: &["encrypted", "performanceMode"],
        create_seconds: 6.0,
        delete_seconds: 6.0,
        permissions: EFS_FILE_SYSTEM_FAMILY,
        // UpdateFileSystem.
        in_place: InPlace::Only(&["throughputMode"]),
        ..row(EfsFileSystem, "efs")
    },
    KindSpec {
        replace_on: &["fileSystem", "subnet"],
        tagging: Tagging::Untagged {
            identity: &["fileSystem", "subnet"],
        },
        create_seconds: 60.0,
        delete_seconds: 60.0,
        reads: Reads::per_resource(
            &[("efs", "DescribeMountTargetSecurityGroups")],
            "DescribeMountTargetSecurityGroups takes one mount target (DescribeMountTargets, the \
             kind's call, takes one file system)",
        ),
        permissions: EFS_FILE_SYSTEM_FAMILY,
        // ModifyMountTargetSecurityGroups.
        in_place: InPlace::Only(&["securityGroups"]),
        ..row(EfsMountTarget, "efs")
    },
    KindSpec {
        replace_on: &["fileSystem", "path", "uid", "gid", "permissions"],
        permissions: EFS_FILE_SYSTEM_FAMILY,
        ..row(EfsAccessPoint, "efs")
    },
    KindSpec {
        name_rule: Some(strict(255, RDS_CHARSET, alnum_hyphen)),
        permissions: DB_SUBNET_GROUP_FAMILY,
        // ModifyDBSubnetGroup.
        in_place: InPlace::Only(&["subnets", "description"]),
        ..row(DbSubnetGroup, "rds")
    },
    KindSpec {
        // A parameter group's description is fixed at create (no Modify… takes it).
        replace_on: &["family", "description"],
        name_rule: Some(strict(255, RDS_CHARSET, alnum_hyphen)),
        reads: Reads::per_resource(
            &[("rds", "DescribeDBParameters")],
            "DescribeDBParameters takes one parameter group",
        ),
        permissions: DB_SUBNET_GROUP_FAMILY,
        // ModifyDBParameterGroup, ResetDBParameterGroup.
        in_place: InPlace::Only(&["parameters"]),
        ..row(DbParameterGroup, "rds")
    },
    KindSpec {
        // As a DB parameter group's, its description is fixed at create.
        replace_on: &["family", "description"],
        name_rule: Some(strict(255, RDS_CHARSET, alnum_hyphen)),
        reads: Reads::per_resource(
            &[("rds", "DescribeDBClusterParameters")],
            "DescribeDBClusterParameters takes one parameter group",
        ),
        permissions: DB_SUBNET_GROUP_FAMILY,
        // ModifyDBClusterParameterGroup, ResetDBClusterParameterGroup.
        in_place: InPlace::Only(&["parameters"]),
        ..row(DbClusterParameterGroup, "rds")
    },
    KindSpec {
        holds_data: true,
        replace_on: &["engine", "dbName", "masterUsername", "storageEncrypted"],
        name_rule: Some(strict(63, RDS_CHARSET, alnum_hyphen)),
        // Creating, then the first automated backup before `available`.
        create_seconds: 330.0,
        delete_seconds: 180.0,
        reads: RDS_VERSION_CHECK,
        // Instance class and storage.
        prices: Prices::once(2),
        permissions: DB_INSTANCE_FAMILY,
        // ModifyDBInstance.
        in_place: InPlace::Only(&[
            "instanceClass",
            "allocatedStorage",
            "multiAz",
            "backupRetentionPeriod",
            "deletionProtection",
            "engineVersion",
            "publiclyAccessible",
            "port",
            "vpcSecurityGroups",
            "dbParameterGroup",
            "dbSubnetGroup",
            "manageMasterUserPassword",
        ]),
        ..row(DbInstance, "rds")
    },
    KindSpec {
        holds_data: true,
        // ModifyDBCluster cannot move an Aurora cluster to another subnet group.
        replace_on: &[
            "engine",
            "dbName",
            "masterUsername",
            "storageEncrypted",
            "dbSubnetGroup",
        ],
        name_rule: Some(strict(63, RDS_CHARSET, alnum_hyphen)),
        create_seconds: 120.0,
        delete_seconds: 120.0,
        reads: RDS_VERSION_CHECK,
        permissions: DB_INSTANCE_FAMILY,
        // ModifyDBCluster.
        in_place: InPlace::Only(&[
            "serverlessV2Scaling",
            "backupRetentionPeriod",
            "deletionProtection",
            "engineVersion",
            "port",
            "vpcSecurityGroups",
            "dbClusterParameterGroup",
            "manageMasterUserPassword",
        ]),
        ..row(DbCluster, "rds")
    },
    KindSpec {
        // AWS cannot move an Aurora instance to another zone: a new instance replaces it.
        replace_on: &["cluster", "engine", "availabilityZone"],
        name_rule: Some(strict(63, RDS_CHARSET, alnum_hyphen)),
        // Creating, then the first automated backup before `available`.
        create_seconds: 330.0,
        delete_seconds: 180.0,
        prices: Prices {
            per_resource: 1,
            per_kind: 0,
        },
        permissions: DB_INSTANCE_FAMILY,
        // ModifyDBInstance: what an Aurora instance has of its own.
        in_place: InPlace::Only(&["instanceClass", "publiclyAccessible"]),
        ..row(DbClusterInstance, "rds")
    },
    KindSpec {
        name_rule: Some(strict(255, ELASTICACHE_CHARSET, lower_alnum_hyphen)),
        permissions: CACHE_SUBNET_GROUP_FAMILY,
        // ModifyCacheSubnetGroup.
        in_place: InPlace::Only(&["subnets", "description"]),
        ..row(CacheSubnetGroup, "elasticache")
    },
    KindSpec {
        replace_on: &["family", "description"],
        name_rule: Some(strict(255, ELASTICACHE_CHARSET, lower_alnum_hyphen)),
        reads: Reads::per_resource(
            &[("elasticache", "DescribeCacheParameters")],
            "DescribeCacheParameters takes one parameter group",
        ),
        permissions: CACHE_SUBNET_GROUP_FAMILY,
        // ModifyCacheParameterGroup, ResetCacheParameterGroup.
        in_place: InPlace::Only(&["parameters"]),
        ..row(CacheParameterGroup, "elasticache")
    },
    KindSpec {
        holds_data: true,
        // ModifyReplicationGroup takes neither a port nor a subnet group.
        replace_on: &[
            "engine",
            "clusterMode",
            "transitEncryption",
            "atRestEncryption",
            "port",
            "cacheSubnetGroup",
        ],
        name_rule: Some(strict(40, ELASTICACHE_CHARSET, lower_alnum_hyphen)),
        create_seconds: 360.0,
        delete_seconds: 240.0,
        reads: Reads::listed_twice(
            &[
                ("elasticache", "DescribeCacheClusters"),
                ("elasticache", "DescribeCacheEngineVersions"),
            ],
            "a replication group's engine version, parameter group and security groups are on \
             its member clusters: one DescribeCacheClusters lists them all; the version check \
             lists the Redis versions ElastiCache offers",
        ),
        prices: Prices::once(1),
        permissions: CACHE_SUBNET_GROUP_FAMILY,
        // ModifyReplicationGroup; its shape with Increase/DecreaseReplicaCount and
        // ModifyReplicationGroupShardConfiguration.
        in_place: InPlace::Only(&[
            "cacheNodeType",
            "engineVersion",
            "automaticFailover",
            "multiAz",
            "securityGroups",
            "cacheParameterGroup",
            "description",
            "replicasPerNodeGroup",
            "numNodeGroups",
        ]),
        ..row(CacheReplicationGroup, "elasticache")
    },
    KindSpec {
        // Encryption is set by CreateRepository only: botocore's ecr model has no call that
        // changes it.
        replace_on: &["encryptionConfiguration"],
        name_rule: Some(rule(256, "lowercase letters, digits and -_./", ecr_chars)),
        reads: Reads::per_resource(
            &[("ecr", "GetLifecyclePolicy")],
            "GetLifecyclePolicy takes one repository, and every owned repository is asked (a \
             policy the blueprint dropped must be found to be deleted)",
        ),
        permissions: ECR_REPOSITORY_FAMILY,
        // PutImageTagMutability, PutImageScanningConfiguration.
        in_place: InPlace::Only(&["imageTagMutability", "imageScanningConfiguration"]),
        ..row(EcrRepository, "ecr")
    },
    KindSpec {
        replace_on: &["repository"],
        tagging: Tagging::Untagged {
            identity: &["repository"],
        },
        permissions: ECR_REPOSITORY_FAMILY,
        // PutLifecyclePolicy writes the whole policy.
        in_place: InPlace::Whole,
        ..row(EcrLifecyclePolicy, "ecr")
    },
    KindSpec {
        replace_on: &["type", "scheme"],
        name_rule: Some(NameRule {
            no_double_or_trailing_hyphen: true,
            ..rule(32, "letters, digits and hyphens", alnum_hyphen)
        }),
        create_seconds: 150.0,
        delete_seconds: 30.0,
        reads: Reads::per_resource(
            &[
                ("elbv2", "DescribeLoadBalancerAttributes"),
                ("elbv2", "DescribeListeners"),
            ],
            "DescribeLoadBalancerAttributes and DescribeListeners each take one load balancer",
        ),
        prices: Prices::once(2),
        permissions: LOAD_BALANCER_FAMILY,
        // SetSubnets, SetSecurityGroups, SetIpAddressType and the idle timeout attribute.
        in_place: InPlace::Only(&[
            "idleTimeoutSeconds",
            "subnets",
            "securityGroups",
            "ipAddressType",
        ]),
        ..row(LoadBalancer, "elbv2")
    },
    KindSpec {
        replace_on: &["protocol", "port", "targetType", "vpc"],
        name_rule: Some(NameRule {
            no_double_or_trailing_hyphen: true,
            ..rule(32, "letters, digits and hyphens", alnum_hyphen)
        }),
        reads: Reads::per_resource(
            &[("elbv2", "DescribeTargetGroupAttributes")],
            "DescribeTargetGroupAttributes takes one target group",
        ),
        permissions: LOAD_BALANCER_FAMILY,
        // ModifyTargetGroup, ModifyTargetGroupAttributes.
        in_place: InPlace::Only(&["healthCheck", "stickiness", "deregistrationDelaySeconds"]),
        ..row(TargetGroup, "elbv2")
    },
    KindSpec {
        replace_on: &["loadBalancer"],
        reads: Reads::per_resource(
            &[
                ("elbv2", "DescribeRules"),
                ("elbv2", "DescribeListenerAttributes"),
            ],
            "DescribeRules takes one listener, and so does DescribeListenerAttributes (read for \
             TCP listeners only: an NLB's idle timeout)",
        ),
        permissions: LOAD_BALANCER_FAMILY,
        // One ModifyListener with the whole listener; an NLB TCP listener's idle timeout with
        // ModifyListenerAttributes.
        in_place: InPlace::Only(&[
            "port",
            "protocol",
            "sslPolicy",
            "certificates",
            "defaultAction",
            "idleTimeoutSeconds",
        ]),
        ..row(Listener, "elbv2")
    },
    KindSpec {
        // A rule is known by its listener and priority (its identity): at another priority it
        // is another rule. What ModifyRule takes (conditions and actions) changes in place, so
        // a route moving to another group, or routes shifting priorities when one is added,
        // rewrite rules instead of replacing them.
        replace_on: &["listener", "priority"],
        in_place: InPlace::Only(&["pathPatterns", "hostHeaders", "action"]),
        tagging: Tagging::Untagged {
            identity: &["listener", "priority"],
        },
        permissions: LOAD_BALANCER_FAMILY,
        ..row(ListenerRule, "elbv2")
    },
    KindSpec {
        name_rule: Some(rule(256, EKS_CHARSET, eks_chars)),
        permissions: SNS_TOPIC_FAMILY,
        ..row(SnsTopic, "sns")
    },
    KindSpec {
        replace_on: &["topic", "protocol", "endpoint"],
        tagging: Tagging::Untagged {
            identity: &["topic", "protocol", "endpoint"],
        },
        permissions: SNS_TOPIC_FAMILY,
        ..row(SnsSubscription, "sns")
    },
    KindSpec {
        holds_data: true,
        name_rule: Some(rule(
            63,
            "lowercase letters, digits, hyphens and dots",
            bucket_chars,
        )),
        reads: Reads::per_resource(
            &[
                ("s3", "GetBucketVersioning"),
                ("s3", "GetBucketEncryption"),
                ("s3", "GetPublicAccessBlock"),
            ],
            "S3 reads a bucket's configuration one bucket and one aspect per call",
        ),
        permissions: Permissions {
            reads: &["s3:ListAllMyBuckets", "s3:GetBucketTagging"],
            creates: &[
                "s3:CreateBucket",
                "s3:PutBucketTagging",
                "s3:PutEncryptionConfiguration",
            ],
            updates: &["s3:PutBucketTagging", "s3:PutEncryptionConfiguration"],
            deletes: &["s3:DeleteBucket"],
        },
        // PutBucketVersioning, PutBucketEncryption, PutPublicAccessBlock.
        in_place: InPlace::Only(&["versioning", "encryption", "publicAccessBlock"]),
        ..row(S3Bucket, "s3")
    },
    KindSpec {
        replace_on: &["artifactBucket", "status"],
        // A canary in ERROR: AWS offers no way to repair it (see aws::services::synthetics).
        broken_markers: &["status"],
        // The canary name is embedded in its Lambda function name, which caps it at 21
        // characters.
        name_rule: Some(rule(
            21,
            "lowercase letters, digits, hyphens and underscores",
            canary_chars,
        )),
        // Created, then started.
        create_seconds: 90.0,
        delete_seconds: 30.0,
        reads: Reads::listed_twice(
            &[("synthetics", "DescribeRuntimeVersions")],
            "the version check asks Synthetics whether shinyctl's canary runtime is offered",
        ),
        prices: Prices::once(1),
        permissions: Permissions {
            reads: &["synthetics:DescribeCanaries", "synthetics:GetCanary"],
            creates: &[
                "synthetics:CreateCanary",
                "synthetics:StartCanary",
                "synthetics:TagResource",
                "iam:PassRole",
                "lambda:CreateFunction",
                "lambda:PublishLayerVersion",
                "lambda:PublishVersion",
            ],
            updates: &[
                "synthetics:UpdateCanary",
                "synthetics:StopCanary",
                "synthetics:StartCanary",
                "synthetics:TagResource",
            ],
            deletes: &[
                "synthetics:StopCanary",
                "synthetics:DeleteCanary",
                "lambda:DeleteFunction",
                "lambda:DeleteLayerVersion",
            ],
        },
        // UpdateCanary; StartCanary or StopCanary for startAfterCreation.
        in_place: InPlace::Only(&[
            "schedule",
            "runtimeVersion",
            "executionRole",
            "successRetentionPeriodDays",
            "failureRetentionPeriodDays",
            "target",
            "blueprint",
            "artifactPrefix",
            "startAfterCreation",
        ]),
        ..row(Canary, "synthetics")
    },
    KindSpec {
        name_rule: Some(rule(255, "printable characters", any_printable)),
        prices: Prices::once(1),
        permissions: Permissions {
            reads: &["cloudwatch:DescribeAlarms"],
            creates: &["cloudwatch:PutMetricAlarm", "cloudwatch:TagResource"],
            updates: &["cloudwatch:PutMetricAlarm", "cloudwatch:TagResource"],
            deletes: &["cloudwatch:DeleteAlarms"],
        },
        // PutMetricAlarm writes the whole alarm.
        in_place: InPlace::Whole,
        ..row(CloudWatchAlarm, "cloudwatch")
    },
    KindSpec {
        // A registration has no modify call: AWS keys it by group, target id and port (botocore
        // `elbv2` TargetDescription); Terraform's aws_lb_target_group_attachment forces a new
        // one on each of the three.
        replace_on: &["targetGroup", "target", "port"],
        tagging: Tagging::Untagged {
            identity: &["targetGroup", "target", "port"],
        },
        // Draining lasts the group's deregistration delay: AWS's default is 300 s (botocore
        // `elbv2` TargetGroupAttribute `deregistration_delay.timeout_seconds`).
        delete_seconds: 300.0,
        reads: Reads::per_resource(
            &[("elbv2", "DescribeTargetHealth")],
            "DescribeTargetHealth takes one target group: asked for each instance target group \
             the blueprint owns (the groups its attachments register in)",
        ),
        permissions: Permissions {
            reads: &[
                "elasticloadbalancing:DescribeTargetGroups",
                "elasticloadbalancing:DescribeTargetHealth",
            ],
            creates: &["elasticloadbalancing:RegisterTargets"],
            updates: &[],
            deletes: &[
                "elasticloadbalancing:DeregisterTargets",
                "elasticloadbalancing:DescribeTargetHealth",
            ],
        },
        ..row(TargetGroupAttachment, "elbv2")
    },
    KindSpec {
        // No call renames a document: UpdateDocument takes the name to find it (botocore `ssm`
        // UpdateDocumentRequest Name), as the Terraform AWS provider's aws_ssm_document forces a
        // new one on `name`.
        replace_on: &["name"],
        // botocore `ssm` DocumentName: 3 to 128 of `a-zA-Z0-9_-.`.
        name_rule: Some(rule(128, "letters, digits and _-.", ssm_chars)),
        reads: Reads::per_resource(
            &[("ssm", "GetDocument")],
            "ListDocuments gives a document's name, default version and tags but not its \
             content; GetDocument takes one document",
        ),
        permissions: Permissions {
            reads: &["ssm:ListDocuments", "ssm:GetDocument"],
            creates: &[
                "ssm:CreateDocument",
                "ssm:AddTagsToResource",
                "ssm:DescribeDocument",
                "ssm:GetDocument",
                "ssm:UpdateDocument",
                "ssm:UpdateDocumentDefaultVersion",
            ],
            updates: &[
                "ssm:UpdateDocument",
                "ssm:UpdateDocumentDefaultVersion",
                "ssm:DescribeDocument",
                "ssm:GetDocument",
                "ssm:AddTagsToResource",
                "ssm:RemoveTagsFromResource",
            ],
            deletes: &["ssm:DeleteDocument"],
        },
        // UpdateDocument writes a new version with the content and its format (DocumentVersion
        // `$LATEST`: "Systems Manager supports updating only the latest version of the
        // document", botocore UpdateDocumentRequest), UpdateDocumentDefaultVersion makes it the
        // default.
        in_place: InPlace::Only(&["content", "documentFormat"]),
        // New content is a new version made the default.
        updated_attributes: &["version"],
        ..row(SsmDocument, "ssm")
    },
    KindSpec {
        // The association's name is how the read finds it (the blueprint's prefix) and how the
        // servers name each group's: a new name is a new association. AWS could rename it
        // (UpdateAssociation AssociationName), so this is shinyctl's choice, as the rows that
        // key a resource by its derived name make it.
        replace_on: &["associationName", "lastRun"],
        // An association whose last run failed (Overview.Status `Failed`) stays so until it runs
        // again, and the plan has no "run it again" action: the reader marks it, and the plan
        // replaces it, which runs it on every target again (AWS's own re-run,
        // StartAssociationsOnce, is not a change of anything the catalog describes).
        broken_markers: &["lastRun"],
        // botocore `ssm` AssociationName: `^[a-zA-Z0-9_\-.]{3,128}$`.
        name_rule: Some(rule(128, "letters, digits and _-.", ssm_chars)),
        // State Manager sends the document to the targets, then each runs it (the emulator's
        // `ssm_association_dispatch` + `ssm_association_target`, ×60): about 15 s to start and
        // 15 s per server, one at a time.
        create_seconds: 30.0,
        reads: Reads::per_resource(
            &[("ssm", "DescribeAssociation")],
            "ListAssociations gives an association's name, document and targets but not its \
             rate controls (MaxConcurrency, MaxErrors); DescribeAssociation takes one",
        ),
        permissions: Permissions {
            reads: &[
                "ssm:ListAssociations",
                "ssm:DescribeAssociation",
                "ssm:ListTagsForResource",
            ],
            creates: &[
                "ssm:CreateAssociation",
                "ssm:AddTagsToResource",
                "ssm:ListAssociations",
                "ssm:ListTagsForResource",
                "ssm:DescribeAssociation",
                "ssm:DescribeAssociationExecutions",
                "ssm:DescribeAssociationExecutionTargets",
            ],
            // UpdateAssociation needs DescribeAssociation too (botocore `ssm` UpdateAssociation:
            // "you receive ... AccessDeniedException" without it).
            updates: &[
                "ssm:UpdateAssociation",
                "ssm:DescribeAssociation",
                "ssm:DescribeAssociationExecutions",
                "ssm:DescribeAssociationExecutionTargets",
                "ssm:AddTagsToResource",
                "ssm:RemoveTagsFromResource",
            ],
            deletes: &["ssm:DeleteAssociation"],
        },
        // UpdateAssociation writes every optional member again (AWS nulls what it leaves out)
        // and runs the association at once on its targets.
        in_place: InPlace::Only(&[
            "document",
            "documentVersion",
            "targets",
            "maxConcurrency",
            "maxErrors",
            "scheduleExpression",
        ]),
        ..row(SsmAssociation, "ssm")
    },
    KindSpec {
        // No call renames a group: every Auto Scaling call names it by AutoScalingGroupName
        // (botocore `autoscaling` UpdateAutoScalingGroupType), as the Terraform AWS provider's
        // aws_autoscaling_group (internal/service/autoscaling/group.go) forces a new one on
        // `name`. An Auto Scaling group's instances are disposable: it replaces them itself.
        replace_on: &["name"],
        name_rule: Some(rule(
            255,
            "ASCII letters, digits and punctuation but `:`",
            asg_chars,
        )),
        // No published `terraform apply` log of aws_autoscaling_group was found; the create waits
        // for its instances as aws_instance's does (12-42 s, its row above) after Auto Scaling's
        // launch activity starts them, and the delete terminates them (aws_instance: 20-31 s)
        // before the group goes.
        create_seconds: 60.0,
        delete_seconds: 60.0,
        reads: Reads::per_resource(
            &[("autoscaling", "DescribeLifecycleHooks")],
            "DescribeLifecycleHooks takes one group, and every owned group is asked (its hooks \
             are untagged, and a hook the blueprint dropped must be found to be deleted)",
        ),
        permissions: Permissions {
            reads: &[
                "autoscaling:DescribeAutoScalingGroups",
                "autoscaling:DescribeLifecycleHooks",
                "ec2:DescribeSubnets",
            ],
            // Auto Scaling launches with the caller's rights over the launch template: it needs
            // ec2:RunInstances and ec2:CreateTags for what the template launches, and
            // iam:PassRole for its instance profile's role (EC2 Auto Scaling user guide,
            // "Permissions to use launch templates"); ssm:GetParameters for a `resolve:ssm:`
            // image, as an instance's launch does. The wait reads the target groups' health
            // checks (how long it expects) and their targets' health.
            creates: &[
                "autoscaling:CreateAutoScalingGroup",
                "autoscaling:CreateOrUpdateTags",
                "autoscaling:DescribeAutoScalingGroups",
                "ec2:RunInstances",
                "ec2:CreateTags",
                "iam:PassRole",
                "ssm:GetParameters",
                "elasticloadbalancing:DescribeTargetGroups",
                "elasticloadbalancing:DescribeTargetHealth",
            ],
            updates: &[
                "autoscaling:UpdateAutoScalingGroup",
                "autoscaling:AttachLoadBalancerTargetGroups",
                "autoscaling:DetachLoadBalancerTargetGroups",
                "autoscaling:StartInstanceRefresh",
                "autoscaling:DescribeInstanceRefreshes",
                "autoscaling:DescribeAutoScalingGroups",
                // The waits name the lifecycle hooks that hold instances.
                "autoscaling:DescribeLifecycleHooks",
                "autoscaling:CreateOrUpdateTags",
                "autoscaling:DeleteTags",
                "ec2:RunInstances",
                "ec2:CreateTags",
                "iam:PassRole",
                "ssm:GetParameters",
                "elasticloadbalancing:DescribeTargetGroups",
                "elasticloadbalancing:DescribeTargetHealth",
            ],
            deletes: &[
                "autoscaling:SetInstanceProtection",
                "autoscaling:DeleteAutoScalingGroup",
                "autoscaling:DescribeAutoScalingGroups",
            ],
        },
        // UpdateAutoScalingGroup (sizes, subnets, template and version, health check; a new
        // template version then an instance refresh), Attach/DetachLoadBalancerTargetGroups.
        in_place: InPlace::Only(&[
            "launchTemplate",
            "launchTemplateVersion",
            "subnets",
            "minSize",
            "maxSize",
            "desiredCapacity",
            "targetGroups",
            "healthCheckType",
            "healthCheckGracePeriodSeconds",
            "newInstancesProtectedFromScaleIn",
        ]),
        computed: &["desiredCapacity"],
        ..row(AutoScalingGroup, "autoscaling")
    },
    KindSpec {
        // A hook belongs to its group and is named within it: DeleteLifecycleHook and
        // PutLifecycleHook take both (botocore `autoscaling`), and no call moves or renames one.
        // A hook for the other transition is another hook: PutLifecycleHook could change
        // LifecycleTransition in place ("optional when updating existing hooks"), but the
        // hook's actions on instances under way belong to the transition they started in, so
        // shinyctl replaces it (the Terraform AWS provider's aws_autoscaling_lifecycle_hook
        // forces a new one on `name` only).
        replace_on: &["name", "autoScalingGroup", "lifecycleTransition"],
        // Auto Scaling takes no tags on a hook: it is its group's (found among the groups the
        // blueprint owns) and known by the group and its name.
        tagging: Tagging::Untagged {
            identity: &["autoScalingGroup", "name"],
        },
        name_rule: Some(rule(255, "letters, digits and -_/", lifecycle_hook_chars)),
        permissions: Permissions {
            reads: &["autoscaling:DescribeLifecycleHooks"],
            creates: &["autoscaling:PutLifecycleHook"],
            updates: &["autoscaling:PutLifecycleHook"],
            deletes: &["autoscaling:DeleteLifecycleHook"],
        },
        // PutLifecycleHook with the hook's settings (it creates or updates).
        in_place: InPlace::Only(&["heartbeatTimeoutSeconds", "defaultResult"]),
        ..row(AutoScalingLifecycleHook, "autoscaling")
    },
    KindSpec {
        // No call renames a log group (botocore `logs` has none; the Terraform AWS provider's
        // aws_cloudwatch_log_group forces a new one on `name`).
        replace_on: &["name"],
        name_rule: Some(rule(512, "letters, digits and ._-/#", log_group_chars)),
        // Not data in the `--allow-data-loss` sense: an ECS service's task logs are
        // diagnostics AWS already deletes by the retention policy, and the Terraform AWS
        // provider's aws_cloudwatch_log_group deletes the group with its events by default
        // (`skip_destroy = false`). Gating every removed service and every destroy on the flag
        // would make it routine, and the flag means something only while it guards what cannot
        // be had again (databases, caches, file systems, buckets). Whoever needs the logs longer
        // exports them (CreateExportTask) or sets a longer retention before the destroy.
        holds_data: false,
        reads: Reads::per_resource(
            &[("logs", "ListTagsForResource")],
            "DescribeLogGroups carries no tags: ListTagsForResource for a desired log group the \
             tagging API's answer does not list",
        ),
        permissions: Permissions {
            reads: &["logs:DescribeLogGroups", "logs:ListTagsForResource"],
            // "To create a log group with tags, you must have the logs:CreateLogGroup and
            // logs:TagResource permissions" (botocore `logs` CreateLogGroup).
            creates: &[
                "logs:CreateLogGroup",
                "logs:TagResource",
                "logs:ListTagsForResource",
                "logs:PutRetentionPolicy",
            ],
            updates: &[
                "logs:PutRetentionPolicy",
                "logs:DeleteRetentionPolicy",
                "logs:TagResource",
                "logs:UntagResource",
            ],
            deletes: &["logs:DeleteLogGroup"],
        },
        // PutRetentionPolicy, or DeleteRetentionPolicy for "never expire".
        in_place: InPlace::Only(&["retentionDays"]),
        ..row(CloudWatchLogGroup, "logs")
    },
    KindSpec {
        // A scalable target is its service's: RegisterScalableTarget, DeregisterScalableTarget
        // and every policy name it by ServiceNamespace, ResourceId (`service/<cluster>/
        // <service>`) and ScalableDimension (botocore `application-autoscaling`); the Terraform
        // AWS provider's aws_appautoscaling_target forces a new one on `resource_id`.
        replace_on: &["cluster", "service"],
        // Scalable targets take tags since March 2023 (TagResource on ScalableTargetARN), but
        // moto 5.2.5, which the emulator extends, has no tags on them: matched to the
        // blueprint's by the service it scales (one target per service and dimension, the
        // dimension fixed: `ecs:service:DesiredCount`), among the blueprint's clusters.
        tagging: Tagging::Untagged {
            identity: &["cluster", "service"],
        },
        permissions: Permissions {
            reads: &["application-autoscaling:DescribeScalableTargets"],
            // The first registration of an ECS service makes the service-linked role
            // AWSServiceRoleForApplicationAutoScaling_ECSService ("Service-linked roles for
            // Application Auto Scaling"); registering needs the target service's read and
            // update ("Application Auto Scaling identity-based policy examples": permissions
            // for the target service and CloudWatch).
            creates: &[
                "application-autoscaling:RegisterScalableTarget",
                "iam:CreateServiceLinkedRole",
                "ecs:DescribeServices",
                "ecs:UpdateService",
            ],
            updates: &[
                "application-autoscaling:RegisterScalableTarget",
                "ecs:DescribeServices",
                "ecs:UpdateService",
            ],
            // Deregistering deletes its policies and their alarms.
            deletes: &[
                "application-autoscaling:DeregisterScalableTarget",
                "cloudwatch:DescribeAlarms",
                "cloudwatch:DeleteAlarms",
            ],
        },
        // RegisterScalableTarget "registers or updates a scalable target ... To update a
        // scalable target, specify the parameters that you want to change. Include the
        // parameters that identify the scalable target" (botocore `application-autoscaling`).
        in_place: InPlace::Only(&["minCapacity", "maxCapacity"]),
        ..row(AppAutoScalingTarget, "applicationautoscaling")
    },
    KindSpec {
        // A policy is named within its target: PutScalingPolicy and DeleteScalingPolicy take
        // the name with the target's namespace, ResourceId and dimension; no call renames or
        // moves one (the Terraform AWS provider's aws_appautoscaling_policy forces a new one on
        // `name` and `resource_id`).
        replace_on: &["name", "target"],
        // Application Auto Scaling takes no tags on a policy: it is its target's, known by the
        // target and its name.
        tagging: Tagging::Untagged {
            identity: &["target", "name"],
        },
        name_rule: Some(rule(256, "printable characters", policy_name_chars)),
        permissions: Permissions {
            reads: &["application-autoscaling:DescribeScalingPolicies"],
            // A target-tracking policy makes and changes its CloudWatch alarms ("Application
            // Auto Scaling identity-based policy examples").
            creates: &[
                "application-autoscaling:PutScalingPolicy",
                "cloudwatch:DescribeAlarms",
                "cloudwatch:PutMetricAlarm",
            ],
            updates: &[
                "application-autoscaling:PutScalingPolicy",
                "cloudwatch:DescribeAlarms",
                "cloudwatch:PutMetricAlarm",
            ],
            deletes: &[
                "application-autoscaling:DeleteScalingPolicy",
                "cloudwatch:DescribeAlarms",
                "cloudwatch:DeleteAlarms",
            ],
        },
        // PutScalingPolicy "creates or updates a scaling policy" with all of it.
        in_place: InPlace::Whole,
        ..row(AppAutoScalingPolicy, "applicationautoscaling")
    },
    KindSpec {
        // No call renames a cluster (botocore `ecs`: UpdateCluster takes the cluster, not a name).
        replace_on: &["name"],
        // botocore `ecs` CreateCluster clusterName: "Up to 255 letters (uppercase and
        // lowercase), numbers, underscores, and hyphens are allowed".
        name_rule: Some(rule(255, EKS_CHARSET, eks_chars)),
        // DeleteCluster is refused while services are active or container instances are
        // registered (ClusterContainsServicesException, ClusterContainsContainerInstancesException,
        // botocore `ecs` DeleteCluster): the step retries until they are gone.
        delete_seconds: 5.0,
        permissions: Permissions {
            reads: &["ecs:ListClusters", "ecs:DescribeClusters"],
            creates: &[
                "ecs:CreateCluster",
                "ecs:DescribeClusters",
                "ecs:TagResource",
            ],
            updates: &[
                "ecs:UpdateClusterSettings",
                "ecs:TagResource",
                "ecs:UntagResource",
            ],
            deletes: &["ecs:DeleteCluster"],
        },
        // UpdateClusterSettings.
        in_place: InPlace::Only(&["containerInsights"]),
        reads: Reads::listed_twice(
            &[("ecs", "DescribeClusters")],
            "ListClusters gives ARNs only; DescribeClusters (up to 100 at once, with TAGS and \
             SETTINGS) gives their settings and tags",
        ),
        ..row(EcsCluster, "ecs")
    },
    KindSpec {
        // UpdateCapacityProvider's AutoScalingGroupProviderUpdate has no group (botocore `ecs`).
        replace_on: &["name", "autoScalingGroup"],
        // botocore `ecs` CreateCapacityProvider name: "up to 255 characters ... letters, numbers,
        // underscores, and hyphens. The name can't be prefixed with \"aws\", \"ecs\", or
        // \"fargate\"" (the prefixes are the section builder's to avoid).
        name_rule: Some(rule(255, EKS_CHARSET, eks_chars)),
        // DeleteCapacityProvider leaves the provider DELETE_IN_PROGRESS, then INACTIVE.
        delete_seconds: 5.0,
        permissions: Permissions {
            reads: &["ecs:DescribeCapacityProviders"],
            creates: &[
                "ecs:CreateCapacityProvider",
                "ecs:DescribeCapacityProviders",
                "ecs:TagResource",
                // ECS's service-linked role manages the group for it (managed scaling and
                // termination protection: "Amazon ECS capacity providers", developer guide).
                "autoscaling:CreateOrUpdateTags",
            ],
            updates: &[
                "ecs:UpdateCapacityProvider",
                "ecs:DescribeCapacityProviders",
                "ecs:TagResource",
                "ecs:UntagResource",
            ],
            deletes: &[
                "ecs:DeleteCapacityProvider",
                "ecs:DescribeCapacityProviders",
            ],
        },
        // UpdateCapacityProvider (managed scaling, termination protection, draining).
        in_place: InPlace::Only(&[
            "managedScaling",
            "targetCapacity",
            "managedTerminationProtection",
            "managedDraining",
        ]),
        ..row(EcsCapacityProvider, "ecs")
    },
    KindSpec {
        // The cluster's own settings: ECS has no resource (or tags) for them, and one cluster has
        // one list (PutClusterCapacityProviders replaces it whole).
        replace_on: &["cluster"],
        tagging: Tagging::Untagged {
            identity: &["cluster"],
        },
        // Read with the clusters (DescribeClusters carries both lists: `READ_WITH`).
        permissions: Permissions {
            reads: &["ecs:DescribeClusters"],
            creates: &["ecs:PutClusterCapacityProviders"],
            updates: &["ecs:PutClusterCapacityProviders"],
            deletes: &["ecs:PutClusterCapacityProviders"],
        },
        in_place: InPlace::Whole,
        // "If there are tasks running on a capacity provider ... you can't remove it"
        // (PutClusterCapacityProviders): one change at a time per cluster.
        serialise: Some(Serialise {
            scope: "ecs-capacity-providers",
            by: "cluster",
        }),
        ..row(EcsClusterCapacityProviders, "ecs")
    },
    KindSpec {
        // A family is the resource: another family is another task definition.
        replace_on: &["family"],
        // botocore `ecs` RegisterTaskDefinition family: "Up to 255 letters (uppercase and
        // lowercase), numbers, underscores, and hyphens are allowed".
        name_rule: Some(rule(255, EKS_CHARSET, eks_chars)),
        reads: Reads::per_resource(
            &[("ecs", "DescribeTaskDefinition")],
            "ListTaskDefinitions gives ARNs only, and DescribeTaskDefinition (with TAGS) takes \
             one revision: one call per family of the blueprint, its latest active revision",
        ),
        permissions: Permissions {
            reads: &[
                "ecs:ListTaskDefinitionFamilies",
                "ecs:ListTaskDefinitions",
                "ecs:DescribeTaskDefinition",
            ],
            // The roles are handed to ECS (iam:PassRole, "Amazon ECS task execution IAM role").
            creates: &[
                "ecs:RegisterTaskDefinition",
                "ecs:ListTaskDefinitions",
                "ecs:DescribeTaskDefinition",
                "ecs:TagResource",
                "iam:PassRole",
            ],
            updates: &[
                "ecs:RegisterTaskDefinition",
                "ecs:ListTaskDefinitions",
                "ecs:DescribeServices",
                "ecs:DeregisterTaskDefinition",
                "ecs:TagResource",
                "iam:PassRole",
            ],
            deletes: &[
                "ecs:ListTaskDefinitions",
                "ecs:DeregisterTaskDefinition",
                "ecs:DeleteTaskDefinitions",
            ],
        },
        // Revisions are immutable: a change is RegisterTaskDefinition of the whole definition
        // (a new revision), which changes the `revisionArn` a service embeds (the resource's
        // `arn` is not the revision's: `ecs_task_definition.rs`).
        in_place: InPlace::Only(&[
            "networkMode",
            "requiresCompatibilities",
            "cpu",
            "memory",
            "executionRole",
            "taskRole",
            "containers",
        ]),
        updated_attributes: &["revisionArn"],
        ..row(EcsTaskDefinition, "ecs")
    },
    KindSpec {
        // CreateService only: UpdateService takes no name, cluster, launch type (only a
        // capacity provider strategy), load balancers only with the ECS deployment controller
        // (AWS added it in 2024; shinyctl replaces: the Terraform AWS provider's aws_ecs_service
        // forces a new service on `name`, `cluster`, `launch_type`), and networkConfiguration
        // in place.
        replace_on: &["name", "cluster", "launchType", "loadBalancers"],
        // botocore `ecs` CreateService serviceName: "Up to 255 letters (uppercase and
        // lowercase), numbers, underscores, and hyphens are allowed".
        name_rule: Some(rule(255, EKS_CHARSET, eks_chars)),
        // A service's first deployment: tasks placed, started and healthy in the target group
        // (Terraform aws_ecs_service with wait_for_steady_state: minutes); the delete scales to 0,
        // drains and waits for INACTIVE.
        create_seconds: 120.0,
        delete_seconds: 60.0,
        // Application Auto Scaling owns the count after create.
        set_at_create: &["desiredCount"],
        reads: Reads::per_resource(
            &[("ecs", "DescribeServices")],
            "ListServices gives ARNs only and takes one cluster; DescribeServices (10 at a time, \
             with TAGS) per cluster of the blueprint",
        ),
        permissions: Permissions {
            reads: &["ecs:ListServices", "ecs:DescribeServices"],
            creates: &[
                "ecs:CreateService",
                "ecs:DescribeServices",
                "ecs:TagResource",
                "ecs:ListTasks",
                "ecs:DescribeTasks",
                // ECS registers the tasks in the target group with its service-linked role.
                "elasticloadbalancing:DescribeTargetHealth",
            ],
            updates: &[
                "ecs:UpdateService",
                "ecs:DescribeServices",
                "ecs:ListTasks",
                "ecs:DescribeTasks",
                "ecs:TagResource",
                "ecs:UntagResource",
            ],
            deletes: &[
                "ecs:UpdateService",
                "ecs:DeleteService",
                "ecs:DescribeServices",
                // Until its tasks are stopped.
                "ecs:ListTasks",
                "ecs:DescribeTasks",
            ],
        },
        // UpdateService (task definition, deployment configuration, strategy, network
        // configuration, placement, health check grace period, tag propagation).
        in_place: InPlace::Only(&[
            "taskDefinition",
            "capacityProviderStrategy",
            "subnets",
            "securityGroups",
            "minimumHealthyPercent",
            "maximumPercent",
            "circuitBreaker",
            "spreadByZone",
            "healthCheckGracePeriodSeconds",
            "enableEcsManagedTags",
            "propagateTags",
        ]),
        ..row(EcsService, "ecs")
    },
    KindSpec {
        // The workload reader lists Kubernetes objects per object kind, not per this kind.
        reads: None,
        // The workload goes to the cluster with the cluster's own authentication (EKS access).
        permissions: Permissions {
            reads: &["eks:DescribeCluster"],
            creates: &[],
            updates: &[],
            deletes: &[],
        },
        ..row(KubernetesObject, "kubernetes")
    },
];

/// The IAM actions of `route_table`, `route_table_association`, `route` (one family: their adapters share calls).
const ROUTE_TABLE_FAMILY: Permissions = Permissions {
    reads: &["ec2:DescribeRouteTables"],
    creates: &[
        "ec2:CreateRouteTable",
        "ec2:CreateTags",
        "ec2:AssociateRouteTable",
        "ec2:CreateRoute",
    ],
    updates: &[
        "ec2:ReplaceRoute",
        "ec2:ReplaceRouteTableAssociation",
        "ec2:CreateTags",
    ],
    deletes: &[
        "ec2:DeleteRoute",
        "ec2:DisassociateRouteTable",
        "ec2:DeleteRouteTable",
    ],
};

/// The IAM actions of `security_group`, `security_group_rule` (one family: their adapters share calls).
const SECURITY_GROUP_FAMILY: Permissions = Permissions {
    reads: &[
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeSecurityGroupRules",
    ],
    creates: &[
        "ec2:CreateSecurityGroup",
        "ec2:CreateTags",
        "ec2:AuthorizeSecurityGroupIngress",
        "ec2:AuthorizeSecurityGroupEgress",
        "ec2:RevokeSecurityGroupEgress",
    ],
    updates: &["ec2:CreateTags", "ec2:DeleteTags"],
    deletes: &[
        "ec2:RevokeSecurityGroupIngress",
        "ec2:RevokeSecurityGroupEgress",
        "ec2:DeleteSecurityGroup",
    ],
};

/// The IAM actions of `iam_role`, `iam_role_policy_attachment` (one family: their adapters share calls).
const IAM_ROLE_FAMILY: Permissions = Permissions {
    reads: &[
        "iam:GetRole",
        "iam:ListRolePolicies",
        "iam:GetRolePolicy",
        "iam:ListAttachedRolePolicies",
    ],
    creates: &[
        "iam:CreateRole",
        "iam:TagRole",
        "iam:PutRolePolicy",
        "iam:AttachRolePolicy",
    ],
    updates: &[
        "iam:UpdateAssumeRolePolicy",
        "iam:PutRolePolicy",
        "iam:AttachRolePolicy",
        "iam:DetachRolePolicy",
        "iam:TagRole",
    ],
    deletes: &[
        "iam:ListInstanceProfilesForRole",
        "iam:DetachRolePolicy",
        "iam:DeleteRolePolicy",
        "iam:DeleteRole",
    ],
};

/// The IAM actions of `efs_file_system`, `efs_mount_target`, `efs_access_point` (one family: their adapters share calls).
const EFS_FILE_SYSTEM_FAMILY: Permissions = Permissions {
    reads: &[
        "elasticfilesystem:DescribeFileSystems",
        "elasticfilesystem:DescribeMountTargets",
        "elasticfilesystem:DescribeAccessPoints",
    ],
    creates: &[
        "elasticfilesystem:CreateFileSystem",
        "elasticfilesystem:CreateMountTarget",
        "elasticfilesystem:CreateAccessPoint",
        "elasticfilesystem:TagResource",
    ],
    updates: &[
        "elasticfilesystem:UpdateFileSystem",
        "elasticfilesystem:ModifyMountTargetSecurityGroups",
        "elasticfilesystem:TagResource",
    ],
    deletes: &[
        "elasticfilesystem:DeleteAccessPoint",
        "elasticfilesystem:DeleteMountTarget",
        "elasticfilesystem:DeleteFileSystem",
    ],
};

/// The IAM actions of `db_subnet_group`, `db_parameter_group`, `db_cluster_parameter_group` (one family: their adapters share calls).
const DB_SUBNET_GROUP_FAMILY: Permissions = Permissions {
    reads: &[
        "rds:DescribeDBSubnetGroups",
        "rds:DescribeDBParameterGroups",
    ],
    creates: &[
        "rds:CreateDBSubnetGroup",
        "rds:CreateDBParameterGroup",
        "rds:CreateDBClusterParameterGroup",
        "rds:AddTagsToResource",
    ],
    updates: &[
        "rds:ModifyDBSubnetGroup",
        "rds:ModifyDBParameterGroup",
        "rds:ModifyDBClusterParameterGroup",
        "rds:AddTagsToResource",
    ],
    deletes: &[
        "rds:DeleteDBSubnetGroup",
        "rds:DeleteDBParameterGroup",
        "rds:DeleteDBClusterParameterGroup",
    ],
};

/// The further listing of `db_instance` and `db_cluster` alike: the live plan's check of the
/// engine's version asks RDS the versions it offers.
const RDS_VERSION_CHECK: Option<Reads> = Reads::listed_twice(
    &[("rds", "DescribeDBEngineVersions")],
    "the version check lists the engine's versions RDS offers",
);

/// The IAM actions of `db_instance`, `db_cluster`, `db_cluster_instance` (one family: their adapters share calls).
const DB_INSTANCE_FAMILY: Permissions = Permissions {
    reads: &["rds:DescribeDBInstances", "rds:DescribeDBClusters"],
    creates: &[
        "rds:CreateDBInstance",
        "rds:CreateDBCluster",
        "rds:AddTagsToResource",
    ],
    updates: &[
        "rds:ModifyDBInstance",
        "rds:ModifyDBCluster",
        "rds:AddTagsToResource",
    ],
    deletes: &["rds:DeleteDBInstance", "rds:DeleteDBCluster"],
};

/// The IAM actions of `cache_subnet_group`, `cache_parameter_group`, `cache_replication_group` (one family: their adapters share calls).
const CACHE_SUBNET_GROUP_FAMILY: Permissions = Permissions {
    reads: &[
        "elasticache:DescribeReplicationGroups",
        "elasticache:DescribeCacheSubnetGroups",
        "elasticache:DescribeCacheParameterGroups",
    ],
    creates: &[
        "elasticache:CreateCacheSubnetGroup",
        "elasticache:CreateCacheParameterGroup",
        "elasticache:CreateReplicationGroup",
        "elasticache:AddTagsToResource",
    ],
    updates: &[
        "elasticache:ModifyCacheSubnetGroup",
        "elasticache:ModifyCacheParameterGroup",
        "elasticache:ModifyReplicationGroup",
        "elasticache:AddTagsToResource",
    ],
    deletes: &[
        "elasticache:DeleteReplicationGroup",
        "elasticache:DeleteCacheSubnetGroup",
        "elasticache:DeleteCacheParameterGroup",
    ],
};

/// The IAM actions of `ecr_repository`, `ecr_lifecycle_policy` (one family: their adapters share calls).
const ECR_REPOSITORY_FAMILY: Permissions = Permissions {
    reads: &["ecr:DescribeRepositories", "ecr:GetLifecyclePolicy"],
    creates: &[
        "ecr:CreateRepository",
        "ecr:TagResource",
        "ecr:PutLifecyclePolicy",
    ],
    updates: &["ecr:PutLifecyclePolicy", "ecr:TagResource"],
    deletes: &["ecr:DeleteLifecyclePolicy", "ecr:DeleteRepository"],
};

/// The IAM actions of `load_balancer`, `target_group`, `listener`, `listener_rule` (one family: their adapters share calls).
const LOAD_BALANCER_FAMILY: Permissions = Permissions {
    reads: &[
        "elasticloadbalancing:DescribeLoadBalancers",
        "elasticloadbalancing:DescribeTargetGroups",
        "elasticloadbalancing:DescribeListeners",
        "elasticloadbalancing:DescribeRules",
        "elasticloadbalancing:DescribeTags",
    ],
    creates: &[
        "elasticloadbalancing:CreateLoadBalancer",
        "elasticloadbalancing:CreateTargetGroup",
        "elasticloadbalancing:CreateListener",
        "elasticloadbalancing:CreateRule",
        "elasticloadbalancing:AddTags",
    ],
    updates: &[
        "elasticloadbalancing:ModifyLoadBalancerAttributes",
        "elasticloadbalancing:ModifyTargetGroup",
        "elasticloadbalancing:ModifyTargetGroupAttributes",
        "elasticloadbalancing:ModifyListener",
        "elasticloadbalancing:ModifyRule",
        "elasticloadbalancing:SetSecurityGroups",
        "elasticloadbalancing:SetSubnets",
    ],
    deletes: &[
        "elasticloadbalancing:DeleteRule",
        "elasticloadbalancing:DeleteListener",
        "elasticloadbalancing:DeleteTargetGroup",
        "elasticloadbalancing:DeleteLoadBalancer",
    ],
};

/// The IAM actions of `sns_topic`, `sns_subscription` (one family: their adapters share calls).
const SNS_TOPIC_FAMILY: Permissions = Permissions {
    reads: &["sns:GetTopicAttributes", "sns:ListSubscriptionsByTopic"],
    creates: &["sns:CreateTopic", "sns:TagResource", "sns:Subscribe"],
    updates: &["sns:TagResource", "sns:UntagResource"],
    deletes: &["sns:Unsubscribe", "sns:DeleteTopic"],
};

// The table is indexed by kind: its rows must follow `ResourceKind::ALL`.
const _: () = {
    assert!(SPECS.len() == ResourceKind::ALL.len());
    let mut i = 0;
    while i < SPECS.len() {
        assert!(SPECS[i].kind as usize == i);
        i += 1;
    }
};

impl KindSpec {
    /// Whether AWS lets shinyctl tag the kind.
    pub(crate) fn takes_tags(&self) -> bool {
        matches!(self.tagging, Tagging::Tagged)
    }

    /// Properties that identify a live resource found without its ownership tag among its
    /// kind's desired ones: an untagged kind's identity, else the properties that force a
    /// replacement.
    pub(crate) fn identity_keys(&self) -> &'static [&'static str] {
        match self.tagging {
            Tagging::Untagged { identity } => identity,
            Tagging::Tagged => self.replace_on,
        }
    }

    /// The key steps that must run one at a time share (see [`Serialise`]), from the step's
    /// desired properties, else its observed ones.
    pub(crate) fn serialisation_key(
        &self,
        desired: Option<&Map<String, Value>>,
        observed: Option<&Map<String, Value>>,
    ) -> Option<String> {
        let Serialise { scope, by } = self.serialise?;
        let value = desired
            .and_then(|p| p.get(by))
            .or_else(|| observed.and_then(|p| p.get(by)))
            .and_then(Value::as_str)
            .unwrap_or("");
        Some(format!("{scope}:{value}"))
    }
}

/// Accessors to the kind's row of [`SPECS`].
impl ResourceKind {
    pub fn spec(self) -> &'static KindSpec {
        &SPECS[self as usize]
    }

    pub fn service(self) -> &'static str {
        self.spec().service
    }

    pub(crate) fn holds_data(self) -> bool {
        self.spec().holds_data
    }

    #[cfg(test)]
    pub(crate) fn broken_markers(self) -> &'static [&'static str] {
        self.spec().broken_markers
    }

    pub(crate) fn replace_when_removed(self) -> &'static [&'static str] {
        self.spec().replace_when_removed
    }

    pub(crate) fn replace_on(self) -> &'static [&'static str] {
        self.spec().replace_on
    }

    /// The properties its update changes in place (the spec row's [`InPlace`] list).
    pub(crate) fn in_place(self) -> &'static [&'static str] {
        self.spec().in_place.properties()
    }

    pub(crate) fn takes_tags(self) -> bool {
        self.spec().takes_tags()
    }

    pub(crate) fn identity_keys(self) -> &'static [&'static str] {
        self.spec().identity_keys()
    }

    pub(crate) fn name_rule(self) -> Option<NameRule> {
        self.spec().name_rule
    }

    pub(crate) fn create_seconds(self) -> f64 {
        self.spec().create_seconds
    }

    pub(crate) fn delete_seconds(self) -> f64 {
        self.spec().delete_seconds
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

    #[test]
    fn every_row_is_its_kinds() {
        for kind in ResourceKind::ALL {
            assert_eq!(kind.spec().kind, *kind);
        }
    }

    /// An untagged kind is recognised by its identity alone: without one, two live resources of
    /// the kind could not be told apart, nor matched to the blueprint's.
    #[test]
    fn untagged_kinds_have_identities_that_force_a_replacement() {
        for spec in SPECS {
            if let Tagging::Untagged { identity } = spec.tagging {
                assert!(!identity.is_empty(), "{:?}", spec.kind);
                assert!(!spec.replace_on.is_empty(), "{:?}", spec.kind);
                // A change of the identity but its extra keys (a rule's priority, which AWS
                // changes in place) is a different resource.
                let extra: Vec<_> = identity
                    .iter()
                    .filter(|k| !spec.replace_on.contains(k))
                    .collect();
                assert!(extra.len() <= 1, "{:?}: {extra:?}", spec.kind);
            }
        }
        assert_eq!(
            ResourceKind::Route.identity_keys(),
            &["routeTable", "destination"]
        );
        assert_eq!(ResourceKind::Vpc.identity_keys(), &["cidr"]);
    }

    #[test]
    fn markers_and_removals_force_a_replacement_only_of_known_properties() {
        for spec in SPECS {
            for marker in spec.broken_markers {
                assert!(spec.replace_on.contains(marker), "{:?}", spec.kind);
            }
            for property in spec.replace_when_removed {
                assert!(!spec.replace_on.contains(property), "{:?}", spec.kind);
            }
            let mut sorted = spec.replace_on.to_vec();
            sorted.sort();
            sorted.dedup();
            assert_eq!(sorted.len(), spec.replace_on.len(), "{:?}", spec.kind);
        }
    }

    /// A property is changed in place or replaced on, never both, and named once.
    #[test]
    fn in_place_properties_are_not_replaced_on() {
        for spec in SPECS {
            let in_place = spec.in_place.properties();
            for property in in_place {
                assert!(
                    !spec.replace_on.contains(property),
                    "{:?}: {property}",
                    spec.kind
                );
                assert_ne!(
                    *property, "tags",
                    "{:?}: every update syncs tags",
                    spec.kind
                );
            }
            let mut sorted = in_place.to_vec();
            sorted.sort();
            sorted.dedup();
            assert_eq!(sorted.len(), in_place.len(), "{:?}", spec.kind);
        }
    }

    #[test]
    fn data_holding_kinds_are_tagged_so_ownership_is_checked() {
        for spec in SPECS.iter().filter(|s| s.holds_data) {
            assert!(spec.takes_tags(), "{:?}", spec.kind);
        }
    }

    #[test]
    fn times_are_positive_and_reads_say_why() {
        for spec in SPECS {
            assert!(spec.create_seconds > 0.0 && spec.delete_seconds > 0.0);
            if let Some(reads) = spec.reads {
                let further = !reads.per_resource.is_empty() || !reads.further_listing.is_empty();
                assert_eq!(further, !reads.why.is_empty(), "{:?}", spec.kind);
            }
        }
        let unread: Vec<_> = SPECS.iter().filter(|s| s.reads.is_none()).collect();
        assert_eq!(unread.len(), 1);
        assert_eq!(unread[0].kind, ResourceKind::KubernetesObject);
    }

    /// Keeps docs/adding-a-kind.md true: every kind is in its table with its service, and every
    /// file it names exists.
    #[test]
    fn the_guide_to_adding_a_kind_names_every_kind_and_real_files() {
        let guide = include_str!("../../docs/adding-a-kind.md");
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        for spec in SPECS {
            let row = format!("| `{}` | {} |", spec.kind.as_str(), spec.service);
            let line = guide
                .lines()
                .find(|line| line.starts_with(&row))
                .unwrap_or_else(|| panic!("no row `{row}` in docs/adding-a-kind.md"));
            let cells: Vec<&str> = line.split('|').collect();
            let (builders, adapter) = (cells[3], cells[4]);
            for file in quoted(builders).filter(|f| !f.contains('/')) {
                let path = root.join("src/plan/catalog").join(file);
                assert!(path.exists(), "{}: {}", spec.kind.as_str(), path.display());
            }
            for file in quoted(adapter).filter(|f| !f.starts_with("src/")) {
                let path = root.join("src/aws/services").join(file);
                assert!(path.exists(), "{}: {}", spec.kind.as_str(), path.display());
            }
        }
        let named: Vec<&str> = quoted(guide)
            .filter(|q| {
                ["src/", "tests/", "xtask/", "docs/"]
                    .iter()
                    .any(|top| q.starts_with(top))
            })
            .collect();
        assert!(named.len() > 10, "{named:?}");
        // A pattern (`<service>/<kind>.rs`) names no one file.
        for path in named.into_iter().filter(|p| !p.contains('<')) {
            assert!(
                root.join(path).exists(),
                "docs/adding-a-kind.md names {path}"
            );
        }
    }

    /// The `quoted` spans of markdown text.
    fn quoted(text: &str) -> impl Iterator<Item = &str> {
        text.split('`').skip(1).step_by(2)
    }

    fn properties(cluster: &str) -> Map<String, Value> {
        Map::from_iter([("cluster".to_string(), Value::from(cluster))])
    }

    #[test]
    fn fargate_profiles_serialise_per_cluster() {
        let fargate = ResourceKind::FargateProfile.spec();
        assert_eq!(
            fargate.serialisation_key(None, Some(&properties("cluster.eks"))),
            Some("eks-fargate-profiles:cluster.eks".into())
        );
        assert_eq!(
            fargate.serialisation_key(Some(&properties("a")), Some(&properties("b"))),
            Some("eks-fargate-profiles:a".into())
        );
        assert_eq!(
            fargate.serialisation_key(None, None),
            Some("eks-fargate-profiles:".into())
        );
        assert_eq!(
            ResourceKind::NodeGroup
                .spec()
                .serialisation_key(None, Some(&properties("c"))),
            None
        );
    }
}
