//! The API-call budget of a no-change live plan (issue 5): **one call for each kind shinyctl
//! manages** (a plan must also find what the blueprint no longer describes, so every kind is
//! looked for, used or not), where each Kubernetes object kind the workload reader lists is a
//! kind of its own (each has its own list endpoint); **plus one page per further 100 resources
//! of a kind**; **plus the tagging API's GetResources** (one per 100 tagged resources), which
//! answers the tags of every kind it covers instead of one tag read per resource; **plus a
//! per-resource allowance only for the reads AWS offers no batch form of** ([`KINDS`] names each
//! and the reason).
//!
//! Pure std: the integration test `plan_calls` compiles this file too, so the test and the bench
//! hold a plan to the same figures.

use std::collections::BTreeMap;

/// How the reader reads one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindReads {
    /// `ResourceKind::as_str()`.
    pub kind: &'static str,
    /// The service its listing goes to, as the emulator's call log names it.
    pub service: &'static str,
    /// Listing calls beyond the kind's one, made once (per page) when the blueprint has
    /// resources of the kind: (service, action).
    pub further_listing: &'static [(&'static str, &'static str)],
    /// Calls per resource of this kind that AWS offers no batch read for: (service, action).
    pub per_resource: &'static [(&'static str, &'static str)],
    /// Why those further calls are needed ("" when there are none).
    pub why: &'static str,
}

const fn kind(kind: &'static str, service: &'static str) -> KindReads {
    KindReads {
        kind,
        service,
        further_listing: &[],
        per_resource: &[],
        why: "",
    }
}

const fn each(
    kind: &'static str,
    service: &'static str,
    per_resource: &'static [(&'static str, &'static str)],
    why: &'static str,
) -> KindReads {
    KindReads {
        kind,
        service,
        further_listing: &[],
        per_resource,
        why,
    }
}

const fn listed_twice(
    kind: &'static str,
    service: &'static str,
    further_listing: &'static [(&'static str, &'static str)],
    why: &'static str,
) -> KindReads {
    KindReads {
        kind,
        service,
        further_listing,
        per_resource: &[],
        why,
    }
}

/// Every AWS kind shinyctl manages (`ResourceKind::ALL` but `kubernetes_object`), with the
/// reads beyond its one listing call.
pub const KINDS: &[KindReads] = &[
    each(
        "vpc",
        "ec2",
        &[
            ("ec2", "DescribeVpcAttribute"),
            ("ec2", "DescribeVpcAttribute"),
        ],
        "enableDnsSupport and enableDnsHostnames: DescribeVpcAttribute takes one VPC and one \
         attribute, and DescribeVpcs does not carry them",
    ),
    listed_twice(
        "subnet",
        "ec2",
        &[("ec2", "DescribeAvailabilityZones")],
        "the subnets' zones are chosen from the zones EC2 lists for the account",
    ),
    kind("internet_gateway", "ec2"),
    kind("elastic_ip", "ec2"),
    kind("nat_gateway", "ec2"),
    kind("route_table", "ec2"),
    kind("route_table_association", "ec2"),
    kind("route", "ec2"),
    kind("security_group", "ec2"),
    listed_twice(
        "security_group_rule",
        "ec2",
        &[("ec2", "DescribeSecurityGroupRules")],
        "rules in the cluster security group EKS makes (not one of shinyctl's groups) are found \
         by their ownership tag; made only when the blueprint has such a rule",
    ),
    listed_twice(
        "iam_role",
        "iam",
        &[("iam", "ListRoles")],
        "GetAccountAuthorizationDetails carries every role's tags, trust policy, inline and \
         attached policies but not its description, which only ListRoles (or GetRole per role) \
         carries",
    ),
    kind("iam_role_policy_attachment", "iam"),
    each(
        "iam_oidc_provider",
        "iam",
        &[("iam", "GetOpenIDConnectProvider")],
        "ListOpenIDConnectProviders gives ARNs only (no URL, client ids or tags), and IAM has no \
         batch read of providers",
    ),
    KindReads {
        kind: "eks_cluster",
        service: "eks",
        further_listing: &[("eks", "DescribeClusterVersions")],
        per_resource: &[
            ("eks", "DescribeCluster"),
            ("eks", "ListNodegroups"),
            ("eks", "ListFargateProfiles"),
            ("eks", "ListAddons"),
        ],
        why: "ListClusters gives names only and EKS has no batch describe; a cluster's node groups, \
         Fargate profiles and add-ons are listed per cluster (each list takes one cluster name); \
         the version check asks EKS which Kubernetes versions it supports",
    },
    each(
        "fargate_profile",
        "eks",
        &[("eks", "DescribeFargateProfile")],
        "ListFargateProfiles gives names only",
    ),
    each(
        "node_group",
        "eks",
        &[
            ("eks", "DescribeNodegroup"),
            ("ec2", "DescribeLaunchTemplateVersions"),
        ],
        "ListNodegroups gives names only; the node group's security groups and disk size are in \
         its launch template, and DescribeLaunchTemplateVersions takes one template",
    ),
    each(
        "eks_addon",
        "eks",
        &[("eks", "DescribeAddon")],
        "ListAddons gives names only",
    ),
    kind("efs_file_system", "efs"),
    each(
        "efs_mount_target",
        "efs",
        &[("efs", "DescribeMountTargetSecurityGroups")],
        "DescribeMountTargetSecurityGroups takes one mount target (DescribeMountTargets, the \
         kind's call, takes one file system)",
    ),
    kind("efs_access_point", "efs"),
    kind("db_subnet_group", "rds"),
    each(
        "db_parameter_group",
        "rds",
        &[("rds", "DescribeDBParameters")],
        "DescribeDBParameters takes one parameter group",
    ),
    each(
        "db_cluster_parameter_group",
        "rds",
        &[("rds", "DescribeDBClusterParameters")],
        "DescribeDBClusterParameters takes one parameter group",
    ),
    listed_twice(
        "db_instance",
        "rds",
        &[("rds", "DescribeDBEngineVersions")],
        "the version check lists the engine's versions RDS offers",
    ),
    listed_twice(
        "db_cluster",
        "rds",
        &[("rds", "DescribeDBEngineVersions")],
        "the version check lists the engine's versions RDS offers",
    ),
    kind("db_cluster_instance", "rds"),
    kind("cache_subnet_group", "elasticache"),
    each(
        "cache_parameter_group",
        "elasticache",
        &[("elasticache", "DescribeCacheParameters")],
        "DescribeCacheParameters takes one parameter group",
    ),
    listed_twice(
        "cache_replication_group",
        "elasticache",
        &[
            ("elasticache", "DescribeCacheClusters"),
            ("elasticache", "DescribeCacheEngineVersions"),
        ],
        "a replication group's engine version, parameter group and security groups are on its \
         member clusters: one DescribeCacheClusters lists them all; the version check lists the \
         Redis versions ElastiCache offers",
    ),
    each(
        "ecr_repository",
        "ecr",
        &[("ecr", "GetLifecyclePolicy")],
        "GetLifecyclePolicy takes one repository, and every owned repository is asked (a \
         policy the blueprint dropped must be found to be deleted)",
    ),
    kind("ecr_lifecycle_policy", "ecr"),
    each(
        "load_balancer",
        "elbv2",
        &[
            ("elbv2", "DescribeLoadBalancerAttributes"),
            ("elbv2", "DescribeListeners"),
        ],
        "DescribeLoadBalancerAttributes and DescribeListeners each take one load balancer",
    ),
    each(
        "target_group",
        "elbv2",
        &[("elbv2", "DescribeTargetGroupAttributes")],
        "DescribeTargetGroupAttributes takes one target group",
    ),
    each(
        "listener",
        "elbv2",
        &[
            ("elbv2", "DescribeRules"),
            ("elbv2", "DescribeListenerAttributes"),
        ],
        "DescribeRules takes one listener, and so does DescribeListenerAttributes (read for TCP \
         listeners only: an NLB's idle timeout)",
    ),
    kind("listener_rule", "elbv2"),
    kind("sns_topic", "sns"),
    kind("sns_subscription", "sns"),
    each(
        "s3_bucket",
        "s3",
        &[
            ("s3", "GetBucketVersioning"),
            ("s3", "GetBucketEncryption"),
            ("s3", "GetPublicAccessBlock"),
        ],
        "S3 reads a bucket's configuration one bucket and one aspect per call",
    ),
    listed_twice(
        "canary",
        "synthetics",
        &[("synthetics", "DescribeRuntimeVersions")],
        "the version check asks Synthetics whether shinyctl's canary runtime is offered",
    ),
    kind("cloudwatch_alarm", "cloudwatch"),
];

/// The Kubernetes object kinds the workload reader lists, one list call each (read only where
/// the blueprint has a cluster).
pub const KUBERNETES_KINDS: &[&str] = &[
    "customresourcedefinitions",
    "namespaces",
    "serviceaccounts",
    "clusterroles",
    "clusterrolebindings",
    "storageclasses",
    "persistentvolumes",
    "persistentvolumeclaims",
    "roles",
    "rolebindings",
    "configmaps",
    "secrets",
    "services",
    "deployments",
    "poddisruptionbudgets",
    "networkpolicies",
    "mutatingwebhookconfigurations",
    "validatingwebhookconfigurations",
    "targetgroupbindings",
];

/// The versions of the secrets ShinyProxy reads, without their values (`aws::secrets::versions`):
/// one ListSecrets and one DescribeParameters (per 100 secrets / 50 parameters, far more than a
/// blueprint names), read where the blueprint has a cluster for the workload.
pub const SECRET_VERSION_READS: &[(&str, &str)] = &[
    ("secretsmanager", "ListSecrets"),
    ("ssm", "DescribeParameters"),
];

/// The tagging API as the emulator's call log names it.
pub const TAGGING: &str = "resourcegroupstaggingapi";

/// Resources per page of the list calls (the smallest page among them; most take more).
pub const PAGE: usize = 100;

/// The most calls a no-change live plan may make, per service.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Budget {
    pub per_service: BTreeMap<&'static str, usize>,
}

impl Budget {
    pub fn total(&self) -> usize {
        self.per_service.values().sum()
    }
}

/// The budget for a blueprint with `kind_counts` resources per kind (see the module's docs).
pub fn plan_call_budget(kind_counts: &BTreeMap<String, usize>) -> Budget {
    let mut budget = Budget::default();
    let mut add = |service: &'static str, n: usize| {
        *budget.per_service.entry(service).or_insert(0) += n;
    };
    let mut tagged = 0;
    for k in KINDS {
        let count = kind_counts.get(k.kind).copied().unwrap_or(0);
        tagged += count;
        let pages = count.saturating_sub(1) / PAGE;
        add(k.service, 1 + pages);
        if count > 0 {
            for (service, _) in k.further_listing {
                add(service, 1 + pages);
            }
        }
        for (service, _) in k.per_resource {
            add(service, count);
        }
    }
    add(TAGGING, 1 + tagged.saturating_sub(1) / PAGE);
    if kind_counts.get("eks_cluster").copied().unwrap_or(0) > 0 {
        add("kubernetes", KUBERNETES_KINDS.len());
        for (service, _) in SECRET_VERSION_READS {
            add(service, 1);
        }
    }
    // The cost estimate: one Price List `GetProducts` per product priced (src/aws/pricing.rs),
    // only while the region's price cache is cold or stale; a warm cache makes none.
    let prices: usize = PRICED
        .iter()
        .map(|(kind, per_resource, per_kind)| {
            let count = kind_counts.get(*kind).copied().unwrap_or(0);
            if count == 0 {
                0
            } else {
                per_resource * count + per_kind
            }
        })
        .sum();
    if prices > 0 {
        add("pricing", prices);
    }
    budget
}

/// Kinds the cost estimate prices: (kind, prices per resource, prices per kind).
const PRICED: &[(&str, usize, usize)] = &[
    ("eks_cluster", 0, 1),
    // An instance type and its EBS disk each.
    ("node_group", 1, 1),
    ("nat_gateway", 0, 1),
    ("elastic_ip", 0, 1),
    ("load_balancer", 0, 2),
    // Instance class and storage.
    ("db_instance", 0, 2),
    ("db_cluster_instance", 1, 0),
    ("cache_replication_group", 0, 1),
    ("cloudwatch_alarm", 0, 1),
    ("canary", 0, 1),
];

/// The kinds with reads beyond their one listing call, for the report: "kind: calls: why".
pub fn further_reads() -> Vec<String> {
    KINDS
        .iter()
        .filter(|k| !k.why.is_empty())
        .map(|k| {
            let mut calls: Vec<String> = k
                .further_listing
                .iter()
                .map(|(s, a)| format!("{s}:{a} once"))
                .collect();
            calls.extend(
                k.per_resource
                    .iter()
                    .map(|(s, a)| format!("{s}:{a} per resource")),
            );
            format!("`{}`: {} — {}", k.kind, calls.join(", "), k.why)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(pairs: &[(&str, usize)]) -> BTreeMap<String, usize> {
        pairs.iter().map(|(k, n)| (k.to_string(), *n)).collect()
    }

    #[test]
    fn every_kind_costs_one_call_even_when_unused() {
        let budget = plan_call_budget(&BTreeMap::new());
        assert_eq!(budget.total(), KINDS.len() + 1, "every kind + GetResources");
        assert_eq!(budget.per_service["ec2"], 10);
        assert_eq!(budget.per_service[TAGGING], 1);
        assert!(!budget.per_service.contains_key("kubernetes"), "no cluster");
    }

    #[test]
    fn batched_kinds_add_nothing_per_resource() {
        let budget = plan_call_budget(&counts(&[("subnet", 6), ("security_group_rule", 40)]));
        assert_eq!(
            budget.per_service["ec2"],
            10 + 2,
            "the zones and the rules in EKS's group"
        );
    }

    #[test]
    fn per_resource_reads_are_counted_in_their_services() {
        let budget = plan_call_budget(&counts(&[
            ("ecr_repository", 3),
            ("ecr_lifecycle_policy", 3),
            ("vpc", 1),
        ]));
        assert_eq!(
            budget.per_service["ecr"],
            2 + 3,
            "two kinds + one policy read each"
        );
        assert_eq!(budget.per_service["ec2"], 10 + 2, "two VPC attributes");
        let budget = plan_call_budget(&counts(&[("node_group", 2)]));
        assert_eq!(budget.per_service["ec2"], 10 + 2, "a launch template each");
        assert_eq!(budget.per_service["eks"], 4 + 2);
    }

    #[test]
    fn further_listings_count_once_and_only_when_used() {
        assert_eq!(plan_call_budget(&BTreeMap::new()).per_service["iam"], 3);
        let budget = plan_call_budget(&counts(&[("iam_role", 7)]));
        assert_eq!(
            budget.per_service["iam"],
            3 + 1,
            "ListRoles beside the details"
        );
    }

    #[test]
    fn large_kinds_add_a_page_per_further_hundred() {
        let budget = plan_call_budget(&counts(&[("ecr_repository", 250)]));
        assert_eq!(budget.per_service["ecr"], 2 + 2 + 250);
        assert_eq!(
            budget.per_service[TAGGING], 3,
            "250 tagged resources: three pages"
        );
    }

    #[test]
    fn a_cluster_brings_one_call_per_kubernetes_kind() {
        let budget = plan_call_budget(&counts(&[("eks_cluster", 1)]));
        assert_eq!(budget.per_service["kubernetes"], 19);
        // Four kinds' listings, the cluster's four per-resource reads, the version check.
        assert_eq!(budget.per_service["eks"], 4 + 4 + 1);
    }

    #[test]
    fn every_allowance_says_why() {
        for k in KINDS {
            let further = !k.per_resource.is_empty() || !k.further_listing.is_empty();
            assert_eq!(further, !k.why.is_empty(), "{}", k.kind);
        }
        assert_eq!(KINDS.len(), 40, "ResourceKind::ALL but kubernetes_object");
    }
}
