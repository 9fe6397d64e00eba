//! An ECS cluster: the tasks' home, with the Container Insights setting.
//!
//! - **Create**: DescribeClusters by name first (a cluster an interrupted run made is found by
//!   its name and address tag), then CreateCluster with the name, the `containerInsights`
//!   setting and the tags. A cluster is ACTIVE when CreateCluster answers (PROVISIONING only
//!   while capacity providers are attached in the same call, which shinyctl does not do: the
//!   association is its own kind).
//! - **Update**: UpdateClusterSettings with `containerInsights`; the tags.
//! - **Delete**: DeleteCluster. AWS refuses it while services are active or container instances
//!   are registered (ClusterContainsServicesException,
//!   ClusterContainsContainerInstancesException: botocore `ecs` DeleteCluster): a conflict the
//!   engine retries until the services and the Auto Scaling group's instances are gone (the
//!   destroy order deletes them first, and their deregistration takes a moment). A deleted
//!   cluster is INACTIVE at once ("INACTIVE clusters ... may remain discoverable in your account
//!   for a period of time", botocore `ecs` Cluster status): nothing to wait for.
//!
//! Read: ListClusters (ARNs only, 100 a page), the blueprint's by their name prefix, then
//! DescribeClusters with TAGS and SETTINGS (up to 100 at once): ownership by the tags. The
//! cluster's capacity provider association (`ecs_cluster_capacity_providers`, read with this
//! kind) comes in the same answer. Attributes: `arn` (the id) and `name`.

use aws_sdk_ecs::types::{Cluster, ClusterField, ClusterSetting, ClusterSettingName};

use super::ecs::{
    EcsTags, arn_found, describe_cluster, ecs_tags, in_use, provider_arn, short_name, tag_set,
};
use super::stages::{Read, after, first};
use super::{Adapter, AwsRead, AwsResult, AwsStep, Found, StepResult, outputs, sync_tags};
use crate::apply::{Outputs, StepError};
use crate::aws::tags;
use crate::plan::catalog::ecs_kinds::{
    EcsClusterCapacityProvidersProps, EcsClusterProps, EcsStrategyItem,
};
use crate::plan::{Address, ResourceKind as K};

pub(crate) struct EcsCluster;

impl Adapter for EcsCluster {
    const READS: &'static [Read] = &[
        first(("ecs", "ListClusters")),
        after(("ecs", "DescribeClusters"), &[("ecs", "ListClusters")]),
    ];

    /// The clusters and their capacity provider associations.
    async fn read(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
        let prefix = read.name_prefix();
        let arns: Vec<String> = all_items!(
            read.clients().ecs.list_clusters().max_results(100),
            cluster_arns
        )
        .into_iter()
        .filter(|arn| short_name(arn).starts_with(&prefix))
        .collect();
        let mut found = Vec::new();
        for chunk in arns.chunks(100) {
            let described = read
                .clients()
                .ecs
                .describe_clusters()
                .set_clusters(Some(chunk.to_vec()))
                .include(ClusterField::Tags)
                .include(ClusterField::Settings)
                .send()
                .await
                .aws()?;
            for cluster in described.clusters() {
                found.extend(cluster_found(read, cluster));
            }
        }
        Ok(found)
    }

    async fn create(step: &AwsStep<'_>) -> StepResult {
        let props: EcsClusterProps = step.props()?;
        if let Some(existing) = describe_cluster(step, &props.name).await?
            && existing.status() != Some("INACTIVE")
        {
            return ours_or_refuse(step, &existing);
        }
        let created = step
            .clients()
            .ecs
            .create_cluster()
            .cluster_name(&props.name)
            .settings(insights(props.container_insights))
            .set_tags(Some(ecs_tags(&step.tags())))
            .send()
            .await
            .aws()?;
        let arn = created
            .cluster()
            .and_then(Cluster::cluster_arn)
            .unwrap_or_default();
        Ok(outputs(arn, Some(arn), Some(&props.name)))
    }

    async fn update(step: &AwsStep<'_>) -> StepResult {
        let props: EcsClusterProps = step.props()?;
        let arn = step.existing_id()?;
        if step.changed("containerInsights") {
            step.clients()
                .ecs
                .update_cluster_settings()
                .cluster(arn)
                .settings(insights(props.container_insights))
                .send()
                .await
                .aws()?;
        }
        sync_tags::<EcsTags>(step, arn).await?;
        Ok(outputs(arn, Some(arn), Some(&props.name)))
    }

    async fn delete(step: &AwsStep<'_>) -> StepResult {
        let arn = step.existing_id()?;
        let deleted = step
            .clients()
            .ecs
            .delete_cluster()
            .cluster(arn)
            .send()
            .await
            .aws()
            .map(drop);
        match in_use(deleted) {
            Err(err) if crate::aws::errors::is_not_found(&err) => {}
            other => other?,
        }
        Ok(Outputs::new())
    }
}

/// The `containerInsights` setting (botocore `ecs` ClusterSetting: `enabled` or `disabled`;
/// `enhanced` exists too and is not shinyctl's).
fn insights(on: bool) -> ClusterSetting {
    ClusterSetting::builder()
        .name(ClusterSettingName::ContainerInsights)
        .value(if on { "enabled" } else { "disabled" })
        .build()
}

/// A cluster of this name is this step's (its address tag) or someone else's.
fn ours_or_refuse(step: &AwsStep<'_>, cluster: &Cluster) -> StepResult {
    let ours = tags::carry_address(
        cluster.tags().iter().map(|t| (t.key(), t.value())),
        step.address(),
    );
    let name = cluster.cluster_name().unwrap_or_default();
    step.refuse_unless_ours(
        ours,
        "ClusterExists",
        &format!("an ECS cluster named {name} already exists"),
    )?;
    let arn = cluster.cluster_arn().unwrap_or_default();
    Ok(outputs(arn, Some(arn), Some(name)))
}

/// One cluster of the blueprint as read, with its capacity provider association when it has
/// providers or a default strategy.
fn cluster_found(read: &AwsRead<'_>, cluster: &Cluster) -> Vec<Found> {
    let (Some(arn), Some(name)) = (cluster.cluster_arn(), cluster.cluster_name()) else {
        return Vec::new();
    };
    if matches!(cluster.status(), Some("INACTIVE" | "DEPROVISIONING")) {
        return Vec::new();
    }
    let tags = tag_set(cluster.tags());
    let Some(address) = read.owned(&tags) else {
        return Vec::new();
    };
    let insights = cluster.settings().iter().any(|s| {
        s.name() == Some(&ClusterSettingName::ContainerInsights)
            && matches!(s.value(), Some("enabled" | "enhanced"))
    });
    let props = EcsClusterProps {
        name: name.to_string(),
        container_insights: insights,
    };
    let mut all = vec![arn_found(
        K::EcsCluster,
        arn,
        name,
        address.clone(),
        &props,
        &tags,
    )];
    all.extend(association_found(&address, cluster));
    all
}

/// The cluster's capacity provider association (`ecs_cluster_capacity_providers`): untagged,
/// matched by its cluster (the ARN, which the reader turns into the cluster's address); one the
/// blueprint does not have is listed under the cluster's address, to be emptied.
fn association_found(cluster_address: &Address, cluster: &Cluster) -> Option<Found> {
    let arn = cluster.cluster_arn()?;
    let strategy = cluster.default_capacity_provider_strategy();
    if cluster.capacity_providers().is_empty() && strategy.is_empty() {
        return None;
    }
    let mut providers: Vec<String> = cluster
        .capacity_providers()
        .iter()
        .map(|p| provider_arn(arn, p))
        .collect();
    providers.sort();
    let props = EcsClusterCapacityProvidersProps {
        cluster: arn.to_string(),
        capacity_providers: providers,
        default_strategy: strategy
            .iter()
            .map(|s| EcsStrategyItem {
                capacity_provider: provider_arn(arn, s.capacity_provider()),
                weight: i64::from(s.weight()),
                base: i64::from(s.base()),
            })
            .collect(),
    };
    let id = super::ecs_cluster_capacity_providers::id_of(arn);
    let mut found = Found::new(K::EcsClusterCapacityProviders, &id)
        .named(cluster.cluster_name().unwrap_or_default())
        .props(&props)
        .orphan_at(Address::new(format!(
            "{cluster_address}.capacity_providers"
        )));
    found.outputs = outputs(&id, None, None);
    Some(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ecs::types::CapacityProviderStrategyItem;

    #[test]
    fn a_cluster_without_providers_has_no_association_and_one_with_them_has() {
        let at = Address::new("ecs.ecs_cluster.main");
        let bare = Cluster::builder()
            .cluster_arn("arn:aws:ecs:eu-west-1:1:cluster/demo")
            .cluster_name("demo")
            .build();
        assert!(association_found(&at, &bare).is_none());
        let with = Cluster::builder()
            .cluster_arn("arn:aws:ecs:eu-west-1:1:cluster/demo")
            .cluster_name("demo")
            .capacity_providers("demo-cp")
            .default_capacity_provider_strategy(
                CapacityProviderStrategyItem::builder()
                    .capacity_provider("demo-cp")
                    .weight(1)
                    .build()
                    .unwrap(),
            )
            .build();
        let found = association_found(&at, &with).expect("an association");
        assert_eq!(found.kind, K::EcsClusterCapacityProviders);
        assert_eq!(
            found.properties["defaultStrategy"],
            serde_json::json!([{
                "capacityProvider": "arn:aws:ecs:eu-west-1:1:capacity-provider/demo-cp",
                "weight": 1,
                "base": 0
            }])
        );
        assert_eq!(
            found.orphan_address,
            Some(Address::new("ecs.ecs_cluster.main.capacity_providers"))
        );
    }
}
