//! elbv2: the load balancer (ALB or NLB, idle timeout), the target group (health check,
//! stickiness), listeners (HTTP, HTTPS with certificate and policy, HTTP->HTTPS redirect) and
//! listener rules: one adapter file per kind beside this module, each with its read (a load
//! balancer's read finds its listeners and their rules: they are listed per load balancer and
//! per listener). This module keeps the tagging calls ([`ElbTags`]) and what more than one kind
//! uses (outputs, actions, the reads' tag reads).
//!
//! Names are unique per account and region, so creates look the name up first (a listener: its
//! port on the load balancer). Attributes, health checks, listeners and rules change in place.

use std::collections::BTreeMap;
use std::future::Future;

use aws_sdk_elasticloadbalancingv2::Client;

use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, RedirectActionConfig, RedirectActionStatusCodeEnum, Tag,
};
use serde_json::Value;

use super::{AwsRead, AwsResult, AwsStep, outputs};
use crate::apply::{Outputs, StepError};
use crate::aws::tags::{self, TagSet};
use crate::plan::Address;
use crate::plan::catalog::ingress::ActionProps;

/// The ALB attribute holding its idle timeout (botocore `elbv2` LoadBalancerAttribute:
/// "idle_timeout.timeout_seconds - The idle timeout value, in seconds. The valid range is 1-4000
/// seconds. The default is 60 seconds").
pub(super) const IDLE_TIMEOUT: &str = "idle_timeout.timeout_seconds";

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
pub(crate) struct ElbTags;

super::tag_api!(
    ElbTags,
    elbv2,
    add_tags / remove_tags,
    resource_arns,
    elb_tags
);

super::sdk_tags!(pub(super) elb_tags, Tag);

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

/// An ELB action as the catalog's [`ActionProps`] (target groups as ARNs, which the reader
/// resolves).
pub(super) fn action_props(action: &Action) -> ActionProps {
    match action.r#type() {
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
    }
}

// --- reading -------------------------------------------------------------------------------

/// One of ours among what a describe listed: the resource, its tags, its address and what its
/// own reads answered.
pub(super) type Ours<'i, T, D> = (&'i T, TagSet, Address, D);

/// Those of `items` that are ours, each with what `details` reads of it. Ours by the tagging
/// API's answer, or perhaps ours where the answer does not list them and `ask` says so (a desired
/// name, a listener of our load balancer): their tags from DescribeTags. The details of those
/// `ask` names start at once, beside the wait for the tagging API's answer (and the DescribeTags
/// of those it does not list), so they wait only for the listing that found them; the details of
/// others wait for the answer and are read only for those it says are ours. Others are left out:
/// not ours (an asked-for item whose tags say not ours has its details dropped).
pub(super) async fn owned_with<'i, T, D, F>(
    read: &AwsRead<'_>,
    items: &'i [T],
    arn: impl Fn(&T) -> Option<&str>,
    ask: impl Fn(&T) -> bool,
    details: impl Fn(&'i T) -> F,
) -> Result<Vec<Ours<'i, T, D>>, StepError>
where
    F: Future<Output = Result<D, StepError>>,
{
    let (asked, others): (Vec<&'i T>, Vec<&'i T>) = items
        .iter()
        .filter(|item| arn(item).is_some())
        .partition(|item| ask(item));
    // The asked-for items' tags: the tagging API's answer, else DescribeTags.
    let asked_tags = async {
        let tagged = read.tagged().await?;
        let unlisted: Vec<String> = asked
            .iter()
            .filter_map(|item| arn(item))
            .filter(|id| !tagged.contains_key(*id))
            .map(str::to_string)
            .collect();
        described_tags(read, &unlisted).await
    };
    // The others': ours only where the tagging API's answer lists them so.
    let others_ours = async {
        let tagged = read.tagged().await?;
        let ours: Vec<&'i T> = others
            .iter()
            .copied()
            .filter(|item| {
                arn(item)
                    .and_then(|id| tagged.get(id))
                    .is_some_and(|tags| read.owned(tags).is_some())
            })
            .collect();
        let answers = futures::future::try_join_all(ours.iter().map(|item| details(item))).await?;
        Ok::<_, StepError>(ours.into_iter().zip(answers).collect::<Vec<_>>())
    };
    let (described, asked_answers, others_answers) = futures::try_join!(
        asked_tags,
        futures::future::try_join_all(asked.iter().map(|item| details(item))),
        others_ours,
    )?;
    let tagged = read.tagged().await?;
    let mut answered: Vec<(&'i T, D)> = asked.into_iter().zip(asked_answers).collect();
    answered.extend(others_answers);
    // In the listing's order.
    let position = |item: &T| items.iter().position(|i| std::ptr::eq(i, item));
    answered.sort_by_key(|(item, _)| position(item));
    Ok(answered
        .into_iter()
        .filter_map(|(item, answer)| {
            let id = arn(item)?;
            let tags = tagged.get(id).or_else(|| described.get(id))?;
            Some((item, tags.clone(), read.owned(tags)?, answer))
        })
        .collect())
}

/// The tags of `arns` from DescribeTags (20 ARNs per call, the calls at once).
pub(super) async fn described_tags(
    read: &AwsRead<'_>,
    arns: &[String],
) -> Result<BTreeMap<String, TagSet>, StepError> {
    let elb = &read.clients().elbv2;
    let answers =
        futures::future::try_join_all(arns.chunks(20).map(|chunk| describe_tags(elb, chunk)))
            .await?;
    Ok(answers
        .into_iter()
        .flatten()
        .map(|(arn, pairs)| (arn, tags::from_pairs(pairs)))
        .collect())
}

/// One DescribeTags call (at most 20 ARNs): each described resource's ARN and its tags as AWS
/// answers them. The reads' and the cleanup's.
pub(crate) async fn describe_tags(
    elb: &Client,
    arns: &[String],
) -> Result<Vec<(String, Vec<(String, String)>)>, StepError> {
    let described = elb
        .describe_tags()
        .set_resource_arns(Some(arns.to_vec()))
        .send()
        .await
        .aws()?;
    Ok(described
        .tag_descriptions
        .unwrap_or_default()
        .into_iter()
        .filter_map(|d| {
            let tags = d
                .tags()
                .iter()
                .filter_map(|t| {
                    Some((
                        t.key()?.to_string(),
                        t.value().unwrap_or_default().to_string(),
                    ))
                })
                .collect();
            Some((d.resource_arn?, tags))
        })
        .collect())
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
}
