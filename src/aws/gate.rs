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

use std::sync::Arc;

use aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::shared::IntoShared;

use crate::apply::slots::{PrioritySlots, call_priority};

/// `inner` with at most `permits` requests in flight at once.
pub fn gated(inner: SharedHttpClient, permits: usize) -> SharedHttpClient {
    GatedClient {
        inner,
        permits: Arc::new(PrioritySlots::new(permits)),
    }
    .into_shared()
}

#[derive(Debug)]
struct GatedClient {
    inner: SharedHttpClient,
    permits: Arc<PrioritySlots>,
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
}

impl HttpConnector for GatedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        // Read now: the SDK calls this inside the step's future, where its priority is set.
        let priority = call_priority();
        let inner = self.inner.clone();
        let permits = self.permits.clone();
        HttpConnectorFuture::new(async move {
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
}
