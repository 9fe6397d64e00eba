//! A listener rule: path patterns and host headers, and the action taken on a match. A
//! listener has one rule per priority, so create looks the priority up first; conditions and
//! action change in place (ModifyRule).

use aws_sdk_elasticloadbalancingv2::types::{
    Action, HostHeaderConditionConfig, PathPatternConditionConfig, RuleCondition,
};

use super::elbv2::{action, deleted, elb_tags};
use super::{Adapter, AwsResult, AwsStep, StepResult, outputs};
use crate::apply::StepError;
use crate::plan::catalog::ingress::ListenerRuleProps;

pub struct ListenerRule;

impl Adapter for ListenerRule {
    async fn create(step: &AwsStep<'_>) -> StepResult {
        let props: ListenerRuleProps = step.props()?;
        let listener = step.resolve(&props.listener)?;
        let priority = props.priority;
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
        let act = action(step, &props.action)?;
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

    async fn update(step: &AwsStep<'_>) -> StepResult {
        let props: ListenerRuleProps = step.props()?;
        let arn = step.existing_id()?;
        modify(step, &props, arn, action(step, &props.action)?).await?;
        Ok(outputs(arn, Some(arn), None))
    }

    async fn delete(step: &AwsStep<'_>) -> StepResult {
        let arn = step.existing_id()?;
        let elb = &step.clients().elbv2;
        deleted(elb.delete_rule().rule_arn(arn).send().await.aws())
    }
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
