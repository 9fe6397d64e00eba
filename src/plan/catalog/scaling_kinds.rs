//! The typed properties of the kinds an ECS service's logs and autoscaling are made of (issue
//! 16): a CloudWatch Logs log group (`cloudwatch_log_group`), an Application Auto Scaling scalable
//! target (`appautoscaling_target`) and its target-tracking policy (`appautoscaling_policy`). The
//! `ecs:` section's builder fills them; the adapters (`aws/services/logs/`,
//! `aws/services/applicationautoscaling/`) read them back.

use serde::{Deserialize, Serialize};

/// A CloudWatch Logs log group (an ECS service's task logs, the `awslogs` driver's
/// `awslogs-group`). The name is fixed at create (no call renames a log group: botocore `logs`
/// has none); the retention changes in place (PutRetentionPolicy, DeleteRetentionPolicy for
/// "never expire").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LogGroupProps {
    /// 1 to 512 of `[\.\-_/#A-Za-z0-9]` (botocore `logs` LogGroupName); the reader lists the
    /// blueprint's log groups by [`log_group_prefix`], so the builder names them with it.
    pub(crate) name: String,
    /// Days the events are kept, one of [`RETENTION_DAYS`]; none: never expire (AWS's default).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub(crate) retention_days: Option<i64>,
}

/// The values PutRetentionPolicy takes (botocore `logs` Days: "Possible values are: 1, 3, 5, 7,
/// 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, and
/// 3653"; the model has no enum, AWS refuses any other value with InvalidParameterException).
/// For the blueprint's validation.
pub(crate) const RETENTION_DAYS: &[i64] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// Whether PutRetentionPolicy takes `days`.
pub(crate) fn valid_retention(days: i64) -> bool {
    RETENTION_DAYS.contains(&days)
}

/// The prefix of every log group the blueprint owns: `/ecs/<blueprint>/` (its services' groups
/// are `/ecs/<blueprint>/<service>`). The reader lists log groups by it (DescribeLogGroups
/// `logGroupNamePrefix`); the ownership tags decide. The trailing `/` keeps blueprint `demo`'s
/// listing from holding `demo-two`'s groups.
pub(crate) fn log_group_prefix(blueprint: &str) -> String {
    format!("/ecs/{blueprint}/")
}

/// An Application Auto Scaling scalable target: an ECS service's desired count, between the
/// minimum and the maximum (ServiceNamespace `ecs`, ScalableDimension `ecs:service:DesiredCount`,
/// ResourceId `service/<cluster>/<service>`: botocore `application-autoscaling`
/// RegisterScalableTarget). The service is fixed at create; min and max change in place (the
/// same RegisterScalableTarget).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ScalableTargetProps {
    /// The address of the `ecs_cluster` the service runs in (its name goes in the ResourceId).
    pub(crate) cluster: String,
    /// The address of the `ecs_service` (its name goes in the ResourceId).
    pub(crate) service: String,
    pub(crate) min_capacity: i64,
    pub(crate) max_capacity: i64,
}

/// The one dimension shinyctl scales: an ECS service's desired count.
pub(crate) const ECS_NAMESPACE: &str = "ecs";
pub(crate) const ECS_DESIRED_COUNT: &str = "ecs:service:DesiredCount";

/// The ResourceId of an ECS service's scalable target (botocore `application-autoscaling`
/// RegisterScalableTarget ResourceId: "ECS service - The resource type is `service` and the
/// unique identifier is the cluster name and service name. Example:
/// `service/my-cluster/my-service`").
pub(crate) fn ecs_resource_id(cluster: &str, service: &str) -> String {
    format!("service/{cluster}/{service}")
}

/// The cluster and service names of an ECS service's ResourceId; `None` for any other.
pub(crate) fn parse_ecs_resource_id(resource_id: &str) -> Option<(&str, &str)> {
    let rest = resource_id.strip_prefix("service/")?;
    let (cluster, service) = rest.split_once('/')?;
    (!cluster.is_empty() && !service.is_empty() && !service.contains('/'))
        .then_some((cluster, service))
}

/// A target-tracking scaling policy of a scalable target: Application Auto Scaling keeps the
/// metric near `targetValue` by changing the desired count (PutScalingPolicy, PolicyType
/// `TargetTrackingScaling`). Name and target are fixed at create; the rest changes in place (the
/// same PutScalingPolicy writes the whole policy).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ScalingPolicyProps {
    /// 1 to 256 printable characters (botocore `application-autoscaling` PolicyName), unique
    /// per scalable target.
    pub(crate) name: String,
    /// The address of its `appautoscaling_target`.
    pub(crate) target: String,
    /// The predefined metric: [`CPU_METRIC`] or [`REQUESTS_METRIC`].
    pub(crate) metric: String,
    /// The metric's target: percent CPU, or requests per task per minute.
    pub(crate) target_value: f64,
    /// For [`REQUESTS_METRIC`] only: the addresses of the load balancer and the target group
    /// whose requests are counted (the adapter builds the ResourceLabel from their ARNs).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub(crate) load_balancer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub(crate) target_group: Option<String>,
    pub(crate) scale_in_cooldown_seconds: i64,
    pub(crate) scale_out_cooldown_seconds: i64,
}

/// The service's average CPU utilisation, percent (botocore `application-autoscaling`
/// MetricType).
pub(crate) const CPU_METRIC: &str = "ECSServiceAverageCPUUtilization";
/// Requests per target of a target group (MetricType `ALBRequestCountPerTarget`, "applies only
/// to Spot Fleets and ECS services"), which needs a ResourceLabel.
pub(crate) const REQUESTS_METRIC: &str = "ALBRequestCountPerTarget";

/// The ResourceLabel of [`REQUESTS_METRIC`]: "the final portion of the load balancer ARN and
/// the final portion of the target group ARN into a single value, separated by a forward slash
/// (/). The format of the resource label is:
/// `app/my-alb/778d41231b141a0f/targetgroup/my-alb-target-group/943f017f100becff`" (botocore
/// `application-autoscaling` PredefinedMetricSpecification ResourceLabel; the same text in the
/// Application Auto Scaling API Reference, PredefinedMetricSpecification). `None` unless both
/// are Application Load Balancer and target group ARNs.
pub(crate) fn resource_label(load_balancer_arn: &str, target_group_arn: &str) -> Option<String> {
    // arn:<partition>:elasticloadbalancing:<region>:<account>:loadbalancer/app/<name>/<id>
    let lb = load_balancer_arn.split_once(":loadbalancer/")?.1;
    // arn:<partition>:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<id>
    let tg = target_group_arn.split_once(":targetgroup/")?.1;
    let parts = |s: &str, n| s.split('/').filter(|p| !p.is_empty()).count() == n;
    (lb.starts_with("app/") && parts(lb, 3) && parts(tg, 2))
        .then(|| format!("{lb}/targetgroup/{tg}"))
}

/// The load balancer's and target group's ARNs a ResourceLabel names, in `arn_prefix`
/// (`arn:<partition>:elasticloadbalancing:<region>:<account>`): the reader's way back to their
/// addresses.
pub(crate) fn label_arns(arn_prefix: &str, label: &str) -> Option<(String, String)> {
    let (lb, tg) = label.split_once("/targetgroup/")?;
    Some((
        format!("{arn_prefix}:loadbalancer/{lb}"),
        format!("{arn_prefix}:targetgroup/{tg}"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::ResourceKind as K;
    use crate::plan::props::{check_spec_fields, field_names};

    #[test]
    fn properties_structs_have_the_fields_their_specs_name() {
        check_spec_fields::<LogGroupProps>(K::CloudWatchLogGroup);
        check_spec_fields::<ScalableTargetProps>(K::AppAutoScalingTarget);
        check_spec_fields::<ScalingPolicyProps>(K::AppAutoScalingPolicy);
        assert_eq!(field_names::<LogGroupProps>(), ["name", "retentionDays"]);
        assert_eq!(
            field_names::<ScalableTargetProps>(),
            ["cluster", "service", "minCapacity", "maxCapacity"]
        );
        assert_eq!(
            field_names::<ScalingPolicyProps>(),
            [
                "name",
                "target",
                "metric",
                "targetValue",
                "loadBalancer",
                "targetGroup",
                "scaleInCooldownSeconds",
                "scaleOutCooldownSeconds"
            ]
        );
    }

    #[test]
    fn properties_serialise_in_declaration_order_without_absent_options() {
        let group = LogGroupProps {
            name: "/ecs/demo/web".into(),
            retention_days: None,
        };
        assert_eq!(
            serde_json::to_string(&group).unwrap(),
            r#"{"name":"/ecs/demo/web"}"#
        );
        let policy = ScalingPolicyProps {
            name: "demo-web-cpu".into(),
            target: "ecs.appautoscaling_target[web]".into(),
            metric: CPU_METRIC.into(),
            target_value: 60.0,
            load_balancer: None,
            target_group: None,
            scale_in_cooldown_seconds: 300,
            scale_out_cooldown_seconds: 60,
        };
        assert_eq!(
            serde_json::to_string(&policy).unwrap(),
            r#"{"name":"demo-web-cpu","target":"ecs.appautoscaling_target[web]","metric":"ECSServiceAverageCPUUtilization","targetValue":60.0,"scaleInCooldownSeconds":300,"scaleOutCooldownSeconds":60}"#
        );
    }

    #[test]
    fn retention_is_one_of_the_values_aws_takes() {
        assert_eq!(RETENTION_DAYS.len(), 22);
        for ok in [1, 7, 30, 365, 3653] {
            assert!(valid_retention(ok), "{ok}");
        }
        for bad in [0, 2, 31, 366, 3650, -1] {
            assert!(!valid_retention(bad), "{bad}");
        }
    }

    #[test]
    fn ecs_resource_ids_round_trip() {
        assert_eq!(ecs_resource_id("demo", "web"), "service/demo/web");
        assert_eq!(
            parse_ecs_resource_id("service/demo/web"),
            Some(("demo", "web"))
        );
        for other in [
            "service/demo",
            "service//web",
            "table/x",
            "service/a/b/c",
            "spot-fleet-request/sfr-1",
        ] {
            assert_eq!(parse_ecs_resource_id(other), None, "{other}");
        }
    }

    #[test]
    fn the_resource_label_is_the_arns_final_portions() {
        let lb = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/my-alb/778d41231b141a0f";
        let tg = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/my-alb-target-group/943f017f100becff";
        let label = resource_label(lb, tg).unwrap();
        // The API reference's example, exactly.
        assert_eq!(
            label,
            "app/my-alb/778d41231b141a0f/targetgroup/my-alb-target-group/943f017f100becff"
        );
        assert_eq!(
            label_arns(
                "arn:aws:elasticloadbalancing:us-east-1:123456789012",
                &label
            ),
            Some((lb.to_string(), tg.to_string()))
        );
        // A Network Load Balancer counts no requests; a name is no ARN.
        let nlb = "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/net/n/1";
        assert_eq!(resource_label(nlb, tg), None);
        assert_eq!(resource_label("my-alb", tg), None);
        assert_eq!(resource_label(lb, "my-alb-target-group"), None);
    }

    #[test]
    fn log_groups_are_listed_by_a_prefix_no_other_blueprint_shares() {
        let demo = log_group_prefix("demo");
        assert_eq!(demo, "/ecs/demo/");
        assert!(!format!("{}web", log_group_prefix("demo-two")).starts_with(&demo));
    }
}
