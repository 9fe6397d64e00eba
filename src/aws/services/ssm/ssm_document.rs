//! An SSM Command document: what State Manager runs on the servers. A document keeps every
//! version it had; a change of content is a new version (UpdateDocument with DocumentVersion
//! `$LATEST`, the only version AWS lets one update: botocore `ssm` UpdateDocumentRequest) made the
//! default (UpdateDocumentDefaultVersion). The default version is the output `version`, which an
//! association embeds (`${<address>#version}`). Documents hold at most 1,000 versions
//! (`DocumentVersionLimitExceeded`), far more than a blueprint's changes make.
//!
//! Read: ListDocuments with the filters `Owner=Self` and `Name=<blueprint>-` (a name prefix:
//! botocore DocumentKeyValuesFilter); its identifiers carry the tags, so only the blueprint's
//! documents are read further: GetDocument for the default version's content (not by destroy's
//! inventory, which needs their names only). A `tag:` filter would narrow the listing further on
//! AWS, but moto (the emulator) ignores it, so the read does not rely on one.

use aws_sdk_ssm::types::{DocumentFormat, DocumentKeyValuesFilter, DocumentType};
use serde_json::Value;

use super::ssm::{DocumentTags, gone_as_none, ssm_tags};
use super::stages::{Read, after, first};
use super::{Adapter, AwsRead, AwsResult, AwsStep, Found, StepResult, deleted, outputs, sync_tags};
use crate::apply::{Outputs, StepError};
use crate::aws::tags;
use crate::plan::ResourceKind as K;
use crate::plan::catalog::servers::SsmDocumentProps;

pub(crate) struct SsmDocument;

impl Adapter for SsmDocument {
    const READS: &'static [Read] = &[
        first(("ssm", "ListDocuments")),
        after(("ssm", "GetDocument"), &[("ssm", "ListDocuments")]),
    ];

    async fn read(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
        let filter = |key: &str, value: String| {
            DocumentKeyValuesFilter::builder()
                .key(key)
                .values(value)
                .build()
        };
        let ours = all_items!(
            read.clients()
                .ssm
                .list_documents()
                .filters(filter("Owner", "Self".into()))
                .filters(filter("Name", read.name_prefix()))
                .max_results(50),
            document_identifiers
        )
        .into_iter()
        .filter_map(|d| {
            let name = d.name()?.to_string();
            let tags = tags::from_pairs(d.tags().iter().map(|t| (t.key(), t.value())));
            let address = read.owned(&tags)?;
            Some((name, address, tags))
        });
        let found = futures::future::try_join_all(
            ours.map(|(name, address, tags)| document_found(read, name, address, tags)),
        )
        .await?;
        Ok(found.into_iter().flatten().collect())
    }

    /// Creates the document with its tags; a document of that name already made by this address
    /// (an interrupted run) is adopted and brought to the desired content.
    async fn create(step: &AwsStep<'_>) -> StepResult {
        let props = resolved_props(step)?;
        let created = step
            .clients()
            .ssm
            .create_document()
            .name(&props.name)
            .content(&props.content)
            .document_type(DocumentType::Command)
            .document_format(DocumentFormat::from(props.document_format.as_str()))
            .set_tags(Some(ssm_tags(&step.tags())))
            .send()
            .await
            .aws();
        match created {
            Ok(out) => {
                let version = out
                    .document_description()
                    .and_then(|d| d.default_version().or(d.document_version()))
                    .unwrap_or("1");
                Ok(document_outputs(step, &props.name, version))
            }
            Err(err) if err.code == "DocumentAlreadyExists" => adopt(step, &props).await,
            Err(err) => Err(err),
        }
    }

    async fn update(step: &AwsStep<'_>) -> StepResult {
        let props = resolved_props(step)?;
        let name = step.existing_id()?;
        let mut version = step.existing("version").unwrap_or_default().to_string();
        if step.changed_any(K::SsmDocument.in_place()) {
            version = new_default_version(step, name, &props).await?;
        }
        sync_tags::<DocumentTags>(step, name).await?;
        Ok(document_outputs(step, name, &version))
    }

    /// Deletes every version. State Manager's associations on it are the association kind's
    /// (deleted before it: they refer to it).
    async fn delete(step: &AwsStep<'_>) -> StepResult {
        let name = step.existing_id()?;
        let ssm = &step.clients().ssm;
        deleted(gone_as_none(
            ssm.delete_document().name(name).send().await.aws(),
        ))
    }
}

/// `id` and `name` (the document's name, which every SSM call takes), `arn`, and `version`: the
/// default version as text.
fn document_outputs(step: &AwsStep<'_>, name: &str, version: &str) -> Outputs {
    let conn = step.conn;
    let arn = conn.arn(
        "ssm",
        &conn.region,
        &conn.account,
        &format!("document/{name}"),
    );
    let mut out = outputs(name, Some(&arn), Some(name));
    out.insert("version".into(), Value::from(version));
    out
}

/// A document of the desired name exists: ours (this address's tag) is brought to the desired
/// content; another's is a clear error.
async fn adopt(step: &AwsStep<'_>, props: &SsmDocumentProps) -> StepResult {
    let described = step
        .clients()
        .ssm
        .describe_document()
        .name(&props.name)
        .send()
        .await
        .aws()?;
    let document = described.document();
    let tags = tags::from_pairs(
        document
            .map(|d| d.tags())
            .unwrap_or_default()
            .iter()
            .map(|t| (t.key(), t.value())),
    );
    if !tags
        .get(tags::ADDRESS_TAG)
        .is_some_and(|a| tags::is_address(a, step.address()))
        || tags.get(tags::BLUEPRINT_TAG).map(String::as_str) != Some(step.blueprint)
    {
        return Err(StepError::fatal(
            "DocumentAlreadyExists",
            format!(
                "{}: an SSM document named {} exists and is not this blueprint's (its tags do \
                 not name {}); delete or rename it (`aws ssm delete-document --name {}`)",
                step.address(),
                props.name,
                step.address(),
                props.name
            ),
        ));
    }
    let current = default_content(step, &props.name).await?;
    let version = if current.as_deref().map(normalise) == Some(normalise(&props.content)) {
        document
            .and_then(|d| d.default_version())
            .unwrap_or("1")
            .to_string()
    } else {
        new_default_version(step, &props.name, props).await?
    };
    Ok(document_outputs(step, &props.name, &version))
}

/// The default version's content (`None`: no such document).
async fn default_content(step: &AwsStep<'_>, name: &str) -> Result<Option<String>, StepError> {
    let got = gone_as_none(
        step.clients()
            .ssm
            .get_document()
            .name(name)
            .send()
            .await
            .aws(),
    )?;
    Ok(got.and_then(|g| g.content))
}

/// UpdateDocument (a new latest version), then UpdateDocumentDefaultVersion to it. A retry after
/// an answer was lost, or a change back to an earlier content, meets `DuplicateDocumentContent`
/// (AWS keeps one version per content): the version holding that content is made the default.
async fn new_default_version(
    step: &AwsStep<'_>,
    name: &str,
    props: &SsmDocumentProps,
) -> Result<String, StepError> {
    let ssm = &step.clients().ssm;
    let updated = ssm
        .update_document()
        .name(name)
        .content(&props.content)
        .document_format(DocumentFormat::from(props.document_format.as_str()))
        .document_version("$LATEST")
        .send()
        .await
        .aws();
    let version = match updated {
        Ok(out) => out
            .document_description()
            .and_then(|d| d.document_version())
            .map(str::to_string)
            .ok_or_else(|| {
                StepError::transient("NoVersion", "UpdateDocument answered no version")
            })?,
        Err(err) if err.code == "DuplicateDocumentContent" => {
            version_with(step, name, &props.content).await?
        }
        Err(err) => return Err(err),
    };
    ssm.update_document_default_version()
        .name(name)
        .document_version(&version)
        .send()
        .await
        .aws()?;
    Ok(version)
}

/// The version of document `name` whose content is `content`, newest first (DescribeDocument for
/// the latest number, GetDocument per version).
async fn version_with(step: &AwsStep<'_>, name: &str, content: &str) -> Result<String, StepError> {
    let ssm = &step.clients().ssm;
    let described = ssm.describe_document().name(name).send().await.aws()?;
    let latest: u32 = described
        .document()
        .and_then(|d| d.latest_version())
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let wanted = normalise(content);
    for version in (1..=latest).rev() {
        let got = gone_as_none(
            ssm.get_document()
                .name(name)
                .document_version(version.to_string())
                .send()
                .await
                .aws(),
        )?;
        if got
            .and_then(|g| g.content)
            .is_some_and(|c| normalise(&c) == wanted)
        {
            return Ok(version.to_string());
        }
    }
    Err(StepError::fatal(
        "DuplicateDocumentContent",
        format!(
            "{}: SSM says document {name} already has this content, but no version of it holds \
             it (`aws ssm list-document-versions --name {name}`)",
            step.address()
        ),
    ))
}

/// A document's text as the catalog writes it: JSON through serde_json (AWS hands back the text
/// it was given, moto re-emits it; both read the same), other text as it is.
/// The step's properties with the references embedded in the content (`${address#attribute}`:
/// the file system's id, the data services' endpoints) filled in, as AWS gets them.
fn resolved_props(step: &AwsStep<'_>) -> Result<SsmDocumentProps, StepError> {
    let mut props: SsmDocumentProps = step.props()?;
    if let Value::String(content) = step.resolve_embedded(&Value::from(props.content.as_str()))? {
        props.content = content;
    }
    Ok(props)
}

fn normalise(text: &str) -> String {
    serde_json::from_str::<Value>(text)
        .map(|v| v.to_string())
        .unwrap_or_else(|_| text.to_string())
}

/// AWS's text of document `name`, or the desired text where the two are the same document
/// (the same JSON value): the plan compares text. Otherwise JSON comes back compact, as the
/// catalog writes it, so that once the reader turns resolved references back into `${...}`
/// (`aws::reader`), an unchanged document with references reads as the desired text.
fn as_desired(read: &AwsRead<'_>, name: &str, text: &str) -> String {
    let desired = read
        .desired_named(K::SsmDocument, &["name"], name)
        .and_then(|d| d.properties.get("content"))
        .and_then(Value::as_str);
    match desired {
        Some(desired) if normalise(desired) == normalise(text) => desired.to_string(),
        _ => normalise(text),
    }
}

/// One owned document with its default version's content — for destroy's inventory
/// ([`AwsRead::inventory`]) its name alone: the delete takes only the name
/// (`SsmDocument::delete`), and the content the reader gives a document the blueprint no longer
/// has is AWS's text, with ids rather than references (only a desired document's gets its
/// `${…}` back), so no delete's order (`Schedule::from_plan`) comes from it. Without the
/// content there is no output `version`: an association's observed `documentVersion` then
/// stays AWS's number instead of becoming the document's reference, and its `document`, the
/// document's name, still refers to the document.
async fn document_found(
    read: &AwsRead<'_>,
    name: String,
    address: crate::plan::Address,
    tags: tags::TagSet,
) -> Result<Option<Found>, StepError> {
    let conn = read.conn;
    let arn = conn.arn(
        "ssm",
        &conn.region,
        &conn.account,
        &format!("document/{name}"),
    );
    let found = Found::new(K::SsmDocument, &name)
        .at(Some(address))
        .named(&name);
    let (found, version) = if read.inventory {
        (found.with("name", name.as_str()), None)
    } else {
        let got = gone_as_none(
            read.clients()
                .ssm
                .get_document()
                .name(&name)
                .send()
                .await
                .aws(),
        )?;
        // Deleted since the listing: nothing to read.
        let Some(got) = got else {
            return Ok(None);
        };
        let props = SsmDocumentProps {
            name: name.clone(),
            document_format: got
                .document_format()
                .map_or("JSON", |f| f.as_str())
                .to_string(),
            content: as_desired(read, &name, got.content().unwrap_or_default()),
        };
        let version = got.document_version().unwrap_or_default().to_string();
        (found.props(&props), Some(version))
    };
    let mut found = found.with("tags", tags::to_value(&tags));
    found.outputs = outputs(&name, Some(&arn), Some(&name));
    if let Some(version) = version {
        found = found.output("version", version);
    }
    Ok(Some(found))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_content_compares_as_values_and_other_text_as_text() {
        let catalog = r#"{"schemaVersion":"2.2","mainSteps":[{"action":"aws:runShellScript"}]}"#;
        let moto = r#"{"schemaVersion": "2.2", "mainSteps": [{"action": "aws:runShellScript"}]}"#;
        assert_eq!(normalise(moto), normalise(catalog));
        assert_ne!(normalise(moto), normalise(r#"{"schemaVersion":"2.0"}"#));
        assert_eq!(
            normalise("schemaVersion: '2.2'\n"),
            "schemaVersion: '2.2'\n"
        );
    }
}
