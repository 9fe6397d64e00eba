//! The live plan's zones: what `DescribeAvailabilityZones` lists for the account in the
//! connection's region (zone type `availability-zone`: Local and Wavelength Zones the account
//! opted into are not places for these subnets), handed to `plan::zones::choose`, which is pure.

use aws_sdk_ec2::types::Filter;

use super::errors::AwsResult;
use super::{Connection, ReadError};
use crate::plan::zones::OfferedZone;

/// The account's zones, or `None` when the credentials may not ask (the plan then keeps the
/// assumed zones and says so).
pub(crate) async fn offered(conn: &Connection) -> Result<Option<Vec<OfferedZone>>, ReadError> {
    let answer = conn
        .clients
        .ec2
        .describe_availability_zones()
        .filters(
            Filter::builder()
                .name("zone-type")
                .values("availability-zone")
                .build(),
        )
        .send()
        .await
        .aws();
    match answer {
        Ok(out) => Ok(Some(
            out.availability_zones()
                .iter()
                .filter(|z| z.zone_type().is_none_or(|t| t == "availability-zone"))
                .filter_map(|z| {
                    Some(OfferedZone {
                        name: z.zone_name()?.to_string(),
                        id: z.zone_id()?.to_string(),
                    })
                })
                .collect(),
        )),
        Err(e) if e.code.contains("AccessDenied") || e.code == "UnauthorizedOperation" => Ok(None),
        Err(error) => Err(ReadError {
            reader: "availability zones",
            error,
        }),
    }
}
