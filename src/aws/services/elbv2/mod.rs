//! elbv2: the load balancer (ALB or NLB, idle timeout), the target group (health check,
//! stickiness), listeners (HTTP, HTTPS with certificate and policy, HTTP->HTTPS redirect) and
//! listener rules: one adapter file per kind beside this module, which keeps the reader, the
//! tagging calls ([`ElbTags`]) and what more than one kind uses (outputs, actions).
//!
//! Names are unique per account and region, so creates look the name up first (a listener: its
//! port on the load balancer). Attributes, health checks, listeners and rules change in place.

use std::collections::BTreeMap;
use std::future::Future;

use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, RedirectActionConfig, RedirectActionStatusCodeEnum, Tag,
};
use serde_json::{Value, json};

use super::{AwsRead, AwsResult, AwsStep, Found, StepResult, not_found_as_none, outputs};
use crate::apply::{Outputs, StepError};
use crate::aws::tags::{self, TagSet};
use crate::plan::catalog::ingress::ActionProps;
use crate::plan::{Address, ResourceKind as K};

/// The ALB attribute holding its idle timeout, and the value AWS gives it when none is set
/// (botocore `elbv2` LoadBalancerAttribute: "idle_timeout.timeout_seconds - The idle timeout
/// value, in seconds. The valid range is 1-4000 seconds. The default is 60 seconds").
pub(super) const IDLE_TIMEOUT: &str = "idle_timeout.timeout_seconds";
const DEFAULT_IDLE_TIMEOUT: i64 = 60;

/// The target-group attribute the catalog's `deregistrationDelaySeconds` is (botocore `elbv2`
/// TargetGroupAttribute: "deregistration_delay.timeout_seconds - The amount of time, in seconds,
/// for Elastic Load Balancing to wait before changing the state of a deregistering target from
/// draining to unused. The range is 0-3600 seconds. The default value is 300 seconds").
pub(super) const DEREGISTRATION_DELAY: &str = "deregistration_delay.timeout_seconds";

/// The NLB listener attribute holding a TCP listener's idle timeout (botocore `elbv2`
/// ListenerAttribute: "valid range is 60-6000 seconds. The default is 350 seconds").
pub(super) const TCP_IDLE_TIMEOUT: &str = "tcp.idle_timeout.seconds";

/// ELBv2's AddTags and RemoveTags, by ARN: the same two calls for load balancers, target
/// groups, listeners and rules.
pub struct ElbTags;

super::tag_api!(
    ElbTags,
    elbv2,
    add_tags / remove_tags,
    resource_arns,
    elb_tags
);

/// A delete's answer: done, also when the resource was already gone.
pub(super) fn deleted<T>(result: Result<T, StepError>) -> StepResult {
    not_found_as_none(result)?;
    Ok(Outputs::new())
}

pub(super) fn elb_tags(tags: &TagSet) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
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

pub(super) fn lb_outputs(lb: &aws_sdk_elasticloadbalancingv2::types::LoadBalancer) -> Outputs {
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

pub(super) fn tg_outputs(tg: &aws_sdk_elasticloadbalancingv2::types::TargetGroup) -> Outputs {
    let arn = tg.target_group_arn().unwrap_or_default();
    let mut out = outputs(arn, Some(arn), tg.target_group_name());
    if let Some(suffix) = arn_suffix(arn, ":targetgroup/") {
        out.insert("arnSuffix".into(), Value::from(suffix));
    }
    out
}

pub(super) fn listener_outputs(arn: &str, lb_arn: &str) -> Outputs {
    let mut out = outputs(arn, Some(arn), None);
    out.insert("loadBalancerArn".into(), Value::from(lb_arn));
    out
}

/// The catalog's action (a listener's default action, a rule's action) as an ELB action: the
/// target group's address resolved to its ARN.
pub(super) fn action(step: &AwsStep<'_>, props: &ActionProps) -> Result<Action, StepError> {
    Ok(match props {
        ActionProps::Redirect {
            protocol,
            port,
            host,
            path,
            query,
            status_code,
        } => Action::builder()
            .r#type(ActionTypeEnum::Redirect)
            .redirect_config(
                RedirectActionConfig::builder()
                    .set_protocol(protocol.clone())
                    .set_port(port.clone())
                    .set_host(host.clone())
                    .set_path(path.clone())
                    .set_query(query.clone())
                    .status_code(RedirectActionStatusCodeEnum::from(status_code.as_str()))
                    .build(),
            )
            .build(),
        ActionProps::Forward { target_group } => Action::builder()
            .r#type(ActionTypeEnum::Forward)
            .target_group_arn(step.resolve(target_group)?)
            .build(),
    })
}

/// An ELB action in the catalog's shape (target groups as ARNs, which the reader resolves).
fn action_value(action: &Action) -> Value {
    let props = match action.r#type() {
        Some(ActionTypeEnum::Redirect) => {
            let r = action.redirect_config();
            // `#{...}` are AWS's "keep the original" placeholders, left out like the catalog does.
            let part = |v: Option<&str>| v.filter(|v| !v.starts_with("#{")).map(str::to_string);
            ActionProps::Redirect {
                protocol: part(r.and_then(|r| r.protocol())),
                port: part(r.and_then(|r| r.port())),
                host: part(r.and_then(|r| r.host())),
                path: part(r.and_then(|r| r.path())),
                query: part(r.and_then(|r| r.query()).filter(|q| !q.is_empty())),
                status_code: r
                    .and_then(|r| r.status_code())
                    .map_or("HTTP_301", |c| c.as_str())
                    .to_string(),
            }
        }
        _ => ActionProps::Forward {
            target_group: action.target_group_arn().unwrap_or_default().to_string(),
        },
    };
    serde_json::to_value(props).unwrap_or(Value::Null)
}

// --- reading -------------------------------------------------------------------------------

/// The tags of `arns`: from the tagging API's answer where it lists them, else from DescribeTags
/// ([`described_tags`]).
async fn tags_of(
    read: &AwsRead<'_>,
    arns: &[String],
) -> Result<BTreeMap<String, TagSet>, StepError> {
    let tagged = read.tagged().await?;
    let (listed, unlisted): (Vec<&String>, Vec<&String>) =
        arns.iter().partition(|arn| tagged.contains_key(*arn));
    let mut out: BTreeMap<String, TagSet> = listed
        .into_iter()
        .filter_map(|arn| Some((arn.clone(), tagged.get(arn)?.clone())))
        .collect();
    let unlisted: Vec<String> = unlisted.into_iter().cloned().collect();
    out.extend(described_tags(read, &unlisted).await?);
    Ok(out)
}

/// One of ours among what a describe listed: the resource, its tags, its address and what its
/// own reads answered.
type Ours<'i, T, D> = (&'i T, TagSet, Address, D);

/// Those of `items` that are ours, each with what `details` reads of it. Ours by the tagging
/// API's answer, or perhaps ours where the answer does not list them and `ask` says so (a desired
/// name, a listener of our load balancer): their tags from DescribeTags, read beside each
/// candidate's `details`, not before them. Others are left out: not ours.
async fn owned_with<'i, T, D, F>(
    read: &AwsRead<'_>,
    items: &'i [T],
    arn: impl Fn(&T) -> Option<&str>,
    ask: impl Fn(&T) -> bool,
    details: impl Fn(&'i T) -> F,
) -> Result<Vec<Ours<'i, T, D>>, StepError>
where
    F: Future<Output = Result<D, StepError>>,
{
    let tagged = read.tagged().await?;
    let mut listed = BTreeMap::new();
    let mut unlisted = Vec::new();
    let mut candidates = Vec::new();
    for item in items {
        let Some(id) = arn(item) else {
            continue;
        };
        match tagged.get(id) {
            Some(tags) if read.owned(tags).is_some() => {
                listed.insert(id, tags);
            }
            None if ask(item) => unlisted.push(id.to_string()),
            _ => continue,
        }
        candidates.push(item);
    }
    let (described, answers) = futures::try_join!(
        described_tags(read, &unlisted),
        futures::future::try_join_all(candidates.iter().map(|item| details(item))),
    )?;
    Ok(candidates
        .into_iter()
        .zip(answers)
        .filter_map(|(item, answer)| {
            let id = arn(item)?;
            let tags = listed.get(id).copied().or_else(|| described.get(id))?;
            Some((item, tags.clone(), read.owned(tags)?, answer))
        })
        .collect())
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
    // Ours by the tagging API's answer, or perhaps ours (desired, not listed there).
    let ours = owned_with(
        read,
        &lbs,
        |lb| lb.load_balancer_arn(),
        // The catalog names a load balancer's resource as its AWS name.
        |lb| {
            lb.load_balancer_name()
                .is_some_and(|name| read.is_desired(K::LoadBalancer, name))
        },
        |lb| balancer_details(read, lb),
    )
    .await?;
    let mut found = Vec::new();
    for (lb, tags, address, (idle, listeners)) in ours {
        let arn = lb.load_balancer_arn().unwrap_or_default();
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
        f = f.with("tags", tags::to_value(&tags));
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
                .find(|a| a.key() == Some(IDLE_TIMEOUT))
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
    // Each group's attributes (settings only: not for destroy), beside the tag read of the
    // groups the tagging API does not list.
    let ours = owned_with(
        read,
        &groups,
        |tg| tg.target_group_arn(),
        |tg| {
            tg.target_group_name()
                .is_some_and(|name| read.is_desired(K::TargetGroup, name))
        },
        |tg| async move {
            if read.inventory {
                return Ok(None);
            }
            elb.describe_target_group_attributes()
                .target_group_arn(tg.target_group_arn().unwrap_or_default())
                .send()
                .await
                .aws()
                .map(Some)
        },
    )
    .await?;
    let mut found = Vec::new();
    for (tg, tags, address, answer) in ours {
        let arn = tg.target_group_arn().unwrap_or_default();
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
        f = f.with("tags", tags::to_value(&tags));
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
    // Listeners of our load balancer: ours unless their tags say otherwise. Their own reads
    // (rules, a TCP listener's attributes) go beside the tag read of those the tagging API does
    // not list.
    let ours = owned_with(
        read,
        &listeners,
        |l| l.listener_arn(),
        |_| true,
        |l| listener_details(read, l),
    )
    .await?;
    let mut found = Vec::new();
    for (l, tags, address, (idle, rules)) in ours {
        let arn = l.listener_arn().unwrap_or_default();
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
        f = f.with("tags", tags::to_value(&tags));
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
    let rule_tags = tags_of(read, &arns).await?;
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
