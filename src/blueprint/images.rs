//! Container image references in the blueprint: how one is split into registry, repository and
//! tag or digest (Docker's normalisation), which images the workload pulls, and which of them
//! `shinyctl images mirror` copies into the blueprint's ECR. Pure.

use super::model::{Blueprint, Proxy};
use super::problem::{child, item};

/// ShinyProxy's upstream image on Docker Hub; `proxy.version` is its tag.
pub(crate) const SHINYPROXY_IMAGE: &str = "openanalytics/shinyproxy";
/// The prefix of an image in this blueprint's ECR: `registry:NAME:TAG`.
pub(crate) const REGISTRY_PREFIX: &str = "registry:";
/// Docker Hub's canonical name; `index.docker.io` and `registry-1.docker.io` are its other names.
pub(crate) const DOCKER_HUB: &str = "docker.io";

/// A tag or a digest.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Version {
    Tag(String),
    Digest(String),
}

impl Version {
    /// `:TAG` or `@DIGEST`, as it follows a repository.
    pub(crate) fn suffix(&self) -> String {
        match self {
            Version::Tag(tag) => format!(":{tag}"),
            Version::Digest(digest) => format!("@{digest}"),
        }
    }
}

/// A repository on a registry host, normalised as Docker normalises it (distribution's
/// `reference.ParseNormalizedNamed`): a first component with a `.` or `:`, or `localhost`, is the
/// host; otherwise the host is Docker Hub, where one-component names live under `library/`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct RepoRef {
    pub(crate) host: String,
    pub(crate) path: String,
}

impl RepoRef {
    /// `None` for text that is not a repository (empty components, upper case, whitespace).
    pub(crate) fn parse(text: &str) -> Option<RepoRef> {
        let (host, path) = match text.split_once('/') {
            Some((first, rest)) if first.contains(['.', ':']) || first == "localhost" => {
                (first.to_string(), rest.to_string())
            }
            _ => (DOCKER_HUB.to_string(), text.to_string()),
        };
        let host = match host.as_str() {
            "index.docker.io" | "registry-1.docker.io" => DOCKER_HUB.to_string(),
            _ => host,
        };
        let path = if host == DOCKER_HUB && !path.contains('/') {
            format!("library/{path}")
        } else {
            path
        };
        let component_ok = |c: &str| {
            !c.is_empty()
                && c.chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || "._-".contains(ch))
                && !c.starts_with(['.', '_', '-'])
                && !c.ends_with(['.', '_', '-'])
        };
        let host_ok = !host.is_empty()
            && host
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ".-:[]".contains(ch));
        (host_ok && path.split('/').all(component_ok)).then_some(RepoRef { host, path })
    }

    pub(crate) fn is_docker_hub(&self) -> bool {
        self.host == DOCKER_HUB
    }
}

impl std::fmt::Display for RepoRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.host, self.path)
    }
}

/// An image: a repository and a tag or digest.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct ImageRef {
    pub(crate) repository: RepoRef,
    pub(crate) version: Version,
}

impl ImageRef {
    /// `REPOSITORY:TAG`, `REPOSITORY@sha256:...` or `REPOSITORY` (then `default_tag`).
    #[cfg(test)]
    pub(crate) fn parse(text: &str, default_tag: Option<&str>) -> Option<ImageRef> {
        let (name, version) = split_version(text);
        let version = match version {
            Some(v) => v,
            None => Version::Tag(default_tag?.to_string()),
        };
        Some(ImageRef {
            repository: RepoRef::parse(name)?,
            version,
        })
    }
}

impl std::fmt::Display for ImageRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}", self.repository, self.version.suffix())
    }
}

/// `NAME@DIGEST`, `NAME:TAG` (a `:` after the last `/`) or `NAME`.
pub(crate) fn split_version(text: &str) -> (&str, Option<Version>) {
    if let Some((name, digest)) = text.split_once('@') {
        return (name, Some(Version::Digest(digest.to_string())));
    }
    let last = text.rfind('/').map_or(0, |i| i + 1);
    match text[last..].rfind(':') {
        Some(i) => (
            &text[..last + i],
            Some(Version::Tag(text[last + i + 1..].to_string())),
        ),
        None => (text, None),
    }
}

/// One place the workload names an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ImageUse {
    /// YAML path of the value that decides it (`proxy.version` for the default ShinyProxy image).
    pub(crate) path: String,
    /// As written (`registry:NAME:TAG` or any other reference), with the proxy's tag filled in.
    pub(crate) image: String,
}

impl ImageUse {
    /// `(repository name, version)` for a `registry:` image of this blueprint's ECR.
    pub(crate) fn in_registry(&self) -> Option<(&str, Option<Version>)> {
        let rest = self.image.strip_prefix(REGISTRY_PREFIX)?;
        let (name, version) = split_version(rest);
        Some((name, version))
    }
}

/// ShinyProxy's image as written: `proxy.image` (tag `proxy.version` unless it has one), else
/// the upstream image at `proxy.version`.
pub(crate) fn proxy_image(proxy: &Proxy) -> ImageUse {
    let Some(image) = &proxy.image else {
        return ImageUse {
            path: "proxy.version".into(),
            image: format!("{SHINYPROXY_IMAGE}:{}", proxy.version),
        };
    };
    let without_prefix = image.strip_prefix(REGISTRY_PREFIX).unwrap_or(image);
    let image = match split_version(without_prefix).1 {
        Some(_) => image.clone(),
        None => format!("{image}:{}", proxy.version),
    };
    ImageUse {
        path: "proxy.image".into(),
        image,
    }
}

/// The PostgreSQL client the usage-statistics user's Job runs: Docker's official image (psql 17
/// speaks to every PostgreSQL RDS and Aurora run), pinned by its release tag.
pub(crate) const POSTGRES_CLIENT_IMAGE: &str = "postgres:17.5-alpine";
/// The MySQL client the Job runs for MySQL and Aurora MySQL: Docker's official image, the 8.4
/// LTS client (it speaks to MySQL 8.0 and 8.4, Aurora MySQL 3).
pub(crate) const MYSQL_CLIENT_IMAGE: &str = "mysql:8.4.5";
/// Where the blueprint says the Job's image; also the path of the default.
pub(crate) const USAGE_STATS_USER_IMAGE_PATH: &str = "proxy.usageStatsUser.image";

/// The image of the Job that creates the usage-statistics user (`usageStats: database` with a
/// database and a `usageStatsUser`): `usageStatsUser.image` (tagged as the default unless it
/// says a tag), else the engine's official client image.
pub(crate) fn usage_stats_user_image(bp: &Blueprint) -> Option<ImageUse> {
    use super::model::{DatabaseEngine as E, UsageStats};
    let proxy = bp.proxy.as_ref()?;
    let db = bp.database.as_ref()?;
    let user = proxy.usage_stats_user.as_ref()?;
    if proxy.usage_stats != UsageStats::Database {
        return None;
    }
    let default = match db.engine {
        E::Postgres | E::AuroraPostgresql => POSTGRES_CLIENT_IMAGE,
        E::Mysql | E::AuroraMysql => MYSQL_CLIENT_IMAGE,
    };
    let image = match &user.image {
        None => default.to_string(),
        Some(written) => {
            let without_prefix = written.strip_prefix(REGISTRY_PREFIX).unwrap_or(written);
            match (split_version(without_prefix).1, split_version(default).1) {
                (None, Some(version)) => format!("{written}{}", version.suffix()),
                _ => written.clone(),
            }
        }
    };
    Some(ImageUse {
        path: USAGE_STATS_USER_IMAGE_PATH.into(),
        image,
    })
}

/// Every image the workload pulls, in document order: ShinyProxy's, the usage-statistics user's
/// Job's, each app's, then each ECS service's.
pub(crate) fn workload_images(bp: &Blueprint) -> Vec<ImageUse> {
    let mut out = Vec::new();
    if let Some(proxy) = &bp.proxy {
        out.push(proxy_image(proxy));
        out.extend(usage_stats_user_image(bp));
        out.extend(proxy.apps.iter().enumerate().map(|(i, app)| ImageUse {
            path: child(&item("proxy.apps", i), "image"),
            image: app.image.clone(),
        }));
    }
    let services = bp.ecs.iter().flat_map(|e| e.services.iter().enumerate());
    out.extend(services.map(|(i, service)| ImageUse {
        path: child(&item("ecs.services", i), "image"),
        image: service.image.clone(),
    }));
    out
}

/// One image `shinyctl images mirror` copies: from a public repository into a repository of
/// the blueprint's registry, keeping the tag or digest.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct MirrorCopy {
    /// The blueprint's repository name (`registry.repositories[].name`), without the prefix.
    pub(crate) repository: String,
    pub(crate) source: ImageRef,
}

/// The copies the workload needs: every `registry:` image whose repository says `mirrorOf`,
/// once each. Images of repositories without `mirrorOf` are the user's to push.
pub(crate) fn mirror_copies(bp: &Blueprint) -> Vec<MirrorCopy> {
    let repositories = bp.registry.iter().flat_map(|r| &r.repositories);
    let mut out: Vec<MirrorCopy> = workload_images(bp)
        .iter()
        .filter_map(|use_| {
            let (name, version) = use_.in_registry()?;
            let upstream = repositories
                .clone()
                .find(|r| r.name == name)?
                .mirror_of
                .as_deref()?;
            Some(MirrorCopy {
                repository: name.to_string(),
                source: ImageRef {
                    repository: RepoRef::parse(upstream)?,
                    version: version?,
                },
            })
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo(text: &str) -> String {
        RepoRef::parse(text).unwrap().to_string()
    }

    #[test]
    fn docker_normalisation() {
        assert_eq!(
            repo("openanalytics/shinyproxy"),
            "docker.io/openanalytics/shinyproxy"
        );
        assert_eq!(repo("ubuntu"), "docker.io/library/ubuntu");
        assert_eq!(
            repo("index.docker.io/rocker/shiny"),
            "docker.io/rocker/shiny"
        );
        assert_eq!(repo("ghcr.io/org/app"), "ghcr.io/org/app");
        assert_eq!(repo("127.0.0.1:5000/a/b"), "127.0.0.1:5000/a/b");
        assert_eq!(repo("localhost/a"), "localhost/a");
        assert!(RepoRef::parse("Upper/case").is_none());
        assert!(RepoRef::parse("a//b").is_none());
        assert!(RepoRef::parse("").is_none());
        assert!(
            RepoRef::parse("openanalytics/shinyproxy")
                .unwrap()
                .is_docker_hub()
        );
        assert!(
            !RepoRef::parse("public.ecr.aws/a/b")
                .unwrap()
                .is_docker_hub()
        );
    }

    #[test]
    fn tags_and_digests() {
        let image = ImageRef::parse("127.0.0.1:5000/a/b:1.0", None).unwrap();
        assert_eq!(image.repository.host, "127.0.0.1:5000");
        assert_eq!(image.version, Version::Tag("1.0".into()));
        let image = ImageRef::parse("a/b@sha256:ab", None).unwrap();
        assert_eq!(image.version, Version::Digest("sha256:ab".into()));
        assert_eq!(image.to_string(), "docker.io/a/b@sha256:ab");
        assert!(ImageRef::parse("127.0.0.1:5000/a/b", None).is_none());
        assert_eq!(
            ImageRef::parse("127.0.0.1:5000/a/b", Some("3"))
                .unwrap()
                .to_string(),
            "127.0.0.1:5000/a/b:3"
        );
    }

    #[test]
    fn the_proxy_image_takes_the_version_as_its_tag() {
        let mut bp = crate::blueprint::validate::fixture::full();
        let proxy = bp.proxy.as_mut().unwrap();
        proxy.image = None;
        assert_eq!(proxy_image(proxy).image, "openanalytics/shinyproxy:3.2.0");
        assert_eq!(proxy_image(proxy).path, "proxy.version");
        proxy.image = Some("registry:openanalytics/shinyproxy".into());
        assert_eq!(
            proxy_image(proxy).image,
            "registry:openanalytics/shinyproxy:3.2.0"
        );
        proxy.image = Some("registry:openanalytics/shinyproxy@sha256:ab".into());
        assert_eq!(
            proxy_image(proxy).in_registry(),
            Some((
                "openanalytics/shinyproxy",
                Some(Version::Digest("sha256:ab".into()))
            ))
        );
    }

    #[test]
    fn mirror_copies_are_the_registry_images_with_an_upstream() {
        let mut bp = crate::blueprint::validate::fixture::full();
        let proxy = bp.proxy.as_mut().unwrap();
        let mut app = proxy.apps[0].clone();
        app.id = "second".into();
        proxy.apps.push(app);
        proxy.apps[1].image = "registry:openanalytics/shinyproxy:3.2.0".into();
        let copies = mirror_copies(&bp);
        // ShinyProxy's image once (the proxy and the app name the same), and the PostgreSQL
        // client of the usage-statistics user's Job.
        assert_eq!(copies.len(), 2, "{copies:?}");
        assert_eq!(copies[0].repository, "openanalytics/shinyproxy");
        assert_eq!(
            copies[0].source.to_string(),
            "docker.io/openanalytics/shinyproxy:3.2.0"
        );
        assert_eq!(
            copies[1].source.to_string(),
            "docker.io/library/postgres:17.5-alpine"
        );
        bp.proxy.as_mut().unwrap().image = None;
        bp.proxy.as_mut().unwrap().apps.pop();
        let user = bp
            .proxy
            .as_mut()
            .unwrap()
            .usage_stats_user
            .as_mut()
            .unwrap();
        user.image = None;
        assert_eq!(
            mirror_copies(&bp),
            vec![],
            "no registry image names an upstream"
        );
    }
}
