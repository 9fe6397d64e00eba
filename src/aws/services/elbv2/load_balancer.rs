//! A load balancer (ALB or NLB). Its name is unique per account and region, so create looks it
//! up first; subnets, security groups, IP address type and an ALB's idle timeout change in
//! place.

use aws_sdk_elasticloadbalancingv2::types::{
    IpAddressType, LoadBalancerAttribute, LoadBalancerSchemeEnum, LoadBalancerTypeEnum,
};

use super::elbv2::{ElbTags, IDLE_TIMEOUT, elb_tags, lb_outputs};
use super::{Adapter, AwsResult, AwsStep, StepResult, not_found_as_none, sync_tags};
use crate::apply::{Outputs, StepError};
use crate::plan::catalog::ingress::LoadBalancerProps;

type Balancer = aws_sdk_elasticloadbalancingv2::types::LoadBalancer;

pub struct LoadBalancer;

impl Adapter for LoadBalancer {
    async fn create(step: &AwsStep<'_>) -> StepResult {
        let props: LoadBalancerProps = step.props()?;
        let name = &props.name;
        if describe(step, name).await?.is_none() {
            // A same-name create with the same settings returns the existing load balancer.
            step.clients()
                .elbv2
                .create_load_balancer()
                .name(name)
                .r#type(LoadBalancerTypeEnum::from(props.kind.as_str()))
                .scheme(LoadBalancerSchemeEnum::from(props.scheme.as_str()))
                .ip_address_type(IpAddressType::from(props.ip_address_type.as_str()))
                .set_subnets(Some(resolve_all(step, &props.subnets)?))
                .set_security_groups(Some(resolve_all(step, &props.security_groups)?))
                .set_tags(Some(elb_tags(&step.tags())))
                .send()
                .await
                .aws()?;
        }
        let ready = step
            .wait_until(
                || probe(step, name),
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
        set_idle_timeout(step, &props, lb.load_balancer_arn().unwrap_or_default()).await?;
        Ok(out)
    }

    async fn update(step: &AwsStep<'_>) -> StepResult {
        let props: LoadBalancerProps = step.props()?;
        let name = &props.name;
        let lb = describe(step, name).await?.ok_or_else(|| {
            StepError::fatal("LoadBalancerNotFound", format!("no load balancer {name}"))
        })?;
        let arn = lb.load_balancer_arn().unwrap_or_default().to_string();
        let elb = &step.clients().elbv2;
        if step.changed("idleTimeoutSeconds") {
            set_idle_timeout(step, &props, &arn).await?;
        }
        if step.changed("subnets") {
            elb.set_subnets()
                .load_balancer_arn(&arn)
                .set_subnets(Some(resolve_all(step, &props.subnets)?))
                .send()
                .await
                .aws()?;
        }
        if step.changed("securityGroups") {
            elb.set_security_groups()
                .load_balancer_arn(&arn)
                .set_security_groups(Some(resolve_all(step, &props.security_groups)?))
                .send()
                .await
                .aws()?;
        }
        // IPv4 or dual stack changes in place (SetIpAddressType, in botocore's elbv2 model).
        if step.changed("ipAddressType") {
            elb.set_ip_address_type()
                .load_balancer_arn(&arn)
                .ip_address_type(IpAddressType::from(props.ip_address_type.as_str()))
                .send()
                .await
                .aws()?;
        }
        sync_tags::<ElbTags>(step, &arn).await?;
        Ok(lb_outputs(&lb))
    }

    /// "Deleting a load balancer also deletes its listeners" (botocore `elbv2`
    /// DeleteLoadBalancer); the wait is until DescribeLoadBalancers no longer finds it.
    async fn delete(step: &AwsStep<'_>) -> StepResult {
        let arn = step.existing_id()?;
        let name = step.existing("name").unwrap_or(step.name());
        let result = step
            .clients()
            .elbv2
            .delete_load_balancer()
            .load_balancer_arn(arn)
            .send()
            .await
            .aws();
        if not_found_as_none(result)?.is_some() {
            step.wait_until(|| probe(step, name), |s: Option<&LbState>| s.is_none())
                .await?;
        }
        Ok(Outputs::new())
    }
}

/// Each of `addresses` resolved (see [`AwsStep::resolve`]).
fn resolve_all(step: &AwsStep<'_>, addresses: &[String]) -> Result<Vec<String>, StepError> {
    addresses.iter().map(|a| step.resolve(a)).collect()
}

async fn describe(step: &AwsStep<'_>, name: &str) -> Result<Option<Balancer>, StepError> {
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
struct LbState(String, Box<Balancer>);

impl std::fmt::Display for LbState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

async fn probe(step: &AwsStep<'_>, name: &str) -> Result<Option<LbState>, StepError> {
    Ok(describe(step, name).await?.map(|lb| {
        let state = lb
            .state()
            .and_then(|s| s.code())
            .map_or("unknown", |c| c.as_str())
            .to_string();
        LbState(state, Box::new(lb))
    }))
}

/// An ALB's idle timeout attribute, when the catalog gives one.
async fn set_idle_timeout(
    step: &AwsStep<'_>,
    props: &LoadBalancerProps,
    arn: &str,
) -> Result<(), StepError> {
    let Some(seconds) = props.idle_timeout_seconds else {
        return Ok(());
    };
    let idle = LoadBalancerAttribute::builder().key(IDLE_TIMEOUT);
    let elb = &step.clients().elbv2;
    let request = elb.modify_load_balancer_attributes().load_balancer_arn(arn);
    let attribute = idle.value(seconds.to_string()).build();
    request.attributes(attribute).send().await.aws().map(drop)
}
