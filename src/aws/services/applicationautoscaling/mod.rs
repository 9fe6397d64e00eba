//! applicationautoscaling: an ECS service's scalable target (`appautoscaling_target.rs`) and
//! its target-tracking policies (`appautoscaling_policy.rs`), namespace `ecs`, dimension
//! `ecs:service:DesiredCount` (botocore `application-autoscaling/2016-02-06`).
//!
//! Neither is tagged (the target's spec row says why): both are found by the ECS service they
//! scale, among the blueprint's ECS clusters — those of the desired targets and any desired
//! `ecs_cluster` resource. A target or policy of another service in one of those clusters is
//! the blueprint's too (a cluster is its own), one the blueprint dropped: it is listed under the
//! cluster's address to be deleted. Those of any other cluster are left alone.

use std::collections::HashMap;

use aws_sdk_applicationautoscaling::types::{ScalableDimension, ServiceNamespace};
use serde_json::Value;

use super::{AwsRead, outputs};
use crate::apply::Outputs;
use crate::plan::catalog::scaling_kinds::{
    ECS_DESIRED_COUNT, ECS_NAMESPACE, ecs_resource_id, parse_ecs_resource_id,
};
use crate::plan::{Address, ResourceKind as K};

pub(super) fn ecs_namespace() -> ServiceNamespace {
    ServiceNamespace::from(ECS_NAMESPACE)
}

pub(super) fn desired_count() -> ScalableDimension {
    ScalableDimension::from(ECS_DESIRED_COUNT)
}

/// A scalable target the blueprint asks for, with its ResourceId from the desired cluster's and
/// service's names.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct DesiredTarget {
    pub(crate) address: Address,
    pub(crate) resource_id: String,
    /// The references as the catalog writes them (addresses).
    pub(crate) cluster: String,
    pub(crate) service: String,
}

/// What the reads of both kinds know of the blueprint's targets and clusters.
#[derive(Debug, Default)]
pub(super) struct Scope {
    /// ResourceId -> the desired target.
    pub(crate) targets: HashMap<String, DesiredTarget>,
    /// Cluster name -> its address: the clusters whose targets are the blueprint's.
    pub(crate) clusters: HashMap<String, String>,
}

impl Scope {
    /// The desired targets and the blueprint's clusters (see the module docs).
    pub(crate) fn of(read: &AwsRead<'_>) -> Scope {
        let name_at = |address: &str| {
            read.desired
                .iter()
                .find(|d| d.address.as_str() == address)
                .map(|d| d.name.clone())
        };
        let mut scope = Scope::default();
        for d in read.desired {
            // The ECS kinds' adapters live elsewhere: their name, not their variant.
            if d.kind.as_str() == "ecs_cluster" {
                scope.clusters.insert(d.name.clone(), d.address.to_string());
            }
        }
        for d in read.desired_of(K::AppAutoScalingTarget) {
            let text = |key: &str| d.properties.get(key).and_then(Value::as_str);
            let (Some(cluster), Some(service)) = (text("cluster"), text("service")) else {
                continue;
            };
            let (Some(cluster_name), Some(service_name)) = (name_at(cluster), name_at(service))
            else {
                continue;
            };
            scope
                .clusters
                .insert(cluster_name.clone(), cluster.to_string());
            let resource_id = ecs_resource_id(&cluster_name, &service_name);
            scope.targets.insert(
                resource_id.clone(),
                DesiredTarget {
                    address: d.address.clone(),
                    resource_id,
                    cluster: cluster.to_string(),
                    service: service.to_string(),
                },
            );
        }
        scope
    }

    /// The service a listed target or policy scales, when it scales an ECS service's desired
    /// count in one of the blueprint's clusters; else `None`, and the reader leaves it alone
    /// (see the module docs).
    pub(crate) fn scaled<'r>(
        &self,
        dimension: &ScalableDimension,
        resource_id: &'r str,
    ) -> Option<Scaled<'_, 'r>> {
        if dimension.as_str() != ECS_DESIRED_COUNT {
            return None;
        }
        let (cluster, service) = parse_ecs_resource_id(resource_id)?;
        let cluster_address = self.clusters.get(cluster)?;
        Some(Scaled {
            cluster_address,
            cluster,
            service,
        })
    }
}

/// The ECS service a listed target or policy scales ([`Scope::scaled`]).
pub(super) struct Scaled<'s, 'r> {
    /// The address of its cluster, one of the blueprint's.
    pub(crate) cluster_address: &'s str,
    pub(crate) cluster: &'r str,
    pub(crate) service: &'r str,
}

/// The outputs of a target or policy: `id`, `arn` and `name` ([`outputs`]), and the ResourceId
/// of the service it scales, which a policy's delete needs.
pub(super) fn scaling_outputs(
    id: &str,
    arn: Option<&str>,
    name: &str,
    resource_id: &str,
) -> Outputs {
    let mut out = outputs(id, arn, Some(name));
    out.insert("resourceId".into(), resource_id.into());
    out
}

/// The ARN of an ECS service in the long format ("arn:aws:ecs:region:aws_account_id:service/
/// cluster-name/service-name", Amazon ECS developer guide, "Amazon Resource Names (ARNs) and
/// IDs"): how the reader names the service of a target the blueprint dropped, which the live
/// reader turns into the service's address when the service is still there.
pub(super) fn ecs_service_arn(
    arn_prefix: &str,
    region: &str,
    account: &str,
    cluster: &str,
    service: &str,
) -> String {
    format!("{arn_prefix}:ecs:{region}:{account}:service/{cluster}/{service}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_services_arn_is_the_long_format() {
        assert_eq!(
            ecs_service_arn("arn:aws", "eu-west-1", "123456789012", "demo", "web"),
            "arn:aws:ecs:eu-west-1:123456789012:service/demo/web"
        );
        assert_eq!(desired_count().as_str(), "ecs:service:DesiredCount");
        assert_eq!(ecs_namespace().as_str(), "ecs");
    }
}
