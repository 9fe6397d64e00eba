//! Copying one image between registries, byte for byte: manifests are pushed exactly as pulled
//! (so every digest, the index's included, stays the same) and each platform of a
//! multi-architecture index is copied with its blobs. Whatever the destination already has —
//! the tag at the same digest, a platform manifest, a blob — is not sent again.

use futures::TryStreamExt;
use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::errors::{OciDistributionError, OciErrorCode};
use oci_client::manifest::{
    IMAGE_MANIFEST_LIST_MEDIA_TYPE, IMAGE_MANIFEST_MEDIA_TYPE, OCI_IMAGE_INDEX_MEDIA_TYPE,
    OCI_IMAGE_MEDIA_TYPE,
};
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};
use serde_json::Value;

use super::{MirrorEvent, Outcome, Registry};
use crate::blueprint::images::{ImageRef, Version};

/// The manifest types a copy accepts: Docker's and OCI's single-platform manifests and indexes.
const MANIFEST_TYPES: &[&str] = &[
    OCI_IMAGE_INDEX_MEDIA_TYPE,
    IMAGE_MANIFEST_LIST_MEDIA_TYPE,
    OCI_IMAGE_MEDIA_TYPE,
    IMAGE_MANIFEST_MEDIA_TYPE,
];

/// A failed copy, in words for the user (never holding a credential).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MirrorError(pub(crate) String);

impl std::fmt::Display for MirrorError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A client for copying from public registries into one destination registry.
pub(crate) struct Mirror {
    client: Client,
    destination: Registry,
}

/// Counts for one image's copy.
#[derive(Default)]
struct Tally {
    manifests: usize,
    blobs_copied: usize,
    blobs_present: usize,
    bytes: u64,
}

impl Mirror {
    /// `sources`: the source registries (for their protocol).
    pub(crate) fn new(destination: Registry, sources: &[Registry]) -> Mirror {
        // reqwest is built without a provider of its own: the process's one (ring) serves it.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let plain: Vec<String> = std::iter::once(&destination)
            .chain(sources)
            .filter(|r| r.plain_http)
            .map(|r| r.host.clone())
            .collect();
        let config = ClientConfig {
            protocol: ClientProtocol::HttpsExcept(plain),
            // One PUT per blob (after the POST that opens the upload): ECR answers 201 to the
            // first PATCH of a chunked upload, which breaks chunked clients (kitops-ml/kitops#822).
            use_monolithic_push: true,
            ..ClientConfig::default()
        };
        Mirror {
            client: Client::new(config),
            destination,
        }
    }

    /// Where `repository` (with the blueprint's prefix) of the destination is, e.g. for output.
    pub(crate) fn destination_name(&self, repository: &str, version: &Version) -> String {
        format!("{}/{repository}{}", self.destination.host, version.suffix())
    }

    /// Copies `source` to `repository` of the destination under the same tag or digest.
    pub(crate) async fn copy(
        &self,
        source_registry: &Registry,
        source: &ImageRef,
        repository: &str,
        on_event: &(dyn Fn(MirrorEvent) + Sync),
    ) -> Result<(String, Outcome), MirrorError> {
        let from = reference(
            &source_registry.host,
            &source.repository.path,
            &source.version,
        );
        let to = reference(&self.destination.host, repository, &source.version);
        for registry in [source_registry, &self.destination] {
            let auth = match &registry.basic_auth {
                Some((user, password)) => RegistryAuth::Basic(user.clone(), password.clone()),
                None => RegistryAuth::Anonymous,
            };
            self.client
                .store_auth_if_needed(&resolved(&registry.host), &auth)
                .await;
        }
        let (body, digest) = self
            .client
            .pull_manifest_raw(&from, &anonymous_or_stored(), MANIFEST_TYPES)
            .await
            .map_err(|e| describe(&e, &format!("reading {source}")))?;
        if self.has_manifest(&to, &digest).await? {
            return Ok((digest, Outcome::AlreadyThere));
        }
        let mut tally = Tally::default();
        let destination_name = self.destination_name(repository, &source.version);
        self.copy_manifest(&from, &to, &body, &mut tally, &destination_name, on_event)
            .await?;
        Ok((
            digest,
            Outcome::Copied {
                manifests: tally.manifests,
                blobs_copied: tally.blobs_copied,
                blobs_present: tally.blobs_present,
                bytes: tally.bytes,
            },
        ))
    }

    /// Whether `to` already names a manifest with `digest`.
    async fn has_manifest(&self, to: &Reference, digest: &str) -> Result<bool, MirrorError> {
        match self
            .client
            .fetch_manifest_digest(to, &anonymous_or_stored())
            .await
        {
            Ok(found) => Ok(found == digest),
            Err(e) if is_absent(&e) => Ok(false),
            Err(e) => Err(describe(&e, &format!("looking for {to}"))),
        }
    }

    /// Pushes `body` (pulled from `from`) to `to` after everything it refers to: each platform's
    /// manifest of an index, the config and layers of a manifest.
    async fn copy_manifest(
        &self,
        from: &Reference,
        to: &Reference,
        body: &[u8],
        tally: &mut Tally,
        destination_name: &str,
        on_event: &(dyn Fn(MirrorEvent) + Sync),
    ) -> Result<(), MirrorError> {
        let manifest: Value = serde_json::from_slice(body)
            .map_err(|e| MirrorError(format!("the manifest of {from} is not JSON: {e}")))?;
        let media_type = media_type(&manifest);
        if let Some(children) = manifest.get("manifests").and_then(Value::as_array) {
            for child in children {
                let digest = descriptor_digest(child, from)?;
                let child_from = from.clone_with_digest(digest.to_string());
                let child_to = to.clone_with_digest(digest.to_string());
                if self.has_manifest(&child_to, digest).await? {
                    continue;
                }
                let (child_body, _) = self
                    .client
                    .pull_manifest_raw(&child_from, &anonymous_or_stored(), MANIFEST_TYPES)
                    .await
                    .map_err(|e| describe(&e, &format!("reading {child_from}")))?;
                Box::pin(self.copy_manifest(
                    &child_from,
                    &child_to,
                    &child_body,
                    tally,
                    destination_name,
                    on_event,
                ))
                .await?;
            }
        } else {
            let config = manifest.get("config").into_iter();
            let layers = manifest
                .get("layers")
                .and_then(Value::as_array)
                .into_iter()
                .flatten();
            for blob in config.chain(layers) {
                let digest = descriptor_digest(blob, from)?;
                let size = blob.get("size").and_then(Value::as_u64);
                self.copy_blob(from, to, digest, size, tally, destination_name, on_event)
                    .await?;
            }
        }
        let content_type = media_type
            .parse()
            .map_err(|_| MirrorError(format!("{from} has the media type `{media_type}`")))?;
        self.client
            .push_manifest_raw(to, body.to_vec(), content_type)
            .await
            .map_err(|e| describe(&e, &format!("pushing the manifest to {to}")))?;
        tally.manifests += 1;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn copy_blob(
        &self,
        from: &Reference,
        to: &Reference,
        digest: &str,
        size: Option<u64>,
        tally: &mut Tally,
        destination_name: &str,
        on_event: &(dyn Fn(MirrorEvent) + Sync),
    ) -> Result<(), MirrorError> {
        let present = self
            .client
            .blob_exists(to, digest)
            .await
            .map_err(|e| describe(&e, &format!("looking for blob {digest} in {to}")))?;
        if present {
            tally.blobs_present += 1;
            return Ok(());
        }
        let pulled = self
            .client
            .pull_blob_stream(from, digest)
            .await
            .map_err(|e| describe(&e, &format!("reading blob {digest} of {from}")))?;
        let size = size
            .or(pulled.content_length)
            .ok_or_else(|| MirrorError(format!("blob {digest} of {from} has no size")))?;
        let stream = pulled.stream.map_err(OciDistributionError::from);
        self.client
            .push_blob_stream(to, stream, digest, Some(size))
            .await
            .map_err(|e| describe(&e, &format!("pushing blob {digest} to {to}")))?;
        tally.blobs_copied += 1;
        tally.bytes += size;
        on_event(MirrorEvent::BlobCopied {
            destination: destination_name.to_string(),
            digest: digest.to_string(),
            bytes: size,
        });
        Ok(())
    }
}

/// The client keeps each registry's credentials (stored before the first call); a call's own
/// `auth` argument only adds one where none is stored.
fn anonymous_or_stored() -> RegistryAuth {
    RegistryAuth::Anonymous
}

fn reference(host: &str, repository: &str, version: &Version) -> Reference {
    match version {
        Version::Tag(tag) => Reference::with_tag(host.into(), repository.into(), tag.clone()),
        Version::Digest(digest) => {
            Reference::with_digest(host.into(), repository.into(), digest.clone())
        }
    }
}

/// The host oci-client sends requests to (Docker Hub's name resolves to its index host).
fn resolved(host: &str) -> String {
    Reference::with_tag(host.into(), "x".into(), "x".into())
        .resolve_registry()
        .to_string()
}

/// A manifest's `mediaType`; the OCI image spec makes it optional, so its shape decides.
fn media_type(manifest: &Value) -> String {
    match manifest.get("mediaType").and_then(Value::as_str) {
        Some(media_type) => media_type.to_string(),
        None if manifest.get("manifests").is_some() => OCI_IMAGE_INDEX_MEDIA_TYPE.into(),
        None => OCI_IMAGE_MEDIA_TYPE.into(),
    }
}

fn descriptor_digest<'a>(descriptor: &'a Value, from: &Reference) -> Result<&'a str, MirrorError> {
    descriptor
        .get("digest")
        .and_then(Value::as_str)
        .filter(|d| d.starts_with("sha256:") || d.starts_with("sha512:"))
        .ok_or_else(|| MirrorError(format!("a descriptor in {from}'s manifest has no digest")))
}

/// The registry answered that the manifest (or the repository) is not there.
fn is_absent(error: &OciDistributionError) -> bool {
    match error {
        OciDistributionError::ImageManifestNotFoundError(_) => true,
        OciDistributionError::ServerError { code, .. } => *code == 404,
        OciDistributionError::RegistryError { envelope, .. } => envelope.errors.iter().any(|e| {
            matches!(
                e.code,
                OciErrorCode::ManifestUnknown | OciErrorCode::NameUnknown
            )
        }),
        _ => false,
    }
}

/// `doing`: what was being done, e.g. `pushing blob sha256:… to …`.
fn describe(error: &OciDistributionError, doing: &str) -> MirrorError {
    let repository_missing = match error {
        OciDistributionError::RegistryError { envelope, .. } => envelope
            .errors
            .iter()
            .any(|e| e.code == OciErrorCode::NameUnknown),
        _ => false,
    };
    let hint = if repository_missing {
        " (the repository does not exist: `shinyctl apply -f FILE` creates the blueprint's repositories)"
    } else {
        ""
    };
    MirrorError(format!("{doing}: {error}{hint}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_type_follows_the_shape_when_unsaid() {
        assert_eq!(
            media_type(&serde_json::json!({"manifests": []})),
            OCI_IMAGE_INDEX_MEDIA_TYPE
        );
        assert_eq!(
            media_type(&serde_json::json!({"layers": []})),
            OCI_IMAGE_MEDIA_TYPE
        );
        assert_eq!(
            media_type(&serde_json::json!({"mediaType": IMAGE_MANIFEST_LIST_MEDIA_TYPE})),
            IMAGE_MANIFEST_LIST_MEDIA_TYPE
        );
    }

    #[test]
    fn docker_hub_is_reached_at_its_index_host() {
        assert_eq!(resolved("docker.io"), "index.docker.io");
        assert_eq!(resolved("127.0.0.1:5000"), "127.0.0.1:5000");
    }

    #[test]
    fn a_missing_repository_says_what_makes_it() {
        let error = OciDistributionError::RegistryError {
            envelope: serde_json::from_value(serde_json::json!({
                "errors": [{"code": "NAME_UNKNOWN", "message": "repository name not known to registry"}]
            }))
            .unwrap(),
            url: "https://x/v2/a/blobs/uploads/".into(),
        };
        assert!(is_absent(&error));
        assert!(describe(&error, "pushing").0.contains("shinyctl apply"));
    }
}
