//! `network`: VPC, subnets per zone, internet gateway, NAT, route tables, routes, associations.
//!
//! Public subnets route to the internet gateway; private subnets route to a NAT gateway (their
//! zone's with `perAz`, the first zone's with `single`, none with `none`); data subnets have no
//! route out at all: databases, caches and EFS never need one.

use serde_json::json;

use super::{Catalog, addresses as a};
use crate::blueprint::model::NatGateway;
use crate::plan::{Resource, ResourceKind as K};

const ORIGIN: &str = "network";
const TIERS: [&str; 3] = ["public", "private", "data"];

pub(crate) fn build(catalog: &mut Catalog) {
    let Some(network) = catalog.network.clone() else {
        return;
    };
    let cidr = catalog
        .vpc_cidr
        .map(|c| c.to_string())
        .unwrap_or(network.cidr.clone());
    catalog.push(
        Resource::new(a::VPC, K::Vpc, catalog.names.vpc(), ORIGIN)
            .with("cidr", cidr)
            .with("enableDnsSupport", true)
            .with("enableDnsHostnames", true),
    );
    subnets(catalog);
    catalog.push(
        Resource::new(
            a::INTERNET_GATEWAY,
            K::InternetGateway,
            catalog.names.internet_gateway(),
            ORIGIN,
        )
        .with("vpc", a::VPC),
    );
    nat_gateways(catalog, network.nat_gateway);
    route_tables(catalog, network.nat_gateway);
}

fn subnets(catalog: &mut Catalog) {
    let cluster_tag = format!("kubernetes.io/cluster/{}", catalog.names.cluster());
    for zone in catalog.zones.clone() {
        for tier in TIERS {
            let cidr = match tier {
                "public" => zone.public,
                "private" => zone.private,
                _ => zone.data,
            };
            // The AWS Load Balancer Controller finds its subnets by these tags.
            let tags = match tier {
                "public" => json!({"kubernetes.io/role/elb": "1"}),
                "private" if catalog.bp.cluster.is_some() => {
                    json!({"kubernetes.io/role/internal-elb": "1", cluster_tag.clone(): "shared"})
                }
                _ => json!({}),
            };
            catalog.push(
                Resource::new(
                    a::subnet(tier, &zone.key),
                    K::Subnet,
                    catalog.names.subnet(tier, &zone.key),
                    ORIGIN,
                )
                .with("cidr", cidr.map(|c| c.to_string()))
                .with("availabilityZone", zone.name.clone())
                .with("vpc", a::VPC)
                .with("mapPublicIpOnLaunch", tier == "public")
                .with("tags", tags),
            );
        }
    }
}

/// Zones that get a NAT gateway.
fn nat_zones(catalog: &Catalog, nat: NatGateway) -> Vec<String> {
    let keys = catalog.zones.iter().map(|z| z.key.clone());
    match nat {
        NatGateway::None => Vec::new(),
        NatGateway::Single => keys.take(1).collect(),
        NatGateway::PerAz => keys.collect(),
    }
}

fn nat_gateways(catalog: &mut Catalog, nat: NatGateway) {
    for zone in nat_zones(catalog, nat) {
        catalog.push(
            Resource::new(
                a::nat_eip(&zone),
                K::ElasticIp,
                catalog.names.nat(&zone),
                ORIGIN,
            )
            .with("domain", "vpc"),
        );
        // A NAT gateway only works once the internet gateway is attached.
        catalog.push(
            Resource::new(
                a::nat_gateway(&zone),
                K::NatGateway,
                catalog.names.nat(&zone),
                ORIGIN,
            )
            .with("subnet", a::subnet("public", &zone))
            .with("allocation", a::nat_eip(&zone))
            .with("connectivity", "public")
            .after(&crate::plan::Address::new(a::INTERNET_GATEWAY)),
        );
    }
}

fn route_tables(catalog: &mut Catalog, nat: NatGateway) {
    let names = catalog.names.clone();
    catalog.push(
        Resource::new(
            a::PUBLIC_ROUTE_TABLE,
            K::RouteTable,
            names.route_table("public", None),
            ORIGIN,
        )
        .with("vpc", a::VPC),
    );
    catalog.push(
        Resource::new(
            a::PUBLIC_DEFAULT_ROUTE,
            K::Route,
            names.label("public-default"),
            ORIGIN,
        )
        .with("routeTable", a::PUBLIC_ROUTE_TABLE)
        .with("destination", "0.0.0.0/0")
        .with("target", a::INTERNET_GATEWAY),
    );
    catalog.push(
        Resource::new(
            a::DATA_ROUTE_TABLE,
            K::RouteTable,
            names.route_table("data", None),
            ORIGIN,
        )
        .with("vpc", a::VPC),
    );
    let nat_zones = nat_zones(catalog, nat);
    for zone in catalog.zones.clone() {
        let key = zone.key.as_str();
        // One private table per zone, even with a single NAT, so `single` -> `perAz` only
        // changes routes.
        catalog.push(
            Resource::new(
                a::private_route_table(key),
                K::RouteTable,
                names.route_table("private", Some(key)),
                ORIGIN,
            )
            .with("vpc", a::VPC),
        );
        let nat_zone = if nat_zones.iter().any(|z| z == key) {
            Some(key.to_string())
        } else {
            nat_zones.first().cloned()
        };
        if let Some(nat_zone) = nat_zone {
            catalog.push(
                Resource::new(
                    a::private_default_route(key),
                    K::Route,
                    names.label(&format!("private-default-{key}")),
                    ORIGIN,
                )
                .with("routeTable", a::private_route_table(key))
                .with("destination", "0.0.0.0/0")
                .with("target", a::nat_gateway(&nat_zone)),
            );
        }
        for tier in TIERS {
            let table = match tier {
                "public" => a::PUBLIC_ROUTE_TABLE.to_string(),
                "private" => a::private_route_table(key),
                _ => a::DATA_ROUTE_TABLE.to_string(),
            };
            catalog.push(
                Resource::new(
                    a::route_table_association(tier, key),
                    K::RouteTableAssociation,
                    names.label(&format!("{tier}-{key}")),
                    ORIGIN,
                )
                .with("subnet", a::subnet(tier, key))
                .with("routeTable", table),
            );
        }
    }
}
