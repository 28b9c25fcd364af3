//! Operations endpoints and unknown routes.

use crate::common::{unique_name, ProcessServer, TestServer};

#[tokio::test]
async fn health_ready_metrics_and_404() {
    let srv = TestServer::start().await;
    let c = srv.client();
    assert_eq!(c.get("/healthz").await.expect(200)["status"], "ok");
    assert_eq!(c.get("/readyz").await.expect(200)["status"], "ready");
    c.new_user("metric").await;
    let text = reqwest::get(srv.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains("# TYPE segue_accounts_registered_total counter"),
        "{text}"
    );
    assert!(text.contains("segue_accounts_registered_total 1"), "{text}");
    c.get("/v1/nope").await.expect_error(404, "not_found");
}

#[tokio::test]
async fn http_requests_are_counted_by_route_pattern() {
    let srv = TestServer::start().await;
    let c = srv.client();
    c.get("/healthz").await.expect(200);
    c.get("/healthz").await.expect(200);
    c.get("/v1/nope/123").await.expect_error(404, "not_found");
    c.get("/v1/tracks/abc/stream")
        .await
        .expect_error(401, "unauthorized");
    let text = reqwest::get(srv.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains("# TYPE segue_http_requests_total counter"),
        "{text}"
    );
    assert!(
        text.contains("segue_http_requests_total{route=\"/healthz\",status=\"2xx\"} 2"),
        "{text}"
    );
    // The pattern, not the raw path, is the label.
    assert!(
        text.contains(
            "segue_http_requests_total{route=\"/v1/tracks/{id}/stream\",status=\"4xx\"} 1"
        ),
        "{text}"
    );
    assert!(!text.contains("/v1/tracks/abc"), "{text}");
    assert!(
        text.contains("segue_http_requests_total{route=\"unmatched\",status=\"4xx\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("# TYPE segue_http_request_duration_seconds histogram"),
        "{text}"
    );
    assert!(
        text.contains("segue_http_request_duration_seconds_count{route=\"/healthz\"} 2"),
        "{text}"
    );
    assert!(
        text.contains(
            "segue_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"+Inf\"} 2"
        ),
        "{text}"
    );
}

#[tokio::test]
async fn sigterm_shuts_down_cleanly_and_keeps_data() {
    let dir = tempfile::tempdir().unwrap();
    let mut proc = ProcessServer::start(dir.path(), &[]).await;
    let c = proc.client();
    let name = unique_name("term");
    c.register(&name).await;
    // Keep an idle keep-alive connection open: it must not hold up the shutdown.
    let keepalive = reqwest::Client::new();
    assert!(keepalive
        .get(proc.url("/healthz"))
        .send()
        .await
        .unwrap()
        .status()
        .is_success());
    let grace =
        std::time::Duration::from_millis(segue::config::Config::default().server.shutdown_grace_ms);
    let started = std::time::Instant::now();
    let status = proc
        .terminate(grace + std::time::Duration::from_secs(2))
        .await
        .expect("segue exits after SIGTERM within the grace period");
    assert!(status.success(), "clean exit code, got {status:?}");
    assert!(started.elapsed() < grace + std::time::Duration::from_secs(2));
    // The port is free again and the account survived.
    assert!(reqwest::get(proc.url("/healthz")).await.is_err());
    let again = ProcessServer::start(dir.path(), &[]).await;
    again
        .client()
        .post(
            "/v1/auth/login",
            serde_json::json!({"username": name, "password": "correct horse battery"}),
        )
        .await
        .expect(200);
}

/// `serve --demo` on a fresh data dir builds the search index in the background: `/readyz`
/// must not say ready before that build is searchable, so the first search after it finds the
/// demo catalog (it used to answer 200 at once and the first searches found nothing).
#[tokio::test]
async fn readyz_waits_until_the_demo_catalog_is_searchable() {
    let srv = TestServer::start_with(|c| c.server.demo = true).await;
    let anon = srv.client();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let r = anon.get("/readyz").await;
        if r.status == 200 {
            assert_eq!(r.body["status"], "ready");
            break;
        }
        assert_eq!(r.status, 503, "{}", r.body);
        assert_eq!(r.body["code"], "unavailable");
        assert_eq!(r.body["message"], "search index is catching up");
        assert!(
            std::time::Instant::now() < deadline,
            "search index never caught up"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // Immediately, with no retry: the catalog is searchable as soon as readiness says so.
    let body = anon.get("/v1/search?q=love&type=track").await.expect(200);
    let names: Vec<&str> = body["tracks"]["items"]
        .as_array()
        .expect("items array")
        .iter()
        .filter_map(|i| i["name"].as_str())
        .collect();
    assert!(
        names.iter().any(|n| n.to_lowercase().contains("love")),
        "{body}"
    );
    // The whole catalog, not a first few documents.
    assert!(
        body["tracks"]["total"].as_u64().unwrap_or(0) >= 300,
        "{body}"
    );
    // A restart finds the index built: ready at once.
    let srv = srv.restart().await;
    assert_eq!(
        srv.client().get("/readyz").await.expect(200)["status"],
        "ready"
    );
}
