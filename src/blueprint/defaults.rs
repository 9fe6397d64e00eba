//! Defaults, as explicit pure functions. `model.rs` references them with `#[serde(default = ...)]`,
//! so one definition serves deserialisation and the JSON Schema (editors show them).

use super::model::*;

pub(crate) fn yes() -> bool {
    true
}
pub(crate) fn one() -> u32 {
    1
}
pub(crate) fn network_cidr() -> String {
    "10.0.0.0/16".into()
}
pub(crate) fn availability_zones() -> AvailabilityZones {
    AvailabilityZones::Count(2)
}
pub(crate) fn nat_gateway() -> NatGateway {
    NatGateway::Single
}
pub(crate) fn public_cidrs() -> Vec<String> {
    vec!["0.0.0.0/0".into()]
}
/// A server's root volume: room for the OS, nginx and the product (the seed used 30 GiB).
pub(crate) fn server_root_volume_gib() -> u32 {
    30
}
/// The root of a file system, or of the load balancer's paths.
pub(crate) fn root_path() -> String {
    "/".into()
}
pub(crate) fn node_disk_gib() -> u32 {
    50
}
pub(crate) fn capacity_type() -> CapacityType {
    CapacityType::OnDemand
}
pub(crate) fn efs_performance_mode() -> EfsPerformanceMode {
    EfsPerformanceMode::GeneralPurpose
}
pub(crate) fn efs_throughput_mode() -> EfsThroughputMode {
    EfsThroughputMode::Elastic
}
pub(crate) fn access_point_permissions() -> String {
    "0755".into()
}
pub(crate) fn backup_retention_days() -> u32 {
    7
}
pub(crate) fn master_username() -> String {
    "shinyadmin".into()
}
pub(crate) fn cache_engine() -> CacheEngine {
    CacheEngine::Redis
}
pub(crate) fn cluster_mode() -> ClusterMode {
    ClusterMode::Disabled
}
pub(crate) fn scheme() -> Scheme {
    Scheme::InternetFacing
}
/// AWS's own idle timeout defaults; `validate` insists the one in force is at least the proxy
/// heartbeat timeout.
pub(crate) const ALB_IDLE_TIMEOUT_SECONDS: u32 = 60;
pub(crate) const NLB_IDLE_TIMEOUT_SECONDS: u32 = 350;
pub(crate) fn stickiness_seconds() -> u32 {
    86_400
}
pub(crate) fn health_check_path() -> String {
    "/".into()
}
pub(crate) fn health_check_interval() -> u32 {
    30
}
pub(crate) fn health_check_timeout() -> u32 {
    5
}
pub(crate) fn healthy_threshold() -> u32 {
    3
}
pub(crate) fn unhealthy_threshold() -> u32 {
    3
}
pub(crate) fn canary_every() -> String {
    "5m".into()
}
pub(crate) fn alarm_period() -> String {
    "5m".into()
}
pub(crate) fn proxy_kind() -> ProxyKind {
    ProxyKind::Shinyproxy
}
pub(crate) fn proxy_namespace() -> String {
    "shinyproxy".into()
}
pub(crate) fn app_namespace() -> String {
    "shiny-apps".into()
}
pub(crate) fn heartbeat_timeout_seconds() -> u32 {
    60
}
pub(crate) fn usage_stats() -> UsageStats {
    UsageStats::None
}
pub(crate) fn usage_stats_user_name() -> String {
    "shinyproxy_usage".into()
}
pub(crate) fn app_port() -> u16 {
    3838
}

/// Availability-zone names: an explicit list as written, or the region's first `n` zones
/// (`<region>a`, `<region>b`, ...), which is how AWS names them in every commercial and China region.
pub(crate) fn zone_names(region: &str, azs: &AvailabilityZones) -> Vec<String> {
    match azs {
        AvailabilityZones::Names(names) => names.clone(),
        AvailabilityZones::Count(n) => (0..u32::from(*n))
            .map(|i| format!("{region}{}", char::from_u32('a' as u32 + i).unwrap_or('?')))
            .collect(),
    }
}

pub(crate) fn workbench_balancer() -> WorkbenchBalancer {
    WorkbenchBalancer::Sessions
}

/// Posit's own example, on the volume of the shared home directories ("Shared storage").
pub(crate) fn workbench_shared_storage_path() -> String {
    "/home/rstudio-server/shared-storage".into()
}

pub(crate) fn generated() -> String {
    "generated".into()
}

/// Managed scaling's target: ECS adds instances before the last one is full.
pub(crate) fn ecs_target_capacity_percent() -> u32 {
    100
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zone_names_counts_from_a() {
        assert_eq!(
            zone_names("cn-northwest-1", &AvailabilityZones::Count(2)),
            ["cn-northwest-1a", "cn-northwest-1b"]
        );
    }

    #[test]
    fn zone_names_keeps_an_explicit_list() {
        let names = AvailabilityZones::Names(vec!["us-east-1c".into()]);
        assert_eq!(zone_names("us-east-1", &names), ["us-east-1c"]);
    }
}
