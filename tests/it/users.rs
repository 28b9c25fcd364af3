//! `GET /v1/users/{id}`: the display name behind a user id, for any signed-in user; 404 for an
//! unknown id, 401 without a token, and nothing private (username, tier) in the answer.

use crate::common::TestServer;

#[tokio::test]
async fn a_user_id_resolves_to_its_display_name_only() {
    let s = TestServer::start().await;
    let anon = s.client();
    let ann = anon.new_user("ann").await;
    let bob = anon.new_user("bob").await;
    let ann_id = ann.user_id.clone().expect("ann's id");

    let b = bob.get(&format!("/v1/users/{ann_id}")).await.expect(200);
    assert_eq!(b["user_id"], ann_id.as_str(), "{b}");
    assert!(
        b["display_name"]
            .as_str()
            .is_some_and(|n| n.starts_with("ann")),
        "{b}"
    );
    assert!(
        b.get("username").is_none() && b.get("tier").is_none(),
        "{b}"
    );

    bob.get("/v1/users/no-such-user")
        .await
        .expect_error(404, "not_found");
    anon.get(&format!("/v1/users/{ann_id}"))
        .await
        .expect_error(401, "unauthorized");
}
