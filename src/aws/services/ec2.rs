//! ec2: adapters (work in progress).
use super::{Cx, Found, ReadCx};
use crate::apply::{Outputs, StepError};

pub async fn create_vpc(cx: &Cx<'_>) -> Result<Outputs, StepError> {
    Err(StepError::fatal(
        "NotImplemented",
        format!("{}: not yet", cx.address()),
    ))
}

pub async fn update_vpc(cx: &Cx<'_>) -> Result<Outputs, StepError> {
    Err(StepError::fatal(
        "NotImplemented",
        format!("{}: not yet", cx.address()),
    ))
}

pub async fn delete_vpc(cx: &Cx<'_>) -> Result<Outputs, StepError> {
    Err(StepError::fatal(
        "NotImplemented",
        format!("{}: not yet", cx.address()),
    ))
}

pub async fn create_subnet(cx: &Cx<'_>) -> Result<Outputs, StepError> {
    Err(StepError::fatal(
        "NotImplemented",
        format!("{}: not yet", cx.address()),
    ))
}

pub async fn update_subnet(cx: &Cx<'_>) -> Result<Outputs, StepError> {
    Err(StepError::fatal(
        "NotImplemented",
        format!("{}: not yet", cx.address()),
    ))
}

pub async fn delete_subnet(cx: &Cx<'_>) -> Result<Outputs, StepError> {
    Err(StepError::fatal(
        "NotImplemented",
        format!("{}: not yet", cx.address()),
    ))
}

pub async fn create_internet_gateway(cx: &Cx<'_>) -> Result<Outputs, StepError> {
    Err(StepError::fatal(
        "NotImplemented",
        format!("{}: not yet", cx.address()),
    ))
}

pub async fn update_tags(cx: &Cx<'_>) -> Result<Outputs, StepError> {
    Err(StepError::fatal(
        "NotImplemented",
        format!("{}: not yet", cx.address()),
    ))
}

pub async fn delete_internet_gateway(cx: &Cx<'_>) -> Result<Outputs, StepError> {
    Err(StepError::fatal(
        "NotImplemented",
        format!("{}: not yet", cx.address()),
    ))
}

pub async fn create_elastic_ip(cx: &Cx<'_>) -> Result<Outputs, StepError> {
    Err(StepError::fatal(
        "NotImplemented",
        format!("{}: not yet", cx.address()),
    ))
}

pub async fn delete_elastic_ip(cx: &Cx<'_>) -> Result<Outputs, StepError> {
    Err(StepError::fatal(
        "NotImplemented",
        format!("{}: not yet", cx.address()),
    ))
}

pub async fn create_nat_gateway(cx: &Cx<'_>) -> Result<Outputs, StepError> {
    Err(StepError::fatal(
        "NotImplemented",
        format!("{}: not yet", cx.address()),
    ))
}

pub async fn delete_nat_gateway(cx: &Cx<'_>) -> Result<Outputs, StepError> {
    Err(StepError::fatal(
        "NotImplemented",
        format!("{}: not yet", cx.address()),
    ))
}

pub async fn create_route_table(cx: &Cx<'_>) -> Result<Outputs, StepError> {
    Err(StepError::fatal(
        "NotImplemented",
        format!("{}: not yet", cx.address()),
    ))
}

pub async fn delete_route_table(cx: &Cx<'_>) -> Result<Outputs, StepError> {
    Err(StepError::fatal(
        "NotImplemented",
        format!("{}: not yet", cx.address()),
    ))
}

pub async fn create_association(cx: &Cx<'_>) -> Result<Outputs, StepError> {
    Err(StepError::fatal(
        "NotImplemented",
        format!("{}: not yet", cx.address()),
    ))
}

pub async fn update_association(cx: &Cx<'_>) -> Result<Outputs, StepError> {
    Err(StepError::fatal(
        "NotImplemented",
        format!("{}: not yet", cx.address()),
    ))
}

pub async fn delete_association(cx: &Cx<'_>) -> Result<Outputs, StepError> {
    Err(StepError::fatal(
        "NotImplemented",
        format!("{}: not yet", cx.address()),
    ))
}

pub async fn create_route(cx: &Cx<'_>) -> Result<Outputs, StepError> {
    Err(StepError::fatal(
        "NotImplemented",
        format!("{}: not yet", cx.address()),
    ))
}

pub async fn delete_route(cx: &Cx<'_>) -> Result<Outputs, StepError> {
    Err(StepError::fatal(
        "NotImplemented",
        format!("{}: not yet", cx.address()),
    ))
}

pub async fn create_security_group(cx: &Cx<'_>) -> Result<Outputs, StepError> {
    Err(StepError::fatal(
        "NotImplemented",
        format!("{}: not yet", cx.address()),
    ))
}

pub async fn delete_security_group(cx: &Cx<'_>) -> Result<Outputs, StepError> {
    Err(StepError::fatal(
        "NotImplemented",
        format!("{}: not yet", cx.address()),
    ))
}

pub async fn create_security_group_rule(cx: &Cx<'_>) -> Result<Outputs, StepError> {
    Err(StepError::fatal(
        "NotImplemented",
        format!("{}: not yet", cx.address()),
    ))
}

pub async fn update_security_group_rule(cx: &Cx<'_>) -> Result<Outputs, StepError> {
    Err(StepError::fatal(
        "NotImplemented",
        format!("{}: not yet", cx.address()),
    ))
}

pub async fn delete_security_group_rule(cx: &Cx<'_>) -> Result<Outputs, StepError> {
    Err(StepError::fatal(
        "NotImplemented",
        format!("{}: not yet", cx.address()),
    ))
}

pub async fn read_network(_rx: &ReadCx<'_>) -> Result<Vec<Found>, StepError> {
    Ok(Vec::new())
}

pub async fn read_security_groups(_rx: &ReadCx<'_>) -> Result<Vec<Found>, StepError> {
    Ok(Vec::new())
}
