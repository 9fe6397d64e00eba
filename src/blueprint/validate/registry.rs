//! `registry`: ECR repository names and lifecycle rules.

use super::Problems;
use super::text::report_duplicates;
use crate::blueprint::model::Blueprint;
use crate::blueprint::problem::{Problem, child, item};

const BASE: &str = "registry.repositories";

pub(crate) fn check(bp: &Blueprint, out: &mut Problems) {
    let Some(registry) = &bp.registry else {
        return;
    };
    if registry.repositories.is_empty() {
        out.push(Problem::new(BASE, "the registry has no repositories").hint(
            "add a repository, e.g. `- name: shiny/my-app`, or remove the `registry` section",
        ));
    }
    report_duplicates(
        out,
        registry
            .repositories
            .iter()
            .enumerate()
            .map(|(i, r)| (child(&item(BASE, i), "name"), r.name.as_str())),
        "repository name",
    );
    for (i, repo) in registry.repositories.iter().enumerate() {
        let path = item(BASE, i);
        if !is_ecr_name(&repo.name) {
            out.push(
                Problem::new(child(&path, "name"), format!("`{}` is not a valid ECR repository name", repo.name))
                    .hint("use lowercase letters and digits, separated by single `.`, `_`, `-` or `/`, e.g. `shiny/covid19-tracker`"),
            );
        }
        if repo.keep_last_images == Some(0) {
            out.push(
                Problem::new(
                    child(&path, "keepLastImages"),
                    "keeping the last 0 images would delete every image",
                )
                .hint("keep at least 1 image, or leave `keepLastImages` out to keep all"),
            );
        }
    }
}

/// ECR's rule: `(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*`, 2 to 256
/// characters. (The full name with the blueprint's prefix is checked with the other derived names.)
fn is_ecr_name(name: &str) -> bool {
    let component_ok = |c: &str| {
        let mut previous_separator = true;
        for ch in c.chars() {
            let separator = matches!(ch, '.' | '_' | '-');
            if separator && previous_separator {
                return false;
            }
            if !(separator || ch.is_ascii_lowercase() || ch.is_ascii_digit()) {
                return false;
            }
            previous_separator = separator;
        }
        !previous_separator
    };
    (2..=256).contains(&name.len()) && name.split('/').all(component_ok)
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{assert_one, problems_after};
    use super::*;
    use crate::blueprint::model::Repository;

    fn repos(bp: &mut Blueprint) -> &mut Vec<Repository> {
        &mut bp.registry.as_mut().unwrap().repositories
    }

    #[test]
    fn ecr_names() {
        for good in ["shiny/covid19-tracker", "ab", "a.b_c-d/e"] {
            assert!(is_ecr_name(good), "{good}");
        }
        for bad in [
            "Shiny/app",
            "a",
            "shiny//app",
            "/app",
            "app/",
            "a--b",
            "-app",
            "app name",
        ] {
            assert!(!is_ecr_name(bad), "{bad}");
        }
    }

    #[test]
    fn repositories() {
        assert_one(
            |bp| {
                let again = repos(bp)[0].clone();
                repos(bp).push(again);
            },
            "registry.repositories[3].name",
            "duplicate",
        );
        assert_one(
            |bp| repos(bp)[0].keep_last_images = Some(0),
            "registry.repositories[0].keepLastImages",
            "0 images",
        );
        // Renaming the repository also leaves the app's image dangling: both are reported.
        let found = problems_after(|bp| repos(bp)[0].name = "Shiny/Tracker".into());
        assert_eq!(found.len(), 2, "{found:#?}");
        assert_eq!(found[0].path, "registry.repositories[0].name");
    }
}
