//! A Secrets Manager secret whose value Secrets Manager generates and shinyctl never sees again
//! (a workbench's cookie key, a database password): the value goes from GetRandomPassword's
//! answer straight into CreateSecret and is dropped. It is never logged, printed, put in the plan,
//! an error, an output or the observed state, and nothing here calls GetSecretValue: whoever
//! needs the value (a server, with its role) reads it from Secrets Manager by the secret's ARN.
//!
//! - **Create**: DescribeSecret by name first (a secret an interrupted run made is found by its
//!   name and its address tag, and kept: a second value is never generated for it); then
//!   GetRandomPassword (`PasswordLength`, `ExcludePunctuation`) and CreateSecret with the name,
//!   the description, the value and the tags — the desired ones and the recipe
//!   (`secretsmanager::RECIPE_TAG`), which AWS keeps no other record of.
//! - **Update**: UpdateSecret with the description and no value (it "creates a new version" only
//!   with `SecretString` or `SecretBinary`, botocore `secretsmanager` UpdateSecretRequest), and
//!   the tags. The name and the recipe replace the secret (its spec row).
//! - **Delete**: DeleteSecret with `ForceDeleteWithoutRecovery`, then until DescribeSecret no
//!   longer finds it (see [`delete`](SecretsmanagerSecret::delete) for why).
//!
//! Read: ListSecrets filtered by the blueprint's tag (`tag-key` and `tag-value` filters, each a
//! prefix match: botocore `secretsmanager` Filter), one call per page of 100; every entry carries
//! its name, ARN, description and tags, and its ownership is checked on the tags themselves.
//! Secrets scheduled for deletion are not listed (ListSecrets `IncludePlannedDeletion` defaults
//! to false). Attributes: `arn` (the id) and `name`.

use std::fmt;

use aws_sdk_secretsmanager::operation::describe_secret::DescribeSecretOutput;
use aws_sdk_secretsmanager::types::{Filter, FilterNameStringType, SecretListEntry};

use super::secretsmanager::{RECIPE_TAG, SecretTags, parse_recipe, secret_tags, with_recipe};
use super::stages::{Read, first};
use super::{
    Adapter, AwsRead, AwsResult, AwsStep, Found, StepResult, not_found_as_none, outputs, sync_tags,
};
use crate::apply::wait::is_gone;
use crate::apply::{Outputs, StepError};
use crate::aws::tags::{self, BLUEPRINT_TAG, TagSet};
use crate::plan::catalog::secrets::{SecretGenerate, SecretProps};
use crate::plan::{Address, ResourceKind as K};

pub(crate) struct SecretsmanagerSecret;

impl Adapter for SecretsmanagerSecret {
    const READS: &'static [Read] = &[first(("secretsmanager", "ListSecrets"))];

    async fn read(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
        let filters = [
            Filter::builder()
                .key(FilterNameStringType::TagKey)
                .values(BLUEPRINT_TAG)
                .build(),
            Filter::builder()
                .key(FilterNameStringType::TagValue)
                .values(read.blueprint)
                .build(),
        ];
        Ok(all_items!(
            read.clients()
                .secretsmanager
                .list_secrets()
                .set_filters(Some(filters.to_vec()))
                .max_results(100),
            secret_list
        )
        .into_iter()
        .filter_map(|entry| secret_found(read, &entry))
        .collect())
    }

    async fn create(step: &AwsStep<'_>) -> StepResult {
        let props: SecretProps = step.props()?;
        if let Some(existing) = describe(step, &props.name).await? {
            return ours_or_refuse(step, &props.name, &existing);
        }
        let value = generate(step, &props.generate).await?;
        // No ClientRequestToken of the step's: the SDK fills one for the call (an idempotency
        // token) and keeps it across its own retries of the same request; a step retried after
        // a lost answer finds the secret by name above instead of generating a second value.
        let created = step
            .clients()
            .secretsmanager
            .create_secret()
            .name(&props.name)
            .description(&props.description)
            .secret_string(value)
            .set_tags(Some(secret_tags(&with_recipe(
                &step.tags(),
                &props.generate,
            ))))
            .send()
            .await
            .aws();
        match created {
            Ok(out) => {
                let arn = out.arn().unwrap_or_default();
                Ok(outputs(
                    arn,
                    Some(arn),
                    Some(out.name().unwrap_or(&props.name)),
                ))
            }
            // Made by an earlier attempt whose answer was lost (or someone else's).
            Err(err) if err.code == "ResourceExistsException" => {
                match describe(step, &props.name).await? {
                    Some(existing) => ours_or_refuse(step, &props.name, &existing),
                    None => Err(err),
                }
            }
            Err(err) => Err(scheduled_for_deletion(step.address(), &props.name, err)),
        }
    }

    async fn update(step: &AwsStep<'_>) -> StepResult {
        let props: SecretProps = step.props()?;
        let arn = step.existing_id()?;
        if step.changed("description") {
            step.clients()
                .secretsmanager
                .update_secret()
                .secret_id(arn)
                .description(&props.description)
                .send()
                .await
                .aws()?;
        }
        // The recipe tag is neither desired nor observed (the reader takes it out), so it stays.
        sync_tags::<SecretTags>(step, arn).await?;
        Ok(outputs(arn, Some(arn), Some(&props.name)))
    }

    /// DeleteSecret with ForceDeleteWithoutRecovery, then until DescribeSecret says it is gone.
    ///
    /// Without it the secret is only *scheduled* for deletion, 7 to 30 days later (30 by default:
    /// botocore `secretsmanager` DeleteSecret), and for all that time its name cannot be used:
    /// the apply after a destroy would fail with InvalidRequestException "You can't create this
    /// secret because a secret with this name is already scheduled for deletion" — the Terraform
    /// AWS provider's users meet it after `terraform destroy` (hashicorp/terraform-provider-aws
    /// #4467, "aws_secretsmanager_secret recreate"), and its answer is `recovery_window_in_days
    /// = 0`, which sends ForceDeleteWithoutRecovery (#23998 asks for it as the default).
    /// shinyctl deletes only what it made and whose value nobody was ever shown, so there is
    /// nothing to recover. Even so the deletion is "an asynchronous background process, so there
    /// might be a short delay before the secret is permanently deleted. If you delete a secret
    /// and then immediately create a secret with the same name, use appropriate back off and
    /// retry logic" (botocore DeleteSecretRequest ForceDeleteWithoutRecovery; issue #10259 meets
    /// it): the step waits until the secret is gone, and the create retries that refusal.
    async fn delete(step: &AwsStep<'_>) -> StepResult {
        let arn = step.existing_id()?;
        let deleted = step
            .clients()
            .secretsmanager
            .delete_secret()
            .secret_id(arn)
            .force_delete_without_recovery(true)
            .send()
            .await
            .aws();
        not_found_as_none(deleted)?;
        let probe = || async {
            Ok(describe(step, arn).await?.map(|s| Deleting {
                scheduled: s.deleted_date().is_some(),
            }))
        };
        step.wait_until(probe, is_gone()).await?;
        Ok(Outputs::new())
    }
}

/// What the delete's wait sees of the secret.
struct Deleting {
    scheduled: bool,
}

impl fmt::Display for Deleting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.scheduled {
            "scheduled for deletion"
        } else {
            "not yet deleted"
        })
    }
}

/// The value, as GetRandomPassword makes it: `length` characters of letters, digits and (unless
/// excluded) punctuation, at least one of each (RequireEachIncludedType defaults to true). Its
/// answer's value is marked sensitive (the SDK's Debug redacts it); an error never carries it:
/// an answer that cannot be read is reported without its details.
async fn generate(step: &AwsStep<'_>, generate: &SecretGenerate) -> Result<String, StepError> {
    let answer = step
        .clients()
        .secretsmanager
        .get_random_password()
        .password_length(generate.length)
        .exclude_punctuation(generate.exclude_punctuation)
        .send()
        .await
        .aws()
        .map_err(|err| {
            if err.code == "ResponseError" {
                StepError::transient(
                    err.code,
                    "GetRandomPassword's answer could not be read (not shown: it holds the value)",
                )
            } else {
                err
            }
        })?;
    answer.random_password.ok_or_else(|| {
        StepError::transient(
            "NoRandomPassword",
            format!("{}: GetRandomPassword answered no value", step.address()),
        )
    })
}

/// The secret named `id` (name or ARN), if Secrets Manager has it (scheduled for deletion
/// included: DescribeSecret answers those with their `DeletedDate`).
async fn describe(step: &AwsStep<'_>, id: &str) -> Result<Option<DescribeSecretOutput>, StepError> {
    not_found_as_none(
        step.clients()
            .secretsmanager
            .describe_secret()
            .secret_id(id)
            .send()
            .await
            .aws(),
    )
}

/// A secret of this name is this step's (its address tag) or someone else's: a name is unique
/// per account and region, so another's is a clear error rather than a takeover. One scheduled
/// for deletion is waited for (see [`scheduled_for_deletion`]).
fn ours_or_refuse(step: &AwsStep<'_>, name: &str, existing: &DescribeSecretOutput) -> StepResult {
    if existing.deleted_date().is_some() {
        return Err(scheduled_for_deletion(
            step.address(),
            name,
            StepError::conflict(
                "InvalidRequestException",
                "a secret with this name is scheduled for deletion",
            ),
        ));
    }
    let ours = tags::carry_address(
        existing.tags().iter().map(|t| (t.key(), t.value())),
        step.address(),
    );
    step.refuse_unless_ours(
        ours,
        "ResourceExistsException",
        &format!("a Secrets Manager secret named {name} already exists"),
    )?;
    let arn = existing.arn().unwrap_or_default();
    Ok(outputs(arn, Some(arn), Some(name)))
}

/// A name still held by a deleted secret (InvalidRequestException "... already scheduled for
/// deletion", or "... because it was deleted": the messages the Terraform AWS provider retries
/// CreateSecret on, internal/service/secretsmanager/secret.go) is a conflict the engine retries:
/// a secret force-deleted moments ago (by this blueprint's destroy) goes within seconds. One
/// deleted with a recovery window (by hand: 30 days by default) does not, and the message says
/// what to do once the retries give up. Any other error is returned as it is.
fn scheduled_for_deletion(address: &Address, name: &str, err: StepError) -> StepError {
    let deleted = err.code == "InvalidRequestException"
        && (err.message.contains("scheduled for deletion") || err.message.contains("was deleted"));
    if !deleted {
        return err;
    }
    StepError::conflict(
        err.code,
        format!(
            "{}: the secret name {name} is held by a deleted secret ({}); if it was deleted with a \
             recovery window, restore it (`aws secretsmanager restore-secret --secret-id {name}`) \
             or delete it for good (`aws secretsmanager delete-secret --secret-id {name} \
             --force-delete-without-recovery`)",
            address, err.message
        ),
    )
}

/// A listed secret, if it is this blueprint's: its properties in the catalog's shape, the recipe
/// from its tag (absent when the tag is: the plan then replaces it), never its value.
fn secret_found(read: &AwsRead<'_>, entry: &SecretListEntry) -> Option<Found> {
    if entry.deleted_date().is_some() {
        return None;
    }
    let (name, arn) = (entry.name()?, entry.arn()?);
    let mut tags: TagSet = tags::from_pairs(
        entry
            .tags()
            .iter()
            .filter_map(|t| Some((t.key()?, t.value()?))),
    );
    let address = read.owned(&tags)?;
    let generate = tags.remove(RECIPE_TAG).and_then(|v| parse_recipe(&v));
    let mut found = Found::new(K::SecretsmanagerSecret, arn)
        .at(Some(address))
        .named(name);
    match generate {
        Some(generate) => {
            found = found.props(&SecretProps {
                name: name.to_string(),
                description: entry.description().unwrap_or_default().to_string(),
                generate,
            });
        }
        None => {
            found = found
                .with("name", name)
                .with("description", entry.description().unwrap_or_default());
        }
    }
    found = found.with("tags", tags::to_value(&tags));
    found.outputs = outputs(arn, Some(arn), Some(name));
    Some(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_deleted_secret_refusal_is_retried_and_it_says_what_to_do() {
        let at = Address::new("servers.secretsmanager_secret.cookie");
        let deleted = StepError::fatal(
            "InvalidRequestException",
            "You can't create this secret because a secret with this name is already scheduled \
             for deletion.",
        );
        let err = scheduled_for_deletion(&at, "demo-cookie", deleted);
        assert!(err.class.is_retryable(), "{err:?}");
        assert!(
            err.message
                .starts_with("servers.secretsmanager_secret.cookie: ")
        );
        assert!(
            err.message
                .contains("restore-secret --secret-id demo-cookie"),
            "{}",
            err.message
        );
        assert!(err.message.contains("--force-delete-without-recovery"));
        let was_deleted = StepError::fatal(
            "InvalidRequestException",
            "You can't perform this operation on the secret because it was deleted.",
        );
        assert!(
            scheduled_for_deletion(&at, "demo-cookie", was_deleted)
                .class
                .is_retryable()
        );
        for other in [
            StepError::fatal("InvalidRequestException", "something else"),
            StepError::fatal("AccessDeniedException", "scheduled for deletion"),
        ] {
            assert_eq!(
                scheduled_for_deletion(&at, "demo-cookie", other.clone()),
                other
            );
        }
    }

    #[test]
    fn the_delete_wait_says_what_it_sees() {
        assert_eq!(
            Deleting { scheduled: true }.to_string(),
            "scheduled for deletion"
        );
        assert_eq!(Deleting { scheduled: false }.to_string(), "not yet deleted");
    }
}
