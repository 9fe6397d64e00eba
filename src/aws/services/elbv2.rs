//! elbv2: the load balancer (ALB or NLB, idle timeout), the target group (health check,
//! stickiness), listeners (HTTP, HTTPS with certificate and policy, HTTP->HTTPS redirect) and
//! listener rules.
//!
//! Names are unique per account and region, so creates look the name up first (a listener: its
//! port on the load balancer). Attributes, health checks, listeners and rules change in place.

use std::collections::BTreeMap;

use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, Certificate, IpAddressType, ListenerAttribute, LoadBalancerSchemeEnum,
    LoadBalancerTypeEnum, Matcher, ProtocolEnum, RedirectActionConfig,
    RedirectActionStatusCodeEnum, RuleCondition, Tag, TargetGroupAttribute, TargetTypeEnum,
};
use serde_json::{Value, json};

use super::{AwsRead, AwsResult, AwsStep, Found, not_found_as_none, outputs};
use crate::apply::{Outputs, StepError};
use crate::aws::tags::{self, TagSet};
use crate::plan::ResourceKind as K;

/// The idle timeout AWS gives an ALB when none is set.
const DEFAULT_IDLE_TIMEOUT: i64 = 60;

fn elb_tags(tags: &TagSet) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

fn string_list(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// `arn:...:loadbalancer/app/name/id` -> `app/name/id` (the CloudWatch dimension value).
fn arn_suffix(arn: &str, marker: &str) -> Option<String> {
    arn.split_once(marker).map(|(_, rest)| {
        if marker == ":loadbalancer/" {
            rest.to_string()
        } else {
            format!("targetgroup/{rest}")
        }
    })
}

async fn sync_tags(step: &AwsStep<'_>, arn: &str) -> Result<(), StepError> {
    if !step.changed("tags") {
        return Ok(());
    }
    let (set, remove) = tags::changes(&step.observed_tags(), &step.tags());
    let elb = &step.clients().elbv2;
    if !set.is_empty() {
        elb.add_tags()
            .resource_arns(arn)
            .set_tags(Some(elb_tags(&set)))
            .send()
            .await
            .aws()?;
    }
    if !remove.is_empty() {
        elb.remove_tags()
            .resource_arns(arn)
            .set_tag_keys(Some(remove))
            .send()
            .await
            .aws()?;
    }
    Ok(())
}

// --- load balancer -------------------------------------------------------------------------

fn lb_outputs(lb: &aws_sdk_elasticloadbalancingv2::types::LoadBalancer) -> Outputs {
    let arn = lb.load_balancer_arn().unwrap_or_default();
    let mut out = outputs(arn, Some(arn), lb.load_balancer_name());
    if let Some(dns) = lb.dns_name() {
        out.insert("dnsName".into(), Value::from(dns));
    }
    if let Some(suffix) = arn_suffix(arn, ":loadbalancer/") {
        out.insert("arnSuffix".into(), Value::from(suffix));
    }
    if let Some(zone) = lb.canonical_hosted_zone_id() {
        out.insert("hostedZoneId".into(), Value::from(zone));
    }
    out
}

async fn describe_lb(
    step: &AwsStep<'_>,
    name: &str,
) -> Result<Option<aws_sdk_elasticloadbalancingv2::types::LoadBalancer>, StepError> {
    let result = step
        .clients()
        .elbv2
        .describe_load_balancers()
        .names(name)
        .send()
        .await
        .aws();
    Ok(not_found_as_none(result)?
        .and_then(|r| r.load_balancers.unwrap_or_default().into_iter().next()))
}

/// A load balancer's state, shown while waiting.
struct LbState(
    String,
    Box<aws_sdk_elasticloadbalancingv2::types::LoadBalancer>,
);

impl std::fmt::Display for LbState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

async fn probe_lb(step: &AwsStep<'_>, name: &str) -> Result<Option<LbState>, StepError> {
    Ok(describe_lb(step, name).await?.map(|lb| {
        let state = lb
            .state()
            .and_then(|s| s.code())
            .map_or("unknown", |c| c.as_str())
            .to_string();
        LbState(state, Box::new(lb))
    }))
}

async fn set_idle_timeout(step: &AwsStep<'_>, arn: &str) -> Result<(), StepError> {
    let Some(seconds) = step.i64("idleTimeoutSeconds") else {
        return Ok(());
    };
    step.clients()
        .elbv2
        .modify_load_balancer_attributes()
        .load_balancer_arn(arn)
        .attributes(
            aws_sdk_elasticloadbalancingv2::types::LoadBalancerAttribute::builder()
                .key("idle_timeout.timeout_seconds")
                .value(seconds.to_string())
                .build(),
        )
        .send()
        .await
        .aws()?;
    Ok(())
}

pub async fn create_load_balancer(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let name = step.str("name").unwrap_or(step.name()).to_string();
    if describe_lb(step, &name).await?.is_none() {
        let mut request = step
            .clients()
            .elbv2
            .create_load_balancer()
            .name(&name)
            .r#type(LoadBalancerTypeEnum::from(
                step.opt_str("type").unwrap_or("application"),
            ))
            .scheme(LoadBalancerSchemeEnum::from(
                step.opt_str("scheme").unwrap_or("internet-facing"),
            ))
            .ip_address_type(IpAddressType::from(
                step.opt_str("ipAddressType").unwrap_or("ipv4"),
            ))
            .set_subnets(Some(step.references("subnets")?))
            .set_tags(Some(elb_tags(&step.tags())));
        if step.property("securityGroups").is_some() {
            request = request.set_security_groups(Some(step.references("securityGroups")?));
        }
        // A same-name create with the same settings returns the existing load balancer.
        request.send().await.aws()?;
    }
    let ready = step
        .wait_until(
            || probe_lb(step, &name),
            |s: Option<&LbState>| s.is_some_and(|s| s.0 == "active"),
        )
        .await?;
    let Some(LbState(_, lb)) = ready else {
        return Err(StepError::fatal(
            "LoadBalancerNotFound",
            format!("{name} vanished"),
        ));
    };
    let out = lb_outputs(&lb);
    set_idle_timeout(step, lb.load_balancer_arn().unwrap_or_default()).await?;
    Ok(out)
}

pub async fn update_load_balancer(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let name = step.str("name").unwrap_or(step.name()).to_string();
    let lb = describe_lb(step, &name).await?.ok_or_else(|| {
        StepError::fatal("LoadBalancerNotFound", format!("no load balancer {name}"))
    })?;
    let arn = lb.load_balancer_arn().unwrap_or_default().to_string();
    if step.changed("idleTimeoutSeconds") {
        set_idle_timeout(step, &arn).await?;
    }
    if step.changed("subnets") {
        step.clients()
            .elbv2
            .set_subnets()
            .load_balancer_arn(&arn)
            .set_subnets(Some(step.references("subnets")?))
            .send()
            .await
            .aws()?;
    }
    if step.changed("securityGroups") {
        step.clients()
            .elbv2
            .set_security_groups()
            .load_balancer_arn(&arn)
            .set_security_groups(Some(step.references("securityGroups")?))
            .send()
            .await
            .aws()?;
    }
    // IPv4 or dual stack changes in place (SetIpAddressType, in botocore's elbv2 model).
    if step.changed("ipAddressType") {
        step.clients()
            .elbv2
            .set_ip_address_type()
            .load_balancer_arn(&arn)
            .ip_address_type(IpAddressType::from(
                step.opt_str("ipAddressType").unwrap_or("ipv4"),
            ))
            .send()
            .await
            .aws()?;
    }
    sync_tags(step, &arn).await?;
    Ok(lb_outputs(&lb))
}

pub async fn delete_load_balancer(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let arn = step.existing_id()?.to_string();
    let name = step.existing("name").unwrap_or(step.name()).to_string();
    let result = step
        .clients()
        .elbv2
        .delete_load_balancer()
        .load_balancer_arn(&arn)
        .send()
        .await
        .aws();
    if not_found_as_none(result)?.is_some() {
        step.wait_until(|| probe_lb(step, &name), |s: Option<&LbState>| s.is_none())
            .await?;
    }
    Ok(Outputs::new())
}

// --- target group --------------------------------------------------------------------------

fn tg_outputs(tg: &aws_sdk_elasticloadbalancingv2::types::TargetGroup) -> Outputs {
    let arn = tg.target_group_arn().unwrap_or_default();
    let mut out = outputs(arn, Some(arn), tg.target_group_name());
    if let Some(suffix) = arn_suffix(arn, ":targetgroup/") {
        out.insert("arnSuffix".into(), Value::from(suffix));
    }
    out
}

fn health(step: &AwsStep<'_>, key: &str) -> Option<Value> {
    step.property("healthCheck")
        .and_then(|h| h.get(key))
        .cloned()
}

fn health_str(step: &AwsStep<'_>, key: &str) -> Option<String> {
    health(step, key).and_then(|v| v.as_str().map(str::to_string))
}

fn health_int(step: &AwsStep<'_>, key: &str) -> Option<i32> {
    health(step, key)
        .and_then(|v| v.as_i64())
        .and_then(|n| i32::try_from(n).ok())
}

/// The target-group attribute the catalog's `deregistrationDelaySeconds` is (botocore `elbv2`
/// TargetGroupAttribute: "deregistration_delay.timeout_seconds - The amount of time, in seconds,
/// for Elastic Load Balancing to wait before changing the state of a deregistering target from
/// draining to unused. The range is 0-3600 seconds. The default value is 300 seconds").
const DEREGISTRATION_DELAY: &str = "deregistration_delay.timeout_seconds";

/// The attributes the catalog sets: stickiness and, when given, the deregistration delay.
fn target_group_attributes(step: &AwsStep<'_>) -> Vec<TargetGroupAttribute> {
    let mut out = stickiness_attributes(step);
    if let Some(delay) = step.i64("deregistrationDelaySeconds") {
        out.push(
            TargetGroupAttribute::builder()
                .key(DEREGISTRATION_DELAY)
                .value(delay.to_string())
                .build(),
        );
    }
    out
}

/// The stickiness attributes for the catalog's `stickiness` object.
fn stickiness_attributes(step: &AwsStep<'_>) -> Vec<TargetGroupAttribute> {
    let s = step.property("stickiness");
    let get = |key: &str| s.and_then(|s| s.get(key));
    let enabled = get("enabled").and_then(Value::as_bool).unwrap_or(false);
    let attribute = |k: &str, v: String| TargetGroupAttribute::builder().key(k).value(v).build();
    let mut out = vec![attribute("stickiness.enabled", enabled.to_string())];
    if !enabled {
        return out;
    }
    let kind = get("type").and_then(Value::as_str).unwrap_or("lb_cookie");
    out.push(attribute("stickiness.type", kind.to_string()));
    let duration = get("durationSeconds").and_then(Value::as_i64);
    match kind {
        "lb_cookie" => {
            if let Some(d) = duration {
                out.push(attribute(
                    "stickiness.lb_cookie.duration_seconds",
                    d.to_string(),
                ));
            }
        }
        "app_cookie" => {
            if let Some(d) = duration {
                out.push(attribute(
                    "stickiness.app_cookie.duration_seconds",
                    d.to_string(),
                ));
            }
            if let Some(name) = get("cookieName").and_then(Value::as_str) {
                out.push(attribute(
                    "stickiness.app_cookie.cookie_name",
                    name.to_string(),
                ));
            }
        }
        _ => {}
    }
    out
}

async fn describe_tg(
    step: &AwsStep<'_>,
    name: &str,
) -> Result<Option<aws_sdk_elasticloadbalancingv2::types::TargetGroup>, StepError> {
    let result = step
        .clients()
        .elbv2
        .describe_target_groups()
        .names(name)
        .send()
        .await
        .aws();
    Ok(not_found_as_none(result)?
        .and_then(|r| r.target_groups.unwrap_or_default().into_iter().next()))
}

async fn set_attributes(step: &AwsStep<'_>, arn: &str) -> Result<(), StepError> {
    if step.property("stickiness").is_none()
        && step.property("deregistrationDelaySeconds").is_none()
    {
        return Ok(());
    }
    step.clients()
        .elbv2
        .modify_target_group_attributes()
        .target_group_arn(arn)
        .set_attributes(Some(target_group_attributes(step)))
        .send()
        .await
        .aws()?;
    Ok(())
}

pub async fn create_target_group(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let name = step.str("name").unwrap_or(step.name()).to_string();
    let tg = match describe_tg(step, &name).await? {
        Some(tg) => tg,
        None => {
            let mut request = step
                .clients()
                .elbv2
                .create_target_group()
                .name(&name)
                .protocol(ProtocolEnum::from(step.str("protocol")?))
                .set_port(step.i64("port").and_then(|p| i32::try_from(p).ok()))
                .target_type(TargetTypeEnum::from(
                    step.opt_str("targetType").unwrap_or("ip"),
                ))
                .vpc_id(step.reference("vpc")?)
                .set_health_check_protocol(
                    health_str(step, "protocol").map(|p| ProtocolEnum::from(p.as_str())),
                )
                .set_health_check_path(health_str(step, "path"))
                .set_health_check_port(health_str(step, "port"))
                .set_health_check_interval_seconds(health_int(step, "intervalSeconds"))
                .set_health_check_timeout_seconds(health_int(step, "timeoutSeconds"))
                .set_healthy_threshold_count(health_int(step, "healthyThreshold"))
                .set_unhealthy_threshold_count(health_int(step, "unhealthyThreshold"))
                .set_tags(Some(elb_tags(&step.tags())));
            if let Some(matcher) = health_str(step, "matcher") {
                request = request.matcher(Matcher::builder().http_code(matcher).build());
            }
            request
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
    set_attributes(step, tg.target_group_arn().unwrap_or_default()).await?;
    Ok(out)
}

pub async fn update_target_group(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let name = step.str("name").unwrap_or(step.name()).to_string();
    let tg = describe_tg(step, &name).await?.ok_or_else(|| {
        StepError::fatal("TargetGroupNotFound", format!("no target group {name}"))
    })?;
    let arn = tg.target_group_arn().unwrap_or_default().to_string();
    if step.changed("healthCheck") {
        let mut request = step
            .clients()
            .elbv2
            .modify_target_group()
            .target_group_arn(&arn)
            .set_health_check_protocol(
                health_str(step, "protocol").map(|p| ProtocolEnum::from(p.as_str())),
            )
            .set_health_check_path(health_str(step, "path"))
            .set_health_check_port(health_str(step, "port"))
            .set_health_check_interval_seconds(health_int(step, "intervalSeconds"))
            .set_health_check_timeout_seconds(health_int(step, "timeoutSeconds"))
            .set_healthy_threshold_count(health_int(step, "healthyThreshold"))
            .set_unhealthy_threshold_count(health_int(step, "unhealthyThreshold"));
        if let Some(matcher) = health_str(step, "matcher") {
            request = request.matcher(Matcher::builder().http_code(matcher).build());
        }
        request.send().await.aws()?;
    }
    if step.changed("stickiness") || step.changed("deregistrationDelaySeconds") {
        set_attributes(step, &arn).await?;
    }
    sync_tags(step, &arn).await?;
    Ok(tg_outputs(&tg))
}

pub async fn delete_target_group(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let arn = step.existing_id()?.to_string();
    let result = step
        .clients()
        .elbv2
        .delete_target_group()
        .target_group_arn(&arn)
        .send()
        .await
        .aws();
    not_found_as_none(result)?;
    Ok(Outputs::new())
}

// --- listeners and rules -------------------------------------------------------------------

/// The catalog's action object as an ELB action: `forward` to a target group, or `redirect`.
fn action(step: &AwsStep<'_>, value: &Value) -> Result<Action, StepError> {
    let get = |key: &str| value.get(key).and_then(Value::as_str);
    match get("type") {
        Some("redirect") => Ok(Action::builder()
            .r#type(ActionTypeEnum::Redirect)
            .redirect_config(
                RedirectActionConfig::builder()
                    .set_protocol(get("protocol").map(str::to_string))
                    .set_port(get("port").map(str::to_string))
                    .set_host(get("host").map(str::to_string))
                    .set_path(get("path").map(str::to_string))
                    .set_query(get("query").map(str::to_string))
                    .status_code(RedirectActionStatusCodeEnum::from(
                        get("statusCode").unwrap_or("HTTP_301"),
                    ))
                    .build(),
            )
            .build()),
        _ => {
            let group = get("targetGroup").ok_or_else(|| {
                StepError::fatal(
                    "MissingInput",
                    format!("{}: action without targetGroup", step.address()),
                )
            })?;
            Ok(Action::builder()
                .r#type(ActionTypeEnum::Forward)
                .target_group_arn(step.resolve(group)?)
                .build())
        }
    }
}

/// An ELB action in the catalog's shape (target groups as ARNs, which the reader resolves).
fn action_value(action: &Action) -> Value {
    match action.r#type() {
        Some(ActionTypeEnum::Redirect) => {
            let r = action.redirect_config();
            let mut value = json!({"type": "redirect"});
            let mut put = |key: &str, v: Option<&str>| {
                // `#{...}` are AWS's "keep the original" placeholders, left out like the catalog does.
                if let Some(v) = v.filter(|v| !v.starts_with("#{")) {
                    value[key] = json!(v);
                }
            };
            put("protocol", r.and_then(|r| r.protocol()));
            put("port", r.and_then(|r| r.port()));
            put("host", r.and_then(|r| r.host()));
            put("path", r.and_then(|r| r.path()));
            put("query", r.and_then(|r| r.query()).filter(|q| !q.is_empty()));
            value["statusCode"] = json!(
                r.and_then(|r| r.status_code())
                    .map_or("HTTP_301", |c| c.as_str())
            );
            value
        }
        _ => {
            json!({"type": "forward", "targetGroup": action.target_group_arn().unwrap_or_default()})
        }
    }
}

fn listener_outputs(arn: &str, lb_arn: &str) -> Outputs {
    let mut out = outputs(arn, Some(arn), None);
    out.insert("loadBalancerArn".into(), Value::from(lb_arn));
    out
}

fn certificates(step: &AwsStep<'_>) -> Option<Vec<Certificate>> {
    let list = string_list(step.property("certificates"));
    (!list.is_empty()).then(|| {
        list.into_iter()
            .map(|arn| Certificate::builder().certificate_arn(arn).build())
            .collect()
    })
}

async fn listener_on_port(
    step: &AwsStep<'_>,
    lb_arn: &str,
    port: i32,
) -> Result<Option<aws_sdk_elasticloadbalancingv2::types::Listener>, StepError> {
    let result = step
        .clients()
        .elbv2
        .describe_listeners()
        .load_balancer_arn(lb_arn)
        .send()
        .await
        .aws();
    Ok(not_found_as_none(result)?.and_then(|r| {
        r.listeners
            .unwrap_or_default()
            .into_iter()
            .find(|l| l.port() == Some(port))
    }))
}

pub async fn create_listener(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let lb_arn = step.reference("loadBalancer")?;
    let port = step
        .i64("port")
        .and_then(|p| i32::try_from(p).ok())
        .ok_or_else(|| StepError::fatal("MissingInput", format!("{}: no port", step.address())))?;
    if let Some(existing) = listener_on_port(step, &lb_arn, port).await? {
        let arn = existing.listener_arn().unwrap_or_default().to_string();
        modify_listener(step, &arn, port).await?;
        set_listener_idle_timeout(step, &arn).await?;
        return Ok(listener_outputs(&arn, &lb_arn));
    }
    let default_action = action(step, step.property("defaultAction").unwrap_or(&Value::Null))?;
    let created = step
        .clients()
        .elbv2
        .create_listener()
        .load_balancer_arn(&lb_arn)
        .port(port)
        .protocol(ProtocolEnum::from(step.str("protocol")?))
        .set_ssl_policy(step.opt_str("sslPolicy").map(str::to_string))
        .set_certificates(certificates(step))
        .default_actions(default_action)
        .set_tags(Some(elb_tags(&step.tags())))
        .send()
        .await
        .aws()?;
    let arn = created
        .listeners
        .unwrap_or_default()
        .into_iter()
        .next()
        .and_then(|l| l.listener_arn)
        .ok_or_else(|| {
            StepError::fatal("ListenerNotFound", format!("no listener on port {port}"))
        })?;
    set_listener_idle_timeout(step, &arn).await?;
    Ok(listener_outputs(&arn, &lb_arn))
}

/// The NLB listener attribute holding a TCP listener's idle timeout (botocore `elbv2`
/// ListenerAttribute: "valid range is 60-6000 seconds. The default is 350 seconds").
const TCP_IDLE_TIMEOUT: &str = "tcp.idle_timeout.seconds";

/// Sets the listener's TCP idle timeout when the catalog gives one.
async fn set_listener_idle_timeout(step: &AwsStep<'_>, arn: &str) -> Result<(), StepError> {
    let Some(seconds) = step.i64("idleTimeoutSeconds") else {
        return Ok(());
    };
    step.clients()
        .elbv2
        .modify_listener_attributes()
        .listener_arn(arn)
        .attributes(
            ListenerAttribute::builder()
                .key(TCP_IDLE_TIMEOUT)
                .value(seconds.to_string())
                .build(),
        )
        .send()
        .await
        .aws()?;
    Ok(())
}

async fn modify_listener(step: &AwsStep<'_>, arn: &str, port: i32) -> Result<(), StepError> {
    let default_action = action(step, step.property("defaultAction").unwrap_or(&Value::Null))?;
    step.clients()
        .elbv2
        .modify_listener()
        .listener_arn(arn)
        .port(port)
        .protocol(ProtocolEnum::from(step.str("protocol")?))
        .set_ssl_policy(step.opt_str("sslPolicy").map(str::to_string))
        .set_certificates(certificates(step))
        .default_actions(default_action)
        .send()
        .await
        .aws()?;
    Ok(())
}

pub async fn update_listener(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let arn = step.existing_id()?.to_string();
    let lb_arn = step.reference("loadBalancer")?;
    if step
        .request
        .step
        .changes
        .iter()
        .any(|c| !c.name.starts_with("tags") && c.name != "idleTimeoutSeconds")
    {
        let port = step
            .i64("port")
            .and_then(|p| i32::try_from(p).ok())
            .unwrap_or(80);
        modify_listener(step, &arn, port).await?;
    }
    if step.changed("idleTimeoutSeconds") {
        set_listener_idle_timeout(step, &arn).await?;
    }
    sync_tags(step, &arn).await?;
    Ok(listener_outputs(&arn, &lb_arn))
}

pub async fn delete_listener(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let arn = step.existing_id()?.to_string();
    let result = step
        .clients()
        .elbv2
        .delete_listener()
        .listener_arn(&arn)
        .send()
        .await
        .aws();
    not_found_as_none(result)?;
    Ok(Outputs::new())
}

/// A rule's conditions: `pathPatterns` and `hostHeaders` (lists of values).
fn conditions(step: &AwsStep<'_>) -> Vec<RuleCondition> {
    let mut out = Vec::new();
    let paths = string_list(step.property("pathPatterns"));
    if !paths.is_empty() {
        out.push(
            RuleCondition::builder()
                .field("path-pattern")
                .path_pattern_config(
                    aws_sdk_elasticloadbalancingv2::types::PathPatternConditionConfig::builder()
                        .set_values(Some(paths))
                        .build(),
                )
                .build(),
        );
    }
    let hosts = string_list(step.property("hostHeaders"));
    if !hosts.is_empty() {
        out.push(
            RuleCondition::builder()
                .field("host-header")
                .host_header_config(
                    aws_sdk_elasticloadbalancingv2::types::HostHeaderConditionConfig::builder()
                        .set_values(Some(hosts))
                        .build(),
                )
                .build(),
        );
    }
    out
}

pub async fn create_listener_rule(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let listener = step.reference("listener")?;
    let priority = step
        .i64("priority")
        .and_then(|p| i32::try_from(p).ok())
        .ok_or_else(|| {
            StepError::fatal("MissingInput", format!("{}: no priority", step.address()))
        })?;
    // A rule with this priority already there (an earlier attempt): bring it in line.
    let rules = step
        .clients()
        .elbv2
        .describe_rules()
        .listener_arn(&listener)
        .send()
        .await
        .aws()?
        .rules
        .unwrap_or_default();
    let act = action(step, step.property("action").unwrap_or(&Value::Null))?;
    if let Some(rule) = rules
        .iter()
        .find(|r| r.priority() == Some(&priority.to_string()))
    {
        let arn = rule.rule_arn().unwrap_or_default().to_string();
        modify_rule(step, &arn, act).await?;
        return Ok(outputs(&arn, Some(&arn), None));
    }
    let created = step
        .clients()
        .elbv2
        .create_rule()
        .listener_arn(&listener)
        .priority(priority)
        .set_conditions(Some(conditions(step)))
        .actions(act)
        .set_tags(Some(elb_tags(&step.tags())))
        .send()
        .await
        .aws()?;
    let arn = created
        .rules
        .unwrap_or_default()
        .into_iter()
        .next()
        .and_then(|r| r.rule_arn)
        .unwrap_or_default();
    Ok(outputs(&arn, Some(&arn), None))
}

async fn modify_rule(step: &AwsStep<'_>, arn: &str, act: Action) -> Result<(), StepError> {
    step.clients()
        .elbv2
        .modify_rule()
        .rule_arn(arn)
        .set_conditions(Some(conditions(step)))
        .actions(act)
        .send()
        .await
        .aws()?;
    Ok(())
}

pub async fn update_listener_rule(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let arn = step.existing_id()?.to_string();
    let act = action(step, step.property("action").unwrap_or(&Value::Null))?;
    modify_rule(step, &arn, act).await?;
    Ok(outputs(&arn, Some(&arn), None))
}

pub async fn delete_listener_rule(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let arn = step.existing_id()?.to_string();
    let result = step
        .clients()
        .elbv2
        .delete_rule()
        .rule_arn(&arn)
        .send()
        .await
        .aws();
    not_found_as_none(result)?;
    Ok(Outputs::new())
}

// --- reading -------------------------------------------------------------------------------

/// The tags of those of `arns` that may be ours: from the tagging API's answer where it lists
/// them; the rest that `ask` says may be ours (a desired name, a listener of our load balancer)
/// from DescribeTags ([`described_tags`]). Others are left out: not ours.
async fn tags_of(
    read: &AwsRead<'_>,
    arns: &[String],
    ask: impl Fn(&str) -> bool,
) -> Result<BTreeMap<String, TagSet>, StepError> {
    let (mut out, unlisted) = listed_tags(read, arns, ask).await?;
    out.extend(described_tags(read, &unlisted).await?);
    Ok(out)
}

/// Those of `arns` the tagging API's answer lists, with their tags, and those it does not list
/// that `ask` says may be ours.
async fn listed_tags(
    read: &AwsRead<'_>,
    arns: &[String],
    ask: impl Fn(&str) -> bool,
) -> Result<(BTreeMap<String, TagSet>, Vec<String>), StepError> {
    let tagged = read.tagged().await?;
    let mut listed = BTreeMap::new();
    let mut unlisted = Vec::new();
    for arn in arns {
        match tagged.get(arn) {
            Some(tags) => {
                listed.insert(arn.clone(), tags.clone());
            }
            None if ask(arn) => unlisted.push(arn.clone()),
            None => {}
        }
    }
    Ok((listed, unlisted))
}

/// The tags of `arns` from DescribeTags (20 ARNs per call, the calls at once).
async fn described_tags(
    read: &AwsRead<'_>,
    arns: &[String],
) -> Result<BTreeMap<String, TagSet>, StepError> {
    let answers = futures::future::try_join_all(arns.chunks(20).map(|chunk| async move {
        read.conn
            .clients
            .elbv2
            .describe_tags()
            .set_resource_arns(Some(chunk.to_vec()))
            .send()
            .await
            .aws()
    }))
    .await?;
    let mut out = BTreeMap::new();
    for d in answers
        .into_iter()
        .flat_map(|a| a.tag_descriptions.unwrap_or_default())
    {
        let tags = tags::from_pairs(d.tags().iter().filter_map(|t| {
            Some((
                t.key()?.to_string(),
                t.value().unwrap_or_default().to_string(),
            ))
        }));
        if let Some(arn) = d.resource_arn {
            out.insert(arn, tags);
        }
    }
    Ok(out)
}

/// Whether a desired resource of `kind` has the AWS name `name`.
fn desired_name(read: &AwsRead<'_>, kind: K, name: &str) -> bool {
    read.desired_of(kind).any(|d| {
        d.properties
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or(&d.name)
            == name
    })
}

/// Load balancers and target groups (one describe per page each, both at once), their tags from
/// the tagging API's answer, and per owned load balancer what ELBv2 reads one resource at a
/// time: its attributes and its listeners (DescribeListeners takes one load balancer), each
/// listener's rules (DescribeRules takes one listener), each target group's attributes. Each
/// read waits only for the answer that names what it reads: a resource's own tag read, where the
/// tagging API does not list it, goes beside its further reads, not before them.
pub async fn read(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
    let (balancers, groups) =
        futures::try_join!(read_load_balancers(read), read_target_groups(read))?;
    Ok([balancers, groups].concat())
}

/// What one load balancer's own calls answer: its idle timeout (ALBs) and its listeners (with
/// their rules).
type BalancerDetails = (Option<i64>, Vec<Found>);

async fn read_load_balancers(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
    let elb = &read.conn.clients.elbv2;
    let pages = all_pages!(elb.describe_load_balancers().into_paginator().send());
    let lbs: Vec<_> = pages
        .into_iter()
        .flat_map(|p| p.load_balancers.unwrap_or_default())
        .collect();
    let arns: Vec<String> = lbs
        .iter()
        .filter_map(|l| l.load_balancer_arn().map(str::to_string))
        .collect();
    let names: BTreeMap<&str, &str> = lbs
        .iter()
        .filter_map(|l| Some((l.load_balancer_arn()?, l.load_balancer_name()?)))
        .collect();
    let (listed, unlisted) = listed_tags(read, &arns, |arn| {
        names
            .get(arn)
            .is_some_and(|name| desired_name(read, K::LoadBalancer, name))
    })
    .await?;
    // Ours by the tagging API's answer, or perhaps ours (desired, not listed there).
    let candidates: Vec<_> = lbs
        .iter()
        .filter(|lb| {
            let arn = lb.load_balancer_arn().unwrap_or_default();
            listed
                .get(arn)
                .is_some_and(|tags| read.owned(tags).is_some())
                || unlisted.iter().any(|u| u == arn)
        })
        .collect();
    let (described, details) = futures::try_join!(
        described_tags(read, &unlisted),
        futures::future::try_join_all(candidates.iter().map(|lb| balancer_details(read, lb))),
    )?;
    let mut found = Vec::new();
    for (lb, (idle, listeners)) in candidates.into_iter().zip(details) {
        let arn = lb.load_balancer_arn().unwrap_or_default();
        let Some(tags) = listed.get(arn).or_else(|| described.get(arn)) else {
            continue;
        };
        let Some(address) = read.owned(tags) else {
            continue;
        };
        let name = lb.load_balancer_name().unwrap_or_default();
        // In the catalog's order: by zone.
        let mut zones: Vec<(&str, &str)> = lb
            .availability_zones()
            .iter()
            .filter_map(|z| Some((z.zone_name().unwrap_or_default(), z.subnet_id()?)))
            .collect();
        zones.sort();
        let subnets: Vec<&str> = zones.iter().map(|(_, s)| *s).collect();
        let mut groups = lb.security_groups().to_vec();
        groups.sort();
        let kind = lb.r#type().map_or("application", |t| t.as_str());
        let mut f = Found::new(K::LoadBalancer, arn)
            .at(Some(address))
            .named(name)
            .with("name", name)
            .with("type", kind)
            .with(
                "scheme",
                lb.scheme().map_or("internet-facing", |s| s.as_str()),
            )
            .with(
                "ipAddressType",
                lb.ip_address_type().map_or("ipv4", |t| t.as_str()),
            )
            .with("subnets", json!(subnets))
            .with("securityGroups", json!(groups));
        if let Some(idle) = idle {
            f = f.with("idleTimeoutSeconds", idle);
        }
        f = f.with("tags", tags::to_value(tags));
        f.outputs = lb_outputs(lb);
        found.push(f);
        found.extend(listeners);
    }
    Ok(found)
}

/// A load balancer's attributes (ALBs: the idle timeout) and its listeners, at once.
async fn balancer_details(
    read: &AwsRead<'_>,
    lb: &aws_sdk_elasticloadbalancingv2::types::LoadBalancer,
) -> Result<BalancerDetails, StepError> {
    let arn = lb.load_balancer_arn().unwrap_or_default();
    let application = lb.r#type().is_none_or(|t| t.as_str() == "application");
    let idle = async {
        if !application {
            return Ok(None);
        }
        let attributes = read
            .conn
            .clients
            .elbv2
            .describe_load_balancer_attributes()
            .load_balancer_arn(arn)
            .send()
            .await
            .aws()?;
        Ok::<_, StepError>(Some(
            attributes
                .attributes()
                .iter()
                .find(|a| a.key() == Some("idle_timeout.timeout_seconds"))
                .and_then(|a| a.value())
                .and_then(|v| v.parse::<i64>().ok())
                .unwrap_or(DEFAULT_IDLE_TIMEOUT),
        ))
    };
    futures::try_join!(idle, read_listeners(read, arn))
}

async fn read_target_groups(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
    let elb = &read.conn.clients.elbv2;
    let pages = all_pages!(elb.describe_target_groups().into_paginator().send());
    let groups: Vec<_> = pages
        .into_iter()
        .flat_map(|p| p.target_groups.unwrap_or_default())
        .collect();
    let arns: Vec<String> = groups
        .iter()
        .filter_map(|g| g.target_group_arn().map(str::to_string))
        .collect();
    let names: BTreeMap<&str, &str> = groups
        .iter()
        .filter_map(|g| Some((g.target_group_arn()?, g.target_group_name()?)))
        .collect();
    let (listed, unlisted) = listed_tags(read, &arns, |arn| {
        names
            .get(arn)
            .is_some_and(|name| desired_name(read, K::TargetGroup, name))
    })
    .await?;
    let candidates: Vec<_> = groups
        .iter()
        .filter(|tg| {
            let arn = tg.target_group_arn().unwrap_or_default();
            listed
                .get(arn)
                .is_some_and(|tags| read.owned(tags).is_some())
                || unlisted.iter().any(|u| u == arn)
        })
        .collect();
    // Each group's attributes (settings only: not for destroy), all at once, beside the tag
    // read of the groups the tagging API does not list.
    let (described, answers) = futures::try_join!(
        described_tags(read, &unlisted),
        futures::future::try_join_all(candidates.iter().map(|tg| async move {
            if read.inventory {
                return Ok(None);
            }
            elb.describe_target_group_attributes()
                .target_group_arn(tg.target_group_arn().unwrap_or_default())
                .send()
                .await
                .aws()
                .map(Some)
        })),
    )?;
    let mut found = Vec::new();
    for (tg, answer) in candidates.into_iter().zip(answers) {
        let arn = tg.target_group_arn().unwrap_or_default();
        let Some(tags) = listed.get(arn).or_else(|| described.get(arn)) else {
            continue;
        };
        let Some(address) = read.owned(tags) else {
            continue;
        };
        let attributes: BTreeMap<&str, &str> = answer
            .iter()
            .flat_map(|a| a.attributes())
            .filter_map(|a| Some((a.key()?, a.value()?)))
            .collect();
        let name = tg.target_group_name().unwrap_or_default();
        let mut f = Found::new(K::TargetGroup, arn)
            .at(Some(address))
            .named(name)
            .with("name", name)
            .with("protocol", tg.protocol().map_or("", |p| p.as_str()))
            .with("port", tg.port().unwrap_or_default())
            .with("targetType", tg.target_type().map_or("ip", |t| t.as_str()))
            .with("vpc", tg.vpc_id().unwrap_or_default())
            .with(
                "healthCheck",
                json!({
                    "protocol": tg.health_check_protocol().map_or("HTTP", |p| p.as_str()),
                    "path": tg.health_check_path().unwrap_or("/"),
                    "port": tg.health_check_port().unwrap_or("traffic-port"),
                    "intervalSeconds": tg.health_check_interval_seconds().unwrap_or(30),
                    "timeoutSeconds": tg.health_check_timeout_seconds().unwrap_or(5),
                    "healthyThreshold": tg.healthy_threshold_count().unwrap_or(5),
                    "unhealthyThreshold": tg.unhealthy_threshold_count().unwrap_or(2),
                    "matcher": tg.matcher().and_then(|m| m.http_code()).unwrap_or("200")
                }),
            )
            .with("stickiness", stickiness_value(&attributes));
        // AWS's default (300 s) when the attribute is missing from the answer.
        if !read.inventory {
            let delay = attributes
                .get(DEREGISTRATION_DELAY)
                .and_then(|v| v.parse::<i64>().ok())
                .unwrap_or(300);
            f = f.with("deregistrationDelaySeconds", delay);
        }
        f = f.with("tags", tags::to_value(tags));
        f.outputs = tg_outputs(tg);
        found.push(f);
    }
    Ok(found)
}

/// The catalog's `stickiness` object from target-group attributes.
fn stickiness_value(attributes: &BTreeMap<&str, &str>) -> Value {
    if attributes.get("stickiness.enabled") != Some(&"true") {
        return json!({"enabled": false});
    }
    let kind = attributes
        .get("stickiness.type")
        .copied()
        .unwrap_or("lb_cookie");
    let mut value = json!({"enabled": true, "type": kind});
    let number = |key: &str| attributes.get(key).and_then(|v| v.parse::<i64>().ok());
    match kind {
        "lb_cookie" => {
            if let Some(d) = number("stickiness.lb_cookie.duration_seconds") {
                value["durationSeconds"] = json!(d);
            }
        }
        "app_cookie" => {
            if let Some(d) = number("stickiness.app_cookie.duration_seconds") {
                value["durationSeconds"] = json!(d);
            }
            if let Some(name) = attributes.get("stickiness.app_cookie.cookie_name") {
                value["cookieName"] = json!(name);
            }
        }
        _ => {}
    }
    value
}

async fn read_listeners(read: &AwsRead<'_>, lb_arn: &str) -> Result<Vec<Found>, StepError> {
    let elb = &read.conn.clients.elbv2;
    let listeners = elb
        .describe_listeners()
        .load_balancer_arn(lb_arn)
        .send()
        .await
        .aws()?
        .listeners
        .unwrap_or_default();
    let arns: Vec<String> = listeners
        .iter()
        .filter_map(|l| l.listener_arn().map(str::to_string))
        .collect();
    // Listeners of our load balancer: ours unless their tags say otherwise. Their own reads
    // (rules, a TCP listener's attributes) go beside the tag read of those the tagging API does
    // not list.
    let (listed, unlisted) = listed_tags(read, &arns, |_| true).await?;
    let candidates: Vec<_> = listeners
        .iter()
        .filter(|l| {
            let arn = l.listener_arn().unwrap_or_default();
            listed
                .get(arn)
                .is_some_and(|tags| read.owned(tags).is_some())
                || unlisted.iter().any(|u| u == arn)
        })
        .collect();
    let (described, details) = futures::try_join!(
        described_tags(read, &unlisted),
        futures::future::try_join_all(candidates.iter().map(|l| listener_details(read, l))),
    )?;
    let mut found = Vec::new();
    for (l, (idle, rules)) in candidates.into_iter().zip(details) {
        let arn = l.listener_arn().unwrap_or_default();
        let Some(tags) = listed.get(arn).or_else(|| described.get(arn)) else {
            continue;
        };
        let Some(address) = read.owned(tags) else {
            continue;
        };
        let protocol = l.protocol().map_or("HTTP", |p| p.as_str());
        let mut f = Found::new(K::Listener, arn)
            .at(Some(address))
            .with("loadBalancer", lb_arn)
            .with("port", l.port().unwrap_or_default())
            .with("protocol", protocol);
        // An SSL policy and certificates only mean something on HTTPS/TLS listeners.
        if protocol == "HTTPS" || protocol == "TLS" {
            let certificates: Vec<&str> = l
                .certificates()
                .iter()
                .filter_map(|c| c.certificate_arn())
                .collect();
            f = f
                .with("certificates", json!(certificates))
                .with("sslPolicy", l.ssl_policy().unwrap_or_default());
        }
        if let Some(default) = l.default_actions().first() {
            f = f.with("defaultAction", action_value(default));
        }
        if let Some(seconds) = idle {
            f = f.with("idleTimeoutSeconds", seconds);
        }
        f = f.with("tags", tags::to_value(tags));
        f.outputs = listener_outputs(arn, lb_arn);
        found.push(f);
        found.extend(rules);
    }
    Ok(found)
}

/// A listener's rules and, for a TCP listener (only those have it; the catalog sets it on NLB
/// ones), its idle timeout attribute: at once.
async fn listener_details(
    read: &AwsRead<'_>,
    l: &aws_sdk_elasticloadbalancingv2::types::Listener,
) -> Result<(Option<u64>, Vec<Found>), StepError> {
    let arn = l.listener_arn().unwrap_or_default();
    let idle = async {
        if l.protocol().map(|p| p.as_str()) != Some("TCP") {
            return Ok(None);
        }
        let attributes = read
            .conn
            .clients
            .elbv2
            .describe_listener_attributes()
            .listener_arn(arn)
            .send()
            .await
            .aws()?;
        Ok::<_, StepError>(
            attributes
                .attributes()
                .iter()
                .find(|a| a.key() == Some(TCP_IDLE_TIMEOUT))
                .and_then(|a| a.value())
                .and_then(|v| v.parse::<u64>().ok()),
        )
    };
    futures::try_join!(idle, read_rules(read, arn))
}

async fn read_rules(read: &AwsRead<'_>, listener_arn: &str) -> Result<Vec<Found>, StepError> {
    let elb = &read.conn.clients.elbv2;
    let rules = elb
        .describe_rules()
        .listener_arn(listener_arn)
        .send()
        .await
        .aws()?
        .rules
        .unwrap_or_default();
    let rules: Vec<_> = rules
        .into_iter()
        .filter(|r| r.is_default() != Some(true))
        .collect();
    if rules.is_empty() {
        return Ok(Vec::new());
    }
    let arns: Vec<String> = rules
        .iter()
        .filter_map(|r| r.rule_arn().map(str::to_string))
        .collect();
    // Rules of our listener (default rules, which take no tags, are left out above).
    let rule_tags = tags_of(read, &arns, |_| true).await?;
    let mut found = Vec::new();
    for r in &rules {
        let arn = r.rule_arn().unwrap_or_default();
        let tags = rule_tags.get(arn).cloned().unwrap_or_default();
        let mut paths = Vec::new();
        let mut hosts = Vec::new();
        for c in r.conditions() {
            match c.field() {
                Some("path-pattern") => paths.extend(
                    c.path_pattern_config()
                        .map(|p| p.values().to_vec())
                        .unwrap_or_else(|| c.values().to_vec()),
                ),
                Some("host-header") => hosts.extend(
                    c.host_header_config()
                        .map(|p| p.values().to_vec())
                        .unwrap_or_else(|| c.values().to_vec()),
                ),
                _ => {}
            }
        }
        let priority: i64 = r
            .priority()
            .and_then(|p| p.parse().ok())
            .unwrap_or_default();
        let mut f = Found::new(K::ListenerRule, arn)
            .at(read.owned(&tags))
            .with("listener", listener_arn)
            .with("priority", priority);
        if !paths.is_empty() {
            f = f.with("pathPatterns", json!(paths));
        }
        if !hosts.is_empty() {
            f = f.with("hostHeaders", json!(hosts));
        }
        if let Some(a) = r.actions().first() {
            f = f.with("action", action_value(a));
        }
        if !tags.is_empty() {
            f = f.with("tags", tags::to_value(&tags));
        }
        found.push(f.output("arn", arn));
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arn_suffixes_are_cloudwatch_dimensions() {
        assert_eq!(
            arn_suffix(
                "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/demo-alb/abc",
                ":loadbalancer/"
            )
            .as_deref(),
            Some("app/demo-alb/abc")
        );
        assert_eq!(
            arn_suffix(
                "arn:aws-cn:elasticloadbalancing:cn-north-1:1:targetgroup/demo-tg/def",
                ":targetgroup/"
            )
            .as_deref(),
            Some("targetgroup/demo-tg/def")
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
            stickiness_value(&attributes),
            json!({"enabled": true, "type": "app_cookie", "durationSeconds": 3600, "cookieName": "JSESSIONID"})
        );
        assert_eq!(
            stickiness_value(&BTreeMap::new()),
            json!({"enabled": false})
        );
    }
}
