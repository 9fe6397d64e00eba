//! The Service Quotas a plan's creates count against, with the real quota codes, and the
//! judgement of one quota: used + created ≤ the account's value. Pure.
//!
//! Codes (Service Quotas console; AWS quota pages: "Amazon VPC quotas", "Amazon EC2 Elastic IP
//! address quotas", "Amazon EKS service quotas", "Quotas for Amazon RDS", "Quotas for your
//! Application Load Balancers" / "... Network Load Balancers"):
//!
//! | kind | quota | code |
//! |---|---|---|
//! | VPC | VPCs per Region | `vpc/L-F678F1CE` |
//! | internet gateway | Internet gateways per Region | `vpc/L-A4707A72` |
//! | NAT gateway | NAT gateways per Availability Zone | `vpc/L-FE5A380F` |
//! | Elastic IP | EC2-VPC Elastic IPs | `ec2/L-0263D0A3` |
//! | EKS cluster | Clusters | `eks/L-1194D53C` |
//! | node group | Managed node groups per cluster | `eks/L-6D54EA21` |
//! | DB instance, Aurora instance | DB instances | `rds/L-7B6409FD` |
//! | Aurora cluster | DB clusters | `rds/L-952B80B8` |
//! | ALB / NLB | Application / Network Load Balancers per Region | `elasticloadbalancing/L-53DA6B97` / `L-69A177A2` |

use std::collections::BTreeMap;

use crate::aws::doctor::Usage;
use crate::plan::{Action, Plan, Resource, ResourceKind};

/// One quota the plan needs.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Need {
    pub(crate) service: &'static str,
    pub(crate) code: &'static str,
    /// What is counted; `None` for a per-cluster quota of the blueprint's own cluster, whose
    /// members are all the blueprint's (the desired count is the whole use).
    pub(crate) usage: Option<Usage>,
    /// What the plan creates, per availability zone for NAT gateways (else under `""`); for a
    /// per-cluster quota, how many the cluster will have.
    pub(crate) creates: BTreeMap<String, u64>,
}

fn quota_of(
    kind: ResourceKind,
    desired: &Resource,
) -> Option<(&'static str, &'static str, Option<Usage>)> {
    use ResourceKind as K;
    Some(match kind {
        K::Vpc => ("vpc", "L-F678F1CE", Some(Usage::Vpcs)),
        K::InternetGateway => ("vpc", "L-A4707A72", Some(Usage::InternetGateways)),
        K::NatGateway => ("vpc", "L-FE5A380F", Some(Usage::NatGatewaysPerZone)),
        K::ElasticIp => ("ec2", "L-0263D0A3", Some(Usage::ElasticIps)),
        K::EksCluster => ("eks", "L-1194D53C", Some(Usage::EksClusters)),
        K::NodeGroup => ("eks", "L-6D54EA21", None),
        K::DbInstance | K::DbClusterInstance => ("rds", "L-7B6409FD", Some(Usage::DbInstances)),
        K::DbCluster => ("rds", "L-952B80B8", Some(Usage::DbClusters)),
        K::LoadBalancer => {
            if desired.properties.get("type").and_then(|t| t.as_str()) == Some("network") {
                (
                    "elasticloadbalancing",
                    "L-69A177A2",
                    Some(Usage::NetworkLoadBalancers),
                )
            } else {
                (
                    "elasticloadbalancing",
                    "L-53DA6B97",
                    Some(Usage::ApplicationLoadBalancers),
                )
            }
        }
        _ => return None,
    })
}

/// The zone of the subnet a desired resource names (`subnet`: a subnet's address).
fn zone_of(resource: &Resource, desired: &[Resource]) -> String {
    let subnet = resource.properties.get("subnet").and_then(|s| s.as_str());
    desired
        .iter()
        .find(|r| Some(r.address.as_str()) == subnet)
        .and_then(|s| s.properties.get("availabilityZone"))
        .and_then(|z| z.as_str())
        .unwrap_or("")
        .to_string()
}

/// The quotas `plan` needs (creates and replaces count; a replace creates before the old one
/// is gone only for some kinds, so it is counted as a create).
pub(crate) fn needs(plan: &Plan, desired: &[Resource]) -> Vec<Need> {
    let mut out: Vec<Need> = Vec::new();
    for change in &plan.changes {
        let Some(resource) = desired.iter().find(|r| r.address == change.address) else {
            continue;
        };
        let Some((service, code, usage)) = quota_of(change.kind, resource) else {
            continue;
        };
        let counts = match (usage, change.action) {
            // A per-cluster quota: every desired member counts.
            (None, Action::Delete) => false,
            (None, _) => true,
            (Some(_), action) => matches!(action, Action::Create | Action::Replace),
        };
        if !counts {
            continue;
        }
        let zone = if usage == Some(Usage::NatGatewaysPerZone) {
            zone_of(resource, desired)
        } else {
            String::new()
        };
        let need = match out
            .iter_mut()
            .find(|n| n.code == code && n.service == service)
        {
            Some(need) => need,
            None => {
                out.push(Need {
                    service,
                    code,
                    usage,
                    creates: BTreeMap::new(),
                });
                out.last_mut().expect("just pushed")
            }
        };
        *need.creates.entry(zone).or_default() += 1;
    }
    out
}

/// Where a quota would be exceeded: (zone or "", used, created, total) for every zone whose
/// total passes `value`.
pub(crate) fn exceeded(
    need: &Need,
    used: &BTreeMap<String, u64>,
    value: f64,
) -> Vec<(String, u64, u64, u64)> {
    need.creates
        .iter()
        .filter_map(|(zone, created)| {
            let in_use = used.get(zone).copied().unwrap_or(0);
            let total = in_use + created;
            (total as f64 > value).then(|| (zone.clone(), in_use, *created, total))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{ObservedState, diff};

    #[test]
    fn a_first_apply_of_the_example_needs_these_quotas() {
        let loaded = crate::load::shipped("shinyproxy-eks.yaml");
        let plan = diff(
            &loaded.resources,
            &ObservedState::empty("analytics", "cn-northwest-1"),
        );
        let needs = needs(&plan, &loaded.resources);
        let code = |c: &str| {
            needs
                .iter()
                .find(|n| n.code == c)
                .map(|n| n.creates.clone())
        };
        assert_eq!(
            code("L-F678F1CE"),
            Some(BTreeMap::from([(String::new(), 1)]))
        );
        let nat = code("L-FE5A380F").expect("NAT gateways");
        assert!(
            nat.keys().all(|zone| zone.starts_with("cn-northwest-1")),
            "{nat:?}"
        );
        assert!(code("L-1194D53C").is_some());
        assert!(code("L-53DA6B97").is_some());
    }

    #[test]
    fn per_zone_totals_are_judged_per_zone() {
        let need = Need {
            service: "vpc",
            code: "L-FE5A380F",
            usage: Some(Usage::NatGatewaysPerZone),
            creates: BTreeMap::from([("a".to_string(), 1), ("b".to_string(), 1)]),
        };
        let used = BTreeMap::from([("a".to_string(), 5)]);
        assert_eq!(
            exceeded(&need, &used, 5.0),
            vec![("a".to_string(), 5, 1, 6)]
        );
        assert!(exceeded(&need, &BTreeMap::new(), 5.0).is_empty());
    }
}
