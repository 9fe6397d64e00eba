//! Where the workload's images come from: `proxy.image`, the repositories' `mirrorOf`, and images
//! that nodes in China would pull from Docker Hub.

use super::Problems;
use super::proxy::check_image;
use crate::blueprint::images::{REGISTRY_PREFIX, RepoRef, Version, split_version, workload_images};
use crate::blueprint::model::Blueprint;
use crate::blueprint::problem::{Problem, child, item};

/// The command that copies public images into the blueprint's ECR.
const MIRROR_COMMAND: &str = "shinyctl images mirror -f FILE";

pub(crate) fn check(bp: &Blueprint, out: &mut Problems) {
    check_mirror_of(bp, out);
    check_proxy_image(bp, out);
    check_usage_stats_user_image(bp, out);
    check_docker_hub_in_china(bp, out);
}

/// `proxy.usageStatsUser.image`, when written, is an image reference (a `registry:` one naming a
/// repository of the blueprint's registry).
fn check_usage_stats_user_image(bp: &Blueprint, out: &mut Problems) {
    let written = bp
        .proxy
        .as_ref()
        .and_then(|p| p.usage_stats_user.as_ref())
        .and_then(|u| u.image.as_ref());
    if written.is_none() {
        return;
    }
    if let Some(image) = crate::blueprint::images::usage_stats_user_image(bp) {
        check_image(bp, &image.image, &image.path, out);
    }
}

/// `mirrorOf` names a repository (the tags come from the images that use it).
fn check_mirror_of(bp: &Blueprint, out: &mut Problems) {
    let repositories = bp.registry.iter().flat_map(|r| r.repositories.iter());
    for (i, repo) in repositories.enumerate() {
        let Some(upstream) = &repo.mirror_of else {
            continue;
        };
        if let Some(keep) = repo.keep_last_images {
            // The policy counts every manifest, an index's platforms and attestations too
            // (`tagStatus: any`; aws/containers-roadmap#2613): it may expire the platforms of
            // the very images it keeps.
            out.push(
                Problem::warning(
                    child(&item("registry.repositories", i), "keepLastImages"),
                    format!(
                        "keeping the last {keep} images of a mirrored repository may expire platforms of a multi-architecture image it keeps: ECR counts each platform's manifest as an image"
                    ),
                )
                .hint("leave `keepLastImages` out on a repository with `mirrorOf` (it holds only the tags the blueprint uses)"),
            );
        }
        let path = child(&item("registry.repositories", i), "mirrorOf");
        let (name, version) = split_version(upstream);
        if version.is_some() {
            out.push(
                Problem::new(&path, format!("`{upstream}` names an image, not a repository"))
                    .hint(format!(
                        "write the repository alone, e.g. `{name}`: the tags come from the images that use `registry:{}:TAG`",
                        repo.name
                    )),
            );
        } else if RepoRef::parse(upstream).is_none() {
            out.push(
                Problem::new(&path, format!("`{upstream}` is not an image repository"))
                    .hint("write `HOST/PATH` such as `docker.io/openanalytics/shinyproxy` or `ghcr.io/org/app`, in lower case"),
            );
        }
    }
}

/// `proxy.image` is an image reference whose tag, if it says one, is `proxy.version`: ShinyProxy's
/// configuration is rendered for that version.
fn check_proxy_image(bp: &Blueprint, out: &mut Problems) {
    let Some(proxy) = &bp.proxy else {
        return;
    };
    let Some(written) = &proxy.image else {
        return;
    };
    let path = "proxy.image";
    let without_prefix = written.strip_prefix(REGISTRY_PREFIX).unwrap_or(written);
    let (_, version) = split_version(without_prefix);
    match version {
        Some(Version::Tag(tag)) if tag != proxy.version => out.push(
            Problem::new(
                path,
                format!(
                    "the tag `{tag}` is not `proxy.version` ({})",
                    proxy.version
                ),
            )
            .hint(format!(
                "leave the tag out (`{}`): ShinyProxy's configuration is written for `proxy.version`, which is the tag",
                &written[..written.len() - tag.len() - 1]
            )),
        ),
        _ => check_image(
            bp,
            &crate::blueprint::images::proxy_image(proxy).image,
            path,
            out,
        ),
    }
}

/// Nodes in China cannot rely on reaching Docker Hub (seed 000: `cn-northwest-1`).
fn check_docker_hub_in_china(bp: &Blueprint, out: &mut Problems) {
    if !bp.metadata.region.starts_with("cn-") {
        return;
    }
    for image_use in workload_images(bp) {
        if image_use.in_registry().is_some() {
            continue;
        }
        let (name, _) = split_version(&image_use.image);
        let Some(repo) = RepoRef::parse(name).filter(RepoRef::is_docker_hub) else {
            continue;
        };
        let short = repo.path.strip_prefix("library/").unwrap_or(&repo.path);
        let (write, key) = if image_use.path == "proxy.version" {
            (format!("`proxy.image: registry:{short}`"), "")
        } else if image_use.path == crate::blueprint::images::USAGE_STATS_USER_IMAGE_PATH {
            (format!("`{}: registry:{short}`", image_use.path), "")
        } else {
            (format!("`registry:{short}:TAG`"), " there")
        };
        out.push(
            Problem::warning(
                &image_use.path,
                format!(
                    "`{}` is pulled from Docker Hub, which nodes in {} cannot rely on reaching",
                    image_use.image, bp.metadata.region
                ),
            )
            .hint(format!(
                "add a repository `{{name: {short}, mirrorOf: {repo}}}` under `registry.repositories`, write {write}{key}, and copy the image into this blueprint's ECR with `{MIRROR_COMMAND}`"
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture::problems_after;
    use crate::blueprint::Severity;
    use crate::blueprint::model::{Blueprint, Repository};

    fn mirrored(bp: &mut Blueprint, name: &str, upstream: &str) {
        bp.registry.as_mut().unwrap().repositories.push(Repository {
            name: name.into(),
            scan_on_push: true,
            keep_last_images: None,
            immutable_tags: false,
            mirror_of: Some(upstream.into()),
        });
    }

    #[test]
    fn a_china_blueprint_pulling_from_docker_hub_is_warned_with_the_command() {
        let found = problems_after(|bp| {
            bp.proxy.as_mut().unwrap().image = None;
            bp.proxy.as_mut().unwrap().apps[0].image = "rocker/shiny:4.4.1".into();
        });
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found.iter().all(|p| p.severity == Severity::Warning));
        assert_eq!(found[0].path, "proxy.version");
        assert!(found[0].message.contains("openanalytics/shinyproxy:3.2.0"));
        let hint = found[0].hint.as_deref().unwrap();
        assert!(hint.contains("shinyctl images mirror -f FILE"), "{hint}");
        assert!(
            hint.contains("mirrorOf: docker.io/openanalytics/shinyproxy"),
            "{hint}"
        );
        assert!(
            hint.contains("proxy.image: registry:openanalytics/shinyproxy"),
            "{hint}"
        );
        assert_eq!(found[1].path, "proxy.apps[0].image");
        assert!(
            found[1]
                .hint
                .as_deref()
                .unwrap()
                .contains("registry:rocker/shiny:TAG")
        );
    }

    #[test]
    fn outside_china_and_from_other_registries_there_is_no_warning() {
        assert_eq!(
            problems_after(|bp| {
                bp.metadata.region = "eu-west-1".into();
                bp.ingress.as_mut().unwrap().listeners[0].certificate_arn =
                    Some("arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c".into());
                bp.proxy.as_mut().unwrap().image = None;
            }),
            vec![]
        );
        assert_eq!(
            problems_after(|bp| bp.proxy.as_mut().unwrap().apps[0].image =
                "961992271922.dkr.ecr.cn-northwest-1.amazonaws.com.cn/app:1".into()),
            vec![]
        );
    }

    #[test]
    fn proxy_image_tag_is_the_version() {
        let found = problems_after(|bp| {
            bp.proxy.as_mut().unwrap().image =
                Some("registry:openanalytics/shinyproxy:3.3.0".into())
        });
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].path, "proxy.image");
        assert!(found[0].message.contains("3.3.0"));
        assert!(
            found[0]
                .hint
                .as_deref()
                .unwrap()
                .contains("`registry:openanalytics/shinyproxy`")
        );
        assert_eq!(
            problems_after(|bp| bp.proxy.as_mut().unwrap().image =
                Some("registry:openanalytics/shinyproxy:3.2.0".into())),
            vec![]
        );
    }

    #[test]
    fn proxy_image_names_a_repository_of_the_registry() {
        let found = problems_after(|bp| {
            bp.proxy.as_mut().unwrap().image = Some("registry:openanalytics/shinyprox".into())
        });
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].path, "proxy.image");
        assert!(found[0].hint.as_deref().unwrap().contains("did you mean"));
    }

    #[test]
    fn mirror_of_names_a_repository() {
        let found = problems_after(|bp| mirrored(bp, "rocker/shiny", "rocker/shiny:4.4.1"));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].path, "registry.repositories[3].mirrorOf");
        assert!(found[0].message.contains("names an image"));
        let found = problems_after(|bp| mirrored(bp, "rocker/shiny", "Rocker//shiny"));
        assert_eq!(found[0].path, "registry.repositories[3].mirrorOf");
        assert!(found[0].message.contains("is not an image repository"));
        assert_eq!(
            problems_after(|bp| mirrored(bp, "rocker/shiny", "docker.io/rocker/shiny")),
            vec![]
        );
    }

    #[test]
    fn a_lifecycle_count_on_a_mirrored_repository_is_warned() {
        let found = problems_after(|bp| {
            mirrored(bp, "rocker/shiny", "docker.io/rocker/shiny");
            bp.registry.as_mut().unwrap().repositories[2].keep_last_images = Some(5);
        });
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].severity, Severity::Warning);
        assert_eq!(found[0].path, "registry.repositories[2].keepLastImages");
    }
}
