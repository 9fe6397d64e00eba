//! A security group rule: one ingress or egress permission, tagged with the ownership tags (the
//! catalog models no tags for rules, but AWS accepts them), so a rule the blueprint no longer has
//! is still recognised as ours. Only the description changes in place. Read with its group
//! (`security_group.rs`): one DescribeSecurityGroupRules per page brings every rule of our groups.

use aws_sdk_ec2::types::{IpPermission, IpRange, ResourceType, UserIdGroupPair};
use serde_json::Value;

use super::ec2::{Ec2Tags, group_rules, tag_spec};
use super::{Adapter, AwsResult, AwsStep, StepResult, TagApi, is_not_found, outputs};
use crate::apply::{Outputs, StepError};
use crate::plan::ResourceKind;
use crate::plan::catalog::security::SecurityGroupRuleProps;

/// EC2 has one operation per rule direction, with the same inputs: `$build` is applied to the
/// request builder of the one `$egress` picks. With `$spec =>`, the direction is the rule's and
/// the request already names the rule's group and permission.
macro_rules! per_direction {
    (
        $step:expr, $egress:expr,
        $egress_call:ident,
        $ingress_call:ident,
        |$request:ident| $build:expr
    ) => {
        if $egress {
            let $request = $step.clients().ec2.$egress_call();
            $build
        } else {
            let $request = $step.clients().ec2.$ingress_call();
            $build
        }
    };
    (
        $step:expr, $spec:expr =>
        $egress_call:ident,
        $ingress_call:ident,
        |$request:ident| $build:expr
    ) => {
        per_direction!(
            $step,
            $spec.egress,
            $egress_call,
            $ingress_call,
            |request| {
                let $request = request
                    .group_id(&$spec.group)
                    .ip_permissions($spec.permission());
                $build
            }
        )
    };
}

pub(crate) struct SecurityGroupRule;

impl Adapter for SecurityGroupRule {
    const READ_WITH: Option<ResourceKind> = Some(ResourceKind::SecurityGroup);

    async fn create(step: &AwsStep<'_>) -> StepResult {
        let spec = RuleSpec::of(step)?;
        let tags = tag_spec(ResourceType::SecurityGroupRule, &step.ownership_tags());
        let result = per_direction!(
            step, spec =>
            authorize_security_group_egress,
            authorize_security_group_ingress,
            |request| request
                .tag_specifications(tags)
                .send()
                .await
                .aws()
                .map(|o| {
                    o.security_group_rules()
                        .first()
                        .and_then(|r| r.security_group_rule_id())
                        .map(str::to_string)
                })
        );
        match result {
            Ok(Some(id)) => Ok(rule_outputs(&id, &spec)),
            Ok(None) => adopt_rule(step, &spec).await,
            // Already there: a re-run, or the same rule added by hand (or AWS's default egress
            // on a group made before shinyctl revoked it). Adopt it: our description and
            // ownership tags.
            Err(e) if e.code == "InvalidPermission.Duplicate" => adopt_rule(step, &spec).await,
            Err(e) => Err(e),
        }
    }

    /// Only the description changes in place (everything else is the rule's identity).
    async fn update(step: &AwsStep<'_>) -> StepResult {
        let spec = RuleSpec::of(step)?;
        let id = step.existing_id()?;
        set_rule_description(step, &spec).await?;
        Ok(rule_outputs(id, &spec))
    }

    async fn delete(step: &AwsStep<'_>) -> StepResult {
        let id = step.existing_id()?;
        let group = match step.existing("groupId") {
            Some(group) => group.to_string(),
            None => step.reference("securityGroup")?,
        };
        let egress = step
            .request
            .existing
            .as_ref()
            .and_then(|o| o.get("egress"))
            .and_then(Value::as_bool)
            .unwrap_or(step.opt_str("direction") == Some("egress"));
        let result = per_direction!(
            step,
            egress,
            revoke_security_group_egress,
            revoke_security_group_ingress,
            |request| request
                .group_id(group)
                .security_group_rule_ids(id)
                .send()
                .await
                .aws()
                .map(|_| ())
        );
        // The group itself may be gone already (InvalidGroup.NotFound).
        match result {
            Err(e) if !is_not_found(&e) => Err(e),
            _ => Ok(Outputs::new()),
        }
    }
}

/// A rule's identity as the catalog writes it (source resolved to an id or CIDR).
struct RuleSpec {
    group: String,
    egress: bool,
    protocol: String,
    from_port: i32,
    to_port: i32,
    source: String,
    source_is_group: bool,
    description: String,
}

impl RuleSpec {
    fn of(step: &AwsStep<'_>) -> Result<Self, StepError> {
        let props: SecurityGroupRuleProps = step.props()?;
        Ok(RuleSpec {
            group: step.resolve(&props.security_group)?,
            egress: props.direction == "egress",
            source: step.resolve(&props.source)?,
            source_is_group: props.source_type == "securityGroup",
            protocol: props.protocol,
            from_port: props.from_port,
            to_port: props.to_port,
            description: props.description,
        })
    }

    fn permission(&self) -> IpPermission {
        let mut p = IpPermission::builder()
            .ip_protocol(&self.protocol)
            .from_port(self.from_port)
            .to_port(self.to_port);
        if self.source_is_group {
            p = p.user_id_group_pairs(
                UserIdGroupPair::builder()
                    .group_id(&self.source)
                    .description(&self.description)
                    .build(),
            );
        } else {
            p = p.ip_ranges(
                IpRange::builder()
                    .cidr_ip(&self.source)
                    .description(&self.description)
                    .build(),
            );
        }
        p.build()
    }

    /// Whether an AWS rule is this one (ignoring the description). AWS reports ports -1 for
    /// all-traffic rules whatever was sent.
    fn matches(&self, r: &aws_sdk_ec2::types::SecurityGroupRule) -> bool {
        let all = self.protocol == "-1";
        let source = r
            .referenced_group_info()
            .and_then(|g| g.group_id())
            .or(r.cidr_ipv4());
        r.group_id() == Some(self.group.as_str())
            && r.is_egress() == Some(self.egress)
            && r.ip_protocol() == Some(self.protocol.as_str())
            && (all || (r.from_port() == Some(self.from_port) && r.to_port() == Some(self.to_port)))
            && source == Some(self.source.as_str())
    }
}

fn rule_outputs(id: &str, spec: &RuleSpec) -> Outputs {
    let mut out = outputs(id, None, None);
    out.insert("groupId".into(), Value::from(spec.group.clone()));
    out.insert("egress".into(), Value::from(spec.egress));
    out
}

async fn adopt_rule(step: &AwsStep<'_>, spec: &RuleSpec) -> Result<Outputs, StepError> {
    let rules = group_rules(step, &spec.group).await?;
    let rule = rules.iter().find(|r| spec.matches(r)).ok_or_else(|| {
        StepError::transient("RuleNotVisible", "the rule exists but is not listed yet")
    })?;
    let id = rule
        .security_group_rule_id()
        .unwrap_or_default()
        .to_string();
    if rule.description().unwrap_or_default() != spec.description {
        set_rule_description(step, spec).await?;
    }
    Ec2Tags::tag(step, &id, &step.ownership_tags()).await?;
    Ok(rule_outputs(&id, spec))
}

/// Sets a rule's description. The IpPermissions form (not SecurityGroupRuleDescriptions) works
/// in AWS and in moto, which ignores the other.
async fn set_rule_description(step: &AwsStep<'_>, spec: &RuleSpec) -> Result<(), StepError> {
    per_direction!(
        step, spec =>
        update_security_group_rule_descriptions_egress,
        update_security_group_rule_descriptions_ingress,
        |request| request
            .send()
            .await
            .aws()
            .map(|_| ())
    )
}
