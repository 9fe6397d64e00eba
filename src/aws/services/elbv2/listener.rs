//! A listener: HTTP, HTTPS with its certificate and security policy, or an NLB's TCP/TLS one,
//! forwarding to the target group or redirecting. A load balancer has one listener per port, so
//! create looks the port up first; everything but the load balancer changes in place (one
//! ModifyListener with the whole listener; a TCP listener's idle timeout is an attribute).

use aws_sdk_elasticloadbalancingv2::types::{Certificate, ListenerAttribute, ProtocolEnum};

use super::elbv2::{ElbTags, TCP_IDLE_TIMEOUT, action, deleted, elb_tags, listener_outputs};
use super::{Adapter, AwsResult, AwsStep, StepResult, not_found_as_none, sync_tags};
use crate::apply::StepError;
use crate::plan::catalog::ingress::ListenerProps;

pub struct Listener;

impl Adapter for Listener {
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
            .default_actions(action(step, &props.default_action)?)
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
        .default_actions(action(step, &props.default_action)?)
        .send()
        .await
        .aws()?;
    Ok(())
}
