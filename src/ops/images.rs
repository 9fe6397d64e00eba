//! `shinyctl images mirror`: copies the public images the workload needs (`registry:` images of
//! repositories with `mirrorOf`) into the blueprint's ECR. Images are content, like a `docker
//! push`, not resources: the repositories are made (and deleted) by apply and destroy through a
//! plan; mirroring only adds images to them and never deletes one.

use crate::aws::Connection;
use crate::aws::ecr_auth::registry_login;
use crate::blueprint::Blueprint;
use crate::blueprint::images::mirror_copies;
use crate::images::{Mirror, MirrorEvent, Outcome, Registry, is_loopback};
use crate::plan::catalog::Names;

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MirrorSummary {
    pub(crate) copied: usize,
    pub(crate) already_there: usize,
    pub failed: usize,
}

/// Copies every image of [`mirror_copies`] into the account's registry, one after the other,
/// reporting progress to `on_event`. A failed image does not stop the others. `Err` only when
/// nothing could start (no registry login).
pub async fn mirror(
    conn: &Connection,
    bp: &Blueprint,
    on_event: &(dyn Fn(MirrorEvent) + Sync),
) -> Result<MirrorSummary, String> {
    let copies = mirror_copies(bp);
    let mut summary = MirrorSummary::default();
    if copies.is_empty() {
        on_event(MirrorEvent::Started {
            images: 0,
            destination: String::new(),
        });
        on_event(MirrorEvent::Finished {
            copied: 0,
            already_there: 0,
            failed: 0,
        });
        return Ok(summary);
    }
    let login = registry_login(conn).await?;
    let host = login.host().to_string();
    if login.plain_http() && !is_loopback(&host) {
        return Err(format!(
            "ECR's registry endpoint {} is plain HTTP on another machine: refusing to send the registry password unencrypted",
            login.endpoint
        ));
    }
    let destination = Registry {
        host: host.clone(),
        plain_http: login.plain_http(),
        basic_auth: Some((login.username.clone(), login.password.clone())),
    };
    let sources: Vec<Registry> = copies
        .iter()
        .map(|copy| source_registry(&copy.source.repository.host))
        .collect();
    let client = Mirror::new(destination, &sources);
    let names = Names::new(&bp.metadata.name);
    on_event(MirrorEvent::Started {
        images: copies.len(),
        destination: host,
    });
    for (copy, source_registry) in copies.iter().zip(&sources) {
        let repository = names.repository(&copy.repository);
        let source = copy.source.to_string();
        let destination = client.destination_name(&repository, &copy.source.version);
        on_event(MirrorEvent::ImageStarted {
            source: source.clone(),
            destination: destination.clone(),
        });
        match client
            .copy(source_registry, &copy.source, &repository, on_event)
            .await
        {
            Ok((digest, outcome)) => {
                match outcome {
                    Outcome::AlreadyThere => summary.already_there += 1,
                    Outcome::Copied { .. } => summary.copied += 1,
                }
                on_event(MirrorEvent::ImageFinished {
                    source,
                    destination,
                    digest,
                    outcome,
                });
            }
            Err(error) => {
                summary.failed += 1;
                on_event(MirrorEvent::ImageFailed {
                    source,
                    destination,
                    error: error.to_string(),
                });
            }
        }
    }
    on_event(MirrorEvent::Finished {
        copied: summary.copied,
        already_there: summary.already_there,
        failed: summary.failed,
    });
    Ok(summary)
}

/// A public registry, read anonymously; plain HTTP only on the loopback interface.
fn source_registry(host: &str) -> Registry {
    Registry {
        host: host.to_string(),
        plain_http: is_loopback(host),
        basic_auth: None,
    }
}
