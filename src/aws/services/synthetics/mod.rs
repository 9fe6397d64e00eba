//! synthetics: canaries (the adapter and reader are `canary.rs`), their heartbeat script, and the
//! removal of the Lambda function and layer Synthetics runs each on (also used by destroy's
//! cleanup), by the names the canary itself gives (`EngineArn`, `Code.SourceLocationArn`). A
//! canary in ERROR (a failed create, most often a role too new for Lambda to assume) is read with
//! a `status` that makes the plan replace it.
//!
//! The script's target cannot be read back from AWS, so it is also kept in a tag
//! (`shinyctl.dev/canary-url`), which the reader turns back into the catalog's `target`.

use std::collections::HashMap;

use super::{AwsResult, not_found_as_none};
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

/// The Lambda function and layer a canary runs on, by name: what its delete, and destroy's
/// sweep after it, remove. Taken from the canary itself — its `EngineArn` (the function) and
/// `Code.SourceLocationArn` (the layer holding its script) — never found by name: AWS documents
/// only that both "have the prefix cwsyn-MyCanaryName" (DeleteCanary), and another blueprint's
/// canary whose name continues this one's shares that prefix.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CanaryLambdas {
    pub functions: Vec<String>,
    pub layers: Vec<String>,
}

impl CanaryLambdas {
    /// What `canary` names.
    pub(crate) fn of(canary: &aws_sdk_synthetics::types::Canary) -> CanaryLambdas {
        let layer = canary.code().and_then(|c| c.source_location_arn());
        CanaryLambdas {
            functions: canary
                .engine_arn()
                .and_then(function_name)
                .into_iter()
                .collect(),
            layers: layer.and_then(layer_name).into_iter().collect(),
        }
    }

    /// As a canary's outputs (`lambdaFunction`, `lambdaLayer`): what the read keeps of it.
    pub(crate) fn outputs(&self) -> Vec<(&'static str, String)> {
        let first = |names: &[String]| names.first().cloned();
        [
            (LAMBDA_FUNCTION, first(&self.functions)),
            (LAMBDA_LAYER, first(&self.layers)),
        ]
        .into_iter()
        .filter_map(|(key, name)| Some((key, name?)))
        .collect()
    }

    /// What a canary's `outputs` (as the read keeps them) name.
    pub(crate) fn from_outputs(outputs: &crate::apply::Outputs) -> CanaryLambdas {
        let named = |key: &str| {
            outputs
                .get(key)
                .and_then(|v| v.as_str())
                .map(str::to_string)
                .into_iter()
                .collect()
        };
        CanaryLambdas {
            functions: named(LAMBDA_FUNCTION),
            layers: named(LAMBDA_LAYER),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.functions.is_empty() && self.layers.is_empty()
    }

    pub(crate) fn extend(&mut self, other: CanaryLambdas) {
        self.functions.extend(other.functions);
        self.layers.extend(other.layers);
    }
}

/// The outputs naming the Lambda function and layer a canary runs on.
const LAMBDA_FUNCTION: &str = "lambdaFunction";
const LAMBDA_LAYER: &str = "lambdaLayer";

/// `arn:<partition>:lambda:<region>:<account>:function:<name>[:<qualifier>]` → the name.
pub(crate) fn function_name(arn: &str) -> Option<String> {
    lambda_name(arn, "function")
}

/// `arn:<partition>:lambda:<region>:<account>:layer:<name>[:<version>]` → the name.
pub(crate) fn layer_name(arn: &str) -> Option<String> {
    lambda_name(arn, "layer")
}

fn lambda_name(arn: &str, kind: &str) -> Option<String> {
    let parts: Vec<&str> = arn.split(':').collect();
    match parts.as_slice() {
        ["arn", _, "lambda", _, _, k, name, ..] if *k == kind && !name.is_empty() => {
            Some((*name).to_string())
        }
        _ => None,
    }
}

/// Deletes `lambdas` (every version of each layer), all at once; what was there to delete is
/// answered (one already gone is not). A canary deleted with `DeleteLambda` takes them along,
/// so this finds them gone unless that part of its delete failed.
pub(crate) async fn delete_canary_lambdas(
    lambda: &aws_sdk_lambda::Client,
    lambdas: &CanaryLambdas,
) -> Result<CanaryLambdas, StepError> {
    let (functions, layers) = futures::try_join!(
        futures::future::try_join_all(lambdas.functions.iter().map(|f| delete_function(lambda, f))),
        futures::future::try_join_all(lambdas.layers.iter().map(|l| delete_layer(lambda, l))),
    )?;
    let deleted = |names: &[String], done: Vec<bool>| {
        names
            .iter()
            .zip(done)
            .filter(|(_, done)| *done)
            .map(|(n, _)| n.clone())
            .collect()
    };
    Ok(CanaryLambdas {
        functions: deleted(&lambdas.functions, functions),
        layers: deleted(&lambdas.layers, layers),
    })
}

/// Whether function `name` was there to delete.
async fn delete_function(lambda: &aws_sdk_lambda::Client, name: &str) -> Result<bool, StepError> {
    let deleted = lambda.delete_function().function_name(name).send().await;
    Ok(not_found_as_none(deleted.aws())?.is_some())
}

/// Every version of layer `name` (a layer is gone with its last version); whether it had any.
async fn delete_layer(lambda: &aws_sdk_lambda::Client, name: &str) -> Result<bool, StepError> {
    let versions = lambda.list_layer_versions().layer_name(name).send().await;
    let Some(versions) = not_found_as_none(versions.aws())? else {
        return Ok(false);
    };
    let listed = versions.layer_versions();
    futures::future::try_join_all(listed.iter().map(|v| async move {
        let deleted = lambda
            .delete_layer_version()
            .layer_name(name)
            .version_number(v.version())
            .send()
            .await;
        not_found_as_none(deleted.aws())
    }))
    .await?;
    Ok(!listed.is_empty())
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
    fn a_canarys_function_and_layer_are_named_by_their_arns_and_kept_as_outputs() {
        assert_eq!(
            function_name("arn:aws-cn:lambda:cn-northwest-1:1:function:cwsyn-a-b:1").as_deref(),
            Some("cwsyn-a-b")
        );
        assert_eq!(
            layer_name("arn:aws:lambda:us-east-1:1:layer:cwsyn-a-b:3").as_deref(),
            Some("cwsyn-a-b")
        );
        // A layer's ARN is not a function's, nor is anything else.
        assert_eq!(function_name("arn:aws:lambda:us-east-1:1:layer:x:1"), None);
        assert_eq!(function_name("cwsyn-a-b"), None);
        assert_eq!(layer_name(""), None);
        let canary = aws_sdk_synthetics::types::Canary::builder()
            .engine_arn("arn:aws:lambda:us-east-1:1:function:cwsyn-a-b:1")
            .code(
                aws_sdk_synthetics::types::CanaryCodeOutput::builder()
                    .source_location_arn("arn:aws:lambda:us-east-1:1:layer:cwsyn-a-b:1")
                    .build(),
            )
            .build();
        let lambdas = CanaryLambdas::of(&canary);
        let outputs: crate::apply::Outputs = lambdas
            .outputs()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.into()))
            .collect();
        assert_eq!(CanaryLambdas::from_outputs(&outputs), lambdas);
        assert_eq!(lambdas.functions, ["cwsyn-a-b"]);
        // A canary that names neither (not run yet) leaves nothing to remove.
        let bare = aws_sdk_synthetics::types::Canary::builder().build();
        assert!(CanaryLambdas::of(&bare).is_empty());
    }

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
