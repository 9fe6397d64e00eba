//! The emulator refuses what AWS's model refuses, and the AWS SDK for Rust reads the refusal as
//! AWS's: one valid and one mutated request per protocol family (EC2 query, query, awsJson,
//! restJson, restXml, rpc-v2-CBOR), asserting the error code and HTTP status the SDK sees
//! (tests/emulator/shinyemu/model_validation.py lists each service's code and its source).

use aws_sdk_iam::error::ProvideErrorMetadata;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use shinyctl::aws::Connection;

use super::emulator;
use super::live_common;

/// A fresh account in us-east-1.
async fn connect() -> Connection {
    live_common::connect(&emulator::account()).await
}

/// (code, HTTP status, message) of a refused call.
fn refusal<T: std::fmt::Debug, E: ProvideErrorMetadata + std::fmt::Debug>(
    result: Result<T, SdkError<E, HttpResponse>>,
) -> (String, u16, String) {
    let err = result.expect_err("the emulator refuses it");
    let status = err.raw_response().map(|r| r.status().as_u16()).unwrap_or(0);
    (
        err.code().unwrap_or_default().to_string(),
        status,
        err.message().unwrap_or_default().to_string(),
    )
}

const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[]}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_iam_refuses_a_tag_value_outside_the_pattern() {
    let conn = connect().await;
    let tag = |value: &str| {
        aws_sdk_iam::types::Tag::builder()
            .key("shinyctl.dev/address")
            .value(value)
            .build()
            .unwrap()
    };
    conn.clients
        .iam
        .create_role()
        .role_name("shiny-ok")
        .assume_role_policy_document(POLICY)
        .tags(tag("storage.efs_access_point.shared-data"))
        .send()
        .await
        .expect("a valid role is created");
    let (code, status, message) = refusal(
        conn.clients
            .iam
            .create_role()
            .role_name("shiny-bad")
            .assume_role_policy_document(POLICY)
            .tags(tag("storage.efs_access_point[shared-data]"))
            .send()
            .await,
    );
    assert_eq!((code.as_str(), status), ("ValidationError", 400));
    assert!(message.contains("at 'tags.1.member.value'"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ec2_refuses_an_unknown_enum_value() {
    let conn = connect().await;
    let spec = |kind: &str| {
        aws_sdk_ec2::types::TagSpecification::builder()
            .resource_type(aws_sdk_ec2::types::ResourceType::from(kind))
            .build()
    };
    conn.clients
        .ec2
        .create_vpc()
        .cidr_block("10.40.0.0/16")
        .tag_specifications(spec("vpc"))
        .send()
        .await
        .expect("a valid VPC is created");
    let (code, status, _) = refusal(
        conn.clients
            .ec2
            .create_vpc()
            .cidr_block("10.41.0.0/16")
            .tag_specifications(spec("vpcx"))
            .send()
            .await,
    );
    assert_eq!((code.as_str(), status), ("InvalidParameterValue", 400));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_secrets_manager_refuses_a_name_too_long() {
    let conn = connect().await;
    let sm = &conn.clients.secretsmanager;
    sm.create_secret()
        .name("shiny/db")
        .secret_string("s3cret")
        .send()
        .await
        .expect("a valid secret is created");
    let (code, status, message) = refusal(
        sm.create_secret()
            .name("n".repeat(513))
            .secret_string("s3cret")
            .send()
            .await,
    );
    assert_eq!((code.as_str(), status), ("ValidationException", 400));
    assert!(!message.contains("s3cret"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_tagging_refuses_too_many_arns() {
    let conn = connect().await;
    let tagging = &conn.clients.tagging;
    tagging.get_resources().send().await.expect("a valid read");
    let mut call = tagging.tag_resources().tags("a", "b");
    for i in 0..21 {
        call = call.resource_arn_list(format!("arn:aws:sns:us-east-1:123456789012:t{i}"));
    }
    let (code, status, _) = refusal(call.send().await);
    assert_eq!((code.as_str(), status), ("InvalidParameterException", 400));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_json_eks_refuses_a_name_outside_the_pattern() {
    let conn = connect().await;
    let eks = &conn.clients.eks;
    eks.list_clusters().send().await.expect("a valid read");
    let vpc = aws_sdk_eks::types::VpcConfigRequest::builder()
        .subnet_ids("subnet-1")
        .build();
    let (code, status, message) = refusal(
        eks.create_cluster()
            .name("-shiny")
            .role_arn("arn:aws:iam::123456789012:role/shiny")
            .resources_vpc_config(vpc)
            .send()
            .await,
    );
    assert_eq!((code.as_str(), status), ("InvalidParameterException", 400));
    assert!(message.contains("at 'name'"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_xml_s3_refuses_an_unknown_storage_class_header() {
    let conn = connect().await;
    let s3 = &conn.clients.s3;
    s3.create_bucket()
        .bucket("shiny-validation")
        .send()
        .await
        .expect("bucket");
    s3.put_object()
        .bucket("shiny-validation")
        .key("k")
        .storage_class(aws_sdk_s3::types::StorageClass::Standard)
        .send()
        .await
        .expect("a valid put");
    let (code, status, _) = refusal(
        s3.put_object()
            .bucket("shiny-validation")
            .key("k")
            .storage_class(aws_sdk_s3::types::StorageClass::from("COLDEST"))
            .send()
            .await,
    );
    assert_eq!((code.as_str(), status), ("InvalidArgument", 400));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cbor_cloudwatch_refuses_an_alarm_name_too_long() {
    let conn = connect().await;
    let cw = &conn.clients.cloudwatch;
    let alarm = |name: String| {
        cw.put_metric_alarm()
            .alarm_name(name)
            .metric_name("m")
            .namespace("shiny")
            .statistic(aws_sdk_cloudwatch::types::Statistic::Average)
            .period(60)
            .evaluation_periods(1)
            .threshold(1.0)
            .comparison_operator(
                aws_sdk_cloudwatch::types::ComparisonOperator::GreaterThanThreshold,
            )
    };
    alarm("shiny".into()).send().await.expect("a valid alarm");
    let (code, status, message) = refusal(alarm("a".repeat(256)).send().await);
    assert_eq!((code.as_str(), status), ("ValidationError", 400));
    assert!(message.contains("at 'alarmName'"), "{message}");
}
