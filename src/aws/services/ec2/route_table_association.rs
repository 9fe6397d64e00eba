//! A subnet's explicit route table association. A subnet has at most one: creating it where the
//! subnet is associated elsewhere moves it (ReplaceRouteTableAssociation), and so does an update.
//! Read with its route table (`route_table.rs`): DescribeRouteTables brings the associations.

use super::ec2::filter;
use super::{Adapter, AwsResult, AwsStep, StepResult, deleted, outputs};
use crate::apply::StepError;
use crate::plan::ResourceKind;
use crate::plan::catalog::network::RouteTableAssociationProps;

pub(crate) struct RouteTableAssociation;

impl Adapter for RouteTableAssociation {
    const READ_WITH: Option<ResourceKind> = Some(ResourceKind::RouteTable);

    async fn create(step: &AwsStep<'_>) -> StepResult {
        let props: RouteTableAssociationProps = step.props()?;
        let subnet = step.resolve(&props.subnet)?;
        let table = step.resolve(&props.route_table)?;
        let id = match subnet_association(step, &subnet).await? {
            Some((id, current)) if current == table => id,
            Some((id, _)) => {
                // Associated elsewhere (a re-pointed subnet): move it.
                let out = step
                    .clients()
                    .ec2
                    .replace_route_table_association()
                    .association_id(id)
                    .route_table_id(&table)
                    .send()
                    .await
                    .aws()?;
                out.new_association_id().unwrap_or_default().to_string()
            }
            None => {
                let out = step
                    .clients()
                    .ec2
                    .associate_route_table()
                    .subnet_id(&subnet)
                    .route_table_id(&table)
                    .send()
                    .await
                    .aws()?;
                out.association_id()
                    .ok_or_else(|| {
                        StepError::transient("NoId", "AssociateRouteTable returned no id")
                    })?
                    .to_string()
            }
        };
        Ok(outputs(&id, None, Some(step.name())))
    }

    async fn update(step: &AwsStep<'_>) -> StepResult {
        Self::create(step).await
    }

    async fn delete(step: &AwsStep<'_>) -> StepResult {
        let id = step.existing_id()?;
        deleted(
            step.clients()
                .ec2
                .disassociate_route_table()
                .association_id(id)
                .send()
                .await
                .aws(),
        )
    }
}

/// The subnet's current explicit association: (association id, route table id).
async fn subnet_association(
    step: &AwsStep<'_>,
    subnet: &str,
) -> Result<Option<(String, String)>, StepError> {
    let out = step
        .clients()
        .ec2
        .describe_route_tables()
        .filters(filter("association.subnet-id", [subnet]))
        .send()
        .await
        .aws()?;
    Ok(out.route_tables().iter().find_map(|t| {
        t.associations().iter().find_map(|a| {
            (a.subnet_id() == Some(subnet)).then(|| {
                (
                    a.route_table_association_id()
                        .unwrap_or_default()
                        .to_string(),
                    a.route_table_id().unwrap_or_default().to_string(),
                )
            })
        })
    }))
}
