//! secretsmanager: secrets whose value shinyctl has Secrets Manager generate (the kind's adapter
//! is `secretsmanager_secret.rs`); this file holds the service's tag calls and what the adapter
//! keeps of a secret's recipe. Resolving the blueprint's `secretsmanager:` references is
//! `aws::secrets`, not a kind.
//!
//! Secrets Manager tags a secret with TagResource / UntagResource by its id (ARN or name) and a
//! list of tags or keys (botocore `secretsmanager/2017-10-17`).

use aws_sdk_secretsmanager::types::Tag;

use crate::aws::tags::TagSet;
use crate::plan::catalog::secrets::SecretGenerate;

/// Secrets Manager's TagResource and UntagResource, by the secret's ARN.
pub(crate) struct SecretTags;

super::tag_api!(
    SecretTags,
    secretsmanager,
    tag_resource / untag_resource,
    secret_id,
    secret_tags
);

super::sdk_tags!(pub(super) secret_tags, Tag);

/// Where a secret's recipe is kept: AWS keeps no record of how a value was generated, and a new
/// recipe replaces the secret, so the plan must know the one it was made with. A tag (not the
/// description, which the blueprint owns), as the canary's URL is kept
/// (`synthetics::URL_TAG`). The recipe is no secret: anyone who reads the blueprint knows it.
pub(super) const RECIPE_TAG: &str = "shinyctl.dev/generated";

/// The recipe tag's value: `length=32 excludePunctuation=true`. Letters, digits, `=` and a
/// space: within every tagging service's value characters (`[\p{L}\p{Z}\p{N}_.:/=+\-@]*`).
pub(super) fn recipe_value(generate: &SecretGenerate) -> String {
    format!(
        "length={} excludePunctuation={}",
        generate.length, generate.exclude_punctuation
    )
}

/// The recipe a tag value names; `None` for anything else (a secret whose tag was changed by
/// hand: the plan then replaces it, with a value made as the blueprint says).
pub(super) fn parse_recipe(value: &str) -> Option<SecretGenerate> {
    let mut length = None;
    let mut exclude_punctuation = None;
    for part in value.split(' ') {
        match part.split_once('=')? {
            ("length", n) => length = Some(n.parse().ok()?),
            ("excludePunctuation", b) => exclude_punctuation = Some(b.parse().ok()?),
            _ => return None,
        }
    }
    Some(SecretGenerate {
        length: length?,
        exclude_punctuation: exclude_punctuation?,
    })
}

/// The tags a secret carries: the desired ones (ownership tags included) and its recipe.
pub(super) fn with_recipe(tags: &TagSet, generate: &SecretGenerate) -> TagSet {
    let mut tags = tags.clone();
    tags.insert(RECIPE_TAG.to_string(), recipe_value(generate));
    tags
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_recipe_round_trips_through_its_tag() {
        for generate in [
            SecretGenerate {
                length: 32,
                exclude_punctuation: true,
            },
            SecretGenerate {
                length: 4096,
                exclude_punctuation: false,
            },
        ] {
            let value = recipe_value(&generate);
            assert!(
                value
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '=' || c == ' '),
                "{value}"
            );
            assert_eq!(parse_recipe(&value), Some(generate));
        }
        assert_eq!(
            recipe_value(&SecretGenerate {
                length: 32,
                exclude_punctuation: true
            }),
            "length=32 excludePunctuation=true"
        );
        for bad in [
            "",
            "length=32",
            "length=x excludePunctuation=true",
            "length=32 excludePunctuation=yes",
            "length=32 excludePunctuation=true colour=blue",
        ] {
            assert_eq!(parse_recipe(bad), None, "{bad}");
        }
    }
}
