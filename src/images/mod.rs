//! `shinyctl images mirror`: copying the public images the workload needs into the blueprint's
//! ECR over the OCI distribution API (`oci-client`). Which images is decided by the blueprint
//! (`blueprint::images::mirror_copies`, pure); the registry login comes from `aws::ecr_auth`;
//! progress goes out as [`MirrorEvent`]s that `render::images` shows.

mod copy;

pub(crate) use copy::Mirror;

use serde::Serialize;

/// A registry to speak to: its API host, how, and as whom.
#[derive(Clone)]
pub(crate) struct Registry {
    /// Host and port, e.g. `123456789012.dkr.ecr.cn-northwest-1.amazonaws.com.cn`.
    pub(crate) host: String,
    /// Plain HTTP: only for a registry on the loopback interface (a local test registry), as
    /// Docker allows for `127.0.0.0/8` without configuration.
    pub(crate) plain_http: bool,
    /// `None`: anonymous (public registries hand out anonymous pull tokens).
    pub(crate) basic_auth: Option<(String, String)>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("host", &self.host)
            .field("plain_http", &self.plain_http)
            .field(
                "basic_auth",
                &self.basic_auth.as_ref().map(|(user, _)| user),
            )
            .finish()
    }
}

/// Whether `host` (with an optional port) is on the loopback interface.
pub(crate) fn is_loopback(host: &str) -> bool {
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
        _ => host,
    };
    let name = name.trim_start_matches('[').trim_end_matches(']');
    name == "localhost"
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// What happened to one image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// Copied; `manifests` counts the index and each platform's manifest.
    Copied {
        manifests: usize,
        blobs_copied: usize,
        blobs_present: usize,
        bytes: u64,
    },
    /// The destination already had the same digest: nothing was sent.
    AlreadyThere,
}

/// Progress of a mirror run, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum MirrorEvent {
    Started {
        images: usize,
        destination: String,
    },
    ImageStarted {
        source: String,
        destination: String,
    },
    BlobCopied {
        destination: String,
        digest: String,
        bytes: u64,
    },
    ImageFinished {
        source: String,
        destination: String,
        /// The digest of what the tag names (an index for a multi-architecture image), the same
        /// in both registries.
        digest: String,
        #[serde(flatten)]
        outcome: Outcome,
    },
    ImageFailed {
        source: String,
        destination: String,
        error: String,
    },
    Finished {
        copied: usize,
        already_there: usize,
        failed: usize,
    },
}
