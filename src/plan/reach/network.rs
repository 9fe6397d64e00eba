//! The planned network as the reachability check reads it: security groups and their rules,
//! subnets' CIDRs and which subnets route to the internet — from the planned resources alone,
//! plus the rules AWS gives the one group it makes itself (EKS's cluster security group).

use std::collections::{BTreeMap, BTreeSet};

use ipnet::Ipv4Net;
use serde_json::Value;

use crate::plan::catalog::addresses as a;
use crate::plan::{Resource, ResourceKind as K};

/// Where a rule lets traffic come from (ingress) or go to (egress).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Peer {
    Group(String),
    Cidr(Ipv4Net),
}

/// One security-group rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rule {
    /// The rule resource's address; `None` for a rule AWS makes (EKS's defaults).
    pub(crate) address: Option<String>,
    pub(crate) egress: bool,
    /// `tcp`, `udp` or `-1` (all traffic).
    pub(crate) protocol: String,
    pub(crate) from_port: i32,
    pub(crate) to_port: i32,
    pub(crate) peer: Peer,
}

/// A transport protocol a flow uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Protocol {
    Tcp,
    Udp,
}

impl Protocol {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
        }
    }
}

impl Rule {
    /// Whether the rule admits `protocol` on `port` (peers aside).
    pub(crate) fn admits(&self, protocol: Protocol, port: u16) -> bool {
        let all = self.protocol == "-1" || self.protocol.eq_ignore_ascii_case("all");
        let same = match protocol {
            Protocol::Tcp => matches!(self.protocol.as_str(), "tcp" | "6"),
            Protocol::Udp => matches!(self.protocol.as_str(), "udp" | "17"),
        };
        all || (same && self.from_port <= i32::from(port) && i32::from(port) <= self.to_port)
    }
}

/// The planned network.
#[derive(Debug, Clone, Default)]
pub(crate) struct Network {
    /// Rules by security group address.
    pub(crate) rules: BTreeMap<String, Vec<Rule>>,
    /// CIDR by subnet address (absent when the VPC has no room: validation reports that).
    pub(crate) subnet_cidrs: BTreeMap<String, Ipv4Net>,
    /// Subnets whose route table sends 0.0.0.0/0 to an internet gateway.
    pub(crate) internet_routed: BTreeSet<String>,
    pub(crate) vpc_cidr: Option<Ipv4Net>,
}

fn text<'r>(r: &'r Resource, key: &str) -> Option<&'r str> {
    r.properties.get(key).and_then(Value::as_str)
}

fn int(r: &Resource, key: &str) -> i32 {
    r.properties
        .get(key)
        .and_then(Value::as_i64)
        .and_then(|n| i32::try_from(n).ok())
        .unwrap_or(-1)
}

/// The strings of an array property (`securityGroups`, `subnets`).
pub(crate) fn strings(r: &Resource, key: &str) -> Vec<String> {
    match r.properties.get(key) {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

impl Network {
    pub(crate) fn of(resources: &[Resource]) -> Network {
        let mut net = Network::default();
        for r in resources {
            match r.kind {
                K::SecurityGroup => {
                    net.rules.entry(r.address.0.clone()).or_default();
                }
                K::SecurityGroupRule => {
                    let (Some(group), Some(source)) = (text(r, "securityGroup"), text(r, "source"))
                    else {
                        continue;
                    };
                    let peer = if text(r, "sourceType") == Some("securityGroup") {
                        Peer::Group(source.to_string())
                    } else {
                        match source.parse::<Ipv4Net>() {
                            Ok(cidr) => Peer::Cidr(cidr),
                            Err(_) => continue,
                        }
                    };
                    net.rules.entry(group.to_string()).or_default().push(Rule {
                        address: Some(r.address.0.clone()),
                        egress: text(r, "direction") == Some("egress"),
                        protocol: text(r, "protocol").unwrap_or("-1").to_string(),
                        from_port: int(r, "fromPort"),
                        to_port: int(r, "toPort"),
                        peer,
                    });
                }
                // EKS makes its cluster security group with these rules: all traffic in from
                // itself, all traffic out (EKS user guide, "View Amazon EKS security group
                // requirements for clusters", default cluster security group).
                K::EksCluster => {
                    let group = net.rules.entry(a::EKS_MADE_SG.to_string()).or_default();
                    for egress in [false, true] {
                        group.push(Rule {
                            address: None,
                            egress,
                            protocol: "-1".into(),
                            from_port: -1,
                            to_port: -1,
                            peer: if egress {
                                Peer::Cidr(Ipv4Net::default())
                            } else {
                                Peer::Group(a::EKS_MADE_SG.to_string())
                            },
                        });
                    }
                }
                K::Subnet => {
                    if let Some(cidr) = text(r, "cidr").and_then(|c| c.parse().ok()) {
                        net.subnet_cidrs.insert(r.address.0.clone(), cidr);
                    }
                }
                K::Vpc => net.vpc_cidr = text(r, "cidr").and_then(|c| c.parse().ok()),
                _ => {}
            }
        }
        net.internet_routed = internet_routed(resources);
        net
    }
}

/// Subnets associated with a route table that has a 0.0.0.0/0 route to an internet gateway.
fn internet_routed(resources: &[Resource]) -> BTreeSet<String> {
    let gateways: BTreeSet<&str> = resources
        .iter()
        .filter(|r| r.kind == K::InternetGateway)
        .map(|r| r.address.as_str())
        .collect();
    let tables: BTreeSet<&str> = resources
        .iter()
        .filter(|r| r.kind == K::Route && text(r, "destination") == Some("0.0.0.0/0"))
        .filter(|r| text(r, "target").is_some_and(|t| gateways.contains(t)))
        .filter_map(|r| text(r, "routeTable"))
        .collect();
    resources
        .iter()
        .filter(|r| r.kind == K::RouteTableAssociation)
        .filter(|r| text(r, "routeTable").is_some_and(|t| tables.contains(t)))
        .filter_map(|r| text(r, "subnet").map(str::to_string))
        .collect()
}
