//! A listener rule: path patterns and host headers, and the action taken on a match. A
//! listener has one rule per priority, so create looks the priority up first; conditions and
//! action change in place (ModifyRule). Rules are listed per listener: the load balancer's
//! read finds them with their listener ([`read_rules`]).

use aws_sdk_elasticloadbalancingv2::Client;
use aws_sdk_elasticloadbalancingv2::types::{
    Action, HostHeaderConditionConfig, PathPatternConditionConfig, Rule, RuleCondition,
};

use super::elbv2::{action, action_props, elb_tags};
use super::{Adapter, AwsRead, AwsResult, AwsStep, Found, StepResult, deleted, outputs};
use crate::apply::StepError;
use crate::plan::ResourceKind;
use crate::plan::catalog::ingress::ListenerRuleProps;

pub(crate) struct ListenerRule;

impl Adapter for ListenerRule {
    const READ_WITH: Option<ResourceKind> = Some(ResourceKind::LoadBalancer);

    async fn create(step: &AwsStep<'_>) -> StepResult {
        let props: ListenerRuleProps = step.props()?;
        let listener = step.resolve(&props.listener)?;
        let priority = props.priority;
        // A rule with this priority already there (an earlier attempt): bring it in line.
        let rules = rules_of(&step.clients().elbv2, &listener).await?;
        let act = rule_action(step, &props)?;
        if let Some(rule) = rules
            .iter()
            .find(|r| r.priority() == Some(&priority.to_string()))
        {
            let arn = rule.rule_arn().unwrap_or_default().to_string();
            modify(step, &props, &arn, act).await?;
            return Ok(outputs(&arn, Some(&arn), None));
        }
        let created = step
            .clients()
            .elbv2
            .create_rule()
            .listener_arn(&listener)
            .priority(priority)
            .set_conditions(Some(conditions(&props)))
            .actions(act)
            // Tags has at least one member when given (botocore `elbv2` CreateRuleInput
            // Tags: TagList min 1); an untagged kind's rule gets none.
            .set_tags(
                Some(step.tags())
                    .filter(|t| !t.is_empty())
                    .map(|t| elb_tags(&t)),
            )
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

    async fn update(step: &AwsStep<'_>) -> StepResult {
        let props: ListenerRuleProps = step.props()?;
        let arn = step.existing_id()?;
        modify(step, &props, arn, rule_action(step, &props)?).await?;
        Ok(outputs(arn, Some(arn), None))
    }

    async fn delete(step: &AwsStep<'_>) -> StepResult {
        let arn = step.existing_id()?;
        let elb = &step.clients().elbv2;
        deleted(elb.delete_rule().rule_arn(arn).send().await.aws())
    }
}

/// The rule's action. Properties without one are refused as AWS refuses them (botocore `elbv2`
/// CreateRuleInput requires Actions): only a read leaves it out, of a rule AWS gave none.
fn rule_action(step: &AwsStep<'_>, props: &ListenerRuleProps) -> Result<Action, StepError> {
    let act = props.action.as_ref().ok_or_else(|| {
        StepError::fatal(
            "ValidationError",
            format!("listener rule {} has no action", props.priority),
        )
    })?;
    action(step, act)
}

/// The rule's conditions: one for its path patterns, one for its host headers (each only when
/// it has some).
fn conditions(props: &ListenerRuleProps) -> Vec<RuleCondition> {
    let mut out = Vec::new();
    if !props.path_patterns.is_empty() {
        out.push(
            RuleCondition::builder()
                .field("path-pattern")
                .path_pattern_config(
                    PathPatternConditionConfig::builder()
                        .set_values(Some(props.path_patterns.clone()))
                        .build(),
                )
                .build(),
        );
    }
    if !props.host_headers.is_empty() {
        out.push(
            RuleCondition::builder()
                .field("host-header")
                .host_header_config(
                    HostHeaderConditionConfig::builder()
                        .set_values(Some(props.host_headers.clone()))
                        .build(),
                )
                .build(),
        );
    }
    out
}

async fn modify(
    step: &AwsStep<'_>,
    props: &ListenerRuleProps,
    arn: &str,
    act: Action,
) -> Result<(), StepError> {
    step.clients()
        .elbv2
        .modify_rule()
        .rule_arn(arn)
        .set_conditions(Some(conditions(props)))
        .actions(act)
        .send()
        .await
        .aws()?;
    Ok(())
}

/// A listener's rules (one DescribeRules), its default rule included.
async fn rules_of(elb: &Client, listener_arn: &str) -> Result<Vec<Rule>, StepError> {
    let described = elb.describe_rules().listener_arn(listener_arn).send().await;
    Ok(described.aws()?.rules.unwrap_or_default())
}

/// The rules of one of our listeners (one DescribeRules) but its default rule. A rule is an
/// untagged kind (its spec row: the catalog gives it no tags, and create sends none), found by
/// its identity (listener and priority) like a route: its tags are not read, which would be one
/// DescribeTags more after DescribeRules (the tagging API lists only what carries the ownership
/// tag), a fourth round trip for nothing.
pub(super) async fn read_rules(
    read: &AwsRead<'_>,
    listener_arn: &str,
) -> Result<Vec<Found>, StepError> {
    let rules = rules_of(&read.clients().elbv2, listener_arn).await?;
    let rules: Vec<_> = rules
        .into_iter()
        .filter(|r| r.is_default() != Some(true))
        .collect();
    if rules.is_empty() {
        return Ok(Vec::new());
    }
    let mut found = Vec::new();
    for r in &rules {
        let arn = r.rule_arn().unwrap_or_default();
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
        // A rule's priority is 1-50000 (botocore `elbv2` RulePriority), a string in
        // DescribeRules' answer ("default" for the default rule, left out above).
        let priority: i32 = r
            .priority()
            .and_then(|p| p.parse().ok())
            .unwrap_or_default();
        let f = Found::new(ResourceKind::ListenerRule, arn).props(&ListenerRuleProps {
            listener: listener_arn.to_string(),
            priority,
            path_patterns: paths,
            host_headers: hosts,
            action: r.actions().first().map(action_props),
        });
        found.push(f.output("arn", arn));
    }
    Ok(found)
}
