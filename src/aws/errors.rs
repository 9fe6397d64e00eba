//! SDK errors become [`StepError`]s: AWS's code and message, classified for retrying.
//!
//! - a service error with a code: classified by the code ([`classify_code`]),
//!   except the errors that mean a role is still propagating ([`super::iam_propagation`]);
//! - a service error without a code: 5xx is transient; anything else means the endpoint does not
//!   know the operation (an emulator or a partition without the service) — fatal, saying so;
//! - no response (dispatch failure, timeout, unparseable response): transient.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::apply::{ErrorClass, StepError};

/// Converts any SDK call's error.
pub fn step_error<E>(err: SdkError<E, HttpResponse>) -> StepError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match &err {
        SdkError::ServiceError(service) => {
            let status = service.raw().status().as_u16();
            let inner = service.err();
            match inner.code() {
                Some(code) if !code.is_empty() => {
                    let message = inner.message().unwrap_or("(no message)");
                    StepError::new(
                        super::iam_propagation::classify(code, message),
                        code,
                        message.to_string(),
                    )
                }
                _ if status >= 500 => StepError::transient(
                    format!("Http{status}"),
                    format!("HTTP {status} without an error code"),
                ),
                _ => {
                    let body = service
                        .raw()
                        .body()
                        .bytes()
                        .map(|b| String::from_utf8_lossy(&b[..b.len().min(200)]).into_owned())
                        .unwrap_or_default();
                    StepError::fatal(
                        "UnsupportedOperation",
                        format!(
                            "the endpoint answered HTTP {status} without an AWS error code: the \
                             operation is not supported by this endpoint ({})",
                            body.trim()
                        ),
                    )
                }
            }
        }
        SdkError::TimeoutError(_) => StepError::transient("Timeout", describe(&err)),
        SdkError::DispatchFailure(_) => StepError::transient("DispatchFailure", describe(&err)),
        SdkError::ResponseError(response) => {
            let status = response.raw().status().as_u16();
            StepError::transient(
                "ResponseError",
                format!("unreadable response (HTTP {status}): {}", describe(&err)),
            )
        }
        SdkError::ConstructionFailure(_) => StepError::fatal("InvalidRequest", describe(&err)),
        _ => StepError::fatal("Unknown", describe(&err)),
    }
}

/// The usual class of an AWS error code, across the services shinyctl uses (the role-propagation
/// signs aside: [`super::iam_propagation::classify`]). Adapters override it where context
/// matters (a `*.NotFound` for a dependency created a second ago is eventual consistency, hence
/// transient; for the resource being deleted it means success).
pub(crate) fn classify_code(code: &str) -> ErrorClass {
    const THROTTLED: &[&str] = &[
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottled",
        "RequestThrottledException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        // ECR's name for it ("Troubleshooting Amazon ECR error messages": HTTP 429 or
        // ThrottleException).
        "ThrottleException",
        "ProvisionedThroughputExceededException",
        "SlowDown",
        "PriorRequestNotComplete",
        "BandwidthLimitExceeded",
        "EC2ThrottledException",
    ];
    const TRANSIENT: &[&str] = &[
        "InternalError",
        "InternalFailure",
        "InternalServerError",
        "InternalServiceError",
        "InternalServiceException",
        "ServerException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "RequestTimeout",
        "RequestTimeoutException",
        "IDPCommunicationError",
        "Unavailable",
    ];
    const CONFLICT: &[&str] = &[
        "DependencyViolation",
        "ResourceInUse",
        "ResourceInUseException",
        "ConcurrentModification",
        "ConcurrentModificationException",
        "ConflictException",
        "OperationAborted",
        "IncorrectState",
        "IncorrectInstanceState",
        "InvalidDBInstanceState",
        "InvalidDBInstanceStateFault",
        "InvalidDBClusterStateFault",
        "InvalidDBSubnetGroupStateFault",
        "InvalidCacheClusterState",
        "InvalidReplicationGroupState",
        "InvalidCacheSubnetGroupState",
        "DeleteConflict",
        "IncorrectFileSystemLifeCycleState",
        "FileSystemInUse",
        "MountTargetConflict",
    ];
    if THROTTLED.contains(&code) {
        ErrorClass::Throttled
    } else if TRANSIENT.contains(&code) {
        ErrorClass::Transient
    } else if CONFLICT.contains(&code) {
        ErrorClass::Conflict
    } else {
        ErrorClass::Fatal
    }
}

/// The error and its sources, one line.
fn describe(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Whether an error code says the resource does not exist (`InvalidVpcID.NotFound`,
/// `NoSuchEntity`, `NoSuchBucket`, `ResourceNotFoundException`, `DBInstanceNotFound`, ...).
pub(crate) fn is_not_found_code(code: &str) -> bool {
    code.contains("NotFound") || code.starts_with("NoSuch")
}

pub fn is_not_found(err: &StepError) -> bool {
    is_not_found_code(&err.code)
}

/// `Ok(None)` for a not-found error: what a delete or a probe wants.
pub(crate) fn not_found_as_none<T>(result: Result<T, StepError>) -> Result<Option<T>, StepError> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(err) if is_not_found(&err) => Ok(None),
        Err(err) => Err(err),
    }
}

/// A create's answer where `already_made` picks the error AWS gives when the resource is there
/// already (an earlier attempt's, whose answer was lost: the same name or client token): that
/// one is success too, and the step goes on to wait for or describe what is there. Any other
/// error stays.
pub(crate) fn already_made_is_ok<T>(
    created: Result<T, StepError>,
    already_made: impl FnOnce(&StepError) -> bool,
) -> Result<(), StepError> {
    match created {
        Ok(_) => Ok(()),
        Err(e) if already_made(&e) => Ok(()),
        Err(e) => Err(e),
    }
}

/// The one object a Describe call by id or name lists (the first of its list), or `None` when
/// AWS answers not found or lists nothing: what every look-up of one database, load balancer,
/// file system... by its id wants from a call that answers with a list.
pub(crate) fn first_found<T, I>(
    result: Result<T, StepError>,
    list: impl FnOnce(T) -> Option<Vec<I>>,
) -> Result<Option<I>, StepError> {
    Ok(not_found_as_none(result)?
        .and_then(list)
        .and_then(|items| items.into_iter().next()))
}

/// Extension for SDK results: `.send().await.aws()?`.
pub(crate) trait AwsResult<T> {
    fn aws(self) -> Result<T, StepError>;
}

impl<T, E> AwsResult<T> for Result<T, SdkError<E, HttpResponse>>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    fn aws(self) -> Result<T, StepError> {
        self.map_err(step_error)
    }
}

/// An adapter bug or an engine inconsistency (a required property or input is missing).
pub(crate) fn missing(what: impl std::fmt::Display) -> StepError {
    StepError::fatal("MissingInput", what.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::error::ErrorMetadata;

    type DeleteVpcError = aws_sdk_ec2::operation::delete_vpc::DeleteVpcError;

    fn service_error(status: u16, code: Option<&str>) -> SdkError<DeleteVpcError, HttpResponse> {
        let mut meta = ErrorMetadata::builder().message("boom");
        if let Some(code) = code {
            meta = meta.code(code);
        }
        let err = DeleteVpcError::generic(meta.build());
        let raw = HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::empty());
        SdkError::service_error(err, raw)
    }

    #[test]
    fn aws_codes_are_classified() {
        assert_eq!(classify_code("RequestLimitExceeded"), ErrorClass::Throttled);
        assert_eq!(classify_code("ThrottlingException"), ErrorClass::Throttled);
        assert_eq!(classify_code("ThrottleException"), ErrorClass::Throttled);
        assert_eq!(classify_code("InternalError"), ErrorClass::Transient);
        assert_eq!(classify_code("DependencyViolation"), ErrorClass::Conflict);
        assert_eq!(
            classify_code("ResourceInUseException"),
            ErrorClass::Conflict
        );
        assert_eq!(classify_code("InvalidParameterValue"), ErrorClass::Fatal);
        assert_eq!(classify_code(""), ErrorClass::Fatal);
    }

    #[test]
    fn codes_are_classified() {
        let e = step_error(service_error(400, Some("DependencyViolation")));
        assert_eq!(
            (e.class, e.code.as_str()),
            (ErrorClass::Conflict, "DependencyViolation")
        );
        let e = step_error(service_error(503, Some("RequestLimitExceeded")));
        assert_eq!(e.class, ErrorClass::Throttled);
    }

    #[test]
    fn codeless_errors_are_transient_or_unsupported() {
        assert_eq!(
            step_error(service_error(500, None)).class,
            ErrorClass::Transient
        );
        let e = step_error(service_error(404, None));
        assert_eq!(e.class, ErrorClass::Fatal);
        assert!(e.message.contains("not supported by this endpoint"), "{e}");
    }

    #[test]
    fn not_found_codes() {
        for code in [
            "InvalidVpcID.NotFound",
            "NoSuchEntity",
            "NoSuchBucket",
            "DBInstanceNotFound",
        ] {
            assert!(is_not_found_code(code), "{code}");
        }
        assert!(!is_not_found_code("DependencyViolation"));
        let r: Result<u8, StepError> = Err(StepError::fatal("NatGatewayNotFound", "x"));
        assert_eq!(not_found_as_none(r), Ok(None));
    }

    #[test]
    fn an_already_made_error_is_success() {
        let exists = |e: &StepError| e.code == "DBInstanceAlreadyExists";
        assert_eq!(already_made_is_ok(Ok::<u8, StepError>(1), exists), Ok(()));
        let made: Result<u8, StepError> = Err(StepError::fatal("DBInstanceAlreadyExists", "x"));
        assert_eq!(already_made_is_ok(made, exists), Ok(()));
        let other = StepError::fatal("AccessDenied", "x");
        assert_eq!(
            already_made_is_ok(Err::<u8, _>(other.clone()), exists),
            Err(other)
        );
    }

    #[test]
    fn first_found_is_the_list_head_or_none() {
        let listed: Result<Option<Vec<u8>>, StepError> = Ok(Some(vec![7, 8]));
        assert_eq!(first_found(listed, |l| l), Ok(Some(7)));
        let empty: Result<Option<Vec<u8>>, StepError> = Ok(Some(Vec::new()));
        assert_eq!(first_found(empty, |l| l), Ok(None));
        let absent: Result<Option<Vec<u8>>, StepError> = Ok(None);
        assert_eq!(first_found(absent, |l| l), Ok(None));
        let gone: Result<Option<Vec<u8>>, StepError> =
            Err(StepError::fatal("DBInstanceNotFound", "x"));
        assert_eq!(first_found(gone, |l| l), Ok(None));
        let other: Result<Option<Vec<u8>>, StepError> = Err(StepError::fatal("AccessDenied", "x"));
        assert!(first_found(other, |l| l).is_err());
    }
}
