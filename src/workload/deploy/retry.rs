//! Retries of every Kubernetes API call, as a layer of the kube client: 429 and 5xx answers and
//! lost connections are tried again after the jittered exponential backoff of `apply::backoff`;
//! any other answer (a 404, a 409, a 422) is the answer and goes back to the caller.
//!
//! Every call shinyctl makes to the cluster can be repeated safely: GET and LIST, server-side
//! apply (the same patch gives the same object) and DELETE by name (a repeat finds it gone, 404,
//! which prune and destroy treat as done). kube's own retry layer (429, 503 and 504 only, delays
//! of its own) is switched off so that backoff policy lives in one place.

use std::sync::Arc;
use std::time::Duration;

use http::{HeaderMap, Request, Response, StatusCode};
use kube::client::Body;
use tokio::time::Instant;
use tower::BoxError;

use crate::apply::backoff::{Jitter, RetryPolicy};

/// The retry policy of one request (tower clones it for each request it sends).
#[derive(Clone)]
pub(crate) struct KubeRetry {
    policy: RetryPolicy,
    jitter: Arc<Jitter>,
    /// Retries made so far for this request.
    retries: u32,
    /// When the first attempt failed.
    first_failure: Option<Instant>,
}

impl KubeRetry {
    pub(crate) fn new(policy: RetryPolicy) -> Self {
        KubeRetry {
            policy,
            jitter: Arc::new(Jitter::from_entropy()),
            retries: 0,
            first_failure: None,
        }
    }

    /// The delay before the next attempt after `outcome`, or `None` when it is not retried (a
    /// success, a 4xx other than 429, or the policy's attempts or time are spent). A server's
    /// `Retry-After` is honoured up to the policy's largest delay.
    fn next_delay(&mut self, outcome: Outcome) -> Option<Duration> {
        let retry_after = match outcome {
            Outcome::Answer(status, retry_after) if retryable(status) => retry_after,
            Outcome::Answer(..) => return None,
            Outcome::NoAnswer => None,
        };
        let first_failure = *self.first_failure.get_or_insert_with(Instant::now);
        if !self
            .policy
            .allows(self.retries + 1, first_failure.elapsed())
        {
            return None;
        }
        let backoff = self.policy.delay(self.retries, &self.jitter);
        self.retries += 1;
        Some(retry_after.map_or(backoff, |after| after.min(self.policy.cap).max(backoff)))
    }
}

/// What one attempt came back with.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Outcome {
    /// An HTTP answer, and its `Retry-After` in seconds.
    Answer(StatusCode, Option<Duration>),
    /// No answer: the connection failed or was lost, or the request timed out.
    NoAnswer,
}

/// Too many requests (API priority and fairness), or the API server (or the load balancer before
/// it) failing.
fn retryable(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error()
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get(http::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

impl<B> tower::retry::Policy<Request<Body>, Response<B>, BoxError> for KubeRetry {
    type Future = tokio::time::Sleep;

    fn retry(
        &mut self,
        _request: &mut Request<Body>,
        result: &mut Result<Response<B>, BoxError>,
    ) -> Option<Self::Future> {
        let outcome = match result {
            Ok(response) => Outcome::Answer(response.status(), retry_after(response.headers())),
            Err(_) => Outcome::NoAnswer,
        };
        self.next_delay(outcome).map(tokio::time::sleep)
    }

    fn clone_request(&mut self, request: &Request<Body>) -> Option<Request<Body>> {
        // Bodies shinyctl sends are whole byte buffers, which clone; a streamed one is not retried.
        let body = request.body().try_clone()?;
        let mut copy = Request::builder()
            .method(request.method().clone())
            .uri(request.uri().clone())
            .version(request.version())
            .body(body)
            .ok()?;
        *copy.headers_mut() = request.headers().clone();
        *copy.extensions_mut() = request.extensions().clone();
        Some(copy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: RetryPolicy = RetryPolicy {
        base: Duration::from_millis(100),
        cap: Duration::from_secs(1),
        max_attempts: 4,
        max_elapsed: Duration::from_secs(60),
    };

    fn answer(status: u16) -> Outcome {
        Outcome::Answer(StatusCode::from_u16(status).expect("a status"), None)
    }

    #[tokio::test(start_paused = true)]
    async fn throttling_server_errors_and_lost_connections_are_retried() {
        for outcome in [
            answer(429),
            answer(500),
            answer(502),
            answer(503),
            Outcome::NoAnswer,
        ] {
            let mut retry = KubeRetry::new(POLICY);
            let delay = retry.next_delay(outcome);
            assert!(delay.is_some_and(|d| d <= POLICY.base), "{outcome:?}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn answers_other_than_those_are_final() {
        for status in [200, 201, 400, 401, 403, 404, 409, 422] {
            let mut retry = KubeRetry::new(POLICY);
            assert_eq!(retry.next_delay(answer(status)), None, "{status}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn attempts_are_bounded_and_delays_stay_under_the_ceiling() {
        let mut retry = KubeRetry::new(POLICY);
        let delays: Vec<Duration> = std::iter::from_fn(|| retry.next_delay(answer(503))).collect();
        assert_eq!(delays.len(), 3, "four attempts: three retries");
        for (n, delay) in delays.iter().enumerate() {
            assert!(*delay <= POLICY.ceiling(n as u32));
        }
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_is_honoured_up_to_the_cap() {
        let mut retry = KubeRetry::new(POLICY);
        let outcome = Outcome::Answer(StatusCode::TOO_MANY_REQUESTS, Some(Duration::from_secs(30)));
        assert_eq!(retry.next_delay(outcome), Some(POLICY.cap));
        let mut headers = HeaderMap::new();
        headers.insert(http::header::RETRY_AFTER, "2".parse().expect("a header"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(2)));
        headers.insert(http::header::RETRY_AFTER, "soon".parse().expect("a header"));
        assert_eq!(retry_after(&headers), None);
    }

    /// A stand-in API server on 127.0.0.1 that answers each request with the next of `statuses`
    /// (then 200), a ConfigMap as the body; answers the URL and the number of requests it got.
    async fn server(statuses: Vec<u16>) -> (String, Arc<std::sync::atomic::AtomicUsize>) {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port");
        let url = format!("http://{}", listener.local_addr().expect("an address"));
        let count = Arc::new(AtomicUsize::new(0));
        let seen = count.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let n = seen.fetch_add(1, Ordering::SeqCst);
                let status = statuses.get(n).copied().unwrap_or(200);
                let mut buffer = vec![0u8; 64 * 1024];
                let _ = stream.read(&mut buffer).await;
                let body = if status == 200 {
                    r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x","namespace":"sp"}}"#
                        .to_string()
                } else {
                    format!(
                        r#"{{"kind":"Status","apiVersion":"v1","status":"Failure","message":"m","reason":"r","code":{status}}}"#
                    )
                };
                let answer = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(answer.as_bytes()).await;
                let _ = stream.shutdown().await;
            }
        });
        (url, count)
    }

    async fn get_config_map(url: &str) -> Result<(), kube::Error> {
        let policy = RetryPolicy {
            base: Duration::from_millis(10),
            cap: Duration::from_millis(20),
            max_attempts: 4,
            max_elapsed: Duration::from_secs(30),
        };
        let client = super::super::client_with_retries(url, None, "a-token", policy)
            .await
            .expect("a client");
        let api: kube::Api<k8s_openapi::api::core::v1::ConfigMap> =
            kube::Api::namespaced(client, "sp");
        api.get("x").await.map(drop)
    }

    #[tokio::test]
    async fn a_client_call_converges_through_throttling_and_server_errors() {
        use std::sync::atomic::Ordering;
        let (url, count) = server(vec![429, 503, 500]).await;
        get_config_map(&url)
            .await
            .expect("the fourth attempt answers");
        assert_eq!(count.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn a_client_call_gives_up_after_its_attempts_and_never_retries_a_404() {
        use std::sync::atomic::Ordering;
        let (url, count) = server(vec![503; 10]).await;
        match get_config_map(&url).await {
            Err(kube::Error::Api(status)) => assert_eq!(status.code, 503),
            other => panic!("{other:?}"),
        }
        assert_eq!(count.load(Ordering::SeqCst), 4, "four attempts");
        let (url, count) = server(vec![404]).await;
        match get_config_map(&url).await {
            Err(kube::Error::Api(status)) => assert_eq!(status.code, 404),
            other => panic!("{other:?}"),
        }
        assert_eq!(count.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn requests_with_whole_bodies_are_cloned_with_their_headers() {
        let mut retry = KubeRetry::new(POLICY);
        let request = Request::builder()
            .method("PATCH")
            .uri("http://127.0.0.1/api/v1/namespaces/sp/configmaps/x")
            .header("content-type", "application/apply-patch+yaml")
            .body(Body::from(b"{}".to_vec()))
            .expect("a request");
        let copy = <KubeRetry as tower::retry::Policy<_, Response<()>, BoxError>>::clone_request(
            &mut retry, &request,
        )
        .expect("cloned");
        assert_eq!(copy.method(), "PATCH");
        assert_eq!(copy.uri(), request.uri());
        assert_eq!(copy.headers(), request.headers());
    }
}
