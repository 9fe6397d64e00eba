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
pub(crate) struct EcrImage {
    pub(crate) repository: String,
    pub(crate) version: Version,
}

/// Where an image stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Presence {
    There,
    /// The repository exists, the tag or digest does not.
    Missing,
    /// No such repository.
    NoRepository,
}

/// The presence of each of `images`: one `DescribeImages` per repository with all its images'
/// ids (`imageIds` takes up to 100), asked all at once. AWS answers `ImageNotFoundException` when
/// any of them is missing, so only then is each of that repository's images asked on its own.
/// An error is a sentence naming the image and AWS's answer.
pub(crate) async fn presence(
    conn: &Connection,
    images: &[EcrImage],
) -> Result<Vec<Presence>, String> {
    let mut repositories: Vec<&str> = images.iter().map(|i| i.repository.as_str()).collect();
    repositories.sort_unstable();
    repositories.dedup();
    let asks = repositories.into_iter().map(|repository| async move {
        let own: Vec<&EcrImage> = images
            .iter()
            .filter(|i| i.repository == repository)
            .collect();
        let together = describe(conn, repository, &own).await?;
        let answers = if together == Presence::Missing && own.len() > 1 {
            let each = own
                .iter()
                .map(|image| describe(conn, repository, std::slice::from_ref(image)));
            futures::future::try_join_all(each).await?
        } else {
            vec![together; own.len()]
        };
        Ok::<_, String>(own.into_iter().zip(answers).collect::<Vec<_>>())
    });
    let answered: Vec<(&EcrImage, Presence)> = futures::future::try_join_all(asks)
        .await?
        .into_iter()
        .flatten()
        .collect();
    Ok(images
        .iter()
        .map(|image| {
            answered
                .iter()
                .find(|(asked, _)| *asked == image)
                .map_or(Presence::Missing, |(_, p)| *p)
        })
        .collect())
}

/// Whether every one of `images` (all of `repository`) is there.
async fn describe(
    conn: &Connection,
    repository: &str,
    images: &[&EcrImage],
) -> Result<Presence, String> {
    let ids = images.iter().map(|image| {
        match &image.version {
            Version::Tag(tag) => ImageIdentifier::builder().image_tag(tag),
            Version::Digest(digest) => ImageIdentifier::builder().image_digest(digest),
        }
        .build()
    });
    let answer = conn
        .clients
        .ecr
        .describe_images()
        .repository_name(repository)
        .set_image_ids(Some(ids.collect()))
        .send()
        .await;
    match answer {
        Ok(answer) if answer.image_details().len() >= images.len() => Ok(Presence::There),
        Ok(_) => Ok(Presence::Missing),
        Err(e) => match e.code() {
            Some("ImageNotFoundException") => Ok(Presence::Missing),
            Some("RepositoryNotFoundException") => Ok(Presence::NoRepository),
            code => Err(format!(
                "asking ECR about the images of {repository}: {}",
                e.message()
                    .map(str::to_string)
                    .or_else(|| code.map(str::to_string))
                    .unwrap_or_else(|| e.to_string())
            )),
        },
    }
}
