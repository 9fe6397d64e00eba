//! The ECS kinds' typed properties (issue 16, seed 003): `ecs_cluster`, `ecs_capacity_provider`,
//! `ecs_cluster_capacity_providers`, `ecs_task_definition` and `ecs_service`. The `ecs:` section's
//! builder fills them; the adapters (`aws/services/ecs/`) read them back and their readers write
//! them again from what ECS answers, so a key and its default are written once.
//!
//! References are plain address strings as everywhere (`aws::services` module docs): a cluster
//! (its id is its ARN), a capacity provider (its id is its name: ECS names capacity providers by
//! their short name in a cluster's list and in a strategy, botocore `ecs`
//! PutClusterCapacityProviders), an Auto Scaling group and roles (the adapters use their `arn`
//! output, as the canary's role), target groups, subnets and security groups; and a service's task
//! definition embedded as `${address#revisionArn}` (its latest revision's ARN; the family's `id`
//! is the ARN without the revision, so that no other value is taken for a reference to it):
//! the task definition's update registers a new revision and changes that attribute
//! (`KindSpec::updated_attributes`), so the service moves to it in the same apply.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

fn is_false(value: &bool) -> bool {
    !*value
}

/// An ECS cluster. `containerInsights` is the cluster setting of that name (`enabled` or
/// `disabled`: botocore `ecs` ClusterSettingName / ClusterSetting), changed in place by
/// UpdateClusterSettings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EcsClusterProps {
    /// Up to 255 letters, digits, hyphens and underscores (botocore `ecs` CreateCluster
    /// clusterName); unique per account and region.
    pub(crate) name: String,
    pub(crate) container_insights: bool,
}

/// A capacity provider over an Auto Scaling group (CreateCapacityProvider
/// `autoScalingGroupProvider`). The group must protect new instances from scale-in when managed
/// termination protection is on (`AutoScalingGroupProps::new_instances_protected_from_scale_in`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EcsCapacityProviderProps {
    /// Up to 255 letters, digits, hyphens and underscores, not starting with `aws`, `ecs` or
    /// `fargate` (botocore `ecs` CreateCapacityProvider name).
    pub(crate) name: String,
    /// The `autoscaling_group`'s address (its ARN once resolved): fixed at create (UpdateCapacityProvider's
    /// AutoScalingGroupProviderUpdate has no group).
    pub(crate) auto_scaling_group: String,
    /// Managed scaling `ENABLED` (true) or `DISABLED`.
    pub(crate) managed_scaling: bool,
    /// Managed scaling's target capacity, 1 to 100 (percent of the group in use by tasks).
    pub(crate) target_capacity: i64,
    /// `managedTerminationProtection` `ENABLED` (true) or `DISABLED`.
    pub(crate) managed_termination_protection: bool,
    /// `managedDraining` `ENABLED` (true) or `DISABLED`.
    pub(crate) managed_draining: bool,
}

/// Which capacity providers a cluster may use and its default strategy
/// (PutClusterCapacityProviders): untagged, the cluster's own settings, known by the cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EcsClusterCapacityProvidersProps {
    /// The cluster's address.
    pub(crate) cluster: String,
    /// Each `ecs_capacity_provider`'s address (its name once resolved), or `FARGATE`,
    /// `FARGATE_SPOT`; sorted.
    pub(crate) capacity_providers: Vec<String>,
    pub(crate) default_strategy: Vec<EcsStrategyItem>,
}

/// One item of a capacity provider strategy (botocore `ecs` CapacityProviderStrategyItem).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EcsStrategyItem {
    /// The provider's address (its name once resolved), or `FARGATE`.
    pub(crate) capacity_provider: String,
    /// 0 to 1000.
    pub(crate) weight: i64,
    /// 0 to 100000: tasks placed on this provider first.
    pub(crate) base: i64,
}

/// A task definition family: each change registers a new revision (revisions are immutable),
/// see `aws/services/ecs/ecs_task_definition.rs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EcsTaskDefinitionProps {
    /// Up to 255 letters, digits, hyphens and underscores (botocore `ecs`
    /// RegisterTaskDefinition family): the resource's name.
    pub(crate) family: String,
    /// `bridge` (EC2 capacity, dynamic host ports) or `awsvpc` (Fargate).
    pub(crate) network_mode: String,
    /// `EC2` or `FARGATE`.
    pub(crate) requires_compatibilities: Vec<String>,
    /// Task-level CPU units and memory MiB, as strings (required on Fargate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) cpu: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) memory: Option<String>,
    /// The task execution role's address (its ARN once resolved) (pulls images, writes logs, reads secrets).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) execution_role: Option<String>,
    /// The task role's address (its ARN once resolved) (what the application may call).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) task_role: Option<String>,
    pub(crate) containers: Vec<EcsContainerProps>,
}

/// One container definition (botocore `ecs` ContainerDefinition), with what seed 003 uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EcsContainerProps {
    pub(crate) name: String,
    pub(crate) image: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) command: Vec<String>,
    pub(crate) essential: bool,
    /// Hard limit in MiB (the container is killed above it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) memory: Option<i64>,
    /// Soft limit in MiB (what placement reserves).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) memory_reservation: Option<i64>,
    /// CPU units (1024 = one vCPU); 0 shares what the task has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) cpu: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) port_mappings: Vec<EcsPortMapping>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) environment: BTreeMap<String, String>,
    /// Variable → `valueFrom` (a secret's ARN, `arn:…:secret:name:key::`, or an SSM parameter).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) secrets: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) log: Option<EcsAwsLogs>,
}

/// A port mapping: `hostPort` 0 in bridge mode is a dynamic host port from the instance's
/// ephemeral range; in awsvpc mode it equals the container port (or is left out).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EcsPortMapping {
    pub(crate) container_port: i64,
    pub(crate) host_port: i64,
    /// `tcp` or `udp`.
    pub(crate) protocol: String,
}

/// The `awslogs` log driver's options.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EcsAwsLogs {
    /// `awslogs-group`: a `cloudwatch_log_group`'s address (its `name` output once resolved) or a
    /// log group's name.
    pub(crate) group: String,
    /// `awslogs-region`.
    pub(crate) region: String,
    /// `awslogs-stream-prefix`.
    pub(crate) stream_prefix: String,
}

/// An ECS service (the rolling deployment controller, `ECS`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EcsServiceProps {
    /// Up to 255 letters, digits, hyphens and underscores, unique within the cluster.
    pub(crate) name: String,
    /// The cluster's address.
    pub(crate) cluster: String,
    /// `${<task definition address>#revisionArn}`: a new revision is a change the update deploys.
    pub(crate) task_definition: String,
    /// Set at create only (`KindSpec::set_at_create`): Application Auto Scaling owns it after.
    pub(crate) desired_count: i64,
    /// `FARGATE`, or absent with a capacity provider strategy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) launch_type: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) capacity_provider_strategy: Vec<EcsStrategyItem>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) load_balancers: Vec<EcsLoadBalancer>,
    /// awsvpc only: subnets' and security groups' addresses (no public IP).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) subnets: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) security_groups: Vec<String>,
    pub(crate) minimum_healthy_percent: i64,
    pub(crate) maximum_percent: i64,
    /// The deployment circuit breaker, with rollback.
    pub(crate) circuit_breaker: bool,
    /// Spread tasks across zones (`spread` on `attribute:ecs.availability-zone`); EC2 only.
    #[serde(default, skip_serializing_if = "is_false")]
    pub(crate) spread_by_zone: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) health_check_grace_period_seconds: Option<i64>,
    pub(crate) enable_ecs_managed_tags: bool,
    /// `SERVICE`, `TASK_DEFINITION` or `NONE`.
    pub(crate) propagate_tags: String,
}

/// A load balancer target group the service registers its tasks in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EcsLoadBalancer {
    /// The `target_group`'s address (its ARN once resolved).
    pub(crate) target_group: String,
    pub(crate) container_name: String,
    pub(crate) container_port: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::ResourceKind as K;
    use crate::plan::props::check_spec_fields;

    #[test]
    fn properties_structs_have_the_fields_their_specs_name() {
        check_spec_fields::<EcsClusterProps>(K::EcsCluster);
        check_spec_fields::<EcsCapacityProviderProps>(K::EcsCapacityProvider);
        check_spec_fields::<EcsClusterCapacityProvidersProps>(K::EcsClusterCapacityProviders);
        check_spec_fields::<EcsTaskDefinitionProps>(K::EcsTaskDefinition);
        check_spec_fields::<EcsServiceProps>(K::EcsService);
    }

    #[test]
    fn optional_fields_are_left_out_when_unset() {
        let container = EcsContainerProps {
            name: "web".into(),
            image: "nginx:1.27".into(),
            command: vec![],
            essential: true,
            memory: Some(512),
            memory_reservation: None,
            cpu: None,
            port_mappings: vec![EcsPortMapping {
                container_port: 80,
                host_port: 0,
                protocol: "tcp".into(),
            }],
            environment: BTreeMap::new(),
            secrets: BTreeMap::new(),
            log: None,
        };
        assert_eq!(
            serde_json::to_string(&container).unwrap(),
            r#"{"name":"web","image":"nginx:1.27","essential":true,"memory":512,"portMappings":[{"containerPort":80,"hostPort":0,"protocol":"tcp"}]}"#
        );
        let back: EcsContainerProps =
            serde_json::from_str(&serde_json::to_string(&container).unwrap()).unwrap();
        assert_eq!(back, container);
    }
}
