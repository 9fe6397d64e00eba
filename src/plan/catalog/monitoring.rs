//! `monitoring`: the alarm topic and its e-mail subscription, Synthetics canaries (with their
//! artifact bucket; the role is built in `iam`) and CloudWatch alarms that notify the topic.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::cache::first_node_id;
use super::storage::{BucketEncryption, PublicAccessBlock, S3BucketProps};
use super::{Catalog, addresses as a, duration_seconds};
use crate::blueprint::model::{
    AlarmMetric, ClusterMode, ListenerProtocol, LoadBalancerType, Monitoring,
};
use crate::blueprint::support::defaults::CANARY_RUNTIME;
use crate::plan::{Resource, ResourceKind as K};

const ORIGIN: &str = "monitoring";
const RETENTION_DAYS: u32 = 31;
const DEFAULT_PERIOD_SECONDS: u64 = 300;

/// An SNS topic's properties.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct SnsTopicProps {
    pub(crate) name: String,
}

/// An SNS subscription's properties: all three identify it (nothing changes in place).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct SnsSubscriptionProps {
    /// The topic's address (its ARN once resolved).
    pub(crate) topic: String,
    pub(crate) protocol: String,
    pub(crate) endpoint: String,
}

/// A Synthetics canary's properties. `executionRole` and `artifactBucket` are addresses (the
/// role's ARN and the bucket's name once resolved). A canary in ERROR is read with a `status`
/// (its kind's broken marker), which the catalog never sets: it is no field here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CanaryProps {
    pub(crate) name: String,
    pub(crate) runtime_version: String,
    pub(crate) execution_role: String,
    pub(crate) artifact_bucket: String,
    /// The key prefix of the run artifacts in the bucket (`canary/<name>`).
    pub(crate) artifact_prefix: String,
    /// A Synthetics schedule expression ([`rate_expression`]).
    pub(crate) schedule: String,
    /// The script the canary runs (`heartbeat`: load the target, expect 200-399).
    pub(crate) blueprint: String,
    pub(crate) target: CanaryTarget,
    pub(crate) start_after_creation: bool,
    pub(crate) success_retention_period_days: u32,
    pub(crate) failure_retention_period_days: u32,
}

/// What a canary requests: `protocol://host:port/path`. The host, protocol, port and listener
/// come from the ingress and are all set or all absent (without an ingress, which validation
/// reports); the host may be a reference (the load balancer's `dnsName`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct CanaryTarget {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub(crate) host: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub(crate) protocol: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub(crate) port: Option<u16>,
    /// The listener's address (the canary waits for it).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub(crate) listener: Option<String>,
    pub(crate) path: String,
}

/// A CloudWatch metric alarm's properties; PutMetricAlarm writes them all each time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CloudWatchAlarmProps {
    pub(crate) alarm_name: String,
    pub(crate) namespace: String,
    pub(crate) metric_name: String,
    /// Dimension name → value; a value may be a reference (`ingress.loadBalancer#arnSuffix`).
    /// Sorted by name, as the reader returns them.
    pub(crate) dimensions: BTreeMap<String, String>,
    pub(crate) statistic: String,
    pub(crate) period_seconds: u64,
    pub(crate) evaluation_periods: u32,
    pub(crate) threshold: f64,
    pub(crate) comparison_operator: String,
    pub(crate) treat_missing_data: String,
    /// Addresses of the topics notified (their ARNs once resolved).
    pub(crate) alarm_actions: Vec<String>,
    pub(crate) ok_actions: Vec<String>,
}

pub(crate) fn build(catalog: &mut Catalog) {
    let Some(monitoring) = catalog.bp.monitoring.clone() else {
        return;
    };
    let topic = monitoring.alarm_email.is_some() || !monitoring.alarms.is_empty();
    if topic {
        catalog.push(
            Resource::new(
                a::ALARM_TOPIC,
                K::SnsTopic,
                catalog.names.alarm_topic(),
                ORIGIN,
            )
            .props(&SnsTopicProps {
                name: catalog.names.alarm_topic(),
            }),
        );
    }
    if let Some(email) = &monitoring.alarm_email {
        catalog.push(
            Resource::new(
                a::alarm_subscription(email),
                K::SnsSubscription,
                email.clone(),
                "monitoring.alarmEmail",
            )
            .props(&SnsSubscriptionProps {
                topic: a::ALARM_TOPIC.to_string(),
                protocol: "email".into(),
                endpoint: email.clone(),
            }),
        );
    }
    canaries(catalog, &monitoring);
    alarms(catalog, &monitoring);
}

fn canaries(catalog: &mut Catalog, monitoring: &Monitoring) {
    if monitoring.canaries.is_empty() {
        return;
    }
    let bucket = catalog.names.canary_bucket(&catalog.bp.metadata.region);
    catalog.push(
        Resource::new(
            a::CANARY_BUCKET,
            K::S3Bucket,
            bucket.clone(),
            "monitoring.canaries",
        )
        .props(&S3BucketProps {
            bucket,
            versioning: None,
            encryption: BucketEncryption::aes256(),
            public_access_block: PublicAccessBlock::PRIVATE,
        }),
    );
    let target = canary_target(catalog);
    let role_attachments = catalog.attachments_of(a::CANARY_ROLE);
    for (i, canary) in monitoring.canaries.iter().enumerate() {
        let name = catalog.names.canary(&canary.name);
        let seconds = duration_seconds(&canary.every).unwrap_or(DEFAULT_PERIOD_SECONDS);
        let mut resource = Resource::new(
            a::canary(&canary.name),
            K::Canary,
            name.clone(),
            format!("monitoring.canaries[{i}]"),
        )
        .props(&CanaryProps {
            name: name.clone(),
            runtime_version: CANARY_RUNTIME.to_string(),
            execution_role: a::CANARY_ROLE.to_string(),
            artifact_bucket: a::CANARY_BUCKET.to_string(),
            artifact_prefix: format!("canary/{name}"),
            schedule: rate_expression(seconds),
            blueprint: "heartbeat".into(),
            target: CanaryTarget {
                path: canary.path.clone(),
                ..target.clone()
            },
            start_after_creation: true,
            success_retention_period_days: RETENTION_DAYS,
            failure_retention_period_days: RETENTION_DAYS,
        });
        for attachment in &role_attachments {
            resource = resource.after(attachment);
        }
        catalog.push(resource);
    }
}

/// The canary requests `ingress.domain` (what users reach, and what an HTTPS certificate is
/// for), else the load balancer's DNS name, on [`Ingress::canary_listener`], over HTTPS when that
/// listener speaks it. Without an ingress there is no target (validation reports it).
fn canary_target(catalog: &Catalog) -> CanaryTarget {
    let Some(ingress) = &catalog.bp.ingress else {
        return CanaryTarget::default();
    };
    let listener = ingress.canary_listener();
    let (protocol, port) = match listener {
        Some(l) => (
            match l.protocol {
                ListenerProtocol::Https | ListenerProtocol::Tls => "https",
                ListenerProtocol::Http | ListenerProtocol::Tcp => "http",
            },
            l.port,
        ),
        None => ("http", 80),
    };
    let host = match &ingress.domain {
        Some(domain) => domain.clone(),
        None => a::attribute(a::LOAD_BALANCER, "dnsName"),
    };
    CanaryTarget {
        host: Some(host),
        protocol: Some(protocol.into()),
        port: Some(port),
        listener: Some(a::listener(port)),
        path: String::new(),
    }
}

/// Synthetics schedules: `rate(5 minutes)`, `rate(1 hour)`.
pub(crate) fn rate_expression(seconds: u64) -> String {
    let minutes = (seconds / 60).max(1);
    let (n, unit) = if minutes % 60 == 0 {
        (minutes / 60, "hour")
    } else {
        (minutes, "minute")
    };
    let plural = if n == 1 { "" } else { "s" };
    format!("rate({n} {unit}{plural})")
}

struct Metric {
    namespace: &'static str,
    name: &'static str,
    statistic: &'static str,
    comparison: &'static str,
    dimensions: BTreeMap<String, String>,
    /// Address of the watched resource: the alarm waits for it.
    watches: String,
}

fn alarms(catalog: &mut Catalog, monitoring: &Monitoring) {
    let mut used: Vec<String> = Vec::new();
    for (i, alarm) in monitoring.alarms.iter().enumerate() {
        let origin = format!("monitoring.alarms[{i}]");
        let period = duration_seconds(&alarm.period).unwrap_or(DEFAULT_PERIOD_SECONDS);
        for (key, metric) in metrics(catalog, monitoring, alarm.metric) {
            // Two alarms on one metric (say, warning and critical) get numbered keys.
            let key = if used.contains(&key) {
                format!("{key}-{i}")
            } else {
                key
            };
            used.push(key.clone());
            let name = catalog.names.alarm(&key);
            catalog.push(
                Resource::new(
                    a::alarm(&key),
                    K::CloudWatchAlarm,
                    name.clone(),
                    origin.clone(),
                )
                .props(&CloudWatchAlarmProps {
                    alarm_name: name,
                    namespace: metric.namespace.into(),
                    metric_name: metric.name.into(),
                    dimensions: metric.dimensions,
                    statistic: metric.statistic.into(),
                    period_seconds: period,
                    evaluation_periods: 1,
                    threshold: alarm.threshold,
                    comparison_operator: metric.comparison.into(),
                    treat_missing_data: "notBreaching".into(),
                    alarm_actions: vec![a::ALARM_TOPIC.into()],
                    ok_actions: vec![a::ALARM_TOPIC.into()],
                })
                // Dimensions hold names, not addresses: wait for the watched resource.
                .after(&crate::plan::Address::new(metric.watches)),
            );
        }
    }
}

/// The CloudWatch metric(s) behind an alarm kind, keyed for the address; none when the thing
/// watched is not in the blueprint (validation reports that).
fn metrics(
    catalog: &Catalog,
    monitoring: &Monitoring,
    metric: AlarmMetric,
) -> Vec<(String, Metric)> {
    let bp = catalog.bp;
    let at_least = "GreaterThanOrEqualToThreshold";
    let above = "GreaterThanThreshold";
    match metric {
        AlarmMetric::CanaryFailed => monitoring
            .canaries
            .iter()
            .map(|c| {
                (
                    format!("canary-failed-{}", c.name),
                    Metric {
                        namespace: "CloudWatchSynthetics",
                        name: "Failed",
                        statistic: "Sum",
                        comparison: at_least,
                        dimensions: dimensions([("CanaryName", catalog.names.canary(&c.name))]),
                        watches: a::canary(&c.name),
                    },
                )
            })
            .collect(),
        AlarmMetric::UnhealthyTargets | AlarmMetric::Http5xx => {
            let Some(ingress) = &bp.ingress else {
                return Vec::new();
            };
            let namespace = match ingress.kind {
                LoadBalancerType::Alb => "AWS/ApplicationELB",
                LoadBalancerType::Nlb => "AWS/NetworkELB",
            };
            let lb = a::attribute(a::LOAD_BALANCER, "arnSuffix");
            // The listeners' default target group: ShinyProxy's, or a server group's that takes `/`.
            let default_target =
                super::routes::root_target_group(bp).unwrap_or_else(|| a::TARGET_GROUP.to_string());
            let tg = a::attribute(&default_target, "arnSuffix");
            if metric == AlarmMetric::UnhealthyTargets {
                vec![(
                    "unhealthy-targets".into(),
                    Metric {
                        namespace,
                        name: "UnHealthyHostCount",
                        statistic: "Maximum",
                        comparison: at_least,
                        dimensions: dimensions([("LoadBalancer", lb), ("TargetGroup", tg)]),
                        watches: default_target,
                    },
                )]
            } else if ingress.kind == LoadBalancerType::Alb {
                vec![(
                    "http-5xx".into(),
                    Metric {
                        namespace,
                        name: "HTTPCode_ELB_5XX_Count",
                        statistic: "Sum",
                        comparison: at_least,
                        dimensions: dimensions([("LoadBalancer", lb)]),
                        watches: a::LOAD_BALANCER.into(),
                    },
                )]
            } else {
                Vec::new()
            }
        }
        AlarmMetric::DatabaseCpu => {
            let Some(db) = &bp.database else {
                return Vec::new();
            };
            let (dimension, watches) = if db.engine.is_aurora() {
                ("DBClusterIdentifier", a::DB_CLUSTER)
            } else {
                ("DBInstanceIdentifier", a::DB_INSTANCE)
            };
            vec![(
                "database-cpu".into(),
                Metric {
                    namespace: "AWS/RDS",
                    name: "CPUUtilization",
                    statistic: "Average",
                    comparison: above,
                    dimensions: dimensions([(dimension, catalog.names.database())]),
                    watches: watches.into(),
                },
            )]
        }
        AlarmMetric::CacheCpu => {
            let Some(cache) = &bp.cache else {
                return Vec::new();
            };
            let node = first_node_id(
                &catalog.names.cache(),
                cache.cluster_mode == ClusterMode::Enabled,
            );
            vec![(
                "cache-cpu".into(),
                Metric {
                    namespace: "AWS/ElastiCache",
                    name: "EngineCPUUtilization",
                    statistic: "Average",
                    comparison: above,
                    dimensions: dimensions([("CacheClusterId", node)]),
                    watches: a::CACHE_REPLICATION_GROUP.into(),
                },
            )]
        }
    }
}

fn dimensions<const N: usize>(pairs: [(&str, String); N]) -> BTreeMap<String, String> {
    pairs
        .into_iter()
        .map(|(name, value)| (name.to_string(), value))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::props::check_spec_fields;

    #[test]
    fn properties_structs_have_the_fields_their_specs_name() {
        check_spec_fields::<SnsTopicProps>(K::SnsTopic);
        check_spec_fields::<SnsSubscriptionProps>(K::SnsSubscription);
        check_spec_fields::<CanaryProps>(K::Canary);
        check_spec_fields::<CloudWatchAlarmProps>(K::CloudWatchAlarm);
    }
}
