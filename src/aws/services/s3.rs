//! s3: adapters (work in progress).
use super::{Cx, Found, ReadCx};
use crate::apply::{Outputs, StepError};

pub async fn create_bucket(cx: &Cx<'_>) -> Result<Outputs, StepError> {
    Err(StepError::fatal(
        "NotImplemented",
        format!("{}: not yet", cx.address()),
    ))
}

pub async fn update_bucket(cx: &Cx<'_>) -> Result<Outputs, StepError> {
    Err(StepError::fatal(
        "NotImplemented",
        format!("{}: not yet", cx.address()),
    ))
}

pub async fn delete_bucket(cx: &Cx<'_>) -> Result<Outputs, StepError> {
    Err(StepError::fatal(
        "NotImplemented",
        format!("{}: not yet", cx.address()),
    ))
}

pub async fn read(_rx: &ReadCx<'_>) -> Result<Vec<Found>, StepError> {
    Ok(Vec::new())
}
