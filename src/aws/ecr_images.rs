//! Whether images are in the account's ECR, without pulling anything: `DescribeImages` with the
//! image's tag or digest (issue 19 item 5: apply stops before ShinyProxy's pods would sit in
//! `ImagePullBackOff`; the plan warns).
//!
//! AWS (botocore ecr 2015-09-21 `DescribeImages`: `repositoryName`, `imageIds` of `imageTag` or
//! `imageDigest`; errors `RepositoryNotFoundException`, `ImageNotFoundException` — "The image
//! requested does not exist in the specified repository" — `InvalidParameterException`,
//! `ServerException`). An image pushed through the registry API (what `shinyctl images mirror`
//! and `docker push` do) is one `DescribeImages` lists.

use aws_sdk_ecr::types::ImageIdentifier;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::Connection;
use crate::blueprint::images::Version;

/// One image asked about: the repository's full name in ECR (`<blueprint>/<NAME>`) and its tag or
/// digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcrImage {
    pub repository: String,
    pub version: Version,
}

/// Where an image stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    There,
    /// The repository exists, the tag or digest does not.
    Missing,
    /// No such repository.
    NoRepository,
}

/// The presence of each of `images`, asked all at once (one `DescribeImages` each); an error is
/// a sentence naming the image and AWS's answer.
pub async fn presence(conn: &Connection, images: &[EcrImage]) -> Result<Vec<Presence>, String> {
    let asks = images.iter().map(|image| async move {
        let id = match &image.version {
            Version::Tag(tag) => ImageIdentifier::builder().image_tag(tag),
            Version::Digest(digest) => ImageIdentifier::builder().image_digest(digest),
        }
        .build();
        match conn
            .clients
            .ecr
            .describe_images()
            .repository_name(&image.repository)
            .image_ids(id)
            .send()
            .await
        {
            Ok(answer) if !answer.image_details().is_empty() => Ok(Presence::There),
            Ok(_) => Ok(Presence::Missing),
            Err(e) => match e.code() {
                Some("ImageNotFoundException") => Ok(Presence::Missing),
                Some("RepositoryNotFoundException") => Ok(Presence::NoRepository),
                code => Err(format!(
                    "asking ECR for {}{}: {}",
                    image.repository,
                    image.version.suffix(),
                    e.message()
                        .map(str::to_string)
                        .or_else(|| code.map(str::to_string))
                        .unwrap_or_else(|| e.to_string())
                )),
            },
        }
    });
    futures::future::try_join_all(asks).await
}
