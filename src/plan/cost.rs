//! The plan's monthly cost estimate, as Infracost makes one but from the plan itself: what each
//! resource costs a month before and after the plan, the total, and the change. Pure: prices come
//! in as a [`PriceBook`] (the AWS Price List Query API's answers, read by `src/aws/pricing.rs`, or
//! the table shipped in [`table`]); this module only says which prices a plan needs
//! ([`needed`]), how to find each in the Price List ([`PriceKey::query`]), how to read a Price
//! List product ([`read_product`]) and what the plan costs with them ([`estimate`]).
//!
//! Only what is fixed by the blueprint is priced: hours of clusters, nodes, servers (fixed or in
//! Auto Scaling groups, with their root volumes), NAT gateways, load balancers, database and
//! cache instances, provisioned storage, alarms, canary runs by their schedule, ECS services'
//! Fargate tasks at their minimum count, secrets. What depends on use (data processed or
//! transferred, requests, GB stored in EFS, S3, ECR or CloudWatch Logs, EKS Fargate pods, Aurora
//! Serverless capacity, spot prices) is listed as usage-based and never guessed. On-demand
//! prices, no free tier, no savings plans.
//!
//! A resource whose price depends on another's properties (a server group's instance type is its
//! launch template's, a Fargate service's vCPU and memory its task definition's) reads them from
//! the same side of the plan; what others scale (an ECS service's desired count, an ECS-scaled
//! group's desired capacity) is priced at what the blueprint gives on both sides, so scaling is
//! never shown as the plan's change.

pub mod table;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::document::{Change, Plan};
use super::kind::ResourceKind;
use super::resource::Address;

/// Hours in a month, as AWS's Pricing Calculator and Infracost count them (8,760 / 12).
pub(crate) const HOURS_PER_MONTH: f64 = 730.0;

/// One price the estimate needs, named independently of the region.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "product", rename_all = "snake_case")]
pub(crate) enum PriceKey {
    /// An EKS cluster's hour (standard support).
    EksCluster,
    /// A Linux on-demand EC2 instance's hour (node groups).
    Instance { instance_type: String },
    /// A GB-month of gp3 EBS (node group disks).
    EbsGp3,
    /// A NAT gateway's hour (the data it processes is usage-based).
    NatGateway,
    /// An in-use public IPv4 address's hour (the Elastic IPs of NAT gateways).
    PublicIpv4,
    /// A load balancer's hour (its capacity units are usage-based).
    LoadBalancer { network: bool },
    /// An RDS or Aurora instance's hour. `engine` as the Price List names it (`MySQL`,
    /// `PostgreSQL`, `Aurora PostgreSQL`, `Aurora MySQL`).
    DbInstance {
        engine: String,
        instance_class: String,
        multi_az: bool,
    },
    /// A GB-month of RDS general purpose (gp2) storage.
    DbStorage { multi_az: bool },
    /// An ElastiCache for Redis OSS node's hour.
    CacheNode { node_type: String },
    /// A standard-resolution CloudWatch alarm's month.
    Alarm,
    /// One CloudWatch Synthetics canary run.
    CanaryRun,
    /// A Fargate (Linux, x86) task's vCPU-hour.
    FargateVcpu,
    /// A Fargate (Linux, x86) task's GB-hour of memory.
    FargateMemory,
    /// A Secrets Manager secret's month.
    Secret,
}

/// What a price is per.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Unit {
    Hour,
    GbMonth,
    Month,
    Run,
    VcpuHour,
    GbHour,
}

impl Unit {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Unit::Hour => "hour",
            Unit::GbMonth => "GB-month",
            Unit::Month => "month",
            Unit::Run => "run",
            Unit::VcpuHour => "vCPU-hour",
            Unit::GbHour => "GB-hour",
        }
    }
}

/// How to find a price in the Price List: `GetProducts` for `service_code` with `TERM_MATCH`
/// filters (the caller adds `regionCode`), then the product whose `usagetype` ends with
/// `usage_type_suffix` (usage types carry a region prefix, `USE1-NatGateway-Hours`, so they are
/// matched by their end; Infracost matches them the same way).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Query {
    pub(crate) service_code: &'static str,
    pub(crate) filters: Vec<(&'static str, String)>,
    pub(crate) usage_type_suffix: Option<&'static str>,
    pub(crate) unit: Unit,
}

impl PriceKey {
    /// The Price List product this price is: service codes, product families and attribute names
    /// as the Price List spells them (AWS Price List Query API user guide; the attribute filters
    /// Infracost uses for the same products, `internal/resources/aws/*.go`).
    pub(crate) fn query(&self) -> Query {
        let q = |service_code, filters: &[(&'static str, &str)], suffix, unit| Query {
            service_code,
            filters: filters.iter().map(|(k, v)| (*k, v.to_string())).collect(),
            usage_type_suffix: suffix,
            unit,
        };
        match self {
            PriceKey::EksCluster => q(
                "AmazonEKS",
                &[("productFamily", "Compute")],
                Some("AmazonEKS-Hours:perCluster"),
                Unit::Hour,
            ),
            PriceKey::Instance { instance_type } => q(
                "AmazonEC2",
                &[
                    ("productFamily", "Compute Instance"),
                    ("instanceType", instance_type),
                    ("operatingSystem", "Linux"),
                    ("tenancy", "Shared"),
                    ("preInstalledSw", "NA"),
                    ("capacitystatus", "Used"),
                ],
                None,
                Unit::Hour,
            ),
            PriceKey::EbsGp3 => q(
                "AmazonEC2",
                &[("productFamily", "Storage"), ("volumeApiName", "gp3")],
                None,
                Unit::GbMonth,
            ),
            PriceKey::NatGateway => q(
                "AmazonEC2",
                &[("productFamily", "NAT Gateway")],
                Some("NatGateway-Hours"),
                Unit::Hour,
            ),
            PriceKey::PublicIpv4 => q(
                "AmazonVPC",
                &[],
                Some("PublicIPv4:InUseAddress"),
                Unit::Hour,
            ),
            PriceKey::LoadBalancer { network } => q(
                "AWSELB",
                &[(
                    "productFamily",
                    if *network {
                        "Load Balancer-Network"
                    } else {
                        "Load Balancer-Application"
                    },
                )],
                Some("LoadBalancerUsage"),
                Unit::Hour,
            ),
            PriceKey::DbInstance {
                engine,
                instance_class,
                multi_az,
            } => q(
                "AmazonRDS",
                &[
                    ("productFamily", "Database Instance"),
                    ("instanceType", instance_class),
                    ("databaseEngine", engine),
                    ("deploymentOption", deployment(*multi_az)),
                ],
                None,
                Unit::Hour,
            ),
            PriceKey::DbStorage { multi_az } => q(
                "AmazonRDS",
                &[
                    ("productFamily", "Database Storage"),
                    ("volumeType", "General Purpose"),
                    ("databaseEngine", "Any"),
                    ("deploymentOption", deployment(*multi_az)),
                ],
                None,
                Unit::GbMonth,
            ),
            PriceKey::CacheNode { node_type } => q(
                "AmazonElastiCache",
                &[
                    ("productFamily", "Cache Instance"),
                    ("instanceType", node_type),
                    ("cacheEngine", "Redis"),
                ],
                None,
                Unit::Hour,
            ),
            // The CloudWatch offer's usage types for standard alarms and canary runs carry the
            // region prefix as the others do (`USE1-CW:AlarmMonitorUsage`,
            // `APN1-CW:Canary-runs`): seen in AWS's Free Tier usage-type list (CloudWatch:
            // `CW:AlarmMonitorUsage`, `CW:Canary-runs`), in Price List answers recorded in public
            // cost notes (`APN1-CW:Canary-runs`, per run) and in Cost and Usage Report lines.
            PriceKey::Alarm => q(
                "AmazonCloudWatch",
                &[("productFamily", "Alarm")],
                Some("CW:AlarmMonitorUsage"),
                Unit::Month,
            ),
            PriceKey::CanaryRun => q("AmazonCloudWatch", &[], Some("CW:Canary-runs"), Unit::Run),
            // Fargate's usage types (`USE1-Fargate-vCPU-Hours:perCPU`, `USE1-Fargate-GB-Hours`
            // in the Price List's `AmazonECS` offer, product family `Compute`) as Infracost
            // matches them for an ECS service on Fargate (infracost/infracost,
            // `internal/resources/aws/ecs_service.go`: `/Fargate-vCPU-Hours:perCPU/`,
            // `/Fargate-GB-Hours/`). Matched by their end, they leave out the ARM
            // (`Fargate-ARM-vCPU-Hours:perCPU`) and Windows ones; a Spot one that also matched
            // would lose to the on-demand price, the higher ([`choose`]).
            PriceKey::FargateVcpu => q(
                "AmazonECS",
                &[("productFamily", "Compute")],
                Some("Fargate-vCPU-Hours:perCPU"),
                Unit::VcpuHour,
            ),
            PriceKey::FargateMemory => q(
                "AmazonECS",
                &[("productFamily", "Compute")],
                Some("Fargate-GB-Hours"),
                Unit::GbHour,
            ),
            // Product family `Secret` of the `AWSSecretsManager` offer, as Infracost asks for
            // it (`internal/resources/aws/secretsmanager_secret.go`); its usage type could not be
            // confirmed from a source here, so none is required (the family holds the secret's
            // monthly price only; API requests are family `API Request`).
            PriceKey::Secret => q(
                "AWSSecretsManager",
                &[("productFamily", "Secret")],
                None,
                Unit::Month,
            ),
        }
    }

    /// A stable name for tables, caches and JSON: `instance:m6i.large`.
    pub(crate) fn id(&self) -> String {
        match self {
            PriceKey::EksCluster => "eks-cluster".into(),
            PriceKey::Instance { instance_type } => format!("instance:{instance_type}"),
            PriceKey::EbsGp3 => "ebs:gp3".into(),
            PriceKey::NatGateway => "nat-gateway".into(),
            PriceKey::PublicIpv4 => "public-ipv4".into(),
            PriceKey::LoadBalancer { network } => {
                format!(
                    "load-balancer:{}",
                    if *network { "network" } else { "application" }
                )
            }
            PriceKey::DbInstance {
                engine,
                instance_class,
                multi_az,
            } => format!(
                "db-instance:{engine}:{instance_class}:{}",
                deployment(*multi_az)
            ),
            PriceKey::DbStorage { multi_az } => format!("db-storage:gp2:{}", deployment(*multi_az)),
            PriceKey::CacheNode { node_type } => format!("cache-node:redis:{node_type}"),
            PriceKey::Alarm => "cloudwatch-alarm".into(),
            PriceKey::CanaryRun => "canary-run".into(),
            PriceKey::FargateVcpu => "fargate:vcpu".into(),
            PriceKey::FargateMemory => "fargate:memory".into(),
            PriceKey::Secret => "secretsmanager-secret".into(),
        }
    }
}

fn deployment(multi_az: bool) -> &'static str {
    if multi_az { "Multi-AZ" } else { "Single-AZ" }
}

/// Prices for one region, each per its key's [`Unit`], in one currency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriceBook {
    pub(crate) region: String,
    /// `USD`, or `CNY` in the China regions.
    pub(crate) currency: String,
    /// Where the prices come from, for the reader: the Price List and the day it answered, or
    /// the shipped table and the day it was taken.
    pub(crate) source: String,
    /// By [`PriceKey::id`].
    pub(crate) prices: BTreeMap<String, f64>,
}

impl PriceBook {
    pub(crate) fn price(&self, key: &PriceKey) -> Option<f64> {
        self.prices.get(&key.id()).copied()
    }
}

/// A Price List product as `GetProducts` returns it (one JSON document per product), reduced to
/// what the estimate needs: its usage type and its on-demand price per unit with the currency.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Product {
    pub(crate) usage_type: String,
    pub(crate) currency: String,
    pub(crate) price: f64,
}

/// Reads one `PriceList` entry: `product.attributes.usagetype` and the first on-demand price
/// dimension that starts at zero use (`terms.OnDemand.<offer>.priceDimensions.<rate>` with
/// `beginRange` "0" and `pricePerUnit` {"USD": "0.0450000000"} or {"CNY": ...}), the shape
/// the Price List Query API user guide shows. `None` for anything else.
pub(crate) fn read_product(text: &str) -> Option<Product> {
    let doc: Value = serde_json::from_str(text).ok()?;
    let usage_type = doc
        .pointer("/product/attributes/usagetype")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let offers = doc.pointer("/terms/OnDemand")?.as_object()?;
    for offer in offers.values() {
        let dimensions = offer.get("priceDimensions").and_then(Value::as_object)?;
        for dimension in dimensions.values() {
            let begins = dimension
                .get("beginRange")
                .and_then(Value::as_str)
                .unwrap_or("0");
            if begins != "0" {
                continue;
            }
            let per_unit = dimension.get("pricePerUnit").and_then(Value::as_object)?;
            if let Some((currency, amount)) = per_unit.iter().next() {
                let price = amount.as_str()?.parse::<f64>().ok()?;
                return Some(Product {
                    usage_type,
                    currency: currency.clone(),
                    price,
                });
            }
        }
    }
    None
}

/// The price among the products `GetProducts` returned for `key`: the one whose usage type ends
/// as the query says (any, when it says nothing), the highest when several match (never
/// under-estimate).
pub(crate) fn choose(key: &PriceKey, products: &[Product]) -> Option<(String, f64)> {
    let query = key.query();
    products
        .iter()
        .filter(|p| {
            query
                .usage_type_suffix
                .is_none_or(|suffix| p.usage_type.ends_with(suffix))
        })
        .filter(|p| p.price > 0.0)
        .map(|p| (p.currency.clone(), p.price))
        .max_by(|a, b| a.1.total_cmp(&b.1))
}

/// One line of a resource's cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct CostLine {
    /// `2 × m6i.large`, `NAT gateway hours`.
    pub(crate) what: String,
    /// The month's amount; `None` when usage-based or when no price is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) monthly: Option<f64>,
    /// `1460 hours × 0.096 USD/hour`; for usage-based lines, what the price depends on.
    pub(crate) basis: String,
    /// Priced by use, not by the blueprint: never estimated.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) usage_based: bool,
    /// The price is not in the price book (an offline plan in a region the shipped table lacks).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) unpriced: bool,
}

/// One resource's monthly cost before and after the plan (absent on the side it does not exist).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ResourceCost {
    pub(crate) address: Address,
    pub(crate) kind: ResourceKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) monthly_before: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) monthly_after: Option<f64>,
    /// The lines of the side that exists after the plan (before, for a delete).
    pub(crate) lines: Vec<CostLine>,
}

/// The plan's estimate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cost {
    pub(crate) currency: String,
    pub(crate) source: String,
    /// Resources that cost something or are priced by use, in plan order.
    pub(crate) resources: Vec<ResourceCost>,
    pub(crate) monthly_before: f64,
    pub(crate) monthly_after: f64,
    /// `monthly_after - monthly_before`.
    pub(crate) monthly_change: f64,
    /// Lines without a price in the book: the totals leave them out.
    pub(crate) unpriced: usize,
}

/// What one side of a resource is charged for.
#[derive(Debug, Clone, PartialEq)]
enum Charge {
    Priced {
        what: String,
        key: PriceKey,
        quantity: f64,
    },
    UsageBased {
        what: String,
        depends_on: &'static str,
    },
    /// Priced by what another resource says, which the plan does not hold on this side.
    Unresolved { what: String, why: String },
}

fn priced(what: impl Into<String>, key: PriceKey, quantity: f64) -> Charge {
    Charge::Priced {
        what: what.into(),
        key,
        quantity,
    }
}

fn usage(what: impl Into<String>, depends_on: &'static str) -> Charge {
    Charge::UsageBased {
        what: what.into(),
        depends_on,
    }
}

fn text<'a>(props: &'a Map<String, Value>, key: &str) -> &'a str {
    props.get(key).and_then(Value::as_str).unwrap_or_default()
}

fn number(props: &Map<String, Value>, key: &str) -> Option<f64> {
    props.get(key).and_then(Value::as_f64)
}

/// The Price List's name for an RDS engine (`databaseEngine`).
fn engine_name(engine: &str) -> Option<&'static str> {
    Some(match engine {
        "mysql" => "MySQL",
        "postgres" => "PostgreSQL",
        "aurora-postgresql" => "Aurora PostgreSQL",
        "aurora-mysql" => "Aurora MySQL",
        _ => return None,
    })
}

/// Runs a month of a canary on `schedule` (`rate(5 minutes)`, `rate(1 hour)`); `None` for cron
/// expressions or anything else.
pub(crate) fn runs_per_month(schedule: &str) -> Option<f64> {
    let inner = schedule.strip_prefix("rate(")?.strip_suffix(')')?;
    let (count, unit) = inner.split_once(' ')?;
    let count: f64 = count.parse().ok()?;
    if count <= 0.0 {
        return None;
    }
    let minutes = match unit.trim_end_matches('s') {
        "minute" => count,
        "hour" => count * 60.0,
        "day" => count * 1440.0,
        _ => return None,
    };
    Some(HOURS_PER_MONTH * 60.0 / minutes)
}

/// Another resource's properties on the same side of the plan, by address.
type Lookup<'a> = dyn Fn(&str) -> Option<&'a Map<String, Value>> + 'a;

/// The address a property refers to: the whole value (`servers.launch_template[app]`) or the
/// first reference embedded in it (`${ecs.ecs_task_definition[web]#revisionArn}`).
fn referred(props: &Map<String, Value>, key: &str) -> Option<String> {
    let value = text(props, key);
    match super::catalog::embedded::references_in(value).first() {
        Some(embedded) => Some(embedded.address.to_string()),
        None => (!value.is_empty()).then(|| value.to_string()),
    }
}

/// `count` servers of the launch template `template` (an address) refers to, with `instance_type`
/// given over the template's when set: their hours and their gp3 root volumes (the launch
/// template's adapter makes every root volume gp3).
fn servers(
    count: f64,
    template: Option<String>,
    instance_type: Option<&str>,
    lookup: &Lookup<'_>,
) -> Vec<Charge> {
    let Some(lt) = template.as_deref().and_then(lookup) else {
        return vec![Charge::Unresolved {
            what: format!("{count} × server"),
            why: format!(
                "its launch template ({}) is not in the plan",
                template.as_deref().unwrap_or("none")
            ),
        }];
    };
    let instance_type = instance_type
        .filter(|t| !t.is_empty())
        .unwrap_or(text(lt, "instanceType"))
        .to_string();
    let disk = number(lt, "rootVolumeGib").unwrap_or(8.0);
    vec![
        priced(
            format!("{count} × {instance_type}"),
            PriceKey::Instance { instance_type },
            count * HOURS_PER_MONTH,
        ),
        priced(
            format!("{count} × {disk} GB gp3 root volume"),
            PriceKey::EbsGp3,
            count * disk,
        ),
    ]
}

/// An ECS service on Fargate: its task definition's vCPU (CPU units ÷ 1024) and memory (MiB ÷
/// 1024) for each of its desired tasks (the minimum the blueprint gives), every hour. On EC2
/// capacity the instances are priced (their Auto Scaling group), not the service.
fn fargate(props: &Map<String, Value>, lookup: &Lookup<'_>) -> Vec<Charge> {
    if text(props, "launchType") != "FARGATE" {
        return Vec::new();
    }
    let tasks = number(props, "desiredCount").unwrap_or(0.0);
    let task_definition = referred(props, "taskDefinition");
    let Some(td) = task_definition.as_deref().and_then(lookup) else {
        return vec![Charge::Unresolved {
            what: format!("{tasks} × Fargate task"),
            why: format!(
                "its task definition ({}) is not in the plan",
                task_definition.as_deref().unwrap_or("none")
            ),
        }];
    };
    let units = |key| text(td, key).parse::<f64>().ok().map(|n| n / 1024.0);
    let (Some(vcpu), Some(gb)) = (units("cpu"), units("memory")) else {
        return vec![Charge::Unresolved {
            what: format!("{tasks} × Fargate task"),
            why: "its task definition gives no task-level cpu and memory".into(),
        }];
    };
    vec![
        priced(
            format!("{tasks} × {vcpu} vCPU (Fargate)"),
            PriceKey::FargateVcpu,
            tasks * vcpu * HOURS_PER_MONTH,
        ),
        priced(
            format!("{tasks} × {gb} GB memory (Fargate)"),
            PriceKey::FargateMemory,
            tasks * gb * HOURS_PER_MONTH,
        ),
    ]
}

/// What a resource of `kind` with `props` is charged for. Kinds AWS does not charge for (VPCs,
/// subnets, routes, security groups, IAM, parameter groups, launch templates, ...) have none.
fn charges(kind: ResourceKind, props: &Map<String, Value>, lookup: &Lookup<'_>) -> Vec<Charge> {
    use ResourceKind as K;
    let hours = HOURS_PER_MONTH;
    match kind {
        K::EksCluster => vec![priced("cluster hours", PriceKey::EksCluster, hours)],
        K::NodeGroup => {
            let nodes = props
                .get("scaling")
                .and_then(|s| s.get("desiredSize"))
                .and_then(Value::as_f64)
                .unwrap_or(0.0);
            let instance_type = props
                .get("instanceTypes")
                .and_then(Value::as_array)
                .and_then(|t| t.first())
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let disk = number(props, "diskSizeGib").unwrap_or(20.0);
            let mut out = Vec::new();
            if text(props, "capacityType") == "SPOT" {
                out.push(usage(
                    format!("{nodes} × {instance_type} (spot)"),
                    "the spot price of the hour",
                ));
            } else {
                out.push(priced(
                    format!("{nodes} × {instance_type}"),
                    PriceKey::Instance { instance_type },
                    nodes * hours,
                ));
            }
            out.push(priced(
                format!("{nodes} × {disk} GB gp3 disk"),
                PriceKey::EbsGp3,
                nodes * disk,
            ));
            out
        }
        K::FargateProfile => vec![usage(
            "Fargate pods",
            "the vCPU and memory of the pods it runs",
        )],
        K::Ec2Instance => servers(
            1.0,
            referred(props, "launchTemplate"),
            Some(text(props, "instanceType")),
            lookup,
        ),
        K::AutoScalingGroup => {
            // The desired capacity; left to an ECS capacity provider, the minimum.
            let count = number(props, "desiredCapacity")
                .or_else(|| number(props, "minSize"))
                .unwrap_or(0.0);
            servers(count, referred(props, "launchTemplate"), None, lookup)
        }
        K::EcsService => fargate(props, lookup),
        K::SecretsmanagerSecret => vec![priced("secret", PriceKey::Secret, 1.0)],
        K::CloudWatchLogGroup => vec![usage(
            "log ingestion and storage",
            "GB of logs ingested and stored",
        )],
        K::NatGateway => vec![
            priced("NAT gateway hours", PriceKey::NatGateway, hours),
            usage("data processed", "GB through the gateway"),
        ],
        K::ElasticIp => vec![priced("public IPv4 address", PriceKey::PublicIpv4, hours)],
        K::LoadBalancer => {
            let network = text(props, "type") == "network";
            vec![
                priced(
                    "load balancer hours",
                    PriceKey::LoadBalancer { network },
                    hours,
                ),
                usage("capacity units", "connections, bytes and rule evaluations"),
            ]
        }
        K::DbInstance => {
            let multi_az = props
                .get("multiAz")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let class = text(props, "instanceClass").to_string();
            let storage = number(props, "allocatedStorage").unwrap_or(20.0);
            let Some(engine) = engine_name(text(props, "engine")) else {
                return vec![usage("database", "an engine shinyctl cannot price")];
            };
            vec![
                priced(
                    format!("{class} ({})", deployment(multi_az)),
                    PriceKey::DbInstance {
                        engine: engine.into(),
                        instance_class: class,
                        multi_az,
                    },
                    hours,
                ),
                priced(
                    format!("{storage} GB gp2 storage"),
                    PriceKey::DbStorage { multi_az },
                    storage,
                ),
                usage("backups beyond the storage size", "backup GB stored"),
            ]
        }
        K::DbCluster => vec![usage(
            "Aurora storage and I/O",
            "GB stored and I/O requests",
        )],
        K::DbClusterInstance => {
            let class = text(props, "instanceClass").to_string();
            let engine = engine_name(text(props, "engine"));
            match engine {
                Some(engine) if class != "db.serverless" => vec![priced(
                    class.clone(),
                    PriceKey::DbInstance {
                        engine: engine.into(),
                        instance_class: class,
                        multi_az: false,
                    },
                    hours,
                )],
                _ => vec![usage(
                    "Aurora Serverless v2 capacity",
                    "the ACUs it scales to",
                )],
            }
        }
        K::CacheReplicationGroup => {
            let shards = number(props, "numNodeGroups").unwrap_or(1.0);
            let replicas = number(props, "replicasPerNodeGroup").unwrap_or(0.0);
            let nodes = shards * (1.0 + replicas);
            let node_type = text(props, "cacheNodeType").to_string();
            vec![priced(
                format!("{nodes} × {node_type}"),
                PriceKey::CacheNode { node_type },
                nodes * hours,
            )]
        }
        K::EfsFileSystem => vec![usage("storage and throughput", "GB stored and transferred")],
        K::S3Bucket => vec![usage("storage and requests", "GB stored and requests")],
        K::EcrRepository => vec![usage("image storage", "GB of images stored")],
        K::SnsTopic => vec![usage("notifications", "messages published and delivered")],
        K::CloudWatchAlarm => vec![priced("standard alarm", PriceKey::Alarm, 1.0)],
        K::Canary => {
            let schedule = text(props, "schedule");
            match runs_per_month(schedule) {
                Some(runs) => vec![priced(
                    format!("runs on {schedule}"),
                    PriceKey::CanaryRun,
                    runs,
                )],
                None => vec![usage("canary runs", "its schedule")],
            }
        }
        _ => Vec::new(),
    }
}

/// Both sides of the plan, for [`Lookup`]: every resource's properties before (observed, else
/// desired when it is created) and after (desired, else observed when it is deleted), so a
/// reference finds what it names on its own side first.
struct Sides<'a> {
    before: BTreeMap<&'a str, &'a Map<String, Value>>,
    after: BTreeMap<&'a str, &'a Map<String, Value>>,
}

impl<'a> Sides<'a> {
    fn of(plan: &'a Plan) -> Sides<'a> {
        let side = |pick: fn(&'a Change) -> Option<&'a Map<String, Value>>| {
            plan.changes
                .iter()
                .filter_map(|c| pick(c).map(|props| (c.address.as_str(), props)))
                .collect()
        };
        Sides {
            before: side(|c| c.before.as_ref()),
            after: side(|c| c.after.as_ref()),
        }
    }

    fn before(&self, address: &str) -> Option<&'a Map<String, Value>> {
        self.before
            .get(address)
            .or_else(|| self.after.get(address))
            .copied()
    }

    fn after(&self, address: &str) -> Option<&'a Map<String, Value>> {
        self.after
            .get(address)
            .or_else(|| self.before.get(address))
            .copied()
    }
}

/// The observed side as the estimate prices it: what others scale as the blueprint gives it, so
/// scaling is not the plan's change — the kind's `set_at_create` properties (never diffed: an
/// ECS service's desired count) as the desired side has them, and its `computed` ones the
/// blueprint leaves out (an ECS-scaled group's desired capacity) left out on both sides. A
/// `computed` property the blueprint gives is diffed, so its observed value stays.
fn comparable_before(
    kind: ResourceKind,
    before: &Map<String, Value>,
    after: Option<&Map<String, Value>>,
) -> Map<String, Value> {
    let mut out = before.clone();
    if let Some(after) = after {
        let spec = kind.spec();
        for key in spec.set_at_create {
            match after.get(*key) {
                Some(value) => out.insert((*key).to_string(), value.clone()),
                None => out.remove(*key),
            };
        }
        for key in spec.computed {
            if !after.contains_key(*key) {
                out.remove(*key);
            }
        }
    }
    out
}

/// Every price the plan's resources need, before and after.
pub(crate) fn needed(plan: &Plan) -> Vec<PriceKey> {
    let sides = Sides::of(plan);
    priced_keys(plan.changes.iter().flat_map(|c| {
        let mut out = Vec::new();
        if let Some(before) = &c.before {
            let props = comparable_before(c.kind, before, c.after.as_ref());
            out.extend(charges(c.kind, &props, &|a| sides.before(a)));
        }
        if let Some(after) = &c.after {
            out.extend(charges(c.kind, after, &|a| sides.after(a)));
        }
        out
    }))
}

/// Every price `resources` need: a plan's `after` sides, known before AWS is read (a live plan
/// asks for them beside its read; [`needed`] of a plan that changes nothing asks for no other).
pub(crate) fn needed_by(resources: &[crate::plan::Resource]) -> Vec<PriceKey> {
    let by_address: BTreeMap<&str, &Map<String, Value>> = resources
        .iter()
        .map(|r| (r.address.as_str(), &r.properties))
        .collect();
    let lookup = |a: &str| by_address.get(a).copied();
    priced_keys(
        resources
            .iter()
            .flat_map(|r| charges(r.kind, &r.properties, &lookup)),
    )
}

fn priced_keys(charges: impl Iterator<Item = Charge>) -> Vec<PriceKey> {
    let mut keys: Vec<PriceKey> = charges
        .filter_map(|charge| match charge {
            Charge::Priced { key, .. } => Some(key),
            Charge::UsageBased { .. } | Charge::Unresolved { .. } => None,
        })
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// Rounds to cents (prices have up to 10 decimals; sums of rounded lines stay stable).
fn cents(amount: f64) -> f64 {
    (amount * 100.0).round() / 100.0
}

fn side_cost(
    kind: ResourceKind,
    props: &Map<String, Value>,
    lookup: &Lookup<'_>,
    book: &PriceBook,
) -> (Option<f64>, Vec<CostLine>) {
    let mut total = None;
    let mut lines = Vec::new();
    for charge in charges(kind, props, lookup) {
        match charge {
            Charge::Priced {
                what,
                key,
                quantity,
            } => {
                let unit = key.query().unit;
                match book.price(&key) {
                    Some(price) => {
                        let monthly = cents(price * quantity);
                        *total.get_or_insert(0.0) += monthly;
                        lines.push(CostLine {
                            what,
                            monthly: Some(monthly),
                            basis: format!(
                                "{} {} × {} {}/{}",
                                quantity_text(quantity),
                                plural(unit, quantity),
                                price,
                                book.currency,
                                unit.as_str()
                            ),
                            usage_based: false,
                            unpriced: false,
                        });
                    }
                    None => lines.push(CostLine {
                        what,
                        monthly: None,
                        basis: format!("no price for {}", key.id()),
                        usage_based: false,
                        unpriced: true,
                    }),
                }
            }
            Charge::UsageBased { what, depends_on } => lines.push(CostLine {
                what,
                monthly: None,
                basis: format!("depends on {depends_on}"),
                usage_based: true,
                unpriced: false,
            }),
            Charge::Unresolved { what, why } => lines.push(CostLine {
                what,
                monthly: None,
                basis: why,
                usage_based: false,
                unpriced: true,
            }),
        }
    }
    (total.map(cents), lines)
}

fn quantity_text(quantity: f64) -> String {
    if quantity.fract() == 0.0 {
        format!("{quantity:.0}")
    } else {
        format!("{quantity:.1}")
    }
}

fn plural(unit: Unit, quantity: f64) -> String {
    let name = unit.as_str();
    if quantity == 1.0 {
        name.to_string()
    } else {
        format!("{name}s")
    }
}

fn resource_cost(change: &Change, sides: &Sides<'_>, book: &PriceBook) -> Option<ResourceCost> {
    let before = change.before.as_ref().map(|props| {
        let props = comparable_before(change.kind, props, change.after.as_ref());
        side_cost(change.kind, &props, &|a| sides.before(a), book)
    });
    let after = change
        .after
        .as_ref()
        .map(|props| side_cost(change.kind, props, &|a| sides.after(a), book));
    let lines = match (&after, &before) {
        (Some((_, lines)), _) | (None, Some((_, lines))) => lines.clone(),
        (None, None) => Vec::new(),
    };
    if lines.is_empty() {
        return None;
    }
    Some(ResourceCost {
        address: change.address.clone(),
        kind: change.kind,
        monthly_before: before.and_then(|(total, _)| total),
        monthly_after: after.and_then(|(total, _)| total),
        lines,
    })
}

/// The plan's monthly cost by `book`.
pub fn estimate(plan: &Plan, book: &PriceBook) -> Cost {
    let sides = Sides::of(plan);
    let resources: Vec<ResourceCost> = plan
        .changes
        .iter()
        .filter_map(|c| resource_cost(c, &sides, book))
        .collect();
    let sum =
        |pick: fn(&ResourceCost) -> Option<f64>| cents(resources.iter().filter_map(pick).sum());
    let monthly_before = sum(|r| r.monthly_before);
    let monthly_after = sum(|r| r.monthly_after);
    let unpriced = resources
        .iter()
        .flat_map(|r| &r.lines)
        .filter(|l| l.unpriced)
        .count();
    Cost {
        currency: book.currency.clone(),
        source: book.source.clone(),
        resources,
        monthly_before,
        monthly_after,
        monthly_change: cents(monthly_after - monthly_before),
        unpriced,
    }
}

#[cfg(test)]
mod tests;
