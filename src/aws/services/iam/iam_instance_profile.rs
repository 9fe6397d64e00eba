//! An EC2 instance profile: how an instance gets its IAM role. IAM names it (unique in the
//! account), holds at most one role in it (AddRoleToInstanceProfile refuses a second with
//! `LimitExceeded`) and refuses to delete it while it holds one (`DeleteConflict`), so a delete
//! takes its role out first. Read here too: the profiles with the blueprint's name prefix
//! (ListInstanceProfiles), each one's tags from GetInstanceProfile — the listing carries none
//! (IAM API reference, ListInstanceProfiles: "this operation does not return tags, even though
//! they are an attribute of the returned object").

use aws_sdk_iam::types::InstanceProfile;

use super::iam::{iam_tags, read_tags, retag, role_name_of};
use super::stages::{Read, after, first};
use super::{
    Adapter, AwsRead, AwsResult, AwsStep, Found, StepResult, deleted, not_found_as_none, outputs,
    sync_tags,
};
use crate::apply::{Outputs, StepError};
use crate::aws::tags;
use crate::plan::ResourceKind as K;
use crate::plan::catalog::iam::IamInstanceProfileProps;

pub(crate) struct IamInstanceProfile;

/// IAM's TagInstanceProfile and UntagInstanceProfile, by profile name.
pub(crate) struct IamInstanceProfileTags;

super::tag_api!(
    IamInstanceProfileTags,
    iam,
    tag_instance_profile / untag_instance_profile,
    instance_profile_name,
    iam_tags
);

impl Adapter for IamInstanceProfile {
    const READS: &'static [Read] = &[
        first(("iam", "ListInstanceProfiles")),
        after(
            ("iam", "GetInstanceProfile"),
            &[("iam", "ListInstanceProfiles")],
        ),
    ];

    async fn read(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
        let iam = &read.clients().iam;
        let prefix = read.name_prefix();
        let pages = all_pages!(iam.list_instance_profiles().into_paginator().send());
        let ours = pages
            .iter()
            .flat_map(|page| page.instance_profiles())
            .map(|p| p.instance_profile_name())
            .filter(|name| name.starts_with(&prefix));
        // One GetInstanceProfile per profile with the prefix, all at once.
        let found =
            futures::future::try_join_all(ours.map(|name| profile_found(read, name))).await?;
        Ok(found.into_iter().flatten().collect())
    }

    /// Adopts the profile an interrupted run made (IAM names are unique: the create would fail
    /// with `EntityAlreadyExists`), else creates it with its tags; then puts its role in.
    async fn create(step: &AwsStep<'_>) -> StepResult {
        let props: IamInstanceProfileProps = step.props()?;
        let iam = &step.clients().iam;
        let profile = match get_profile(&step.clients().iam, &props.name).await? {
            Some(existing) => {
                retag::<IamInstanceProfileTags>(step, &props.name, &read_tags(existing.tags()))
                    .await?;
                existing
            }
            None => iam
                .create_instance_profile()
                .instance_profile_name(&props.name)
                .path(&props.path)
                .set_tags(Some(iam_tags(&step.tags())))
                .send()
                .await
                .aws()?
                .instance_profile
                .ok_or_else(|| {
                    StepError::fatal("NoProfile", "CreateInstanceProfile answered none")
                })?,
        };
        put_role(step, &props, &profile).await?;
        Ok(profile_outputs(&profile))
    }

    /// A new role replaces the one the profile holds (the profile's role as IAM has it now).
    async fn update(step: &AwsStep<'_>) -> StepResult {
        let props: IamInstanceProfileProps = step.props()?;
        let profile = get_profile(&step.clients().iam, &props.name)
            .await?
            .ok_or_else(|| {
                StepError::fatal(
                    "NoSuchEntity",
                    format!(
                        "instance profile {} is gone: plan again to make it",
                        props.name
                    ),
                )
            })?;
        if step.changed("role") {
            put_role(step, &props, &profile).await?;
        }
        sync_tags::<IamInstanceProfileTags>(step, &props.name).await?;
        Ok(profile_outputs(&profile))
    }

    async fn delete(step: &AwsStep<'_>) -> StepResult {
        let name = step.existing_name();
        let Some(profile) = get_profile(&step.clients().iam, name).await? else {
            return Ok(Outputs::new());
        };
        for role in profile.roles() {
            remove_role(step, name, role.role_name()).await?;
        }
        let iam = &step.clients().iam;
        deleted(
            iam.delete_instance_profile()
                .instance_profile_name(name)
                .send()
                .await
                .aws(),
        )
    }
}

/// GetInstanceProfile; `None` when there is no profile of that name.
async fn get_profile(
    iam: &aws_sdk_iam::Client,
    name: &str,
) -> Result<Option<InstanceProfile>, StepError> {
    let got = iam
        .get_instance_profile()
        .instance_profile_name(name)
        .send()
        .await
        .aws();
    Ok(not_found_as_none(got)?.and_then(|out| out.instance_profile))
}

/// Makes the desired role the profile's only one: another role comes out first (IAM holds one).
async fn put_role(
    step: &AwsStep<'_>,
    props: &IamInstanceProfileProps,
    profile: &InstanceProfile,
) -> Result<(), StepError> {
    let desired = step.resolve(&props.role)?;
    let desired = role_name_of(&desired);
    let mut holds_it = false;
    for role in profile.roles() {
        if role.role_name() == desired {
            holds_it = true;
        } else {
            remove_role(step, &props.name, role.role_name()).await?;
        }
    }
    if !holds_it {
        step.clients()
            .iam
            .add_role_to_instance_profile()
            .instance_profile_name(&props.name)
            .role_name(desired)
            .send()
            .await
            .aws()?;
    }
    Ok(())
}

async fn remove_role(step: &AwsStep<'_>, profile: &str, role: &str) -> Result<(), StepError> {
    not_found_as_none(
        step.clients()
            .iam
            .remove_role_from_instance_profile()
            .instance_profile_name(profile)
            .role_name(role)
            .send()
            .await
            .aws(),
    )
    .map(drop)
}

/// `id` and `arn`: the profile's ARN; `name`: what a delete needs.
fn profile_outputs(profile: &InstanceProfile) -> Outputs {
    outputs(
        profile.arn(),
        Some(profile.arn()),
        Some(profile.instance_profile_name()),
    )
}

/// One profile with the blueprint's name prefix, if its tags say it is the blueprint's.
async fn profile_found(read: &AwsRead<'_>, name: &str) -> Result<Option<Found>, StepError> {
    // Gone since the listing: nothing to read.
    let Some(profile) = get_profile(&read.clients().iam, name).await? else {
        return Ok(None);
    };
    let tags = read_tags(profile.tags());
    let Some(address) = read.owned(&tags) else {
        return Ok(None);
    };
    // The role as its ARN: the reader turns a known role's ARN into its address.
    let role = profile
        .roles()
        .first()
        .map(|r| r.arn().to_string())
        .unwrap_or_default();
    let props = IamInstanceProfileProps {
        name: profile.instance_profile_name().to_string(),
        path: profile.path().to_string(),
        role,
    };
    let found = Found::new(K::IamInstanceProfile, profile.arn())
        .at(Some(address))
        .named(profile.instance_profile_name())
        .props(&props)
        .with("tags", tags::to_value(&tags));
    Ok(Some(
        found
            .output("arn", profile.arn())
            .output("name", profile.instance_profile_name()),
    ))
}
