//! Progress of `shinyctl images mirror`: one line per event, as text or as JSON lines.

use serde_json::{Value, json};

use crate::images::{MirrorEvent, Outcome};

/// The JSON lines' format version.
pub(crate) const FORMAT_VERSION: &str = "1";

/// One JSON object per event: `{"format_version": "1", "type": ..., ...}`.
pub fn json_line(event: &MirrorEvent) -> String {
    let mut value = json!({"format_version": FORMAT_VERSION});
    if let (Value::Object(line), Ok(Value::Object(fields))) =
        (&mut value, serde_json::to_value(event))
    {
        line.extend(fields);
    }
    format!("{value}\n")
}

/// The event as a line of text (with its newline).
pub fn human_line(event: &MirrorEvent) -> String {
    match event {
        MirrorEvent::Started { images: 0, .. } => "Nothing to mirror: no `registry:` image of the \
             workload is in a repository with `mirrorOf`.\n"
            .to_string(),
        MirrorEvent::Started {
            images,
            destination,
        } => format!("Mirroring {} into {destination}\n", count(*images, "image")),
        MirrorEvent::ImageStarted {
            source,
            destination,
        } => format!("  {source} -> {destination}\n"),
        MirrorEvent::BlobCopied { digest, bytes, .. } => {
            format!("    copied blob {} ({})\n", short(digest), size(*bytes))
        }
        MirrorEvent::ImageFinished {
            digest, outcome, ..
        } => match outcome {
            Outcome::AlreadyThere => format!("    already there ({})\n", short(digest)),
            Outcome::Copied {
                manifests,
                blobs_copied,
                blobs_present,
                bytes,
            } => format!(
                "    copied {}, {} ({}){}; digest {digest}\n",
                count(*manifests, "manifest"),
                count(*blobs_copied, "blob"),
                size(*bytes),
                if *blobs_present > 0 {
                    format!(", {blobs_present} already there")
                } else {
                    String::new()
                },
            ),
        },
        MirrorEvent::ImageFailed { error, .. } => format!("    failed: {error}\n"),
        MirrorEvent::Finished {
            copied,
            already_there,
            failed,
        } => {
            format!("Mirrored: {copied} copied, {already_there} already there, {failed} failed.\n")
        }
    }
}

fn count(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// `sha256:0123456789ab`: enough of a digest to tell blobs apart in a progress line.
fn short(digest: &str) -> &str {
    &digest[..digest.len().min(19)]
}

fn size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run() -> Vec<MirrorEvent> {
        let source = "docker.io/openanalytics/shinyproxy:3.1.1".to_string();
        let destination = "000000000000.dkr.ecr.cn-northwest-1.amazonaws.com.cn/analytics/openanalytics/shinyproxy:3.1.1".to_string();
        let digest = format!("sha256:{}", "ab".repeat(32));
        vec![
            MirrorEvent::Started {
                images: 2,
                destination: "000000000000.dkr.ecr.cn-northwest-1.amazonaws.com.cn".into(),
            },
            MirrorEvent::ImageStarted {
                source: source.clone(),
                destination: destination.clone(),
            },
            MirrorEvent::BlobCopied {
                destination: destination.clone(),
                digest: format!("sha256:{}", "cd".repeat(32)),
                bytes: 3_500_000,
            },
            MirrorEvent::ImageFinished {
                source: source.clone(),
                destination: destination.clone(),
                digest: digest.clone(),
                outcome: Outcome::Copied {
                    manifests: 3,
                    blobs_copied: 1,
                    blobs_present: 2,
                    bytes: 3_500_000,
                },
            },
            MirrorEvent::ImageFinished {
                source: source.clone(),
                destination: destination.clone(),
                digest,
                outcome: Outcome::AlreadyThere,
            },
            MirrorEvent::ImageFailed {
                source,
                destination,
                error: "reading docker.io/x:1: 404".into(),
            },
            MirrorEvent::Finished {
                copied: 1,
                already_there: 1,
                failed: 1,
            },
        ]
    }

    #[test]
    fn human_lines() {
        let text: String = run().iter().map(human_line).collect();
        insta::assert_snapshot!(text);
    }

    #[test]
    fn json_lines() {
        let text: String = run().iter().map(json_line).collect();
        insta::assert_snapshot!(text);
    }
}
