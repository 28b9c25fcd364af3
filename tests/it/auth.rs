//! Accounts over real HTTP: register, login, me, and the bad-input matrix.

use crate::common::{unique_name, TestServer};
use serde_json::json;

#[tokio::test]
async fn register_login_me() {
    let srv = TestServer::start().await;
    let c = srv.client();
    let name = unique_name("ann");
    let ann = c.register(&name).await;
    let me = ann.get("/v1/me").await.expect(200);
    assert_eq!(me["username"], name.to_lowercase());
    assert_eq!(me["tier"], "free");
    let login = c
        .post(
            "/v1/auth/login",
            json!({"username": name, "password": "correct horse battery"}),
        )
        .await
        .expect(200);
    assert!(login["expires_at_ms"].as_i64().unwrap() > 0);
    let mut again = c.clone();
    again.token = login["token"].as_str().map(str::to_string);
    assert_eq!(again.get("/v1/me").await.expect(200)["id"], me["id"]);
}

#[tokio::test]
async fn bad_credentials_and_tokens() {
    let srv = TestServer::start().await;
    let c = srv.client();
    let name = unique_name("bob");
    let bob = c.register(&name).await;
    c.post(
        "/v1/auth/login",
        json!({"username": name, "password": "wrong password"}),
    )
    .await
    .expect_error(401, "unauthorized");
    c.post(
        "/v1/auth/login",
        json!({"username": "nobody-here", "password": "whatever123"}),
    )
    .await
    .expect_error(401, "unauthorized");
    c.get("/v1/me").await.expect_error(401, "unauthorized");
    let mut tampered = bob.clone();
    let t = bob.token().to_string();
    let flipped = if t.ends_with('A') { 'B' } else { 'A' };
    tampered.token = Some(format!("{}{}", &t[..t.len() - 1], flipped));
    tampered
        .get("/v1/me")
        .await
        .expect_error(401, "unauthorized");
    let mut garbage = bob.clone();
    garbage.token = Some("not-a-token".into());
    garbage
        .get("/v1/me")
        .await
        .expect_error(401, "unauthorized");
    // An expired token: signed with the server's key but already past its expiry.
    let mut expired = bob.clone();
    expired.token = Some(
        srv.state
            .tokens
            .issue_until(bob.user_id.as_deref().unwrap(), 1_000),
    );
    let body = expired
        .get("/v1/me")
        .await
        .expect_error(401, "unauthorized");
    assert!(body["message"].as_str().unwrap().contains("expired"));
}

#[tokio::test]
async fn registration_bad_input() {
    let srv = TestServer::start().await;
    let c = srv.client();
    let name = unique_name("dup");
    c.register(&name).await;
    c.post(
        "/v1/auth/register",
        json!({"username": name.to_uppercase(), "password": "long enough pw"}),
    )
    .await
    .expect_error(409, "conflict");
    c.post(
        "/v1/auth/register",
        json!({"username": "x", "password": "long enough pw"}),
    )
    .await
    .expect_error(400, "bad_request");
    c.post(
        "/v1/auth/register",
        json!({"username": unique_name("short"), "password": "short"}),
    )
    .await
    .expect_error(400, "bad_request");
    c.post("/v1/auth/register", json!({"password": "missing username"}))
        .await
        .expect_error(400, "bad_request");
    c.post(
        "/v1/auth/register",
        json!({"username": 42, "password": "wrong type!"}),
    )
    .await
    .expect_error(400, "bad_request");
    c.post_raw(
        "/v1/auth/register",
        "application/json",
        b"{not json".to_vec(),
    )
    .await
    .expect_error(400, "bad_request");
    let huge = "a".repeat(2 * 1024 * 1024);
    c.post_raw(
        "/v1/auth/register",
        "application/json",
        format!("{{\"username\":\"{huge}\"}}").into_bytes(),
    )
    .await
    .expect_error(413, "too_large");
}

#[tokio::test]
async fn login_attempts_are_rate_limited() {
    let srv = TestServer::start_with(|c| c.auth.login_attempts_per_minute = 3).await;
    let c = srv.client();
    for _ in 0..3 {
        c.post(
            "/v1/auth/login",
            json!({"username": "ghost-user", "password": "nope nope"}),
        )
        .await
        .expect_error(401, "unauthorized");
    }
    c.post(
        "/v1/auth/login",
        json!({"username": "ghost-user", "password": "nope nope"}),
    )
    .await
    .expect_error(429, "rate_limited");
}

#[tokio::test]
async fn accounts_survive_restart() {
    let srv = TestServer::start().await;
    let name = unique_name("keep");
    srv.client().register(&name).await;
    let srv = srv.restart().await;
    srv.client()
        .post(
            "/v1/auth/login",
            json!({"username": name, "password": "correct horse battery"}),
        )
        .await
        .expect(200);
}
