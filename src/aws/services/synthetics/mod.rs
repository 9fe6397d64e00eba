//! synthetics: canaries (the adapter and reader are `canary.rs`), their heartbeat script, and the sweep of
//! the Lambda functions and layers Synthetics makes for them (`cwsyn-<canary>-*`, also used by
//! destroy's cleanup). A canary in ERROR (a failed create, most often a role too new for Lambda
//! to assume) is read with a `status` that makes the plan replace it.
//!
//! The script's target cannot be read back from AWS, so it is also kept in a tag
//! (`shinyctl.dev/canary-url`), which the reader turns back into the catalog's `target`.

use std::collections::HashMap;

use super::{AwsResult, AwsStep, not_found_as_none};
use crate::apply::StepError;
use crate::aws::tags::TagSet;

/// Where the canary's URL is kept (see the module's comment).
pub(super) const URL_TAG: &str = "shinyctl.dev/canary-url";
pub(super) const HANDLER: &str = "heartbeat.handler";
pub(super) const SCRIPT_PATH: &str = "nodejs/node_modules/heartbeat.js";

/// Synthetics' TagResource and UntagResource, by ARN (canaries); tags travel as a map of at
/// most 50 (botocore `synthetics/2017-10-11`: `TagResource` takes `ResourceArn` and `Tags`).
pub(crate) struct SyntheticsTags;

super::tag_api!(
    SyntheticsTags,
    synthetics,
    tag_resource / untag_resource,
    resource_arn,
    synthetics_tags
);

/// Synthetics takes tags as a map.
pub(super) fn synthetics_tags(tags: &TagSet) -> HashMap<String, String> {
    tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// What the canary's update changes with UpdateCanary; tags and `startAfterCreation`
/// (Start/Stop) aside.
pub(crate) const UPDATE_IN_PLACE: &[&str] = &[
    "schedule",
    "runtimeVersion",
    "executionRole",
    "successRetentionPeriodDays",
    "failureRetentionPeriodDays",
    "target",
    "blueprint",
    "artifactPrefix",
];

/// Deletes the Lambda functions and layers Synthetics made for canary `name` (`cwsyn-<name>-*`).
pub(crate) async fn sweep_lambda(step: &AwsStep<'_>, name: &str) -> Result<(), StepError> {
    delete_canary_lambdas(&step.clients().lambda, &[name]).await?;
    Ok(())
}

/// What Synthetics left in Lambda for the canaries and [`delete_canary_lambdas`] removed.
#[derive(Debug, Default)]
pub(crate) struct CanaryLambdas {
    pub(crate) functions: Vec<String>,
    pub(crate) layers: Vec<String>,
}

/// Deletes the functions and layer versions of `canaries` (`cwsyn-<canary>-*`): the canary's
/// delete step and destroy's sweep both use it. The account's functions and layers are listed
/// once for all the canaries, the two listings together, and what they name is deleted at once
/// (each function and each layer is its own resource in Lambda), so a sweep takes three round
/// trips however many canaries it has: the listings, the deletes and the layers' versions, the
/// versions' deletes.
pub(crate) async fn delete_canary_lambdas(
    lambda: &aws_sdk_lambda::Client,
    canaries: &[&str],
) -> Result<CanaryLambdas, StepError> {
    // AWS documents the prefix only ("These have the prefix cwsyn-MyCanaryName", DeleteCanary).
    let prefixes: Vec<String> = canaries.iter().map(|c| lambda_prefix(c)).collect();
    let ours = |name: &String| prefixes.iter().any(|p| name.starts_with(p.as_str()));
    let (functions, layers) = futures::try_join!(
        async { Ok::<_, StepError>(all_pages!(lambda.list_functions().into_paginator().send())) },
        async { Ok(all_pages!(lambda.list_layers().into_paginator().send())) },
    )?;
    let functions: Vec<String> = functions
        .into_iter()
        .flat_map(|page| page.functions.unwrap_or_default())
        .filter_map(|f| f.function_name)
        .filter(|n| ours(n))
        .collect();
    let layers: Vec<String> = layers
        .into_iter()
        .flat_map(|page| page.layers.unwrap_or_default())
        .filter_map(|l| l.layer_name)
        .filter(|n| ours(n))
        .collect();
    futures::try_join!(
        futures::future::try_join_all(functions.iter().map(|f| delete_function(lambda, f))),
        futures::future::try_join_all(layers.iter().map(|l| delete_layer(lambda, l))),
    )?;
    Ok(CanaryLambdas { functions, layers })
}

async fn delete_function(lambda: &aws_sdk_lambda::Client, name: &str) -> Result<(), StepError> {
    let deleted = lambda.delete_function().function_name(name).send().await;
    not_found_as_none(deleted.aws()).map(drop)
}

/// Every version of layer `name` (a layer is gone with its last version).
async fn delete_layer(lambda: &aws_sdk_lambda::Client, name: &str) -> Result<(), StepError> {
    let versions = lambda
        .list_layer_versions()
        .layer_name(name)
        .send()
        .await
        .aws()?;
    futures::future::try_join_all(versions.layer_versions().iter().map(|v| async move {
        let deleted = lambda
            .delete_layer_version()
            .layer_name(name)
            .version_number(v.version())
            .send()
            .await;
        not_found_as_none(deleted.aws())
    }))
    .await
    .map(drop)
}

/// Synthetics names a canary's function and layer `cwsyn-<canary>-<uuid>`.
pub(crate) fn lambda_prefix(canary: &str) -> String {
    format!("cwsyn-{canary}-")
}

// --- the heartbeat script ------------------------------------------------------------------
/// The heartbeat script for the Node.js Puppeteer runtime: load `url`, fail on no answer or a
/// status outside 200-399. The URL is embedded as a JSON string literal (no injection).
pub(crate) fn heartbeat_script(url: &str) -> String {
    let literal = serde_json::Value::from(url).to_string();
    format!(
        r#"const synthetics = require('Synthetics');
const log = require('SyntheticsLogger');

const heartbeat = async function () {{
    const url = {literal};
    const page = await synthetics.getPage();
    const response = await page.goto(url, {{ waitUntil: 'domcontentloaded', timeout: 30000 }});
    const status = response ? response.status() : 0;
    log.info(`${{url}} answered ${{status}}`);
    if (status < 200 || status > 399) {{
        throw new Error(`${{url}} answered ${{status}}`);
    }}
}};

exports.handler = async () => {{
    return await synthetics.executeStep('heartbeat', heartbeat);
}};
"#
    )
}

/// A zip archive holding one file, stored uncompressed (what Lambda needs; no zip crate).
pub(crate) fn zip_one(path: &str, contents: &[u8]) -> Vec<u8> {
    let crc = crc32(contents);
    let size = u32::try_from(contents.len()).unwrap_or(u32::MAX);
    let name = path.as_bytes();
    let name_len = u16::try_from(name.len()).unwrap_or(u16::MAX);
    // 1980-01-01 00:00: fixed, so the same script always zips to the same bytes.
    let (time, date) = (0u16, (1u16 << 5) | 1);
    // What the local file header and the central directory entry both say of the file, in the
    // same order (APPNOTE.TXT 4.3.7 and 4.3.12).
    let file = [
        &20u16.to_le_bytes()[..], // version needed: 2.0
        &0u16.to_le_bytes(),      // flags
        &0u16.to_le_bytes(),      // method: stored
        &time.to_le_bytes(),
        &date.to_le_bytes(),
        &crc.to_le_bytes(),
        &size.to_le_bytes(), // compressed
        &size.to_le_bytes(), // uncompressed
        &name_len.to_le_bytes(),
        &0u16.to_le_bytes(), // extra field length
    ]
    .concat();
    let mut out = Vec::with_capacity(contents.len() + 2 * name.len() + 100);
    // Local file header.
    out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
    out.extend_from_slice(&file);
    out.extend_from_slice(name);
    out.extend_from_slice(contents);
    let central_start = u32::try_from(out.len()).unwrap_or(u32::MAX);
    // Central directory entry.
    out.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
    out.extend_from_slice(&(0x0300u16 | 20).to_le_bytes()); // made by: unix, 2.0
    out.extend_from_slice(&file);
    out.extend_from_slice(&0u16.to_le_bytes()); // comment
    out.extend_from_slice(&0u16.to_le_bytes()); // disk
    out.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
    out.extend_from_slice(&(0o100_644u32 << 16).to_le_bytes()); // external: -rw-r--r--
    out.extend_from_slice(&0u32.to_le_bytes()); // local header offset
    out.extend_from_slice(name);
    let central_len = u32::try_from(out.len()).unwrap_or(u32::MAX) - central_start;
    // End of central directory.
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&central_len.to_le_bytes());
    out.extend_from_slice(&central_start.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

/// CRC-32 (IEEE), bitwise: the script is a few hundred bytes.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::ResourceKind as K;

    #[test]
    fn a_canary_in_error_is_replaced() {
        use crate::plan::{Action, ObservedState, diff};
        let file =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("blueprints/shinyproxy-eks.yaml");
        let loaded = crate::load::load_file(&file).expect("blueprint loads");
        let desired = crate::plan::catalog::desired(&loaded.blueprint);
        let mut observed = ObservedState::as_desired(&desired);
        let at = observed
            .resources
            .iter()
            .position(|r| r.kind == K::Canary)
            .expect("the blueprint has a canary");
        let address = observed.resources[at].address.clone();
        assert_eq!(
            diff(&desired, &observed)
                .change(address.as_str())
                .map(|c| c.action),
            Some(Action::NoOp)
        );
        observed.resources[at].properties.insert(
            "status".into(),
            "ERROR (CREATE_FAILED: The role defined for the function cannot be assumed by Lambda.)"
                .into(),
        );
        let plan = diff(&desired, &observed);
        let change = plan.change(address.as_str()).expect("in the plan");
        assert_eq!(change.action, Action::Replace);
        assert_eq!(change.replaced_because.as_deref(), Some("status"));
    }

    #[test]
    fn the_zip_holds_the_script() {
        let zip = zip_one(SCRIPT_PATH, b"hello");
        assert_eq!(&zip[..4], b"PK\x03\x04");
        assert!(
            zip.windows(SCRIPT_PATH.len())
                .any(|w| w == SCRIPT_PATH.as_bytes())
        );
        // CRC-32 of "hello".
        assert_eq!(crc32(b"hello"), 0x3610_a686);
        let script = heartbeat_script("https://x/\"'");
        assert!(script.contains(r#""https://x/\"'""#), "{script}");
    }
}
