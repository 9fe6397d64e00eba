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

use std::sync::Arc;

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
) -> SharedHttpClient {
    GatedClient {
        inner,
        permits: Arc::new(PrioritySlots::new(permits)),
        limiter,
    }
    .into_shared()
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
        HttpConnectorFuture::new(async move {
            if let Some(call) = call {
                limiter.acquire(call.service, &call.action).await;
            }
            let _permit = permits.acquire_owned(priority).await;
            inner.call(request).await
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
}
