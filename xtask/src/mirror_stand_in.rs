//! What `shinyctl images mirror` does for a user, stood in for on the emulator (which serves no
//! registry API, and the public registries are out of reach here): when an apply stops before the
//! workload because images its pods pull are not in the blueprint's ECR (issue 19 item 5), the
//! images it names are put into the account's ECR with `PutImage`, as the mirror would copy them,
//! and the caller applies again. The demo and the bench follow that advice as a user would.

use std::path::Path;

use anyhow::{Context, Result};

/// What the stopped apply says before the images it misses (`ops::workload`).
const STOPPED: &str = "not in the blueprint's ECR";

/// The images `output` (an apply's stdout and stderr) says are missing from `account`'s ECR
/// (`<account>.dkr.ecr.<region>.amazonaws.com(.cn)/<repository>:<tag>`); none when the apply did
/// not stop at the image check.
pub fn missing_images(output: &str, account: &str) -> Vec<String> {
    if !output.contains(STOPPED) {
        return Vec::new();
    }
    let prefix = format!("{account}.dkr.ecr.");
    // JSON output escapes the line breaks between the images (`\n`).
    let output = output.replace("\\n", " ");
    let mut images: Vec<String> = output
        .split(|c: char| c.is_whitespace() || c == '"')
        .filter(|word| word.starts_with(&prefix))
        .map(|word| word.trim_end_matches([',', '.', '`']).to_string())
        .filter(|image| image.contains('/') && image.rsplit_once(':').is_some())
        .collect();
    images.sort();
    images.dedup();
    images
}

/// Puts each of `images` into `account`'s ECR on the emulator at `endpoint` (an empty OCI image
/// manifest under the image's tag), with boto3 from the emulator's virtualenv `python`.
pub fn put_images(python: &Path, endpoint: &str, account: &str, images: &[String]) -> Result<()> {
    for image in images {
        let (host, rest) = image
            .split_once('/')
            .context("an image with a repository")?;
        let region = host.split('.').nth(3).context("the region in the host")?;
        let (repository, tag) = rest.rsplit_once(':').context("an image with a tag")?;
        let what = format!("put {image} into the account's ECR");
        crate::emulator::boto3(
            python,
            endpoint,
            region,
            account,
            PUT_IMAGE,
            &[repository, tag],
            &what,
        )?;
        eprintln!("mirror (stand-in): put {image} into the account's ECR");
    }
    Ok(())
}

const PUT_IMAGE: &str = r#"
import json
repository, tag = args
manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "size": 2,
                       "digest": "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},
            "layers": []}
client("ecr").put_image(repositoryName=repository, imageTag=tag, imageManifest=json.dumps(manifest))
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_images_a_stopped_apply_names() {
        let output = "error: not in the blueprint's ECR:\n  \
            123456789012.dkr.ecr.cn-northwest-1.amazonaws.com.cn/demo-openanalytics/shinyproxy:3.2.0 (proxy.image)\n  \
            123456789012.dkr.ecr.cn-northwest-1.amazonaws.com.cn/demo-postgres:17.5-alpine (proxy.usageStatsUser.image)\n  \
            copy the public images into it with `shinyctl images mirror -f b.yaml`";
        assert_eq!(
            missing_images(output, "123456789012"),
            vec![
                "123456789012.dkr.ecr.cn-northwest-1.amazonaws.com.cn/demo-openanalytics/shinyproxy:3.2.0",
                "123456789012.dkr.ecr.cn-northwest-1.amazonaws.com.cn/demo-postgres:17.5-alpine",
            ]
        );
        let json = r#"{"message": "not in the blueprint's ECR:\n  123456789012.dkr.ecr.us-east-1.amazonaws.com/d-app:1.0\n  push it"}"#;
        assert_eq!(
            missing_images(json, "123456789012"),
            vec!["123456789012.dkr.ecr.us-east-1.amazonaws.com/d-app:1.0"]
        );
        // Another failure, or another account's images: nothing to put.
        assert!(missing_images("error: AccessDenied", "123456789012").is_empty());
        assert!(missing_images(output, "999999999999").is_empty());
    }
}
