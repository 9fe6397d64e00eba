//! `network`: VPC, subnets per zone, internet gateway, NAT, route tables, routes, associations.
//!
//! Public subnets route to the internet gateway; private subnets route to a NAT gateway (their
//! zone's with `perAz`, the first zone's with `single`, none with `none`); data subnets have no
//! route out at all: databases, caches and EFS never need one.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Catalog, addresses as a};
use crate::blueprint::model::NatGateway;
use crate::plan::{Resource, ResourceKind as K};

const ORIGIN: &str = "network";
const TIERS: [&str; 3] = ["public", "private", "data"];

/// A VPC's properties: its CIDR and the two DNS attributes (one ModifyVpcAttribute each).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct VpcProps {
    pub(crate) cidr: String,
    pub(crate) enable_dns_support: bool,
    pub(crate) enable_dns_hostnames: bool,
}

/// A subnet's properties. `cidr` is written even when the zone has none for the tier (`null`),
/// as the plan JSON always had it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SubnetProps {
    #[serde(default)]
    pub(crate) cidr: Option<String>,
    pub(crate) availability_zone: String,
    /// The VPC's address.
    pub(crate) vpc: String,
    pub(crate) map_public_ip_on_launch: bool,
}

/// An internet gateway's properties: the VPC it is attached to (in the same step).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct InternetGatewayProps {
    /// The VPC's address.
    pub(crate) vpc: String,
}

/// An Elastic IP's properties.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ElasticIpProps {
    /// `vpc` (AllocateAddress's `Domain`).
    pub(crate) domain: String,
}

/// A NAT gateway's properties.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct NatGatewayProps {
    /// The public subnet's address.
    pub(crate) subnet: String,
    /// The Elastic IP's address.
    pub(crate) allocation: String,
    /// `public` or `private` (CreateNatGateway's `ConnectivityType`).
    pub(crate) connectivity: String,
}

/// A route table's properties.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct RouteTableProps {
    /// The VPC's address.
    pub(crate) vpc: String,
}

/// A route's properties: its table and destination identify it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RouteProps {
    /// The route table's address.
    pub(crate) route_table: String,
    pub(crate) destination: String,
    /// The internet gateway's or NAT gateway's address.
    pub(crate) target: String,
}

/// A route table association's properties: the subnet and the table it points at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RouteTableAssociationProps {
    /// The subnet's address.
    pub(crate) subnet: String,
    /// The route table's address.
    pub(crate) route_table: String,
}

pub(crate) fn build(catalog: &mut Catalog) {
    let Some(network) = catalog.network.clone() else {
        return;
    };
    let cidr = catalog
        .vpc_cidr
        .map(|c| c.to_string())
        .unwrap_or(network.cidr.clone());
    catalog.push(
        Resource::new(a::VPC, K::Vpc, catalog.names.vpc(), ORIGIN).props(&VpcProps {
            cidr,
            enable_dns_support: true,
            enable_dns_hostnames: true,
        }),
    );
    subnets(catalog);
    catalog.push(
        Resource::new(
            a::INTERNET_GATEWAY,
            K::InternetGateway,
            catalog.names.internet_gateway(),
            ORIGIN,
        )
        .props(&InternetGatewayProps { vpc: a::VPC.into() }),
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
                .props(&SubnetProps {
                    cidr: cidr.map(|c| c.to_string()),
                    availability_zone: zone.name.clone(),
                    vpc: a::VPC.into(),
                    map_public_ip_on_launch: tier == "public",
                })
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
            .props(&ElasticIpProps {
                domain: "vpc".into(),
            }),
        );
        // A NAT gateway only works once the internet gateway is attached.
        catalog.push(
            Resource::new(
                a::nat_gateway(&zone),
                K::NatGateway,
                catalog.names.nat(&zone),
                ORIGIN,
            )
            .props(&NatGatewayProps {
                subnet: a::subnet("public", &zone),
                allocation: a::nat_eip(&zone),
                connectivity: "public".into(),
            })
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
        .props(&RouteTableProps { vpc: a::VPC.into() }),
    );
    catalog.push(
        Resource::new(
            a::PUBLIC_DEFAULT_ROUTE,
            K::Route,
            names.label("public-default"),
            ORIGIN,
        )
        .props(&RouteProps {
            route_table: a::PUBLIC_ROUTE_TABLE.into(),
            destination: "0.0.0.0/0".into(),
            target: a::INTERNET_GATEWAY.into(),
        }),
    );
    catalog.push(
        Resource::new(
            a::DATA_ROUTE_TABLE,
            K::RouteTable,
            names.route_table("data", None),
            ORIGIN,
        )
        .props(&RouteTableProps { vpc: a::VPC.into() }),
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
            .props(&RouteTableProps { vpc: a::VPC.into() }),
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
                .props(&RouteProps {
                    route_table: a::private_route_table(key),
                    destination: "0.0.0.0/0".into(),
                    target: a::nat_gateway(&nat_zone),
                }),
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
                .props(&RouteTableAssociationProps {
                    subnet: a::subnet(tier, key),
                    route_table: table,
                }),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::props::check_spec_fields;

    #[test]
    fn properties_structs_have_the_fields_their_specs_name() {
        check_spec_fields::<VpcProps>(K::Vpc);
        check_spec_fields::<SubnetProps>(K::Subnet);
        check_spec_fields::<InternetGatewayProps>(K::InternetGateway);
        check_spec_fields::<ElasticIpProps>(K::ElasticIp);
        check_spec_fields::<NatGatewayProps>(K::NatGateway);
        check_spec_fields::<RouteTableProps>(K::RouteTable);
        check_spec_fields::<RouteProps>(K::Route);
        check_spec_fields::<RouteTableAssociationProps>(K::RouteTableAssociation);
    }
}
