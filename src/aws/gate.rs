//! A bound on AWS calls in flight, with the waiting call of the most urgent step sent first.
//!
//! The executor's slots order steps, but once a few dozen steps run, their calls race for the
//! endpoint in whatever order they happen to be sent. An endpoint that answers a limited number of
//! calls at once (the local emulator is one Python process) then serves the critical path's next
//! call after every quick call queued before it; against AWS, the account's request-rate limits
//! play that part. This HTTP client wraps the SDK's: each request waits for one of
//! [`Target::calls_in_flight`](super::Target::calls_in_flight) permits, handed out by
//! [`call_priority`] (the step's remaining chain, [`crate::apply::slots`]), and holds it until the
//! answer's head arrives. Retries are requests too, so each attempt waits its turn.
//!
//! It also spends the rate-limit token of every request it forwards: each client names its
//! service and the SDK names the operation ([`NameTheCall`], added to every client by
//! `aws::clients`), so no adapter, reader or check takes a token by hand and none can forget
//! one. Each attempt takes its token, as each attempt counts against AWS's own buckets.
//!
//! With `--call-log FILE` it also notes each attempt's service, operation, when it was sent and
//! when its answer's head came ([`CallLog`]): what the benchmark counts round trips from, as the
//! caller sees them rather than as a one-process emulator happens to serve them.

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::shared::IntoShared;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextMut;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_types::config_bag::ConfigBag;

use crate::apply::limits::RateLimiter;
use crate::apply::slots::{PrioritySlots, call_priority};

/// `inner` with at most `permits` requests in flight at once, each spending its rate-limit token
/// from `limiter` first.
pub(crate) fn gated(
    inner: SharedHttpClient,
    permits: usize,
    limiter: Arc<RateLimiter>,
    log: Option<Arc<CallLog>>,
) -> SharedHttpClient {
    GatedClient {
        inner,
        permits: Arc::new(PrioritySlots::new(permits)),
        limiter,
        log,
    }
    .into_shared()
}

/// `--call-log`: one JSON line per request attempt, `{"service", "operation", "sent",
/// "answered", "status"}` (Unix seconds; the HTTP status, or none when no answer came). Names
/// and times only: never a request's parameters or an answer's body, so nothing secret.
#[derive(Debug)]
pub(crate) struct CallLog {
    file: Mutex<std::fs::File>,
}

impl CallLog {
    /// A new log at `path` (emptied if it exists).
    pub(crate) fn create(path: &Path) -> std::io::Result<CallLog> {
        Ok(CallLog {
            file: Mutex::new(std::fs::File::create(path)?),
        })
    }

    fn note(
        &self,
        call: Option<&AwsCall>,
        sent: SystemTime,
        answered: SystemTime,
        status: Option<u16>,
    ) {
        let seconds = |t: SystemTime| {
            t.duration_since(UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64())
        };
        let mut line = serde_json::json!({
            "service": call.map_or("unknown", |c| c.service),
            "operation": call.map_or("", |c| c.action.as_str()),
            "sent": seconds(sent),
            "answered": seconds(answered),
            "status": status,
        })
        .to_string();
        line.push('\n');
        // The whole line in one write under the lock, so lines of calls answered together do not
        // interleave. A failed write (a full disk) loses a line of the log, never the call it
        // describes.
        let mut file = self
            .file
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let _ = file.write_all(line.as_bytes());
    }
}

/// Which call a request is: `(service, action)` as the rate limits name them (`"ec2"`,
/// `"CreateVpc"`). Carried on the request from [`NameTheCall`] to the gate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AwsCall {
    pub(crate) service: &'static str,
    pub(crate) action: String,
}

/// Names every request of one service's client for the gate: the service as shinyctl's rate
/// limits call it, the action from the SDK's operation metadata.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NameTheCall(pub(crate) &'static str);

impl Intercept for NameTheCall {
    fn name(&self) -> &'static str {
        "NameTheCall"
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let action = cfg
            .load::<Metadata>()
            .map(|m| m.name().to_string())
            .unwrap_or_default();
        context.request_mut().add_extension(AwsCall {
            service: self.0,
            action,
        });
        Ok(())
    }
}

#[derive(Debug)]
struct GatedClient {
    inner: SharedHttpClient,
    permits: Arc<PrioritySlots>,
    limiter: Arc<RateLimiter>,
    log: Option<Arc<CallLog>>,
}

impl HttpClient for GatedClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        GatedConnector {
            inner: self.inner.http_connector(settings, components),
            permits: self.permits.clone(),
            limiter: self.limiter.clone(),
            log: self.log.clone(),
        }
        .into_shared()
    }

    fn connector_metadata(&self) -> Option<ConnectorMetadata> {
        self.inner.connector_metadata()
    }
}

#[derive(Debug)]
struct GatedConnector {
    inner: SharedHttpConnector,
    permits: Arc<PrioritySlots>,
    limiter: Arc<RateLimiter>,
    log: Option<Arc<CallLog>>,
}

impl HttpConnector for GatedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        // Read now: the SDK calls this inside the step's future, where its priority is set.
        let priority = call_priority();
        let call = request.extension::<AwsCall>().cloned();
        if let Some(call) = &call {
            super::reader::check_declared(call.service, &call.action);
        }
        let inner = self.inner.clone();
        let permits = self.permits.clone();
        let limiter = self.limiter.clone();
        let log = self.log.clone();
        HttpConnectorFuture::new(async move {
            if let Some(call) = &call {
                limiter.acquire(call.service, &call.action).await;
            }
            let _permit = permits.acquire_owned(priority).await;
            let sent = SystemTime::now();
            let answer = inner.call(request).await;
            if let Some(log) = log {
                let status = answer.as_ref().ok().map(|a| a.status().as_u16());
                log.note(call.as_ref(), sent, SystemTime::now(), status);
            }
            answer
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;

    use super::*;
    use crate::apply::slots::with_call_priority;

    /// An endpoint that notes each call's priority and how many were in flight at once.
    #[derive(Debug, Default)]
    struct Recording {
        order: Mutex<Vec<f64>>,
        in_flight: AtomicUsize,
        most_in_flight: AtomicUsize,
    }

    #[derive(Debug)]
    struct RecordingConnector(Arc<Recording>);

    impl HttpConnector for RecordingConnector {
        fn call(&self, _request: HttpRequest) -> HttpConnectorFuture {
            let recording = self.0.clone();
            HttpConnectorFuture::new(async move {
                let now = recording.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                recording.most_in_flight.fetch_max(now, Ordering::SeqCst);
                recording.order.lock().unwrap().push(call_priority());
                tokio::time::sleep(Duration::from_millis(10)).await;
                recording.in_flight.fetch_sub(1, Ordering::SeqCst);
                let ok = StatusCode::try_from(200).expect("a status");
                Ok(HttpResponse::new(ok, SdkBody::empty()))
            })
        }
    }

    #[tokio::test(start_paused = true)]
    async fn calls_wait_for_a_permit_and_the_most_urgent_goes_first() {
        let recording = Arc::new(Recording::default());
        let connector = GatedConnector {
            inner: RecordingConnector(recording.clone()).into_shared(),
            permits: Arc::new(PrioritySlots::new(1)),
            limiter: Arc::new(RateLimiter::new(Default::default())),
            log: None,
        };
        let call = |priority: Option<f64>| {
            let connector = &connector;
            async move {
                // As the SDK does: the connector is called inside the step's future.
                let send = async { connector.call(HttpRequest::empty()).await };
                match priority {
                    Some(priority) => with_call_priority(priority, send).await,
                    None => send.await,
                }
                .expect("an answer")
            }
        };
        tokio::join!(
            call(Some(1.0)),
            call(Some(5.0)),
            call(Some(3.0)),
            call(None)
        );
        // The first takes the free permit; then the call outside any step, then by priority.
        assert_eq!(
            *recording.order.lock().unwrap(),
            [1.0, f64::INFINITY, 5.0, 3.0]
        );
        assert_eq!(recording.most_in_flight.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn every_named_request_spends_its_token_and_unnamed_ones_none() {
        let recording = Arc::new(Recording::default());
        let limiter = Arc::new(RateLimiter::new(Default::default()));
        let connector = GatedConnector {
            inner: RecordingConnector(recording).into_shared(),
            permits: Arc::new(PrioritySlots::new(4)),
            limiter: limiter.clone(),
            log: None,
        };
        let named = || {
            let mut request = HttpRequest::empty();
            request.add_extension(AwsCall {
                service: "ec2",
                action: "DescribeVpcs".into(),
            });
            request
        };
        connector.call(named()).await.expect("answer");
        connector.call(named()).await.expect("answer");
        connector.call(HttpRequest::empty()).await.expect("answer");
        let spent = limiter.spent();
        assert_eq!(spent.len(), 1, "{spent:?}");
        assert_eq!(spent[&("ec2".to_string(), "DescribeVpcs".to_string())], 2);
    }

    #[tokio::test]
    async fn the_call_log_notes_each_attempt_by_name_and_time() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("calls.jsonl");
        let connector = GatedConnector {
            inner: RecordingConnector(Arc::new(Recording::default())).into_shared(),
            permits: Arc::new(PrioritySlots::new(4)),
            limiter: Arc::new(RateLimiter::new(Default::default())),
            log: Some(Arc::new(CallLog::create(&path).expect("a log"))),
        };
        let mut request = HttpRequest::empty();
        request.add_extension(AwsCall {
            service: "s3",
            action: "GetBucketVersioning".into(),
        });
        connector.call(request).await.expect("answer");
        connector.call(HttpRequest::empty()).await.expect("answer");
        let lines: Vec<serde_json::Value> = std::fs::read_to_string(&path)
            .expect("the log")
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["service"], "s3");
        assert_eq!(lines[0]["operation"], "GetBucketVersioning");
        assert_eq!(lines[0]["status"], 200);
        assert_eq!(lines[1]["service"], "unknown");
        let (sent, answered) = (lines[0]["sent"].as_f64(), lines[0]["answered"].as_f64());
        assert!(
            answered.expect("answered") >= sent.expect("sent"),
            "{lines:?}"
        );
    }
}
