//! A target group (IP targets: the ShinyProxy pods). Its name is unique per account and
//! region, so create looks it up first; the health check (ModifyTargetGroup) and the attributes
//! (stickiness, deregistration delay: ModifyTargetGroupAttributes) change in place. Its read
//! lists the account's target groups and reads the attributes of each one that is ours.

use std::collections::BTreeMap;

use aws_sdk_elasticloadbalancingv2::types::{
    Matcher, ProtocolEnum, TargetGroupAttribute, TargetTypeEnum,
};
use serde_json::Value;

use super::elbv2::{DEREGISTRATION_DELAY, ElbTags, elb_tags, owned_with, tg_outputs};
use super::stages::{Read, TAGGED, after, first};
use super::target_group_attachment::{registrations, target_health};
use super::{
    Adapter, AwsRead, AwsResult, AwsStep, Found, StepResult, deleted, first_found, sync_tags,
};
use crate::apply::StepError;
use crate::aws::tags::{self, TagSet};
use crate::plan::catalog::ingress::{
    HealthCheckProps, StickinessKind, StickinessProps, TargetGroupProps,
};
use crate::plan::{Address, ResourceKind as K};

type Group = aws_sdk_elasticloadbalancingv2::types::TargetGroup;

/// Sets the health check on a CreateTargetGroup or a ModifyTargetGroup request (the two take
/// the same fields under the same names).
macro_rules! with_health_check {
    ($request:expr, $check:expr) => {{
        let check = $check;
        $request
            .health_check_protocol(ProtocolEnum::from(check.protocol.as_str()))
            .health_check_path(&check.path)
            .health_check_port(&check.port)
            .set_health_check_interval_seconds(i32::try_from(check.interval_seconds).ok())
            .set_health_check_timeout_seconds(i32::try_from(check.timeout_seconds).ok())
            .set_healthy_threshold_count(i32::try_from(check.healthy_threshold).ok())
            .set_unhealthy_threshold_count(i32::try_from(check.unhealthy_threshold).ok())
            .matcher(Matcher::builder().http_code(&check.matcher).build())
    }};
}

pub(crate) struct TargetGroup;

impl Adapter for TargetGroup {
    // Beside the load balancers' listing (their tag read is declared with the load balancer's).
    const READS: &'static [Read] = &[
        first(("elbv2", "DescribeTargetGroups")),
        after(
            ("elbv2", "DescribeTargetGroupAttributes"),
            &[("elbv2", "DescribeTargetGroups"), TAGGED],
        ),
        // The registrations in the instance groups (the target-group attachments, read here),
        // but for a group the blueprint's Auto Scaling group or ECS service fills.
        after(
            ("elbv2", "DescribeTargetHealth"),
            &[("elbv2", "DescribeTargetGroups"), TAGGED],
        ),
    ];

    async fn read(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
        let elb = &read.clients().elbv2;
        let groups: Vec<_> = all_items!(elb.describe_target_groups(), target_groups);
        // Target groups an Auto Scaling group or an ECS service keeps filled: it registers and
        // deregisters its own instances or tasks (an ECS service its tasks' instances on their
        // dynamic host ports: "Use an Application Load Balancer for Amazon ECS"), so those
        // registrations are no attachment's and never the plan's to remove.
        let scaled_by_groups = read
            .desired_of(K::AutoScalingGroup)
            .filter_map(|g| g.properties.get("targetGroups").and_then(Value::as_array))
            .flatten()
            .filter_map(Value::as_str);
        let filled_by_services = read
            .desired_of(K::EcsService)
            .filter_map(|s| s.properties.get("loadBalancers").and_then(Value::as_array))
            .flatten()
            .filter_map(|lb| lb.get("targetGroup").and_then(Value::as_str));
        let scaled: std::collections::BTreeSet<&str> =
            scaled_by_groups.chain(filled_by_services).collect();
        let scaled = &scaled;
        // Whether the blueprint's group of this name is one of those: its registrations are not read.
        let filled = |tg: &aws_sdk_elasticloadbalancingv2::types::TargetGroup| {
            tg.target_group_name()
                .and_then(|name| read.desired_named(K::TargetGroup, &["name"], name))
                .is_some_and(|d| scaled.contains(d.address.as_str()))
        };
        // Each group's attributes (settings only: not for destroy) and registrations, beside the tag
        // read of the groups the tagging API does not list.
        let ours = owned_with(
            read,
            &groups,
            |tg| tg.target_group_arn(),
            |tg| {
                tg.target_group_name()
                    .is_some_and(|name| read.is_desired(K::TargetGroup, name))
            },
            |tg| async move {
                let attributes = async {
                    if read.inventory {
                        return Ok(None);
                    }
                    elb.describe_target_group_attributes()
                        .target_group_arn(tg.target_group_arn().unwrap_or_default())
                        .send()
                        .await
                        .aws()
                        .map(Some)
                };
                let health = async {
                    if filled(tg) {
                        return Ok(None);
                    }
                    target_health(read, tg).await.map(Some)
                };
                futures::try_join!(attributes, health)
            },
        )
        .await?;
        let mut found = Vec::new();
        for (tg, tags, address, (answer, health)) in ours {
            let arn = tg.target_group_arn().unwrap_or_default();
            let attributes: Option<Attributes> = answer.as_ref().map(|answer| {
                let pairs = answer.attributes().iter();
                pairs.filter_map(|a| Some((a.key()?, a.value()?))).collect()
            });
            if !scaled.contains(address.as_str()) {
                // Not read above only where the blueprint's group of this name is filled by others,
                // and this one's tags put it at another address: read now.
                let health = match health {
                    Some(health) => health,
                    None => target_health(read, tg).await?,
                };
                found.extend(registrations(arn, &address, &health));
            }
            found.push(found_group(tg, attributes.as_ref(), address, &tags));
        }
        Ok(found)
    }

    async fn create(step: &AwsStep<'_>) -> StepResult {
        let props: TargetGroupProps = step.props()?;
        let name = &props.name;
        let tg = match describe(step, name).await? {
            Some(tg) => tg,
            None => {
                let request = step
                    .clients()
                    .elbv2
                    .create_target_group()
                    .name(name)
                    .protocol(ProtocolEnum::from(props.protocol.as_str()))
                    .port(i32::from(props.port))
                    .target_type(TargetTypeEnum::from(props.target_type.as_str()))
                    .vpc_id(step.resolve(&props.vpc)?)
                    .set_tags(Some(elb_tags(&step.tags())));
                with_health_check!(request, &props.health_check)
                    .send()
                    .await
                    .aws()?
                    .target_groups
                    .unwrap_or_default()
                    .into_iter()
                    .next()
                    .ok_or_else(|| {
                        StepError::fatal("TargetGroupNotFound", format!("no target group {name}"))
                    })?
            }
        };
        let out = tg_outputs(&tg);
        set_attributes(step, &props, tg.target_group_arn().unwrap_or_default()).await?;
        Ok(out)
    }

    async fn update(step: &AwsStep<'_>) -> StepResult {
        let props: TargetGroupProps = step.props()?;
        let name = &props.name;
        let tg = describe(step, name).await?.ok_or_else(|| {
            StepError::fatal("TargetGroupNotFound", format!("no target group {name}"))
        })?;
        let arn = tg.target_group_arn().unwrap_or_default().to_string();
        if step.changed("healthCheck") {
            let request = step
                .clients()
                .elbv2
                .modify_target_group()
                .target_group_arn(&arn);
            with_health_check!(request, &props.health_check)
                .send()
                .await
                .aws()?;
        }
        if step.changed_any(&["stickiness", "deregistrationDelaySeconds"]) {
            set_attributes(step, &props, &arn).await?;
        }
        sync_tags::<ElbTags>(step, &arn).await?;
        Ok(tg_outputs(&tg))
    }

    async fn delete(step: &AwsStep<'_>) -> StepResult {
        let arn = step.existing_id()?;
        let elb = &step.clients().elbv2;
        deleted(
            elb.delete_target_group()
                .target_group_arn(arn)
                .send()
                .await
                .aws(),
        )
    }
}

async fn describe(step: &AwsStep<'_>, name: &str) -> Result<Option<Group>, StepError> {
    let result = step
        .clients()
        .elbv2
        .describe_target_groups()
        .names(name)
        .send()
        .await
        .aws();
    first_found(result, |r| r.target_groups)
}

/// The attributes the catalog sets: stickiness and the deregistration delay.
async fn set_attributes(
    step: &AwsStep<'_>,
    props: &TargetGroupProps,
    arn: &str,
) -> Result<(), StepError> {
    // The catalog always gives both.
    let mut attributes = props
        .stickiness
        .as_ref()
        .map(stickiness_attributes)
        .unwrap_or_default();
    if let Some(delay) = props.deregistration_delay_seconds {
        attributes.push(attribute(DEREGISTRATION_DELAY, delay.to_string()));
    }
    step.clients()
        .elbv2
        .modify_target_group_attributes()
        .target_group_arn(arn)
        .set_attributes(Some(attributes))
        .send()
        .await
        .aws()?;
    Ok(())
}

/// The cookies' stickiness attributes (botocore `elbv2` TargetGroupAttribute).
const LB_COOKIE_DURATION: &str = "stickiness.lb_cookie.duration_seconds";
const APP_COOKIE_DURATION: &str = "stickiness.app_cookie.duration_seconds";
const APP_COOKIE_NAME: &str = "stickiness.app_cookie.cookie_name";

fn attribute(key: &str, value: String) -> TargetGroupAttribute {
    TargetGroupAttribute::builder()
        .key(key)
        .value(value)
        .build()
}

/// The stickiness attributes for the catalog's `stickiness` (off: only `stickiness.enabled`;
/// a duration only for cookies, a cookie name only for an application cookie).
fn stickiness_attributes(stickiness: &StickinessProps) -> Vec<TargetGroupAttribute> {
    let mut out = vec![attribute(
        "stickiness.enabled",
        stickiness.enabled.to_string(),
    )];
    // Enabled, the catalog always names the kind of stickiness.
    let Some(kind) = stickiness.kind.as_ref().filter(|_| stickiness.enabled) else {
        return out;
    };
    out.push(attribute("stickiness.type", kind.aws_name().into()));
    let duration = stickiness.duration_seconds.map(|d| d.to_string());
    match kind {
        StickinessKind::LbCookie => {
            if let Some(d) = duration {
                out.push(attribute(LB_COOKIE_DURATION, d));
            }
        }
        StickinessKind::AppCookie => {
            if let Some(d) = duration {
                out.push(attribute(APP_COOKIE_DURATION, d));
            }
            if let Some(name) = &stickiness.cookie_name {
                out.push(attribute(APP_COOKIE_NAME, name.clone()));
            }
        }
        _ => {}
    }
    out
}

/// A target group's attributes by key (DescribeTargetGroupAttributes).
type Attributes<'a> = BTreeMap<&'a str, &'a str>;

/// A target group as found, from its description and its attributes (`None`: not read, in
/// destroy's inventory).
fn found_group(
    tg: &Group,
    attributes: Option<&Attributes>,
    address: Address,
    tags: &TagSet,
) -> Found {
    let arn = tg.target_group_arn().unwrap_or_default();
    let name = tg.target_group_name().unwrap_or_default();
    // AWS's counts and seconds are positive and its ports 1-65535 (botocore `elbv2`
    // HealthCheckIntervalSeconds, HealthCheckTimeoutSeconds, HealthCheckThresholdCount and
    // Port have those minimums); a Lambda function's group has no port (0).
    let count = |n: Option<i32>, default: u32| n.map_or(default, |n| n.try_into().unwrap_or(0));
    let mut f = Found::new(K::TargetGroup, arn)
        .at(Some(address))
        .named(name)
        .props(&TargetGroupProps {
            name: name.to_string(),
            protocol: tg.protocol().map_or("", |p| p.as_str()).to_string(),
            port: u16::try_from(tg.port().unwrap_or_default()).unwrap_or_default(),
            target_type: tg.target_type().map_or("ip", |t| t.as_str()).to_string(),
            vpc: tg.vpc_id().unwrap_or_default().to_string(),
            health_check: HealthCheckProps {
                protocol: tg
                    .health_check_protocol()
                    .map_or("HTTP", |p| p.as_str())
                    .into(),
                path: tg.health_check_path().unwrap_or("/").to_string(),
                port: tg.health_check_port().unwrap_or("traffic-port").to_string(),
                interval_seconds: count(tg.health_check_interval_seconds(), 30),
                timeout_seconds: count(tg.health_check_timeout_seconds(), 5),
                healthy_threshold: count(tg.healthy_threshold_count(), 5),
                unhealthy_threshold: count(tg.unhealthy_threshold_count(), 2),
                matcher: tg
                    .matcher()
                    .and_then(|m| m.http_code())
                    .unwrap_or("200")
                    .into(),
            },
            stickiness: attributes.map(read_stickiness),
            // AWS's default (300 s) when the attribute is missing from the answer.
            deregistration_delay_seconds: attributes.map(|attributes| {
                let delay = attributes.get(DEREGISTRATION_DELAY);
                delay.and_then(|v| v.parse().ok()).unwrap_or(300)
            }),
        })
        .with("tags", tags::to_value(tags));
    f.outputs = tg_outputs(tg);
    f
}

/// The catalog's `stickiness` from target-group attributes: off unless enabled; enabled, its
/// kind (a load balancer's cookie when none is given) with a cookie's duration and an
/// application cookie's name.
fn read_stickiness(attributes: &Attributes) -> StickinessProps {
    if attributes.get("stickiness.enabled") != Some(&"true") {
        return StickinessProps::OFF;
    }
    let kind = attributes.get("stickiness.type").unwrap_or(&"lb_cookie");
    let kind = StickinessKind::from(kind.to_string());
    let seconds = |key: &str| attributes.get(key).and_then(|v| v.parse().ok());
    let (duration_seconds, cookie_name) = match kind {
        StickinessKind::LbCookie => (seconds(LB_COOKIE_DURATION), None),
        StickinessKind::AppCookie => (
            seconds(APP_COOKIE_DURATION),
            attributes.get(APP_COOKIE_NAME).map(|name| name.to_string()),
        ),
        _ => (None, None),
    };
    StickinessProps {
        enabled: true,
        kind: Some(kind),
        duration_seconds,
        cookie_name,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn pairs(attributes: &[TargetGroupAttribute]) -> Vec<(&str, &str)> {
        attributes
            .iter()
            .map(|a| (a.key().unwrap_or_default(), a.value().unwrap_or_default()))
            .collect()
    }

    #[test]
    fn stickiness_becomes_its_attributes() {
        assert_eq!(
            pairs(&stickiness_attributes(&StickinessProps::OFF)),
            [("stickiness.enabled", "false")]
        );
        let app = StickinessProps {
            enabled: true,
            kind: Some(StickinessKind::AppCookie),
            duration_seconds: Some(3600),
            cookie_name: Some("JSESSIONID".into()),
        };
        assert_eq!(
            pairs(&stickiness_attributes(&app)),
            [
                ("stickiness.enabled", "true"),
                ("stickiness.type", "app_cookie"),
                ("stickiness.app_cookie.duration_seconds", "3600"),
                ("stickiness.app_cookie.cookie_name", "JSESSIONID"),
            ]
        );
        // A Gateway Load Balancer's kind (read, never planned) is only its type.
        let flows = StickinessProps {
            enabled: true,
            kind: Some(StickinessKind::SourceIpDestIp),
            duration_seconds: None,
            cookie_name: None,
        };
        assert_eq!(
            pairs(&stickiness_attributes(&flows)),
            [
                ("stickiness.enabled", "true"),
                ("stickiness.type", "source_ip_dest_ip"),
            ]
        );
    }

    #[test]
    fn stickiness_reads_back_in_the_catalogs_shape() {
        let attributes = BTreeMap::from([
            ("stickiness.enabled", "true"),
            ("stickiness.type", "app_cookie"),
            ("stickiness.app_cookie.cookie_name", "JSESSIONID"),
            ("stickiness.app_cookie.duration_seconds", "3600"),
            ("stickiness.lb_cookie.duration_seconds", "86400"),
        ]);
        assert_eq!(
            serde_json::to_value(read_stickiness(&attributes)).unwrap(),
            json!({"enabled": true, "type": "app_cookie", "durationSeconds": 3600, "cookieName": "JSESSIONID"})
        );
        assert_eq!(read_stickiness(&BTreeMap::new()), StickinessProps::OFF);
    }

    /// The `stickiness` a read gives for these attributes, as JSON text (key order included).
    fn stickiness_json(attributes: &[(&str, &str)]) -> String {
        let attributes: Attributes = attributes.iter().copied().collect();
        serde_json::to_string(&read_stickiness(&attributes)).unwrap()
    }

    #[test]
    fn each_kind_of_stickiness_reads_as_before() {
        // What AWS answers for an ALB's group: every stickiness attribute, of every type.
        let cookies = [
            ("stickiness.lb_cookie.duration_seconds", "86400"),
            ("stickiness.app_cookie.duration_seconds", "3600"),
            ("stickiness.app_cookie.cookie_name", "JSESSIONID"),
        ];
        let with = |pairs: &[(&'static str, &'static str)]| {
            let mut all = cookies.to_vec();
            all.extend_from_slice(pairs);
            stickiness_json(&all)
        };
        // The expected text is what the read gave before its properties were typed.
        assert_eq!(stickiness_json(&[]), r#"{"enabled":false}"#);
        assert_eq!(
            with(&[
                ("stickiness.enabled", "false"),
                ("stickiness.type", "app_cookie")
            ]),
            r#"{"enabled":false}"#
        );
        assert_eq!(
            with(&[("stickiness.enabled", "true")]),
            r#"{"enabled":true,"type":"lb_cookie","durationSeconds":86400}"#
        );
        assert_eq!(
            with(&[
                ("stickiness.enabled", "true"),
                ("stickiness.type", "lb_cookie")
            ]),
            r#"{"enabled":true,"type":"lb_cookie","durationSeconds":86400}"#
        );
        assert_eq!(
            with(&[
                ("stickiness.enabled", "true"),
                ("stickiness.type", "app_cookie")
            ]),
            r#"{"enabled":true,"type":"app_cookie","durationSeconds":3600,"cookieName":"JSESSIONID"}"#
        );
        assert_eq!(
            stickiness_json(&[
                ("stickiness.enabled", "true"),
                ("stickiness.type", "lb_cookie")
            ]),
            r#"{"enabled":true,"type":"lb_cookie"}"#
        );
        assert_eq!(
            stickiness_json(&[
                ("stickiness.enabled", "true"),
                ("stickiness.type", "app_cookie")
            ]),
            r#"{"enabled":true,"type":"app_cookie"}"#
        );
        // An NLB's or a Gateway Load Balancer's group: no cookie attributes; its kinds read as AWS
        // names them.
        for kind in ["source_ip", "source_ip_dest_ip", "source_ip_dest_ip_proto"] {
            let expected = format!(r#"{{"enabled":true,"type":"{kind}"}}"#);
            let pairs = [("stickiness.enabled", "true"), ("stickiness.type", kind)];
            assert_eq!(stickiness_json(&pairs), expected);
            assert_eq!(with(&pairs), expected);
        }
        // A kind AWS may add later reads as it is named.
        assert_eq!(
            stickiness_json(&[
                ("stickiness.enabled", "true"),
                ("stickiness.type", "new_kind")
            ]),
            r#"{"enabled":true,"type":"new_kind"}"#
        );
    }

    fn group() -> Group {
        Group::builder()
            .target_group_arn("arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/demo-tg/abc")
            .target_group_name("demo-tg")
            .protocol(ProtocolEnum::Http)
            .port(8080)
            .target_type(TargetTypeEnum::Ip)
            .vpc_id("vpc-1")
            .health_check_protocol(ProtocolEnum::Http)
            .health_check_path("/health")
            .health_check_port("traffic-port")
            .health_check_interval_seconds(15)
            .health_check_timeout_seconds(10)
            .healthy_threshold_count(3)
            .unhealthy_threshold_count(4)
            .matcher(Matcher::builder().http_code("200-399").build())
            .build()
    }

    /// The properties a read finds for `tg` and these attributes, as JSON text.
    fn found_json(tg: &Group, attributes: Option<&[(&str, &str)]>) -> String {
        let attributes: Option<Attributes> = attributes.map(|a| a.iter().copied().collect());
        let tags = TagSet::from([("Name".to_string(), "demo-tg".to_string())]);
        let address = Address::new("ingress.target_group");
        let found = found_group(tg, attributes.as_ref(), address, &tags);
        serde_json::to_string(&found.properties).unwrap()
    }

    #[test]
    fn a_read_group_has_the_same_properties_as_before() {
        // The expected text is what the read gave before its properties were typed.
        let health = r#""healthCheck":{"protocol":"HTTP","path":"/health","port":"traffic-port","intervalSeconds":15,"timeoutSeconds":10,"healthyThreshold":3,"unhealthyThreshold":4,"matcher":"200-399"}"#;
        let head =
            r#"{"name":"demo-tg","protocol":"HTTP","port":8080,"targetType":"ip","vpc":"vpc-1","#;
        let tags = r#""tags":{"Name":"demo-tg"}}"#;
        let attributes = [
            ("stickiness.enabled", "true"),
            ("stickiness.type", "lb_cookie"),
            ("stickiness.lb_cookie.duration_seconds", "86400"),
            (DEREGISTRATION_DELAY, "30"),
        ];
        assert_eq!(
            found_json(&group(), Some(&attributes)),
            format!(
                r#"{head}{health},"stickiness":{{"enabled":true,"type":"lb_cookie","durationSeconds":86400}},"deregistrationDelaySeconds":30,{tags}"#
            )
        );
        // Without the delay in the answer: AWS's default.
        assert_eq!(
            found_json(&group(), Some(&[])),
            format!(
                r#"{head}{health},"stickiness":{{"enabled":false}},"deregistrationDelaySeconds":300,{tags}"#
            )
        );
        // Destroy's inventory reads no attributes: neither the delay nor stickiness (absent,
        // not guessed off).
        assert_eq!(
            found_json(&group(), None),
            format!(r#"{head}{health},{tags}"#)
        );
        // A group AWS describes without its settings: the read's defaults.
        let bare = Group::builder().target_group_arn("arn:tg").build();
        assert_eq!(
            found_json(&bare, None),
            r#"{"name":"","protocol":"","port":0,"targetType":"ip","vpc":"","healthCheck":{"protocol":"HTTP","path":"/","port":"traffic-port","intervalSeconds":30,"timeoutSeconds":5,"healthyThreshold":5,"unhealthyThreshold":2,"matcher":"200"},"tags":{"Name":"demo-tg"}}"#
        );
    }
}
