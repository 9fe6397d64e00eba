//! A listener: HTTP, HTTPS with its certificate and security policy, or an NLB's TCP/TLS one,
//! forwarding to the target group or redirecting. A load balancer has one listener per port, so
//! create looks the port up first; everything but the load balancer changes in place (one
//! ModifyListener with the whole listener; a TCP listener's idle timeout is an attribute).
//! Listeners are listed per load balancer: the load balancer's read finds them
//! ([`read_listeners`]).

use aws_sdk_elasticloadbalancingv2::Client;
use aws_sdk_elasticloadbalancingv2::types::{Certificate, ListenerAttribute, ProtocolEnum};

use super::elbv2::{
    ElbTags, TCP_IDLE_TIMEOUT, action, action_props, elb_tags, listener_outputs, owned_with,
};
use super::{
    Adapter, AwsRead, AwsResult, AwsStep, Found, StepResult, deleted, not_found_as_none, sync_tags,
};
use crate::apply::StepError;
use crate::aws::tags;
use crate::plan::catalog::ingress::ListenerProps;
use crate::plan::{Address, ResourceKind};

pub(crate) struct Listener;

type ElbListener = aws_sdk_elasticloadbalancingv2::types::Listener;

impl Adapter for Listener {
    const READ_WITH: Option<ResourceKind> = Some(ResourceKind::LoadBalancer);

    async fn create(step: &AwsStep<'_>) -> StepResult {
        let props: ListenerProps = step.props()?;
        let lb_arn = step.resolve(&props.load_balancer)?;
        let port = i32::from(props.port);
        if let Some(existing) = listener_on_port(step, &lb_arn, port).await? {
            let arn = existing.listener_arn().unwrap_or_default().to_string();
            modify(step, &props, &arn).await?;
            set_idle_timeout(step, &props, &arn).await?;
            return Ok(listener_outputs(&arn, &lb_arn));
        }
        let created = step
            .clients()
            .elbv2
            .create_listener()
            .load_balancer_arn(&lb_arn)
            .port(port)
            .protocol(ProtocolEnum::from(props.protocol.as_str()))
            .set_ssl_policy(props.ssl_policy.clone())
            .set_certificates(certificates(&props))
            .set_default_actions(default_actions(step, &props)?)
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
        set_idle_timeout(step, &props, &arn).await?;
        Ok(listener_outputs(&arn, &lb_arn))
    }

    async fn update(step: &AwsStep<'_>) -> StepResult {
        let props: ListenerProps = step.props()?;
        let arn = step.existing_id()?;
        let lb_arn = step.resolve(&props.load_balancer)?;
        if step
            .request
            .step
            .changes
            .iter()
            .any(|c| !c.name.starts_with("tags") && c.name != "idleTimeoutSeconds")
        {
            modify(step, &props, arn).await?;
        }
        if step.changed("idleTimeoutSeconds") {
            set_idle_timeout(step, &props, arn).await?;
        }
        sync_tags::<ElbTags>(step, arn).await?;
        Ok(listener_outputs(arn, &lb_arn))
    }

    async fn delete(step: &AwsStep<'_>) -> StepResult {
        let arn = step.existing_id()?;
        let elb = &step.clients().elbv2;
        deleted(elb.delete_listener().listener_arn(arn).send().await.aws())
    }
}

/// The listener's certificates; none when it has none (HTTP, TCP).
fn certificates(props: &ListenerProps) -> Option<Vec<Certificate>> {
    let list = props.certificates.as_deref().unwrap_or_default();
    (!list.is_empty()).then(|| {
        list.iter()
            .map(|arn| Certificate::builder().certificate_arn(arn).build())
            .collect()
    })
}

/// The listener's default action. The catalog always gives one; a listener's properties without
/// one send none (CreateListener then refuses it: botocore `elbv2` CreateListenerInput requires
/// DefaultActions; ModifyListener keeps the listener's own).
fn default_actions(
    step: &AwsStep<'_>,
    props: &ListenerProps,
) -> Result<Option<Vec<aws_sdk_elasticloadbalancingv2::types::Action>>, StepError> {
    let act = props.default_action.as_ref().map(|a| action(step, a));
    Ok(act.transpose()?.map(|a| vec![a]))
}

/// The load balancer's listener on `port`; `None` also when the load balancer is gone.
async fn listener_on_port(
    step: &AwsStep<'_>,
    lb_arn: &str,
    port: i32,
) -> Result<Option<ElbListener>, StepError> {
    let listeners = not_found_as_none(listeners_of(&step.clients().elbv2, lb_arn).await)?;
    Ok(listeners.and_then(|ls| ls.into_iter().find(|l| l.port() == Some(port))))
}

/// A load balancer's listeners (one DescribeListeners).
async fn listeners_of(elb: &Client, lb_arn: &str) -> Result<Vec<ElbListener>, StepError> {
    let described = elb
        .describe_listeners()
        .load_balancer_arn(lb_arn)
        .send()
        .await;
    Ok(described.aws()?.listeners.unwrap_or_default())
}

/// Sets the listener's TCP idle timeout when the catalog gives one.
async fn set_idle_timeout(
    step: &AwsStep<'_>,
    props: &ListenerProps,
    arn: &str,
) -> Result<(), StepError> {
    let Some(seconds) = props.idle_timeout_seconds else {
        return Ok(());
    };
    let idle = ListenerAttribute::builder().key(TCP_IDLE_TIMEOUT);
    let elb = &step.clients().elbv2;
    let request = elb.modify_listener_attributes().listener_arn(arn);
    let attribute = idle.value(seconds.to_string()).build();
    request.attributes(attribute).send().await.aws().map(drop)
}

/// The whole listener in one ModifyListener.
async fn modify(step: &AwsStep<'_>, props: &ListenerProps, arn: &str) -> Result<(), StepError> {
    step.clients()
        .elbv2
        .modify_listener()
        .listener_arn(arn)
        .port(i32::from(props.port))
        .protocol(ProtocolEnum::from(props.protocol.as_str()))
        .set_ssl_policy(props.ssl_policy.clone())
        .set_certificates(certificates(props))
        .set_default_actions(default_actions(step, props)?)
        .send()
        .await
        .aws()?;
    Ok(())
}

/// The listeners of one of our load balancers (one DescribeListeners), each with its rules.
pub(super) async fn read_listeners(
    read: &AwsRead<'_>,
    lb_arn: &str,
) -> Result<Vec<Found>, StepError> {
    let listeners = listeners_of(&read.clients().elbv2, lb_arn).await?;
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
        // An SSL policy and certificates only mean something on HTTPS/TLS listeners.
        let tls = protocol == "HTTPS" || protocol == "TLS";
        let certificates = l.certificates().iter();
        let mut f = Found::new(ResourceKind::Listener, arn)
            .at(Some(address.clone()))
            .props(&ListenerProps {
                load_balancer: lb_arn.to_string(),
                // A listener's port is 1-65535 (botocore `elbv2` Port: min 1, max 65535).
                port: u16::try_from(l.port().unwrap_or_default()).unwrap_or_default(),
                protocol: protocol.to_string(),
                idle_timeout_seconds: idle,
                certificates: tls.then(|| {
                    let arns = certificates.filter_map(|c| c.certificate_arn());
                    arns.map(str::to_string).collect()
                }),
                ssl_policy: tls.then(|| l.ssl_policy().unwrap_or_default().to_string()),
                default_action: l.default_actions().first().map(action_props),
            })
            .with("tags", tags::to_value(&tags));
        f.outputs = listener_outputs(arn, lb_arn);
        found.push(f);
        // A rule on our listener that no desired rule matches (a removed route's last priority)
        // is deleted under this address when it forwards to one of the blueprint's target
        // groups (`reader`'s `orphan_is_ours`: shinyctl does not tag rules).
        found.extend(rules.into_iter().map(|rule| {
            let priority = rule.properties.get("priority").cloned().unwrap_or_default();
            rule.orphan_at(Address::new(format!("{address}.rule[{priority}]")))
        }));
    }
    Ok(found)
}

/// A listener's rules and, for a TCP listener (only those have it; the catalog sets it on NLB
/// ones), its idle timeout attribute: at once. Destroy's inventory ([`AwsRead::inventory`])
/// reads no attribute: the delete takes the listener's ARN (`Listener::delete`), and the idle
/// timeout names no other resource.
async fn listener_details(
    read: &AwsRead<'_>,
    l: &ElbListener,
) -> Result<(Option<u32>, Vec<Found>), StepError> {
    let arn = l.listener_arn().unwrap_or_default();
    let idle = async {
        if l.protocol().map(|p| p.as_str()) != Some("TCP") || read.inventory {
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
                .and_then(|v| v.parse::<u32>().ok()),
        )
    };
    futures::try_join!(idle, super::listener_rule::read_rules(read, arn))
}
