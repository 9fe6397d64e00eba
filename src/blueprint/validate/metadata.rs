//! `metadata`: the blueprint's name (prefix of every AWS name), region and tags.

use super::Problems;
use crate::blueprint::model::Blueprint;
use crate::blueprint::problem::{Problem, child};

/// Derived names append suffixes such as `-shinyproxy-tg` to the blueprint name, and the shortest
/// AWS limits they meet are 32 characters (load balancer and target group names).
pub(crate) const MAX_NAME_LEN: usize = 20;
/// Reserved by shinyctl for its own ownership tags.
pub(crate) const RESERVED_TAG_PREFIX: &str = "shinyctl.dev/";
/// AWS allows 50 tags per resource; shinyctl keeps some for its own ownership tags.
pub(crate) const MAX_USER_TAGS: usize = 40;

pub(crate) fn check(bp: &Blueprint, out: &mut Problems) {
    check_name(&bp.metadata.name, out);
    if !is_region(&bp.metadata.region) {
        out.push(
            Problem::new(
                "metadata.region",
                format!("`{}` is not an AWS region", bp.metadata.region),
            )
            .hint("write a region code such as `us-east-1`, `eu-central-1` or `cn-northwest-1`"),
        );
    }
    check_tags(bp, out);
}

fn check_name(name: &str, out: &mut Problems) {
    let path = "metadata.name";
    let charset_ok = name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !charset_ok {
        out.push(
            Problem::new(path, format!("`{name}` may only contain lowercase letters, digits and hyphens"))
                .hint("AWS names derived from it (load balancers, RDS identifiers, S3 buckets) allow no other characters"),
        );
    } else if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        out.push(
            Problem::new(path, format!("`{name}` must start with a lowercase letter"))
                .hint("RDS identifiers and several other derived names must start with a letter"),
        );
    } else if name.ends_with('-') || name.contains("--") {
        out.push(
            Problem::new(
                path,
                format!("`{name}` must not end with a hyphen or contain two in a row"),
            )
            .hint("RDS identifiers and load balancer names reject these"),
        );
    }
    if name.chars().count() > MAX_NAME_LEN {
        out.push(
            Problem::new(
                path,
                format!("`{name}` is {} characters long, more than {MAX_NAME_LEN}", name.chars().count()),
            )
            .hint(format!(
                "shorten it to {MAX_NAME_LEN} characters or fewer: it prefixes every AWS name, and load balancer \
                 and target group names (at most 32 characters) still need room for their suffixes"
            )),
        );
    }
}

/// `^[a-z]{2}(-gov)?-[a-z]+-\d$`: `us-east-1`, `us-gov-west-1`, `cn-north-1`, `ap-southeast-5`.
pub(crate) fn is_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    let (country, words, number) = match parts.as_slice() {
        [c, "gov", w, n] => (*c, *w, *n),
        [c, w, n] => (*c, *w, *n),
        _ => return false,
    };
    country.len() == 2
        && country.bytes().all(|b| b.is_ascii_lowercase())
        && !words.is_empty()
        && words.bytes().all(|b| b.is_ascii_lowercase())
        && number.len() == 1
        && number.bytes().all(|b| b.is_ascii_digit())
}

fn check_tags(bp: &Blueprint, out: &mut Problems) {
    let tags = &bp.metadata.tags;
    if tags.len() > MAX_USER_TAGS {
        out.push(
            Problem::new("metadata.tags", format!("{} tags, more than {MAX_USER_TAGS}", tags.len())).hint(
                format!("AWS allows 50 tags per resource and shinyctl adds its own; keep at most {MAX_USER_TAGS}"),
            ),
        );
    }
    let has_canaries = bp
        .monitoring
        .as_ref()
        .is_some_and(|m| !m.canaries.is_empty());
    for (key, value) in tags {
        let path = child("metadata.tags", key);
        let key_chars = key.encode_utf16().count();
        if key.is_empty() || key_chars > 128 {
            out.push(
                Problem::new(&path, format!("tag key is {key_chars} characters long"))
                    .hint("AWS tag keys have 1 to 128 characters")
                    .at_key(),
            );
        }
        if key.to_ascii_lowercase().starts_with("aws:") {
            out.push(
                Problem::new(
                    &path,
                    format!("tag key `{key}` uses the prefix `aws:`, which AWS reserves"),
                )
                .hint("choose a key without the `aws:` prefix")
                .at_key(),
            );
        }
        if key.starts_with(RESERVED_TAG_PREFIX) {
            out.push(
                Problem::new(&path, format!("tag key `{key}` uses the prefix `{RESERVED_TAG_PREFIX}`, which shinyctl reserves"))
                    .hint("shinyctl sets these tags itself to recognise what it owns; choose another key")
                    .at_key(),
            );
        }
        if !key.chars().all(is_tag_char) {
            out.push(
                Problem::new(
                    &path,
                    format!("tag key `{key}` contains characters AWS does not allow in tags"),
                )
                .hint("use letters, digits, spaces and _ . : / = + - @")
                .at_key(),
            );
        }
        if has_canaries && key.chars().all(is_tag_char) && !key.chars().all(is_canary_key_char) {
            out.push(
                Problem::new(
                    &path,
                    format!("tag key `{key}` is refused by CloudWatch Synthetics, and every tag goes on the canaries too"),
                )
                .hint("canary tag keys allow only ASCII letters, digits and _ . : / = + - (no spaces, no @)")
                .at_key(),
            );
        }
        let value_chars = value.encode_utf16().count();
        if value_chars > 256 {
            out.push(
                Problem::new(&path, format!("tag value is {value_chars} characters long"))
                    .hint("AWS tag values have at most 256 characters"),
            );
        } else if !value.chars().all(is_tag_char) {
            out.push(
                Problem::new(
                    &path,
                    "tag value contains characters AWS does not allow in tags",
                )
                .hint("use letters, digits, spaces and _ . : / = + - @"),
            );
        }
    }
}

/// Characters CloudWatch Synthetics accepts in tag keys: `^(?!aws:)[a-zA-Z+-=._:/]+$` (botocore
/// `synthetics` `TagKey`; `+-=` is the range `+` to `=`), within those the other services accept.
fn is_canary_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_.:/=+-".contains(c)
}

/// Characters AWS accepts in tag keys and values across services.
fn is_tag_char(c: char) -> bool {
    c.is_alphanumeric() || c == ' ' || "_.:/=+-@".contains(c)
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{assert_one, paths_after};
    use super::*;

    #[test]
    fn regions() {
        for good in [
            "us-east-1",
            "cn-north-1",
            "cn-northwest-1",
            "us-gov-west-1",
            "ap-southeast-5",
        ] {
            assert!(is_region(good), "{good}");
        }
        for bad in [
            "us-east",
            "useast1",
            "US-EAST-1",
            "us-east-10",
            "cn-northwest-1a",
            "",
            "us-east-1-",
        ] {
            assert!(!is_region(bad), "{bad}");
        }
    }

    #[test]
    fn name_charset_start_and_length() {
        assert_one(
            |bp| bp.metadata.name = "Analytics".into(),
            "metadata.name",
            "lowercase",
        );
        assert_one(
            |bp| bp.metadata.name = "1analytics".into(),
            "metadata.name",
            "start with",
        );
        assert_one(
            |bp| bp.metadata.name = "analytics-".into(),
            "metadata.name",
            "hyphen",
        );
        assert_one(
            |bp| bp.metadata.name = "a".repeat(21),
            "metadata.name",
            "more than 20",
        );
        assert_one(
            |bp| bp.metadata.name = "an_alytics".into(),
            "metadata.name",
            "lowercase",
        );
    }

    #[test]
    fn region_must_look_real() {
        assert_one(
            |bp| bp.metadata.region = "china-1".into(),
            "metadata.region",
            "not an AWS region",
        );
    }

    #[test]
    fn tags() {
        assert_one(
            |bp| _ = bp.metadata.tags.insert("aws:owner".into(), "x".into()),
            "metadata.tags.aws:owner",
            "reserves",
        );
        assert_one(
            |bp| {
                _ = bp
                    .metadata
                    .tags
                    .insert("shinyctl.dev/owner".into(), "x".into())
            },
            "metadata.tags.shinyctl.dev/owner",
            "shinyctl reserves",
        );
        assert_one(
            |bp| _ = bp.metadata.tags.insert("k".repeat(129), "x".into()),
            &format!("metadata.tags.{}", "k".repeat(129)),
            "129 characters",
        );
        assert_one(
            |bp| _ = bp.metadata.tags.insert("team".into(), "v".repeat(257)),
            "metadata.tags.team",
            "257 characters",
        );
        assert_one(
            |bp| _ = bp.metadata.tags.insert("owner".into(), "a#b".into()),
            "metadata.tags.owner",
            "characters",
        );
        // Fine without canaries; Synthetics refuses `@` and spaces in keys.
        assert_eq!(
            paths_after(|bp| {
                _ = bp.metadata.tags.insert("owner@team".into(), "x".into());
                bp.monitoring = None;
            }),
            Vec::<String>::new()
        );
        assert_one(
            |bp| _ = bp.metadata.tags.insert("owner@team".into(), "x".into()),
            "metadata.tags.owner@team",
            "Synthetics",
        );
        let many = paths_after(|bp| {
            for i in 0..41 {
                bp.metadata.tags.insert(format!("t{i}"), "x".into());
            }
        });
        assert_eq!(many, ["metadata.tags"]);
    }
}
