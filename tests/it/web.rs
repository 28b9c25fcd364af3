//! The web player's pages and files at `/` (src/http/routes/web.rs); the player itself is tested
//! in a real browser by web-demo/tests/run.sh.

use crate::common::TestServer;

async fn fetch(url: &str) -> (u16, String, String, String) {
    let r = reqwest::get(url).await.unwrap();
    let status = r.status().as_u16();
    let header = |k: &str| {
        r.headers()
            .get(k)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let (ct, cc) = (header("content-type"), header("cache-control"));
    (status, ct, cc, r.text().await.unwrap())
}

#[tokio::test]
async fn serves_the_player_and_its_links_without_shadowing_the_api() {
    let server = TestServer::start().await;
    let (status, ct, cc, body) = fetch(&server.url("/")).await;
    assert_eq!(status, 200);
    assert!(ct.starts_with("text/html"), "content type {ct}");
    assert_eq!(cc, "no-cache");
    assert!(body.contains("/js/app.js"), "index.html loads the app");

    // Group session and invite links are the app too (it reads the code from the URL).
    for path in ["/join/AB12CD", "/invite/some-token", "/index.html"] {
        let (status, _, _, page) = fetch(&server.url(path)).await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(page, body, "{path} is index.html");
    }

    let (status, ct, _, js) = fetch(&server.url("/js/app.js")).await;
    assert_eq!(status, 200);
    assert!(ct.contains("javascript"), "content type {ct}");
    assert!(js.contains("import"));
    let (status, ct, _, _) = fetch(&server.url("/css/app.css")).await;
    assert_eq!(status, 200);
    assert!(ct.starts_with("text/css"), "content type {ct}");

    // Nothing outside the asset folders, and no hidden files.
    for path in [
        "/js/../Cargo.toml",
        "/js/%2e%2e/Cargo.toml",
        "/js/.hidden",
        "/js/nope.js",
        "/Cargo.toml",
    ] {
        let (status, ct, _, _) = fetch(&server.url(path)).await;
        assert_eq!(status, 404, "{path}");
        assert!(ct.starts_with("application/json"), "{path}: {ct}");
    }

    // API routes and the JSON 404 are unaffected.
    let (status, _, _, ready) = fetch(&server.url("/readyz")).await;
    assert_eq!(status, 200);
    assert!(ready.contains("ready"));
    let (status, ct, _, body) = fetch(&server.url("/v1/no-such-route")).await;
    assert_eq!(status, 404);
    assert!(ct.starts_with("application/json"));
    assert!(body.contains("not_found"));
}

#[tokio::test]
async fn web_dir_is_configurable() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("js")).unwrap();
    std::fs::write(dir.path().join("index.html"), "<p>custom player</p>").unwrap();
    std::fs::write(dir.path().join("js/x.js"), "export const x = 1;").unwrap();
    let web = dir.path().to_string_lossy().into_owned();
    let server = TestServer::start_with(|c| c.server.web_dir = web).await;
    let (status, _, _, body) = fetch(&server.url("/")).await;
    assert_eq!(status, 200);
    assert_eq!(body, "<p>custom player</p>");
    let (status, _, _, body) = fetch(&server.url("/js/x.js")).await;
    assert_eq!(status, 200);
    assert_eq!(body, "export const x = 1;");

    // A missing folder is a clear 404, not a crash.
    let server =
        TestServer::start_with(|c| c.server.web_dir = "/nonexistent/segue-web".into()).await;
    let (status, ct, _, body) = fetch(&server.url("/")).await;
    assert_eq!(status, 404);
    assert!(ct.starts_with("application/json"));
    assert!(body.contains("server.web_dir"), "{body}");
}
