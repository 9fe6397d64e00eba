//! The API-call budget of a no-change live plan (issue 5): **one call for each kind shinyctl
//! manages** (a plan must also find what the blueprint no longer describes, so every kind is
//! looked for, used or not), where each Kubernetes object kind the workload reader lists is a
//! kind of its own (each has its own list endpoint); **plus one page per further 100 resources
//! of a kind**; **plus the tagging API's GetResources** (one per 100 tagged resources), which
//! answers the tags of every kind it covers instead of one tag read per resource; **plus a
//! per-resource allowance only for the reads AWS offers no batch form of** (each kind's
//! spec row names them and the reason).
//!
//! The kinds and their reads are shinyctl's own spec rows (`src/plan/kind.rs`), read from the
//! binary's hidden `shinyctl kinds --json` ([`aws_kinds_from_json`]) instead of mirrored here.
//!
//! Std and serde_json only: the integration test `plan_calls` compiles this file too, so the test
//! and the bench hold a plan to the same figures.

use std::collections::BTreeMap;

use serde_json::Value;

/// How the reader reads one kind, and what pricing it costs (a row of `shinyctl kinds --json`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KindReads {
    /// `ResourceKind::as_str()`.
    pub kind: String,
    /// The service its listing goes to, as the emulator's call log names it.
    pub service: String,
    /// Listing calls beyond the kind's one, made once (per page) when the blueprint has
    /// resources of the kind: (service, action).
    pub further_listing: Vec<(String, String)>,
    /// Calls per resource of this kind that AWS offers no batch read for: (service, action).
    pub per_resource: Vec<(String, String)>,
    /// Why those further calls are needed ("" when there are none).
    pub why: String,
    /// Price List lookups (`src/aws/pricing.rs`) per resource of the kind, and once for the
    /// kind, while the region's price cache is cold or stale.
    pub prices_per_resource: usize,
    pub prices_per_kind: usize,
}

/// Every AWS kind shinyctl reads (the rows of `shinyctl kinds --json` with `reads`; the
/// workload's Kubernetes objects are counted by [`KUBERNETES_KINDS`] instead).
pub fn aws_kinds_from_json(text: &str) -> Result<Vec<KindReads>, String> {
    let rows: Value =
        serde_json::from_str(text).map_err(|e| format!("`shinyctl kinds --json`: {e}"))?;
    let rows = rows
        .as_array()
        .ok_or("`shinyctl kinds --json` is not an array")?;
    let mut kinds = Vec::new();
    for row in rows {
        let text = |value: &Value, what: &str| -> Result<String, String> {
            value
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| format!("`shinyctl kinds --json`: no {what} in {row}"))
        };
        let count = |value: &Value| value.as_u64().unwrap_or(0) as usize;
        let reads = &row["reads"];
        if reads.is_null() {
            continue;
        }
        let calls = |value: &Value| -> Result<Vec<(String, String)>, String> {
            value
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .map(|call| {
                    Ok((
                        text(&call["service"], "service")?,
                        text(&call["action"], "action")?,
                    ))
                })
                .collect()
        };
        kinds.push(KindReads {
            kind: text(&row["kind"], "kind")?,
            service: text(&row["service"], "service")?,
            further_listing: calls(&reads["furtherListing"])?,
            per_resource: calls(&reads["perResource"])?,
            why: text(&reads["why"], "why")?,
            prices_per_resource: count(&row["prices"]["perResource"]),
            prices_per_kind: count(&row["prices"]["perKind"]),
        });
    }
    Ok(kinds)
}

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
    "jobs",
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

/// Whether the images the workload pulls from the blueprint's ECR are there
/// (`aws::ecr_images`): one `DescribeImages` per repository (it takes every image id of one
/// repository; there is no form across repositories), where the blueprint has a cluster.
pub const WORKLOAD_IMAGE_READS: (&str, &str) = ("ecr", "DescribeImages");

/// The tagging API as the emulator's call log names it.
pub const TAGGING: &str = "resourcegroupstaggingapi";

/// Resources per page of the list calls (the smallest page among them; most take more).
pub const PAGE: usize = 100;

/// The most calls a no-change live plan may make, per service.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Budget {
    pub per_service: BTreeMap<String, usize>,
}

impl Budget {
    pub fn total(&self) -> usize {
        self.per_service.values().sum()
    }
}

/// The budget for a blueprint with `kind_counts` resources per kind, `kinds` being
/// [`aws_kinds_from_json`]'s (see the module's docs).
pub fn plan_call_budget(kinds: &[KindReads], kind_counts: &BTreeMap<String, usize>) -> Budget {
    let mut budget = Budget::default();
    let mut add = |service: &str, n: usize| {
        *budget.per_service.entry(service.to_string()).or_insert(0) += n;
    };
    let mut tagged = 0;
    // The cost estimate: one Price List `GetProducts` per product priced (src/aws/pricing.rs),
    // only while the region's price cache is cold or stale; a warm cache makes none.
    let mut prices = 0;
    for k in kinds {
        let count = kind_counts.get(&k.kind).copied().unwrap_or(0);
        tagged += count;
        let pages = count.saturating_sub(1) / PAGE;
        add(&k.service, 1 + pages);
        if count > 0 {
            for (service, _) in &k.further_listing {
                add(service, 1 + pages);
            }
            prices += k.prices_per_resource * count + k.prices_per_kind;
        }
        for (service, _) in &k.per_resource {
            add(service, count);
        }
    }
    add(TAGGING, 1 + tagged.saturating_sub(1) / PAGE);
    if kind_counts.get("eks_cluster").copied().unwrap_or(0) > 0 {
        add("kubernetes", KUBERNETES_KINDS.len());
        for (service, _) in SECRET_VERSION_READS {
            add(service, 1);
        }
        let repositories = kind_counts.get("ecr_repository").copied().unwrap_or(0);
        add(WORKLOAD_IMAGE_READS.0, repositories);
    }
    if prices > 0 {
        add("pricing", prices);
    }
    budget
}

/// The kinds with reads beyond their one listing call, for the report: "kind: calls: why".
pub fn further_reads(kinds: &[KindReads]) -> Vec<String> {
    kinds
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
    use serde_json::json;

    fn counts(pairs: &[(&str, usize)]) -> BTreeMap<String, usize> {
        pairs.iter().map(|(k, n)| (k.to_string(), *n)).collect()
    }

    /// A row as `shinyctl kinds --json` prints it (the fields the budget reads).
    fn row(
        kind: &str,
        service: &str,
        further_listing: &[(&str, &str)],
        per_resource: &[(&str, &str)],
        prices: (usize, usize),
    ) -> Value {
        let calls = |calls: &[(&str, &str)]| -> Vec<Value> {
            calls
                .iter()
                .map(|(s, a)| json!({"service": s, "action": a}))
                .collect()
        };
        let why = if further_listing.is_empty() && per_resource.is_empty() {
            ""
        } else {
            "a reason"
        };
        json!({
            "kind": kind,
            "service": service,
            "reads": {
                "furtherListing": calls(further_listing),
                "perResource": calls(per_resource),
                "why": why,
            },
            "prices": {"perResource": prices.0, "perKind": prices.1},
        })
    }

    /// A few kinds in the binary's format: two EC2, one IAM, two ECR, two EKS, and the
    /// workload's objects (not read by the AWS reader).
    fn kinds() -> Vec<KindReads> {
        let rows = json!([
            row("vpc", "ec2", &[], &[("ec2", "DescribeVpcAttribute"), ("ec2", "DescribeVpcAttribute")], (0, 0)),
            row("subnet", "ec2", &[("ec2", "DescribeAvailabilityZones")], &[], (0, 0)),
            row("iam_role", "iam", &[("iam", "ListRoles")], &[], (0, 0)),
            row("ecr_repository", "ecr", &[], &[("ecr", "GetLifecyclePolicy")], (0, 0)),
            row("ecr_lifecycle_policy", "ecr", &[], &[], (0, 0)),
            row("eks_cluster", "eks", &[], &[("eks", "DescribeCluster")], (0, 1)),
            row(
                "node_group",
                "eks",
                &[],
                &[("eks", "DescribeNodegroup"), ("ec2", "DescribeLaunchTemplateVersions")],
                (1, 1),
            ),
            {"kind": "kubernetes_object", "service": "kubernetes", "reads": null},
        ]);
        aws_kinds_from_json(&rows.to_string()).expect("parses")
    }

    #[test]
    fn kinds_come_from_the_binarys_rows_but_the_unread_one() {
        let kinds = kinds();
        assert_eq!(kinds.len(), 7, "kubernetes_object is not read from AWS");
        assert_eq!(kinds[0].per_resource.len(), 2);
        assert_eq!(kinds[6].prices_per_resource, 1);
        assert!(aws_kinds_from_json("{}").is_err());
        assert!(aws_kinds_from_json(r#"[{"kind": "vpc", "reads": {}}]"#).is_err());
    }

    #[test]
    fn every_kind_costs_one_call_even_when_unused() {
        let kinds = kinds();
        let budget = plan_call_budget(&kinds, &BTreeMap::new());
        assert_eq!(budget.total(), kinds.len() + 1, "every kind + GetResources");
        assert_eq!(budget.per_service["ec2"], 2);
        assert_eq!(budget.per_service[TAGGING], 1);
        assert!(!budget.per_service.contains_key("kubernetes"), "no cluster");
        assert!(
            !budget.per_service.contains_key("pricing"),
            "nothing priced"
        );
    }

    #[test]
    fn batched_kinds_add_nothing_per_resource() {
        let budget = plan_call_budget(&kinds(), &counts(&[("subnet", 6)]));
        assert_eq!(budget.per_service["ec2"], 2 + 1, "the zones");
    }

    #[test]
    fn per_resource_reads_are_counted_in_their_services() {
        let kinds = kinds();
        let budget = plan_call_budget(
            &kinds,
            &counts(&[
                ("ecr_repository", 3),
                ("ecr_lifecycle_policy", 3),
                ("vpc", 1),
            ]),
        );
        assert_eq!(
            budget.per_service["ecr"],
            2 + 3,
            "two kinds + one policy read each"
        );
        assert_eq!(budget.per_service["ec2"], 2 + 2, "two VPC attributes");
        let budget = plan_call_budget(&kinds, &counts(&[("node_group", 2)]));
        assert_eq!(budget.per_service["ec2"], 2 + 2, "a launch template each");
        assert_eq!(budget.per_service["eks"], 2 + 2);
        assert_eq!(
            budget.per_service["pricing"],
            2 + 1,
            "an instance type each, once a disk"
        );
    }

    #[test]
    fn further_listings_count_once_and_only_when_used() {
        let kinds = kinds();
        assert_eq!(
            plan_call_budget(&kinds, &BTreeMap::new()).per_service["iam"],
            1
        );
        let budget = plan_call_budget(&kinds, &counts(&[("iam_role", 7)]));
        assert_eq!(
            budget.per_service["iam"],
            1 + 1,
            "ListRoles beside the details"
        );
    }

    #[test]
    fn large_kinds_add_a_page_per_further_hundred() {
        let budget = plan_call_budget(&kinds(), &counts(&[("ecr_repository", 250)]));
        assert_eq!(budget.per_service["ecr"], 2 + 2 + 250);
        assert_eq!(
            budget.per_service[TAGGING], 3,
            "250 tagged resources: three pages"
        );
    }

    #[test]
    fn a_cluster_brings_one_call_per_kubernetes_kind() {
        let budget = plan_call_budget(&kinds(), &counts(&[("eks_cluster", 1)]));
        assert_eq!(budget.per_service["kubernetes"], 20);
        assert_eq!(budget.per_service["eks"], 2 + 1);
        assert_eq!(budget.per_service["pricing"], 1);
    }

    #[test]
    fn a_cluster_asks_once_per_repository_whether_the_workloads_images_are_there() {
        let without = plan_call_budget(&kinds(), &counts(&[("ecr_repository", 3)]));
        let with = plan_call_budget(
            &kinds(),
            &counts(&[("ecr_repository", 3), ("eks_cluster", 1)]),
        );
        assert_eq!(with.per_service["ecr"], without.per_service["ecr"] + 3);
    }

    #[test]
    fn further_reads_name_each_call_and_why() {
        let reads = further_reads(&kinds());
        assert_eq!(reads.len(), 6);
        assert_eq!(
            reads[1],
            "`subnet`: ec2:DescribeAvailabilityZones once — a reason"
        );
    }
}
