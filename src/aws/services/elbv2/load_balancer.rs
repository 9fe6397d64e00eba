//! A load balancer (ALB or NLB). Its name is unique per account and region, so create looks it
//! up first; subnets, security groups, IP address type and an ALB's idle timeout change in
//! place. Its read lists the account's load balancers and, per one of ours, reads its attributes
//! and its listeners (DescribeListeners takes one load balancer): the listeners' and their rules'
//! reads are in `listener.rs` and `listener_rule.rs`, and they are found here.

use aws_sdk_elasticloadbalancingv2::types::{
    IpAddressType, LoadBalancerAttribute, LoadBalancerSchemeEnum, LoadBalancerTypeEnum,
};

use super::elbv2::{ElbTags, IDLE_TIMEOUT, elb_tags, lb_outputs, owned_with};
use super::stages::{NOT_LISTED, Read, TAGGED, after, fallback, first};
use super::{
    Adapter, AwsRead, AwsResult, AwsStep, Found, StepResult, first_found, not_found_as_none,
    sync_tags,
};
use crate::apply::{Outputs, StepError};
use crate::aws::tags;
use crate::plan::ResourceKind as K;
use crate::plan::catalog::ingress::LoadBalancerProps;

type Balancer = aws_sdk_elasticloadbalancingv2::types::LoadBalancer;

/// The idle timeout AWS gives an ALB when none is set (see [`IDLE_TIMEOUT`]).
const DEFAULT_IDLE_TIMEOUT: u32 = 60;

pub(crate) struct LoadBalancer;

impl Adapter for LoadBalancer {
    // Load balancers and target groups at once (the target groups' listing is theirs); a load
    // balancer's attributes and listeners at once; a listener's rules and attributes at once.
    const READS: &'static [Read] = &[
        first(("elbv2", "DescribeLoadBalancers")),
        // The tag read of the load balancers and the target groups the tagging API does not
        // list: declared once, here.
        fallback(
            ("elbv2", "DescribeTags"),
            &[
                ("elbv2", "DescribeLoadBalancers"),
                ("elbv2", "DescribeTargetGroups"),
            ],
            NOT_LISTED,
        ),
        after(
            ("elbv2", "DescribeLoadBalancerAttributes"),
            &[("elbv2", "DescribeLoadBalancers"), TAGGED],
        ),
        after(
            ("elbv2", "DescribeListeners"),
            &[("elbv2", "DescribeLoadBalancers"), TAGGED],
        ),
        after(
            ("elbv2", "DescribeRules"),
            &[("elbv2", "DescribeListeners")],
        ),
        after(
            ("elbv2", "DescribeListenerAttributes"),
            &[("elbv2", "DescribeListeners")],
        ),
        fallback(
            ("elbv2", "DescribeTags"),
            &[("elbv2", "DescribeListeners")],
            "listeners the tagging API's answer does not list",
        ),
    ];

    /// The load balancers, their listeners and the listeners' rules.
    async fn read(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
        let elb = &read.clients().elbv2;
        let lbs: Vec<_> = all_items!(elb.describe_load_balancers(), load_balancers);
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
            let subnets = zones.iter().map(|(_, s)| s.to_string()).collect();
            let mut groups = lb.security_groups().to_vec();
            groups.sort();
            let kind = lb.r#type().map_or("application", |t| t.as_str());
            let scheme = lb.scheme().map_or("internet-facing", |s| s.as_str());
            let ip_address_type = lb.ip_address_type().map_or("ipv4", |t| t.as_str());
            let mut f = Found::new(K::LoadBalancer, arn)
                .at(Some(address))
                .named(name)
                .props(&LoadBalancerProps {
                    name: name.to_string(),
                    kind: kind.to_string(),
                    scheme: scheme.to_string(),
                    ip_address_type: ip_address_type.to_string(),
                    subnets,
                    security_groups: groups,
                    idle_timeout_seconds: idle,
                })
                .with("tags", tags::to_value(&tags));
            f.outputs = lb_outputs(lb);
            found.push(f);
            found.extend(listeners);
        }
        Ok(found)
    }

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
        let name = step.existing_name();
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
    first_found(result, |r| r.load_balancers)
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

/// What one load balancer's own calls answer: its idle timeout (ALBs) and its listeners (with
/// their rules).
type BalancerDetails = (Option<u32>, Vec<Found>);

/// A load balancer's attributes (ALBs: the idle timeout) and its listeners, at once. Destroy's
/// inventory ([`AwsRead::inventory`]) reads no attributes: the delete takes the load balancer's
/// ARN and name (`LoadBalancer::delete`), and the idle timeout names no other resource.
async fn balancer_details(read: &AwsRead<'_>, lb: &Balancer) -> Result<BalancerDetails, StepError> {
    let arn = lb.load_balancer_arn().unwrap_or_default();
    let application = lb.r#type().is_none_or(|t| t.as_str() == "application");
    let idle = async {
        if !application || read.inventory {
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
                .and_then(|v| v.parse::<u32>().ok())
                .unwrap_or(DEFAULT_IDLE_TIMEOUT),
        ))
    };
    futures::try_join!(idle, super::listener::read_listeners(read, arn))
}
