//! iam: adapters (work in progress).
use super::{Cx, Found, ReadCx};
use crate::apply::{Outputs, StepError};

pub async fn create_role(cx: &Cx<'_>) -> Result<Outputs, StepError> {
    Err(StepError::fatal(
        "NotImplemented",
        format!("{}: not yet", cx.address()),
    ))
}

pub async fn update_role(cx: &Cx<'_>) -> Result<Outputs, StepError> {
    Err(StepError::fatal(
        "NotImplemented",
        format!("{}: not yet", cx.address()),
    ))
}

pub async fn delete_role(cx: &Cx<'_>) -> Result<Outputs, StepError> {
    Err(StepError::fatal(
        "NotImplemented",
        format!("{}: not yet", cx.address()),
    ))
}

pub async fn attach_policy(cx: &Cx<'_>) -> Result<Outputs, StepError> {
    Err(StepError::fatal(
        "NotImplemented",
        format!("{}: not yet", cx.address()),
    ))
}

pub async fn detach_policy(cx: &Cx<'_>) -> Result<Outputs, StepError> {
    Err(StepError::fatal(
        "NotImplemented",
        format!("{}: not yet", cx.address()),
    ))
}

pub async fn create_oidc_provider(cx: &Cx<'_>) -> Result<Outputs, StepError> {
    Err(StepError::fatal(
        "NotImplemented",
        format!("{}: not yet", cx.address()),
    ))
}

pub async fn update_oidc_provider(cx: &Cx<'_>) -> Result<Outputs, StepError> {
    Err(StepError::fatal(
        "NotImplemented",
        format!("{}: not yet", cx.address()),
    ))
}

pub async fn delete_oidc_provider(cx: &Cx<'_>) -> Result<Outputs, StepError> {
    Err(StepError::fatal(
        "NotImplemented",
        format!("{}: not yet", cx.address()),
    ))
}

pub async fn read(_rx: &ReadCx<'_>) -> Result<Vec<Found>, StepError> {
    Ok(Vec::new())
}
