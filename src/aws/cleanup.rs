//! Destroy's sweep before the VPC goes: what Kubernetes controllers made for the cluster and what
//! canaries leave behind, none of which carries shinyctl's ownership tags.
//!
//! - load balancers and target groups tagged for the cluster by the AWS Load Balancer Controller
//!   (`elbv2.k8s.aws/cluster=<cluster>`) or the in-tree cloud provider
//!   (`kubernetes.io/cluster/<cluster>`), in the blueprint's VPC;
//! - security groups in that VPC with those tags (after the rules other groups hold on them are
//!   revoked), except shinyctl's own and the one EKS manages (`aws:eks:cluster-name`);
//! - network interfaces left `available` (detached) in the VPC;
//! - the Lambda function and layer each of the blueprint's canaries ran on, by the names the
//!   canary gave (`CanaryLambdas`: never by a name prefix another canary's could share).
//!
//! Everything is scoped to this blueprint's cluster name and VPC id: a load balancer of another
//! cluster, or one without the controller's tags, is left alone.

use std::time::Duration;

use aws_sdk_ec2::types::{Filter, IpPermission, UserIdGroupPair};

use super::config::Connection;
use super::errors::{AwsResult, not_found_as_none};
use super::services::elbv2;
pub use super::services::synthetics::CanaryLambdas;
use super::services::synthetics::delete_canary_lambdas;
use crate::apply::StepError;
use crate::plan::catalog::BLUEPRINT_TAG;

/// Tag the AWS Load Balancer Controller puts on what it creates.
pub const LB_CONTROLLER_TAG: &str = "elbv2.k8s.aws/cluster";

/// What to sweep: the blueprint's EKS cluster, VPC and canaries (each may be absent).
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub cluster: Option<String>,
    pub vpc_id: Option<String>,
    /// The Lambda functions and layers the blueprint's canaries ran on.
    pub canary_lambdas: CanaryLambdas,
}

/// What the sweep removed, by AWS id or name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Swept {
    pub load_balancers: Vec<String>,
    pub target_groups: Vec<String>,
    pub security_groups: Vec<String>,
    pub(crate) network_interfaces: Vec<String>,
    pub lambda_functions: Vec<String>,
    pub lambda_layers: Vec<String>,
}

impl Swept {
    pub(crate) fn is_empty(&self) -> bool {
        self.load_balancers.is_empty()
            && self.target_groups.is_empty()
            && self.security_groups.is_empty()
            && self.network_interfaces.is_empty()
            && self.lambda_functions.is_empty()
            && self.lambda_layers.is_empty()
    }
}

/// Whether `tags` say a Kubernetes controller made the resource for `cluster`.
pub(crate) fn made_for_cluster<'a>(
    tags: impl IntoIterator<Item = (&'a str, &'a str)>,
    cluster: &str,
) -> bool {
    let legacy = format!("kubernetes.io/cluster/{cluster}");
    tags.into_iter()
        .any(|(k, v)| (k == LB_CONTROLLER_TAG && v == cluster) || k == legacy)
}

/// Removes what controllers and canaries left for this blueprint (see the module's comment).
/// What is in the VPC (load balancers, then their groups, then detached interfaces) and what is in
/// Lambda are swept at once: neither holds the other.
pub async fn sweep(conn: &Connection, scope: &Scope) -> Result<Swept, StepError> {
    let in_vpc = async {
        let mut swept = Swept::default();
        if let (Some(cluster), Some(vpc)) = (scope.cluster.as_deref(), scope.vpc_id.as_deref()) {
            sweep_load_balancers(conn, cluster, vpc, &mut swept).await?;
            sweep_security_groups(conn, cluster, vpc, &mut swept).await?;
        }
        if let Some(vpc) = scope.vpc_id.as_deref() {
            sweep_interfaces(conn, vpc, &mut swept).await?;
        }
        Ok::<_, StepError>(swept)
    };
    let (mut swept, lambdas) = futures::try_join!(in_vpc, sweep_canary_lambdas(conn, scope))?;
    swept.lambda_functions = lambdas.functions;
    swept.lambda_layers = lambdas.layers;
    Ok(swept)
}

/// Which of `arns` (load balancers or target groups) the cluster's controller made: their ELB
/// tags, read 20 resources per call (one call after another).
async fn cluster_made(
    conn: &Connection,
    arns: &[String],
    cluster: &str,
) -> Result<Vec<String>, StepError> {
    let mut made = Vec::new();
    for chunk in arns.chunks(20) {
        let tagged = elbv2::describe_tags(&conn.clients.elbv2, chunk).await?;
        made.extend(
            tagged
                .into_iter()
                .filter(|(_, tags)| is_cluster_made(tags, cluster))
                .map(|(arn, _)| arn),
        );
    }
    Ok(made)
}

fn is_cluster_made(tags: &[(String, String)], cluster: &str) -> bool {
    made_for_cluster(tags.iter().map(|(k, v)| (k.as_str(), v.as_str())), cluster)
        && !tags.iter().any(|(k, _)| k == BLUEPRINT_TAG)
}

async fn sweep_load_balancers(
    conn: &Connection,
    cluster: &str,
    vpc: &str,
    swept: &mut Swept,
) -> Result<(), StepError> {
    let elb = &conn.clients.elbv2;
    let in_vpc: Vec<String> = all_items!(elb.describe_load_balancers(), load_balancers)
        .into_iter()
        .filter(|lb| lb.vpc_id() == Some(vpc))
        .filter_map(|lb| lb.load_balancer_arn)
        .collect();
    let doomed = cluster_made(conn, &in_vpc, cluster).await?;
    delete_each(
        &doomed,
        None,
        |arn| elb.delete_load_balancer().load_balancer_arn(arn).send(),
        &mut swept.load_balancers,
    )
    .await?;
    // Gone before their target groups and security groups can go.
    for arn in &doomed {
        retry_until(|| async {
            let found = not_found_as_none(
                elb.describe_load_balancers()
                    .load_balancer_arns(arn)
                    .send()
                    .await
                    .aws(),
            )?;
            let exists = found.is_some_and(|r| !r.load_balancers().is_empty());
            Ok(if exists { None } else { Some(()) })
        })
        .await?;
    }

    let groups: Vec<String> = all_items!(elb.describe_target_groups(), target_groups)
        .into_iter()
        .filter(|g| g.vpc_id() == Some(vpc))
        .filter_map(|g| g.target_group_arn)
        .collect();
    let doomed_groups = cluster_made(conn, &groups, cluster).await?;
    // A listener of a load balancer still going away holds a group for a moment.
    delete_each(
        &doomed_groups,
        Some("ResourceInUse"),
        |arn| elb.delete_target_group().target_group_arn(arn).send(),
        &mut swept.target_groups,
    )
    .await
}

async fn sweep_security_groups(
    conn: &Connection,
    cluster: &str,
    vpc: &str,
    swept: &mut Swept,
) -> Result<(), StepError> {
    let ec2 = &conn.clients.ec2;
    let groups: Vec<_> = all_items!(
        ec2.describe_security_groups()
            .filters(Filter::builder().name("vpc-id").values(vpc).build()),
        security_groups
    );
    let doomed: Vec<String> = groups
        .iter()
        .filter(|g| {
            let tags: Vec<(&str, &str)> = g
                .tags()
                .iter()
                .filter_map(|t| Some((t.key()?, t.value().unwrap_or_default())))
                .collect();
            made_for_cluster(tags.iter().copied(), cluster)
                && !tags
                    .iter()
                    .any(|(k, _)| *k == BLUEPRINT_TAG || *k == "aws:eks:cluster-name")
                && g.group_name() != Some("default")
        })
        .filter_map(|g| g.group_id().map(str::to_string))
        .collect();
    if doomed.is_empty() {
        return Ok(());
    }
    // Rules in other groups that name a doomed group would block its delete: revoke them.
    for g in &groups {
        let Some(id) = g.group_id() else { continue };
        if doomed.iter().any(|d| d == id) {
            continue;
        }
        let referencing: Vec<IpPermission> = g
            .ip_permissions()
            .iter()
            .flat_map(|p| {
                p.user_id_group_pairs()
                    .iter()
                    .filter(|pair| {
                        pair.group_id()
                            .is_some_and(|gid| doomed.iter().any(|d| d == gid))
                    })
                    .map(|pair| {
                        IpPermission::builder()
                            .set_ip_protocol(p.ip_protocol().map(str::to_string))
                            .set_from_port(p.from_port())
                            .set_to_port(p.to_port())
                            .user_id_group_pairs(
                                UserIdGroupPair::builder()
                                    .set_group_id(pair.group_id().map(str::to_string))
                                    .build(),
                            )
                            .build()
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        if !referencing.is_empty() {
            not_found_as_none(
                ec2.revoke_security_group_ingress()
                    .group_id(id)
                    .set_ip_permissions(Some(referencing))
                    .send()
                    .await
                    .aws(),
            )?;
        }
    }
    // The load balancers' interfaces take a moment to let go of their groups.
    delete_each(
        &doomed,
        Some("DependencyViolation"),
        |id| ec2.delete_security_group().group_id(id).send(),
        &mut swept.security_groups,
    )
    .await
}

async fn sweep_interfaces(
    conn: &Connection,
    vpc: &str,
    swept: &mut Swept,
) -> Result<(), StepError> {
    let ec2 = &conn.clients.ec2;
    let available: Vec<String> = all_items!(
        ec2.describe_network_interfaces()
            .filters(Filter::builder().name("vpc-id").values(vpc).build())
            .filters(Filter::builder().name("status").values("available").build()),
        network_interfaces
    )
    .into_iter()
    .filter(|n| n.status().is_some_and(|s| s.as_str() == "available"))
    .filter_map(|n| n.network_interface_id)
    .collect();
    delete_each(
        &available,
        None,
        |id| {
            ec2.delete_network_interface()
                .network_interface_id(id)
                .send()
        },
        &mut swept.network_interfaces,
    )
    .await
}

async fn sweep_canary_lambdas(
    conn: &Connection,
    scope: &Scope,
) -> Result<CanaryLambdas, StepError> {
    if scope.canary_lambdas.is_empty() {
        return Ok(CanaryLambdas::default());
    }
    delete_canary_lambdas(&conn.clients.lambda, &scope.canary_lambdas).await
}

/// Deletes each of `ids` by `delete`, one after another, and notes it in `swept`; one AWS does not
/// find is gone already. With `busy`, an error of that code (something still holds the resource
/// for a moment) is retried as [`retry_until`] does.
async fn delete_each<F, Fut, T>(
    ids: &[String],
    busy: Option<&str>,
    delete: F,
    swept: &mut Vec<String>,
) -> Result<(), StepError>
where
    F: Fn(&str) -> Fut,
    Fut: std::future::Future<Output: AwsResult<T>>,
{
    for id in ids {
        retry_until(|| async {
            match delete(id).await.aws() {
                Ok(_) => Ok(Some(())),
                Err(e) if super::errors::is_not_found(&e) => Ok(Some(())),
                Err(e) if Some(e.code.as_str()) == busy => Ok(None),
                Err(e) => Err(e),
            }
        })
        .await?;
        swept.push(id.clone());
    }
    Ok(())
}

/// Repeats `attempt` until it answers `Some`, for up to about two minutes (the time AWS takes
/// to release a deleted load balancer's interfaces), then reports that it is still blocked.
async fn retry_until<F, Fut>(mut attempt: F) -> Result<(), StepError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Option<()>, StepError>>,
{
    let mut delay = Duration::from_millis(200);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        if attempt().await?.is_some() {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(StepError::conflict(
                "DependencyViolation",
                "still in use after two minutes; run destroy again",
            ));
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(10));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_clusters_controller_tags_count() {
        assert!(made_for_cluster([(LB_CONTROLLER_TAG, "demo")], "demo"));
        assert!(made_for_cluster(
            [("kubernetes.io/cluster/demo", "owned")],
            "demo"
        ));
        assert!(!made_for_cluster([(LB_CONTROLLER_TAG, "other")], "demo"));
        assert!(!made_for_cluster(
            [("kubernetes.io/cluster/other", "owned")],
            "demo"
        ));
        assert!(!made_for_cluster([("Name", "demo")], "demo"));
        let ours = vec![
            (LB_CONTROLLER_TAG.to_string(), "demo".to_string()),
            (BLUEPRINT_TAG.to_string(), "demo".to_string()),
        ];
        assert!(!is_cluster_made(&ours, "demo"));
    }
}
