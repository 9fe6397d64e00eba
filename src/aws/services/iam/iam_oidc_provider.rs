//! The cluster's IAM OIDC provider (IRSA): its issuer URL is the cluster's, known once the
//! cluster exists. IAM names a provider after its URL, so a second create of the same URL fails
//! with `EntityAlreadyExists`: the provider an interrupted run made is adopted. Read here too
//! ([`read_oidc_providers`]).

use super::iam::{IamOidcProviderTags, issuer_host_of, oidc_outputs, read_tags, retag};
use super::stages::{Read, after, first};
use super::{
    Adapter, AwsRead, AwsResult, AwsStep, Found, StepResult, deleted, not_found_as_none, sync_tags,
};
use crate::apply::StepError;
use crate::aws::tags;
use crate::plan::ResourceKind as K;
use crate::plan::catalog::iam::IamOidcProviderProps;

pub(crate) struct IamOidcProvider;

impl Adapter for IamOidcProvider {
    const READS: &'static [Read] = &[
        first(("iam", "ListOpenIDConnectProviders")),
        after(
            ("iam", "GetOpenIDConnectProvider"),
            &[("iam", "ListOpenIDConnectProviders")],
        ),
    ];

    async fn read(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
        read_oidc_providers(read).await
    }

    async fn create(step: &AwsStep<'_>) -> StepResult {
        let props: IamOidcProviderProps = step.props()?;
        let url = step.resolve(&props.url)?;
        let iam = &step.clients().iam;
        let created = iam
            .create_open_id_connect_provider()
            .url(&url)
            .set_client_id_list(Some(props.client_id_list.clone()))
            .set_tags(Some(super::iam::iam_tags(&step.tags())))
            .send()
            .await
            .aws();
        let arn = match created {
            Ok(out) => out
                .open_id_connect_provider_arn()
                .map(str::to_string)
                .unwrap_or_else(|| oidc_arn(step, &url)),
            // Created by an interrupted run: adopt it (tags and client ids made to match).
            Err(e) if e.code == "EntityAlreadyExists" => {
                let arn = oidc_arn(step, &url);
                let current = iam
                    .get_open_id_connect_provider()
                    .open_id_connect_provider_arn(&arn)
                    .send()
                    .await
                    .aws()?;
                sync_client_ids(step, &arn, &props, current.client_id_list()).await?;
                retag::<IamOidcProviderTags>(step, &arn, &read_tags(current.tags())).await?;
                arn
            }
            Err(e) => return Err(e),
        };
        Ok(oidc_outputs(&arn, step.name()))
    }

    async fn update(step: &AwsStep<'_>) -> StepResult {
        let props: IamOidcProviderProps = step.props()?;
        let arn = step.existing_id()?;
        let observed = step
            .observed("clientIdList")
            .and_then(|ids| serde_json::from_value::<Vec<String>>(ids.clone()).ok())
            .unwrap_or_default();
        sync_client_ids(step, arn, &props, &observed).await?;
        sync_tags::<IamOidcProviderTags>(step, arn).await?;
        Ok(oidc_outputs(arn, step.name()))
    }

    async fn delete(step: &AwsStep<'_>) -> StepResult {
        let arn = step.existing_id()?;
        let iam = &step.clients().iam;
        deleted(
            iam.delete_open_id_connect_provider()
                .open_id_connect_provider_arn(arn)
                .send()
                .await
                .aws(),
        )
    }
}

/// The provider's ARN for an issuer URL (IAM names it after the URL without its scheme).
fn oidc_arn(step: &AwsStep<'_>, url: &str) -> String {
    let host_path = url.trim_start_matches("https://");
    format!(
        "{}:iam::{}:oidc-provider/{host_path}",
        step.conn.partition.arn_prefix(),
        step.conn.account
    )
}

/// Adds the desired client ids the provider lacks and removes the ones it should not have.
async fn sync_client_ids(
    step: &AwsStep<'_>,
    arn: &str,
    props: &IamOidcProviderProps,
    current: &[String],
) -> Result<(), StepError> {
    let iam = &step.clients().iam;
    let desired = &props.client_id_list;
    for id in desired.iter().filter(|d| !current.contains(d)) {
        iam.add_client_id_to_open_id_connect_provider()
            .open_id_connect_provider_arn(arn)
            .client_id(id)
            .send()
            .await
            .aws()?;
    }
    for id in current.iter().filter(|c| !desired.contains(c)) {
        iam.remove_client_id_from_open_id_connect_provider()
            .open_id_connect_provider_arn(arn)
            .client_id(id)
            .send()
            .await
            .aws()?;
    }
    Ok(())
}

/// ListOpenIDConnectProviders, then GetOpenIDConnectProvider for each (IAM has no batch read of
/// providers, and the list carries neither tags nor URLs; an account holds one per cluster).
async fn read_oidc_providers(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
    let iam = &read.clients().iam;
    let list = iam.list_open_id_connect_providers().send().await.aws()?;
    // One GetOpenIDConnectProvider per provider, all at once.
    let found = futures::future::try_join_all(
        list.open_id_connect_provider_list()
            .iter()
            .filter_map(|entry| entry.arn())
            .map(|arn| oidc_provider_found(read, arn)),
    )
    .await?;
    Ok(found.into_iter().flatten().collect())
}

async fn oidc_provider_found(read: &AwsRead<'_>, arn: &str) -> Result<Option<Found>, StepError> {
    let iam = &read.clients().iam;
    let Some(provider) = not_found_as_none(
        iam.get_open_id_connect_provider()
            .open_id_connect_provider_arn(arn)
            .send()
            .await
            .aws(),
    )?
    else {
        return Ok(None);
    };
    let tags = read_tags(provider.tags());
    let Some(address) = read.owned(&tags) else {
        return Ok(None);
    };
    let url = provider.url().unwrap_or_default();
    let url = if url.starts_with("https://") {
        url.to_string()
    } else {
        format!("https://{url}")
    };
    Ok(Some(
        Found::new(K::IamOidcProvider, arn)
            .at(Some(address))
            .props(&IamOidcProviderProps {
                url,
                client_id_list: provider.client_id_list().to_vec(),
            })
            .with("tags", tags::to_value(&tags))
            .output("arn", arn)
            .output("issuerHost", issuer_host_of(arn).unwrap_or_default()),
    ))
}
