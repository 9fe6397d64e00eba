//! Derived AWS names against AWS's naming rules (`ResourceKind::name_rule`), reported at the
//! blueprint entry each resource comes from, so an overlong name fails `validate`, not an apply.

use crate::blueprint::problem::Problem;
use crate::plan::Resource;
use crate::plan::kind::NameRule;

/// Every derived name that AWS would reject, one problem per offending resource.
pub(crate) fn name_problems(resources: &[Resource]) -> Vec<Problem> {
    resources
        .iter()
        .filter_map(|r| {
            let rule = r.kind.name_rule()?;
            // An unknown account is checked as the 12 digits every account id has.
            let name = r
                .name
                .replace(super::names::ACCOUNT_PLACEHOLDER, "000000000000");
            let why = violation(&name, &rule)?;
            Some(
                Problem::new(
                    r.origin.clone(),
                    format!(
                        "the {} name `{}` {why}",
                        r.kind.as_str().replace('_', " "),
                        r.name
                    ),
                )
                .hint(hint(r, &rule)),
            )
        })
        .collect()
}

/// What is wrong with `name` under `rule`, as the end of a sentence; None when it is fine.
fn violation(name: &str, rule: &NameRule) -> Option<String> {
    let len = name.chars().count();
    if len == 0 {
        return Some("is empty".into());
    }
    if len > rule.max_len {
        return Some(format!("is {len} characters, AWS allows {}", rule.max_len));
    }
    if let Some(bad) = name.chars().find(|&c| !(rule.allowed)(c)) {
        return Some(format!(
            "contains `{bad}`; AWS allows only {}",
            rule.charset
        ));
    }
    if rule.starts_with_letter && !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Some("must start with a letter".into());
    }
    if rule.no_double_or_trailing_hyphen && (name.contains("--") || name.ends_with('-')) {
        return Some("must not contain two hyphens in a row or end with one".into());
    }
    None
}

fn hint(r: &Resource, rule: &NameRule) -> String {
    // An origin with an index (`cluster.nodeGroups[1]`) names an entry whose own name is part
    // of the derived name.
    let entry = if r.origin.ends_with(']') {
        format!(" or `{}.name`", r.origin)
    } else {
        String::new()
    };
    let verb = if r.name.chars().count() > rule.max_len {
        "shorten"
    } else {
        "change"
    };
    format!(
        "{verb} metadata.name{entry}: the derived name `{}` must be at most {} characters of {}",
        r.name, rule.max_len, rule.charset
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::ResourceKind;

    fn resource(kind: ResourceKind, name: &str, origin: &str) -> Resource {
        Resource::new("x", kind, name, origin)
    }

    #[test]
    fn overlong_load_balancer_name_is_reported_at_its_origin() {
        let name = "a-very-long-blueprint-name-abc-alb"; // 34 characters
        let problems = name_problems(&[resource(ResourceKind::LoadBalancer, name, "ingress")]);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].path, "ingress");
        assert!(
            problems[0]
                .message
                .contains("is 34 characters, AWS allows 32")
        );
        assert!(
            problems[0]
                .hint
                .as_deref()
                .unwrap_or("")
                .starts_with("shorten metadata.name")
        );
    }

    #[test]
    fn entry_names_are_part_of_the_hint() {
        let name = "x".repeat(64);
        let problems = name_problems(&[resource(
            ResourceKind::NodeGroup,
            &name,
            "cluster.nodeGroups[1]",
        )]);
        let hint = problems[0].hint.clone().unwrap_or_default();
        assert!(hint.contains("`cluster.nodeGroups[1].name`"), "{hint}");
    }

    #[test]
    fn charset_letter_and_hyphen_rules() {
        let cases = [
            (
                ResourceKind::CacheReplicationGroup,
                "Analytics-cache",
                "contains `A`",
            ),
            (
                ResourceKind::DbCluster,
                "1analytics-db",
                "must start with a letter",
            ),
            (ResourceKind::DbCluster, "analytics--db", "two hyphens"),
            (ResourceKind::TargetGroup, "analytics-", "end with one"),
            (ResourceKind::S3Bucket, "", "is empty"),
        ];
        for (kind, name, expected) in cases {
            let problems = name_problems(&[resource(kind, name, "metadata.name")]);
            assert_eq!(problems.len(), 1, "{name}");
            assert!(
                problems[0].message.contains(expected),
                "{}",
                problems[0].message
            );
        }
    }

    #[test]
    fn good_names_and_nameless_kinds_pass() {
        let ok = [
            resource(ResourceKind::LoadBalancer, "analytics-alb", "ingress"),
            resource(
                ResourceKind::EcrRepository,
                "analytics/shiny/app",
                "registry",
            ),
            resource(ResourceKind::Route, "--anything--", "network"),
        ];
        assert!(name_problems(&ok).is_empty());
    }
}
