//! The blueprint language (`apiVersion: shinyctl.dev/v1alpha1`, `kind: Blueprint`): the schema only.
//!
//! Defaults live in `defaults.rs` (explicit functions, referenced here so the JSON Schema shows them),
//! validation in `validate.rs`. Keys are camelCase; unknown keys are errors. Fields whose absence
//! means something different from any value (`Option`) stay `Option` after defaults.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::defaults as d;

#[cfg(test)]
pub(crate) const API_VERSION: &str = "shinyctl.dev/v1alpha1";
#[cfg(test)]
pub(crate) const KIND: &str = "Blueprint";

/// A whole Shiny/R app platform on AWS, from the VPC to the apps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(title = "shinyctl blueprint")]
pub struct Blueprint {
    /// Always `shinyctl.dev/v1alpha1`.
    #[schemars(extend("const" = "shinyctl.dev/v1alpha1"))]
    pub(crate) api_version: String,
    /// Always `Blueprint`.
    #[schemars(extend("const" = "Blueprint"))]
    pub(crate) kind: String,
    pub metadata: Metadata,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) network: Option<Network>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<Cluster>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) storage: Option<Storage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) database: Option<Database>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) cache: Option<Cache>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) registry: Option<Registry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress: Option<Ingress>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitoring: Option<Monitoring>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy: Option<Proxy>,
    /// EC2 app servers (nginx in front of the product's ports) behind the load balancer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub servers: Vec<ServerGroup>,
    /// Container services on ECS behind the load balancer, routed by path (seed 003).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) ecs: Option<Ecs>,
}

/// What a load-balancer route sends to.
#[derive(Debug, Clone, Copy)]
pub(crate) enum RouteTarget<'a> {
    Servers(&'a ServerGroup),
    Service(&'a EcsService),
}

/// One route of the load balancer's listeners: a server group's or a service's `http.path`.
#[derive(Debug, Clone)]
pub(crate) struct Route<'a> {
    /// The YAML path of its `http` block (`servers[0].http`, `ecs.services[1].http`).
    pub(crate) at: String,
    pub(crate) path: &'a str,
    pub(crate) target: RouteTarget<'a>,
}

impl Route<'_> {
    /// The server group's or the service's name.
    pub(crate) fn name(&self) -> &str {
        match self.target {
            RouteTarget::Servers(group) => &group.name,
            RouteTarget::Service(service) => &service.name,
        }
    }
}

impl Blueprint {
    /// Every route of the listeners, server groups' first, in document order.
    pub(crate) fn routes(&self) -> Vec<Route<'_>> {
        let groups = self.servers.iter().enumerate().filter_map(|(i, g)| {
            g.http.as_ref().map(|h| Route {
                at: format!("servers[{i}].http"),
                path: &h.path,
                target: RouteTarget::Servers(g),
            })
        });
        let services = self
            .ecs
            .iter()
            .flat_map(|e| e.services.iter().enumerate())
            .filter_map(|(i, s)| {
                s.http.as_ref().map(|h| Route {
                    at: format!("ecs.services[{i}].http"),
                    path: &h.path,
                    target: RouteTarget::Service(s),
                })
            });
        groups.chain(services).collect()
    }

    /// Whether ShinyProxy keeps its sessions and running apps in the blueprint's cache: it runs
    /// more than once, so every replica must see the same state (containerproxy's store-mode
    /// Redis). The cache's parameters and ShinyProxy's configuration both follow from this.
    pub(crate) fn proxy_state_in_cache(&self) -> bool {
        self.cache.is_some() && self.proxy.as_ref().is_some_and(|p| p.replicas > 1)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Metadata {
    /// Prefixes every AWS name: short, lowercase letters, digits and hyphens.
    pub name: String,
    /// AWS region, e.g. `us-east-1` or `cn-northwest-1` (China partition).
    pub region: String,
    /// Tags added to every resource, besides shinyctl's ownership tags.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Network {
    /// The VPC's IPv4 CIDR block; public, private and data subnets are carved from it per AZ.
    #[serde(default = "d::network_cidr")]
    pub(crate) cidr: String,
    /// How many availability zones (the region's first N), or an explicit list of zone names.
    #[serde(default = "d::availability_zones")]
    pub(crate) availability_zones: AvailabilityZones,
    /// NAT for the private subnets: one shared gateway, one per AZ, or none.
    #[serde(default = "d::nat_gateway")]
    pub(crate) nat_gateway: NatGateway,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub(crate) enum AvailabilityZones {
    Count(u8),
    Names(Vec<String>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) enum NatGateway {
    Single,
    PerAz,
    None,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Cluster {
    /// Kubernetes version of the EKS control plane, quoted: `"1.31"`. Omitted: the newest EKS
    /// version shinyctl supports (pinning is recommended).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub version: String,
    #[serde(default)]
    pub(crate) endpoint_access: EndpointAccess,
    /// Control-plane log types sent to CloudWatch Logs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) logging: Vec<ControlPlaneLog>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) fargate_profiles: Vec<FargateProfile>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) node_groups: Vec<NodeGroup>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct EndpointAccess {
    #[serde(default = "d::yes")]
    pub(crate) public: bool,
    #[serde(default = "d::yes")]
    pub(crate) private: bool,
    /// CIDRs allowed to reach the public endpoint.
    #[serde(default = "d::public_cidrs")]
    pub(crate) public_cidrs: Vec<String>,
}

impl Default for EndpointAccess {
    fn default() -> Self {
        EndpointAccess {
            public: true,
            private: true,
            public_cidrs: d::public_cidrs(),
        }
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "camelCase")]
pub(crate) enum ControlPlaneLog {
    Api,
    Audit,
    Authenticator,
    ControllerManager,
    Scheduler,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct FargateProfile {
    pub(crate) name: String,
    /// Pods matching any selector run on Fargate.
    pub(crate) selectors: Vec<FargateSelector>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct FargateSelector {
    pub(crate) namespace: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct NodeGroup {
    pub(crate) name: String,
    pub(crate) instance_types: Vec<String>,
    pub(crate) desired: u32,
    pub(crate) min: u32,
    pub(crate) max: u32,
    /// Root volume size in GiB.
    #[serde(default = "d::node_disk_gib")]
    pub(crate) disk_size_gib: u32,
    #[serde(default = "d::capacity_type")]
    pub(crate) capacity_type: CapacityType,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) enum CapacityType {
    OnDemand,
    Spot,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Storage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) efs: Option<Efs>,
    /// S3 buckets for the platform's files (e.g. a scheduler's resource store).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) buckets: Vec<Bucket>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Bucket {
    /// Short name; the bucket is `<metadata.name>-<name>` (S3 names are global: pick a distinctive one).
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) versioning: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Efs {
    #[serde(default = "d::yes")]
    pub(crate) encrypted: bool,
    #[serde(default = "d::efs_performance_mode")]
    pub(crate) performance_mode: EfsPerformanceMode,
    #[serde(default = "d::efs_throughput_mode")]
    pub(crate) throughput_mode: EfsThroughputMode,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) access_points: Vec<AccessPoint>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) enum EfsPerformanceMode {
    GeneralPurpose,
    MaxIo,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) enum EfsThroughputMode {
    Bursting,
    Elastic,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct AccessPoint {
    pub(crate) name: String,
    /// Root directory exposed by the access point, created with `uid`/`gid` owner.
    pub(crate) path: String,
    pub(crate) uid: u32,
    pub(crate) gid: u32,
    /// Octal permissions of the root directory when EFS creates it.
    #[serde(default = "d::access_point_permissions")]
    pub(crate) permissions: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Database {
    pub(crate) engine: DatabaseEngine,
    /// Engine version, quoted: `"16.4"`. Omitted: the newest major version of the engine
    /// shinyctl supports (pinning is recommended).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) version: String,
    /// Instance class for provisioned databases (e.g. `db.t4g.medium`); omit with `serverless`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) instance_class: Option<String>,
    /// Aurora Serverless v2 capacity in ACUs; Aurora engines only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) serverless: Option<ServerlessCapacity>,
    #[serde(default)]
    pub(crate) multi_az: bool,
    /// Initial database created on the instance/cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) database_name: Option<String>,
    /// Allocated storage in GiB (not for Aurora, whose storage grows by itself).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) storage_gib: Option<u32>,
    /// Parameter-group overrides, e.g. `log_bin_trust_function_creators: "1"` for MySQL.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) parameters: BTreeMap<String, String>,
    #[serde(default = "d::backup_retention_days")]
    pub(crate) backup_retention_days: u32,
    #[serde(default = "d::yes")]
    pub(crate) deletion_protection: bool,
    /// Master user name; the password is generated and kept by AWS Secrets Manager, never in the blueprint.
    #[serde(default = "d::master_username")]
    pub(crate) master_username: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum DatabaseEngine {
    Mysql,
    Postgres,
    AuroraMysql,
    AuroraPostgresql,
}

impl DatabaseEngine {
    pub(crate) fn is_aurora(self) -> bool {
        matches!(
            self,
            DatabaseEngine::AuroraMysql | DatabaseEngine::AuroraPostgresql
        )
    }
    /// The engine name AWS's RDS API uses.
    pub(crate) fn aws_name(self) -> &'static str {
        match self {
            DatabaseEngine::Mysql => "mysql",
            DatabaseEngine::Postgres => "postgres",
            DatabaseEngine::AuroraMysql => "aurora-mysql",
            DatabaseEngine::AuroraPostgresql => "aurora-postgresql",
        }
    }
    pub(crate) fn port(self) -> u16 {
        match self {
            DatabaseEngine::Mysql | DatabaseEngine::AuroraMysql => 3306,
            DatabaseEngine::Postgres | DatabaseEngine::AuroraPostgresql => 5432,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ServerlessCapacity {
    /// Minimum Aurora capacity units (0 to 256, in steps of 0.5).
    pub(crate) min_capacity: f64,
    /// Maximum Aurora capacity units (1 to 256, in steps of 0.5).
    pub(crate) max_capacity: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Cache {
    #[serde(default = "d::cache_engine")]
    pub(crate) engine: CacheEngine,
    /// Redis engine version, quoted: `"7.1"`. Omitted: the newest shinyctl supports (pinning is
    /// recommended).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) version: String,
    pub(crate) node_type: String,
    #[serde(default = "d::cluster_mode")]
    pub(crate) cluster_mode: ClusterMode,
    /// Node groups (shards); 1 unless cluster mode is enabled.
    #[serde(default = "d::one")]
    pub(crate) shards: u32,
    #[serde(default)]
    pub(crate) replicas_per_shard: u32,
    #[serde(default = "d::yes")]
    pub(crate) transit_encryption: bool,
    #[serde(default = "d::yes")]
    pub(crate) at_rest_encryption: bool,
    /// Parameter-group overrides.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) parameters: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) enum CacheEngine {
    Redis,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) enum ClusterMode {
    Enabled,
    Disabled,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Registry {
    pub(crate) repositories: Vec<Repository>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Repository {
    /// ECR repository name (prefixed with the blueprint name in AWS), e.g. `shiny/covid19-tracker`.
    pub(crate) name: String,
    #[serde(default = "d::yes")]
    pub(crate) scan_on_push: bool,
    /// Lifecycle policy: keep only the last N images.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) keep_last_images: Option<u32>,
    #[serde(default)]
    pub(crate) immutable_tags: bool,
    /// The public repository this one holds copies of, e.g. `docker.io/openanalytics/shinyproxy`
    /// (no tag): `shinyctl images mirror` copies every tag the workload uses from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) mirror_of: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Ingress {
    #[serde(rename = "type")]
    pub(crate) kind: LoadBalancerType,
    #[serde(default = "d::scheme")]
    pub(crate) scheme: Scheme,
    pub(crate) listeners: Vec<Listener>,
    /// The hostname users reach the platform at (`shiny.example.com`), pointed at the load
    /// balancer by a CNAME record the user makes. The canaries request it (an HTTPS listener's
    /// certificate is for it, not for the load balancer's own DNS name); apply prints it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) domain: Option<String>,
    /// Idle timeout; Shiny sessions are long-lived websockets. Unset, each type keeps AWS's own
    /// default (see [`Ingress::idle_timeout`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) idle_timeout_seconds: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) stickiness: Option<Stickiness>,
    #[serde(default)]
    pub(crate) health_check: HealthCheck,
}

impl Ingress {
    /// The idle timeout in force: the blueprint's, else AWS's default for the type — 60 s for an
    /// ALB (`idle_timeout.timeout_seconds`) and 350 s for an NLB's TCP listeners
    /// (`tcp.idle_timeout.seconds`; ELB docs, "Update the TCP idle timeout for your Network Load
    /// Balancer listener").
    pub(crate) fn idle_timeout(&self) -> u32 {
        self.idle_timeout_seconds.unwrap_or(match self.kind {
            LoadBalancerType::Alb => d::ALB_IDLE_TIMEOUT_SECONDS,
            LoadBalancerType::Nlb => d::NLB_IDLE_TIMEOUT_SECONDS,
        })
    }

    /// The listener canaries request: the first forwarding one (else the first).
    pub(crate) fn canary_listener(&self) -> Option<&Listener> {
        self.listeners
            .iter()
            .find(|l| l.redirect_to.is_none())
            .or(self.listeners.first())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) enum LoadBalancerType {
    Alb,
    Nlb,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Scheme {
    InternetFacing,
    Internal,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Listener {
    pub(crate) port: u16,
    pub(crate) protocol: ListenerProtocol,
    /// ACM certificate for HTTPS/TLS listeners, an ARN of the blueprint's partition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) certificate_arn: Option<String>,
    /// Answer every request with a permanent redirect to this port over HTTPS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) redirect_to: Option<u16>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub(crate) enum ListenerProtocol {
    Http,
    Https,
    Tcp,
    Tls,
}

impl ListenerProtocol {
    pub(crate) fn aws_name(self) -> &'static str {
        match self {
            ListenerProtocol::Http => "HTTP",
            ListenerProtocol::Https => "HTTPS",
            ListenerProtocol::Tcp => "TCP",
            ListenerProtocol::Tls => "TLS",
        }
    }
    pub(crate) fn needs_certificate(self) -> bool {
        matches!(self, ListenerProtocol::Https | ListenerProtocol::Tls)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Stickiness {
    #[serde(rename = "type")]
    pub(crate) kind: StickinessType,
    #[serde(default = "d::stickiness_seconds")]
    pub(crate) duration_seconds: u32,
    /// Application cookie name, for `app_cookie`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) cookie_name: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum StickinessType {
    LbCookie,
    AppCookie,
    SourceIp,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HealthCheck {
    #[serde(default = "d::health_check_path")]
    pub path: String,
    #[serde(default = "d::health_check_interval")]
    pub(crate) interval_seconds: u32,
    #[serde(default = "d::health_check_timeout")]
    pub(crate) timeout_seconds: u32,
    #[serde(default = "d::healthy_threshold")]
    pub(crate) healthy_threshold: u32,
    #[serde(default = "d::unhealthy_threshold")]
    pub(crate) unhealthy_threshold: u32,
}

impl Default for HealthCheck {
    fn default() -> Self {
        HealthCheck {
            path: d::health_check_path(),
            interval_seconds: d::health_check_interval(),
            timeout_seconds: d::health_check_timeout(),
            healthy_threshold: d::healthy_threshold(),
            unhealthy_threshold: d::unhealthy_threshold(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Monitoring {
    /// E-mail address subscribed to the alarm topic (SNS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) alarm_email: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub canaries: Vec<Canary>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) alarms: Vec<Alarm>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Canary {
    pub(crate) name: String,
    /// Path on the ingress the canary requests, e.g. `/login`.
    pub path: String,
    /// How often it runs: a duration such as `5m` or `1h`.
    #[serde(default = "d::canary_every")]
    pub(crate) every: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Alarm {
    pub(crate) metric: AlarmMetric,
    pub(crate) threshold: f64,
    /// Evaluation period: a duration such as `5m`.
    #[serde(default = "d::alarm_period")]
    pub(crate) period: String,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "camelCase")]
pub(crate) enum AlarmMetric {
    /// Failed canary runs (needs a canary).
    CanaryFailed,
    /// Unhealthy load-balancer targets (needs an ingress).
    UnhealthyTargets,
    /// Load-balancer 5xx responses (needs an ALB ingress).
    Http5xx,
    /// Database CPU percent (needs a database).
    DatabaseCpu,
    /// Cache CPU percent (needs a cache).
    CacheCpu,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Proxy {
    #[serde(default = "d::proxy_kind")]
    pub(crate) kind: ProxyKind,
    /// ShinyProxy version (container image tag), quoted: `"3.2.0"`. Omitted: the version
    /// shinyctl's workload is built for (pinning is recommended).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) version: String,
    /// ShinyProxy's image, tagged `version` unless it says a tag: `registry:NAME` for a
    /// repository of this blueprint's ECR (default: `openanalytics/shinyproxy` on Docker Hub).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) image: Option<String>,
    #[serde(default = "d::one")]
    pub replicas: u32,
    #[serde(default = "d::proxy_namespace")]
    pub(crate) namespace: String,
    /// Namespace the apps' pods run in.
    #[serde(default = "d::app_namespace")]
    pub(crate) app_namespace: String,
    #[serde(default)]
    pub(crate) authentication: Authentication,
    /// Seconds without a heartbeat after which ShinyProxy stops an app.
    #[serde(default = "d::heartbeat_timeout_seconds")]
    pub heartbeat_timeout_seconds: u32,
    #[serde(default = "d::usage_stats")]
    pub(crate) usage_stats: UsageStats,
    /// The database user ShinyProxy writes usage statistics as (`usageStats: database`): its
    /// own, least-privilege user, never the database's master user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) usage_stats_user: Option<UsageStatsUser>,
    /// Log one JSON object per line (for CloudWatch Logs Insights and other log stores).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) log_as_json: bool,
    /// Seconds ShinyProxy waits for an app to answer once its pod runs (ShinyProxy's default: 20).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) container_wait_seconds: Option<u32>,
    /// At most this many app containers across all users and apps (default: no limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) max_total_instances: Option<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub apps: Vec<App>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) enum ProxyKind {
    Shinyproxy,
}

/// A database user only for usage statistics (docs/workload.md, "Usage statistics").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct UsageStatsUser {
    /// The user's name in the database.
    #[serde(default = "d::usage_stats_user_name")]
    pub(crate) name: String,
    /// Reference to its password: `secretsmanager:NAME` or `ssm:/PARAMETER` (a new value is
    /// set on the user and rolls ShinyProxy at the next apply).
    pub(crate) password_ref: String,
    /// The database client image of the Job that creates the user (default: Docker's official
    /// `postgres` or `mysql` image, docs/workload.md): `registry:NAME` for a repository of this
    /// blueprint's ECR (a copy `images mirror` makes), tagged as the default unless it says a tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) image: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) enum UsageStats {
    /// Written over JDBC to the blueprint's database.
    Database,
    None,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Authentication {
    #[serde(rename = "type")]
    pub(crate) kind: AuthenticationType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) simple: Option<SimpleAuth>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) ldap: Option<LdapAuth>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) openid: Option<OpenIdAuth>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) saml: Option<SamlAuth>,
}

impl Default for Authentication {
    fn default() -> Self {
        Authentication {
            kind: AuthenticationType::None,
            simple: None,
            ldap: None,
            openid: None,
            saml: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) enum AuthenticationType {
    None,
    Simple,
    Ldap,
    Openid,
    Saml,
}

impl AuthenticationType {
    pub(crate) fn key(self) -> &'static str {
        match self {
            AuthenticationType::None => "none",
            AuthenticationType::Simple => "simple",
            AuthenticationType::Ldap => "ldap",
            AuthenticationType::Openid => "openid",
            AuthenticationType::Saml => "saml",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct SimpleAuth {
    pub(crate) users: Vec<SimpleUser>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct SimpleUser {
    pub(crate) name: String,
    /// Reference to the password: `secretsmanager:NAME` or `ssm:/PARAMETER`.
    pub(crate) password_ref: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) groups: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct LdapAuth {
    /// e.g. `ldap://ldap.example.com:389/dc=example,dc=com`
    pub(crate) url: String,
    /// e.g. `uid={0},ou=people`
    pub(crate) user_dn_pattern: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) group_search_base: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) group_search_filter: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) manager_dn: Option<String>,
    /// Reference to the manager password: `secretsmanager:NAME` or `ssm:/PARAMETER`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) manager_password_ref: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct OpenIdAuth {
    pub(crate) auth_url: String,
    pub(crate) token_url: String,
    pub(crate) jwks_url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) logout_url: Option<String>,
    pub(crate) client_id: String,
    /// Reference to the client secret: `secretsmanager:NAME` or `ssm:/PARAMETER`.
    pub(crate) client_secret_ref: String,
    /// Claim holding the user's groups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) roles_claim: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct SamlAuth {
    pub(crate) idp_metadata_url: String,
    pub(crate) app_entity_id: String,
    /// Public base URL of ShinyProxy, e.g. `https://shiny.example.com`.
    pub(crate) app_base_url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) roles_attribute: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct App {
    /// Identifier used in URLs (`/app/<id>`): lowercase letters, digits, hyphens.
    pub(crate) id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) description: Option<String>,
    /// Container image; `registry:NAME:TAG` names a repository of this blueprint's registry.
    pub(crate) image: String,
    #[serde(default = "d::app_port")]
    pub(crate) port: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) cpu: Option<RequestLimit>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) memory: Option<RequestLimit>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) access_groups: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mounts: Vec<Mount>,
    /// Pre-started containers kept ready (ShinyProxy container pre-initialization).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) minimum_seats_available: Option<u32>,
    /// Whether a pre-started container a user has left may be handed to the next user (with
    /// whatever that user wrote in it). Only with `minimumSeatsAvailable`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) allow_container_re_use: bool,
    /// At most this many instances of the app per user (ShinyProxy's default: 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) max_instances: Option<u32>,
    /// At most this many containers of the app across all users (default: no limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) max_total_instances: Option<u32>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) env: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct RequestLimit {
    /// Kubernetes quantity, quoted: `"0.5"`, `1Gi`.
    pub(crate) request: String,
    pub(crate) limit: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Mount {
    /// Name of an access point under `storage.efs.accessPoints`.
    pub(crate) access_point: String,
    /// Mount path inside the app's container.
    pub(crate) path: String,
    #[serde(default)]
    pub(crate) read_only: bool,
}

/// A group of EC2 app servers made alike: one launch template, one security group, one role, one
/// target group. Reached without SSH: `aws ssm start-session` (Session Manager) instead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServerGroup {
    /// Short name: lowercase letters, digits and hyphens; part of every derived AWS name.
    pub(crate) name: String,
    /// Fixed servers, one entry each, in the network's zones (`a` or the zone's whole name).
    /// Either this or `count`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) instances: Vec<FixedServer>,
    /// An Auto Scaling group over the private subnets instead of fixed servers: its servers are
    /// disposable (no local state kept) and replaced by instance refresh.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) count: Option<ServerCount>,
    /// EC2 instance type, e.g. `t3.medium`.
    pub(crate) instance_type: String,
    pub(crate) ami: Ami,
    /// Size of the encrypted gp3 root volume.
    #[serde(default = "d::server_root_volume_gib")]
    pub(crate) root_volume_gib: u32,
    /// EFS paths mounted on every server (over TLS where the image has amazon-efs-utils).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) mounts: Vec<ServerMount>,
    /// The data services the servers use: security-group rules to them, and their endpoints in
    /// `/etc/shinyctl/endpoints.env` on every server.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) connect: Vec<ServerConnection>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) nginx: Option<Nginx>,
    /// Files copied onto every server from the blueprint's buckets.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) files: Vec<ServerFile>,
    /// Shell commands run (as root, in order) after the files and the nginx configuration are
    /// written, each time the configuration changes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) run: Vec<String>,
    /// This group's target group and listener rule on the load balancer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<ServerHttp>,
    /// How long a server leaving the group has to let its users go.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) drain: Option<Drain>,
    /// Posit Workbench (RStudio Server Pro) on every server, load-balanced across the group:
    /// seed 002 (docs/blueprint.md, "Workbench").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) workbench: Option<Workbench>,
}

/// A server's way out of the group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Drain {
    /// The load balancer's deregistration delay (in-flight requests finish), and with
    /// `workbench` on an Auto Scaling group, how long a leaving server has to suspend its
    /// sessions to shared storage before it is terminated.
    pub(crate) timeout_seconds: u32,
}

/// Posit Workbench, load-balanced: every server runs the same version with the same
/// configuration, sessions live on shared storage, and one secure cookie key signs them all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Workbench {
    /// Posit's release, quoted: `"2024.12.1+563.pro5"` (2021.09.0 or later: nodes register
    /// themselves in the database). A change restarts every server at once.
    pub(crate) version: String,
    /// How a new session picks its server.
    #[serde(default = "d::workbench_balancer")]
    pub(crate) balancer: WorkbenchBalancer,
    /// `bucket:NAME/KEY`: the script that picks the server for `balancer: custom`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) custom_balancer: Option<String>,
    /// The server-wide shared storage (`server-shared-storage-path`), on an EFS mount.
    #[serde(default = "d::workbench_shared_storage_path")]
    pub(crate) shared_storage_path: String,
    /// `generated` (a Secrets Manager secret shinyctl makes), or `secretsmanager:NAME`. Never
    /// the key itself. A change restarts every server at once.
    #[serde(default = "d::generated")]
    pub(crate) secure_cookie_key: String,
    /// `secretsmanager:NAME`: the licence file's text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) license_file_ref: Option<String>,
    /// `secretsmanager:NAME`: a licence key (activated on each server: tied to the machine, so
    /// not for an Auto Scaling group).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) license_key_ref: Option<String>,
    /// A licence server's host name (floating licences).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) license_server: Option<String>,
}

impl Workbench {
    /// The job launcher's port, which the nodes open to each other beside the server's own
    /// ("Load balancing: Configuration", Posit Workbench admin guide, requirement 9: 8787 and
    /// 5559).
    pub(crate) const LAUNCHER_PORT: u16 = 5559;
}

/// Posit's balancing methods ("Balancing methods", Posit Workbench admin guide).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum WorkbenchBalancer {
    /// The server with the fewest sessions.
    Sessions,
    /// The server with the lowest 5-minute load average per core.
    SystemLoad,
    /// By a hash of the user's name: a user stays on one server.
    UserHash,
    /// `customBalancer` picks.
    Custom,
}

impl WorkbenchBalancer {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            WorkbenchBalancer::Sessions => "sessions",
            WorkbenchBalancer::SystemLoad => "system-load",
            WorkbenchBalancer::UserHash => "user-hash",
            WorkbenchBalancer::Custom => "custom",
        }
    }
}

impl ServerGroup {
    /// Whether its instance type is a Graviton (arm64) one: a `g` after the generation's digit
    /// (`t4g`, `m7g`, `c6gn`, `r8gd`), and `a1`; GPU families start with `g` (`g5`) and are x86.
    pub(crate) fn arm64(&self) -> bool {
        is_arm64(&self.instance_type)
    }
}

/// Whether an instance type is a Graviton (arm64) one (see [`ServerGroup::arm64`]).
pub(crate) fn is_arm64(instance_type: &str) -> bool {
    let family = instance_type.split('.').next().unwrap_or_default();
    family == "a1"
        || family.find(|c: char| c.is_ascii_digit()).is_some_and(|i| {
            family[i..]
                .trim_start_matches(|c: char| c.is_ascii_digit())
                .starts_with('g')
        })
}

/// One server of a group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct FixedServer {
    /// Its availability zone: `a` or the zone's whole name.
    pub(crate) zone: String,
    /// `false`: made and configured but kept out of the target group (set up before traffic).
    #[serde(default = "d::yes")]
    pub(crate) in_service: bool,
}

/// How many servers an Auto Scaling group keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ServerCount {
    pub(crate) min: u32,
    pub(crate) desired: u32,
    pub(crate) max: u32,
}

/// The machine image: an AMI id, or a family resolved from AWS's public SSM parameters at launch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Ami {
    /// `ami-0123456789abcdef0`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) family: Option<AmiFamily>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub(crate) enum AmiFamily {
    #[serde(rename = "ubuntu-22.04")]
    Ubuntu2204,
    #[serde(rename = "amazon-linux-2023")]
    AmazonLinux2023,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ServerMount {
    /// The directory of the file system mounted (`/` is its root).
    #[serde(default = "d::root_path")]
    pub(crate) efs_path: String,
    /// Where it is mounted on the server, e.g. `/share`.
    pub(crate) path: String,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "camelCase")]
pub(crate) enum ServerConnection {
    Database,
    Cache,
}

/// nginx on every server: one public port forwarded by path to the product's own ports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Nginx {
    /// The port nginx listens on (the target group's port).
    pub(crate) listen: u16,
    pub(crate) locations: Vec<NginxLocation>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct NginxLocation {
    /// A path prefix, `/UserService/`.
    pub(crate) path: String,
    /// The local port requests under it go to (`http://127.0.0.1:<to>`).
    pub(crate) to: u16,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ServerFile {
    /// Where the file is written on the server.
    pub(crate) path: String,
    /// `bucket:NAME/KEY`: object KEY of the blueprint's bucket NAME (`storage.buckets`).
    pub(crate) source: String,
}

impl ServerFile {
    /// `bucket:NAME/KEY` as `(NAME, KEY)`; `None` for any other source.
    pub(crate) fn bucket_source(&self) -> Option<(&str, &str)> {
        bucket_source(&self.source)
    }
}

/// `bucket:NAME/KEY` as `(NAME, KEY)`; `None` for any other text.
pub(crate) fn bucket_source(source: &str) -> Option<(&str, &str)> {
    let (bucket, key) = source.strip_prefix("bucket:")?.split_once('/')?;
    (!bucket.is_empty() && !key.is_empty()).then_some((bucket, key))
}

/// How the load balancer reaches a server group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServerHttp {
    /// The servers' port the target group sends to.
    pub(crate) port: u16,
    /// `/x` routes `/x` and `/x/*` to this group; `/` makes it the listeners' default.
    #[serde(default = "d::root_path")]
    pub(crate) path: String,
    #[serde(default)]
    pub health_check: HealthCheck,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) stickiness: Option<Stickiness>,
}

/// Container services on an ECS cluster, on EC2 capacity (bridge networking, dynamic host
/// ports) or on Fargate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Ecs {
    /// CloudWatch Container Insights on the cluster (metrics per service and task).
    #[serde(default)]
    pub(crate) container_insights: bool,
    pub(crate) capacity: EcsCapacity,
    pub(crate) services: Vec<EcsService>,
}

/// Where the tasks run: EC2 instances of an Auto Scaling group (`instanceTypes`, `min`, `max`)
/// scaled by ECS, or `fargate: true`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct EcsCapacity {
    /// Tasks on Fargate: no instances to manage; `awsvpc` networking, one ENI per task.
    #[serde(default)]
    pub(crate) fargate: bool,
    /// The instances' types (the first is the launch template's); ECS-optimised Amazon Linux 2023.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) instance_types: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) min: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) max: Option<u32>,
    /// How full ECS keeps the instances (managed scaling's target capacity, 1–100).
    #[serde(default = "d::ecs_target_capacity_percent")]
    pub(crate) target_capacity_percent: u32,
}

/// One service: tasks of one container, behind the load balancer by path, scaled by ECS.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct EcsService {
    /// Short name: lowercase letters, digits and hyphens; part of its AWS names.
    pub(crate) name: String,
    /// `registry:NAME:TAG` (the blueprint's ECR) or any image reference; `:latest` never rolls.
    pub(crate) image: String,
    /// The container's command (Docker's CMD), one argument per entry.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) command: Vec<String>,
    /// The container's port; on EC2 capacity the host port is dynamic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) port: Option<u16>,
    /// The task's memory in MiB (the container's hard limit).
    pub(crate) memory: u32,
    /// CPU units (1024 per vCPU); required on Fargate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) cpu: Option<u32>,
    /// Plain environment variables.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) env: BTreeMap<String, String>,
    /// Environment variables from secrets: `secretsmanager:NAME` (`#KEY` for a JSON key) or
    /// `ssm:/PARAMETER`; the task execution role may read exactly these.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) secrets: BTreeMap<String, String>,
    pub(crate) count: EcsCount,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) http: Option<EcsHttp>,
}

/// How many tasks, and when Application Auto Scaling adds or removes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct EcsCount {
    pub(crate) min: u32,
    pub(crate) max: u32,
    /// Target tracking on the service's average CPU.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) cpu_percent: Option<u32>,
    /// Target tracking on the load balancer's requests per task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) requests_per_task: Option<u32>,
}

/// The service's route on the load balancer: the same rules as a server group's `http`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct EcsHttp {
    /// `/x` routes `/x` and `/x/*` to this service; `/` makes it the listeners' default.
    #[serde(default = "d::root_path")]
    pub(crate) path: String,
    #[serde(default)]
    pub(crate) health_check: HealthCheck,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) stickiness: Option<Stickiness>,
}
