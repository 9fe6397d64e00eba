//! `network`: the VPC CIDR and its room for every subnet, availability zones, NAT.

use super::Problems;
use super::metadata::is_region;
use crate::blueprint::model::{AvailabilityZones, Blueprint, LoadBalancerType, NatGateway};
use crate::blueprint::problem::{Problem, item};
use crate::blueprint::subnets::carve;
use ipnet::Ipv4Net;

const MAX_ZONES: usize = 6;

pub(crate) fn check(bp: &Blueprint, out: &mut Problems) {
    let Some(network) = &bp.network else {
        // Defaults (10.0.0.0/16, 2 zones, one NAT) satisfy every rule below.
        return;
    };
    let zones = check_zones(bp, out);
    check_cidr(&network.cidr, zones, out);
    check_zone_count_needs(bp, zones, out);
    if network.nat_gateway == NatGateway::None {
        check_no_nat(bp, out);
    }
}

/// Checks the zone count or list and returns the number of zones.
fn check_zones(bp: &Blueprint, out: &mut Problems) -> usize {
    let Some(network) = &bp.network else {
        return 2;
    };
    let path = "network.availabilityZones";
    let region = &bp.metadata.region;
    let count = match &network.availability_zones {
        AvailabilityZones::Count(n) => usize::from(*n),
        AvailabilityZones::Names(names) => {
            for (i, name) in names.iter().enumerate() {
                let suffix = name.strip_prefix(region.as_str());
                let in_region = suffix
                    .is_some_and(|s| s.len() == 1 && s.bytes().all(|b| b.is_ascii_lowercase()));
                // A bad region is reported once, at metadata.region; the zones would only echo it.
                if !in_region && is_region(region) {
                    out.push(
                        Problem::new(
                            item(path, i),
                            format!("`{name}` is not an availability zone of {region}"),
                        )
                        .hint(format!(
                            "zones of {region} are named {region}a, {region}b, ..."
                        )),
                    );
                }
            }
            for (i, name) in names.iter().enumerate() {
                if names[..i].contains(name) {
                    out.push(
                        Problem::new(
                            item(path, i),
                            format!("availability zone `{name}` is listed twice"),
                        )
                        .hint("list each zone once"),
                    );
                }
            }
            names.len()
        }
    };
    if !(1..=MAX_ZONES).contains(&count) {
        out.push(
            Problem::new(
                path,
                format!("{count} availability zones; between 1 and {MAX_ZONES} are supported"),
            )
            .hint("2 or 3 zones are usual: enough for high availability without idle NAT gateways"),
        );
    }
    count
}

fn check_cidr(cidr: &str, zones: usize, out: &mut Problems) {
    let path = "network.cidr";
    let vpc: Ipv4Net = match cidr.parse() {
        Ok(net) => net,
        Err(_) => {
            out.push(
                Problem::new(path, format!("`{cidr}` is not a valid IPv4 CIDR"))
                    .hint("write an address and a prefix length, e.g. `10.0.0.0/16`"),
            );
            return;
        }
    };
    if vpc.trunc() != vpc {
        out.push(
            Problem::new(path, format!("`{cidr}` has host bits set")).hint(format!(
                "the network address of this block is `{}`",
                vpc.trunc()
            )),
        );
        return;
    }
    let prefix = vpc.prefix_len();
    if !(16..=24).contains(&prefix) {
        out.push(
            Problem::new(path, format!("a /{prefix} VPC is outside the supported /16 to /24"))
                .hint("AWS allows VPCs of /16 to /28, but EKS pods take VPC addresses: use /16 to /20 for a cluster, /24 at the smallest"),
        );
        return;
    }
    if (1..=MAX_ZONES).contains(&zones)
        && let Err(why) = carve(vpc, zones)
    {
        out.push(Problem::new(path, format!("`{cidr}` has no room for every subnet")).hint(why));
    }
}

/// EKS, RDS subnet groups, ALBs and Redis replicas need subnets in at least two zones.
fn check_zone_count_needs(bp: &Blueprint, zones: usize, out: &mut Problems) {
    if zones != 1 {
        return;
    }
    let mut needs = Vec::new();
    if bp.cluster.is_some() {
        needs.push("the EKS cluster");
    }
    if bp.database.is_some() {
        needs.push("the database (RDS subnet groups span at least 2 zones)");
    }
    if bp.cache.as_ref().is_some_and(|c| c.replicas_per_shard > 0) {
        needs.push("the cache replicas");
    }
    if bp
        .ingress
        .as_ref()
        .is_some_and(|i| i.kind == LoadBalancerType::Alb)
    {
        needs.push("the ALB");
    }
    if needs.is_empty() {
        return;
    }
    out.push(
        Problem::new("network.availabilityZones", format!("1 availability zone is too few for {}", join_and(&needs)))
            .hint("AWS requires subnets in at least 2 availability zones for these: set `availabilityZones: 2`"),
    );
}

/// Without NAT, nodes and Fargate pods in the private subnets cannot reach ECR, the EKS API or
/// any registry: node groups fail to join after a long wait and pods never pull their images;
/// app servers cannot install nginx or reach Systems Manager. shinyctl creates no VPC endpoints,
/// so this is an error rather than a warning.
fn check_no_nat(bp: &Blueprint, out: &mut Problems) {
    let cluster_compute = bp
        .cluster
        .as_ref()
        .is_some_and(|c| !c.node_groups.is_empty() || !c.fargate_profiles.is_empty());
    // Who is left without a way out, and what each then cannot do.
    let mut stranded: Vec<(&str, &str)> = Vec::new();
    if cluster_compute {
        stranded.push((
            "the cluster's nodes and pods",
            "pull images or join the cluster",
        ));
    }
    if !bp.servers.is_empty() {
        stranded.push(("the app servers", "install nginx or reach Systems Manager"));
    }
    if bp.ecs.is_some() {
        stranded.push((
            "the ECS tasks and instances",
            "pull images or register with ECS",
        ));
    }
    if stranded.is_empty() {
        return;
    }
    let who: Vec<&str> = stranded.iter().map(|(who, _)| *who).collect();
    let what: Vec<&str> = stranded.iter().map(|(_, what)| *what).collect();
    out.push(
        Problem::new(
            "network.natGateway",
            format!(
                "`none` leaves {} in private subnets without a way out: they cannot {}",
                join_and(&who),
                what.join(", ")
            ),
        )
        .hint("use `natGateway: single` (one shared gateway) or `perAz` (one per zone, survives a zone outage)"),
    );
}

fn join_and(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{assert_one, paths_after, problems_after};
    use super::*;

    fn net(bp: &mut Blueprint) -> &mut crate::blueprint::model::Network {
        bp.network.as_mut().unwrap()
    }

    #[test]
    fn cidr_must_parse() {
        for bad in [
            "10.0.0.0",
            "10.0.0.0/33",
            "10.0.0/16",
            "ten",
            "10.0.0.256/16",
        ] {
            assert_one(
                |bp| net(bp).cidr = bad.into(),
                "network.cidr",
                "not a valid IPv4 CIDR",
            );
        }
    }

    #[test]
    fn cidr_host_bits_and_prefix() {
        assert_one(
            |bp| net(bp).cidr = "10.9.1.0/16".into(),
            "network.cidr",
            "host bits",
        );
        assert_one(
            |bp| net(bp).cidr = "10.0.0.0/8".into(),
            "network.cidr",
            "/8",
        );
        assert_one(
            |bp| net(bp).cidr = "10.0.0.0/26".into(),
            "network.cidr",
            "/26",
        );
    }

    #[test]
    fn cidr_must_hold_every_subnet() {
        // /24 over 6 zones needs /29 subnets: smaller than AWS's smallest /28.
        let found = problems_after(|bp| {
            net(bp).cidr = "10.9.0.0/24".into();
            net(bp).availability_zones = AvailabilityZones::Count(6);
        });
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0].message.contains("no room"));
        assert!(found[0].hint.as_deref().unwrap().contains("/28"));
        assert!(paths_after(|bp| net(bp).cidr = "10.9.0.0/24".into()).is_empty());
    }

    #[test]
    fn zone_count_and_names() {
        assert_one(
            |bp| net(bp).availability_zones = AvailabilityZones::Count(7),
            "network.availabilityZones",
            "7",
        );
        let names =
            |v: &[&str]| AvailabilityZones::Names(v.iter().map(|s| s.to_string()).collect());
        assert_one(
            |bp| net(bp).availability_zones = names(&["cn-northwest-1a", "us-east-1b"]),
            "network.availabilityZones[1]",
            "not an availability zone of cn-northwest-1",
        );
        assert_one(
            |bp| net(bp).availability_zones = names(&["cn-northwest-1a", "cn-northwest-1a"]),
            "network.availabilityZones[1]",
            "twice",
        );
        assert!(
            paths_after(
                |bp| net(bp).availability_zones = names(&["cn-northwest-1b", "cn-northwest-1c"])
            )
            .is_empty()
        );
    }

    #[test]
    fn one_zone_is_too_few_for_eks_rds_alb_and_replicas() {
        let found = problems_after(|bp| net(bp).availability_zones = AvailabilityZones::Count(1));
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].path, "network.availabilityZones");
        for what in ["EKS", "database", "cache replicas", "ALB"] {
            assert!(found[0].message.contains(what), "{}", found[0].message);
        }
        let minimal = paths_after(|bp| {
            net(bp).availability_zones = AvailabilityZones::Count(1);
            bp.cluster = None;
            bp.database = None;
            bp.cache = None;
            bp.ingress = None;
            bp.proxy = None;
            bp.monitoring = None;
        });
        assert!(minimal.is_empty(), "{minimal:?}");
    }

    #[test]
    fn no_nat_with_cluster_compute_is_an_error() {
        assert_one(
            |bp| net(bp).nat_gateway = NatGateway::None,
            "network.natGateway",
            "cannot pull images",
        );
    }
}
