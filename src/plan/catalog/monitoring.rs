//! `monitoring`: the alarm topic and its e-mail subscription, Synthetics canaries (with their
//! artifact bucket; the role is built in `iam`) and CloudWatch alarms that notify the topic.

use serde_json::{Value, json};

use super::cache::first_node_id;
use super::{Ctx, addresses as a, duration_seconds};
use crate::blueprint::model::{
    AlarmMetric, ClusterMode, ListenerProtocol, LoadBalancerType, Monitoring,
};
use crate::blueprint::support::defaults::CANARY_RUNTIME;
use crate::plan::{Resource, ResourceKind as K};

const ORIGIN: &str = "monitoring";
const RETENTION_DAYS: u32 = 31;
const DEFAULT_PERIOD_SECONDS: u64 = 300;

pub(crate) fn build(cx: &mut Ctx) {
    let Some(monitoring) = cx.bp.monitoring.clone() else {
        return;
    };
    let topic = monitoring.alarm_email.is_some() || !monitoring.alarms.is_empty();
    if topic {
        cx.push(
            Resource::new(a::ALARM_TOPIC, K::SnsTopic, cx.names.alarm_topic(), ORIGIN)
                .with("name", cx.names.alarm_topic()),
        );
    }
    if let Some(email) = &monitoring.alarm_email {
        cx.push(
            Resource::new(
                a::alarm_subscription(email),
                K::SnsSubscription,
                email.clone(),
                "monitoring.alarmEmail",
            )
            .with("topic", a::ALARM_TOPIC)
            .with("protocol", "email")
            .with("endpoint", email.clone()),
        );
    }
    canaries(cx, &monitoring);
    alarms(cx, &monitoring);
}

fn canaries(cx: &mut Ctx, monitoring: &Monitoring) {
    if monitoring.canaries.is_empty() {
        return;
    }
    let bucket = cx.names.canary_bucket(&cx.bp.metadata.region);
    cx.push(
        Resource::new(
            a::CANARY_BUCKET,
            K::S3Bucket,
            bucket.clone(),
            "monitoring.canaries",
        )
        .with("bucket", bucket)
        .with("encryption", json!({"sseAlgorithm": "AES256"}))
        .with("publicAccessBlock", super::PRIVATE_BUCKET.clone()),
    );
    let target = canary_target(cx);
    let role_attachments = cx.attachments_of(a::CANARY_ROLE);
    for (i, canary) in monitoring.canaries.iter().enumerate() {
        let name = cx.names.canary(&canary.name);
        let seconds = duration_seconds(&canary.every).unwrap_or(DEFAULT_PERIOD_SECONDS);
        let mut url = target.clone();
        url["path"] = json!(canary.path);
        let mut resource = Resource::new(
            a::canary(&canary.name),
            K::Canary,
            name.clone(),
            format!("monitoring.canaries[{i}]"),
        )
        .with("name", name.clone())
        .with("runtimeVersion", CANARY_RUNTIME)
        .with("executionRole", a::CANARY_ROLE)
        .with("artifactBucket", a::CANARY_BUCKET)
        .with("artifactPrefix", format!("canary/{name}"))
        .with("schedule", rate_expression(seconds))
        .with("blueprint", "heartbeat")
        .with("target", url)
        .with("startAfterCreation", true)
        .with("successRetentionPeriodDays", RETENTION_DAYS)
        .with("failureRetentionPeriodDays", RETENTION_DAYS);
        for attachment in &role_attachments {
            resource = resource.after(attachment);
        }
        cx.push(resource);
    }
}

/// The canary requests `ingress.domain` (what users reach, and what an HTTPS certificate is
/// for), else the load balancer's DNS name, on [`Ingress::canary_listener`], over HTTPS when that
/// listener speaks it. Without an ingress there is no target (validation reports it).
fn canary_target(cx: &Ctx) -> Value {
    let Some(ingress) = &cx.bp.ingress else {
        return json!({});
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
    json!({
        "host": host,
        "protocol": protocol,
        "port": port,
        "listener": a::listener(port)
    })
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
    dimensions: Value,
    /// Address of the watched resource: the alarm waits for it.
    watches: String,
}

fn alarms(cx: &mut Ctx, monitoring: &Monitoring) {
    let mut used: Vec<String> = Vec::new();
    for (i, alarm) in monitoring.alarms.iter().enumerate() {
        let origin = format!("monitoring.alarms[{i}]");
        let period = duration_seconds(&alarm.period).unwrap_or(DEFAULT_PERIOD_SECONDS);
        for (key, metric) in metrics(cx, monitoring, alarm.metric) {
            // Two alarms on one metric (say, warning and critical) get numbered keys.
            let key = if used.contains(&key) {
                format!("{key}-{i}")
            } else {
                key
            };
            used.push(key.clone());
            let name = cx.names.alarm(&key);
            cx.push(
                Resource::new(
                    a::alarm(&key),
                    K::CloudWatchAlarm,
                    name.clone(),
                    origin.clone(),
                )
                .with("alarmName", name)
                .with("namespace", metric.namespace)
                .with("metricName", metric.name)
                .with("dimensions", metric.dimensions)
                .with("statistic", metric.statistic)
                .with("periodSeconds", period)
                .with("evaluationPeriods", 1)
                .with("threshold", alarm.threshold)
                .with("comparisonOperator", metric.comparison)
                .with("treatMissingData", "notBreaching")
                .with("alarmActions", json!([a::ALARM_TOPIC]))
                .with("okActions", json!([a::ALARM_TOPIC]))
                // Dimensions hold names, not addresses: wait for the watched resource.
                .after(&crate::plan::Address::new(metric.watches)),
            );
        }
    }
}

/// The CloudWatch metric(s) behind an alarm kind, keyed for the address; none when the thing
/// watched is not in the blueprint (validation reports that).
fn metrics(cx: &Ctx, monitoring: &Monitoring, metric: AlarmMetric) -> Vec<(String, Metric)> {
    let bp = cx.bp;
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
                        dimensions: json!({"CanaryName": cx.names.canary(&c.name)}),
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
            let tg = a::attribute(a::TARGET_GROUP, "arnSuffix");
            if metric == AlarmMetric::UnhealthyTargets {
                vec![(
                    "unhealthy-targets".into(),
                    Metric {
                        namespace,
                        name: "UnHealthyHostCount",
                        statistic: "Maximum",
                        comparison: at_least,
                        dimensions: json!({"LoadBalancer": lb, "TargetGroup": tg}),
                        watches: a::TARGET_GROUP.into(),
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
                        dimensions: json!({"LoadBalancer": lb}),
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
                    dimensions: json!({ dimension: cx.names.database() }),
                    watches: watches.into(),
                },
            )]
        }
        AlarmMetric::CacheCpu => {
            let Some(cache) = &bp.cache else {
                return Vec::new();
            };
            let node = first_node_id(
                &cx.names.cache(),
                cache.cluster_mode == ClusterMode::Enabled,
            );
            vec![(
                "cache-cpu".into(),
                Metric {
                    namespace: "AWS/ElastiCache",
                    name: "EngineCPUUtilization",
                    statistic: "Average",
                    comparison: above,
                    dimensions: json!({"CacheClusterId": node}),
                    watches: a::CACHE_REPLICATION_GROUP.into(),
                },
            )]
        }
    }
}
