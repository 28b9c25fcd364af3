//! Operations endpoints and unknown routes.

use crate::common::TestServer;

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
