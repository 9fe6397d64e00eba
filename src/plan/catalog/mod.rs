//! The resource catalog: a validated blueprint becomes the AWS resources it asks for, each with a
//! stable address, its AWS name, desired properties and dependencies. Pure: no IO.

pub mod partition;
pub mod subnets;

pub use partition::{Partition, partition};
pub use subnets::{SubnetLayout, carve};
