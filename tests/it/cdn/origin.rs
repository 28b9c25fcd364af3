//! The local `/cdn/` origin: full and ranged responses, HEAD, caching headers, and every way a
//! URL can be refused (tampered, expired, foreign key, changed user or path, traversal).

use super::{audio_bytes, start, user};
use crate::common::TestServer;
use segue::cdn::Signer;
use segue::storage::Tier;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A signed local URL for `t-song` at `quality`, as `(path, query)`.
async fn signed(srv: &TestServer, quality: &str) -> (String, String) {
    let c = user(srv, Tier::Premium).await;
    let body = c
        .get(&format!("/v1/tracks/t-song/stream?quality={quality}"))
        .await
        .expect(200);
    let url = body["url"].as_str().unwrap();
    let rest = &url[url.find("/cdn/").unwrap()..];
    let (p, q) = rest.split_once('?').unwrap();
    (p.to_string(), q.to_string())
}

async fn get(srv: &TestServer, path_and_query: &str, range: Option<&str>) -> reqwest::Response {
    let mut r = reqwest::Client::new().get(srv.url(path_and_query));
    if let Some(range) = range {
        r = r.header("range", range);
    }
    r.send().await.unwrap()
}

/// Asserts a 403 `forbidden` JSON refusal that is not cacheable; returns its message.
async fn refused(r: reqwest::Response) -> String {
    assert_eq!(r.status(), 403);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["code"], "forbidden", "{body}");
    body["message"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn full_ranged_head_and_headers() {
    let srv = start(|_| {}).await;
    let (path, query) = signed(&srv, "high").await;
    assert_eq!(path, "/cdn/song/320.mp3");
    let full = get(&srv, &format!("{path}?{query}"), None).await;
    assert_eq!(full.status(), 200);
    let h = full.headers().clone();
    assert_eq!(h["content-type"], "audio/mpeg");
    assert_eq!(h["cache-control"], "public, max-age=31536000, immutable");
    assert_eq!(h["accept-ranges"], "bytes");
    assert_eq!(h["content-length"], "4096");
    assert_eq!(full.bytes().await.unwrap().to_vec(), audio_bytes(320));

    let part = get(&srv, &format!("{path}?{query}"), Some("bytes=100-199")).await;
    assert_eq!(part.status(), 206);
    assert_eq!(part.headers()["content-range"], "bytes 100-199/4096");
    assert_eq!(
        part.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(
        part.bytes().await.unwrap().to_vec(),
        audio_bytes(320)[100..200].to_vec()
    );
    // What a browser's <audio> asks first, and a seek to the end.
    let open = get(&srv, &format!("{path}?{query}"), Some("bytes=0-")).await;
    assert_eq!(open.status(), 206);
    assert_eq!(open.headers()["content-range"], "bytes 0-4095/4096");
    assert_eq!(open.bytes().await.unwrap().len(), 4096);
    let tail = get(&srv, &format!("{path}?{query}"), Some("bytes=-10")).await;
    assert_eq!(tail.status(), 206);
    assert_eq!(
        tail.bytes().await.unwrap().to_vec(),
        audio_bytes(320)[4086..].to_vec()
    );

    let beyond = get(&srv, &format!("{path}?{query}"), Some("bytes=5000-6000")).await;
    assert_eq!(beyond.status(), 416);
    assert_eq!(beyond.headers()["content-range"], "bytes */4096");

    let head = reqwest::Client::new()
        .head(srv.url(&format!("{path}?{query}")))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()["content-length"], "4096");
    assert_eq!(head.headers()["content-type"], "audio/mpeg");
    assert!(head.bytes().await.unwrap().is_empty());

    // ogg gets its own content type.
    let c = user(&srv, Tier::Free).await;
    let ogg = c.get("/v1/tracks/t-chant/stream").await.expect(200);
    let r = reqwest::get(ogg["url"].as_str().unwrap()).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "audio/ogg");

    // The origin is counted.
    let metrics = reqwest::get(srv.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("segue_stream_urls_issued_total 2"),
        "{metrics}"
    );
    assert!(
        metrics.contains("segue_cdn_requests_total{status=\"2xx\"} 6"),
        "{metrics}"
    );
    assert!(
        metrics.contains("segue_cdn_requests_total{status=\"4xx\"} 1"),
        "{metrics}"
    );
    // 4096 + 100 + 4096 + 10 + 4096 bytes; HEAD sends none.
    assert!(
        metrics.contains("segue_cdn_bytes_served_total 12398"),
        "{metrics}"
    );
}

#[tokio::test]
async fn refusals_are_403_json() {
    let srv = start(|_| {}).await;
    let (path, query) = signed(&srv, "normal").await;
    assert_eq!(
        get(&srv, &format!("{path}?{query}"), None).await.status(),
        200
    );

    // Tampered signature.
    let sig_at = query.find("sig=").unwrap() + 4;
    let mut tampered = query.clone();
    let c = tampered.remove(sig_at);
    tampered.insert(sig_at, if c == 'A' { 'B' } else { 'A' });
    let m = refused(get(&srv, &format!("{path}?{tampered}"), None).await).await;
    assert!(m.contains("signature"), "{m}");

    // Another user's id with this signature.
    let uid = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("uid="))
        .unwrap();
    let other_user = query.replace(&format!("uid={uid}"), "uid=someone-else");
    refused(get(&srv, &format!("{path}?{other_user}"), None).await).await;

    // Another file with this signature.
    refused(get(&srv, &format!("/cdn/song/320.mp3?{query}"), None).await).await;

    // A longer expiry with this signature.
    let exp = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("exp="))
        .unwrap();
    let later: i64 = exp.parse::<i64>().unwrap() + 3_600_000;
    let extended = query.replace(&format!("exp={exp}"), &format!("exp={later}"));
    refused(get(&srv, &format!("{path}?{extended}"), None).await).await;

    // Expired (correctly signed by the server's own key, in the past).
    let past = srv.state.now_ms() - 1;
    let old = srv.state.cdn.signer().query(&path, past, "u1");
    let m = refused(get(&srv, &format!("{path}?{old}"), None).await).await;
    assert!(m.contains("expired"), "{m}");

    // Foreign key id, and a foreign key under the server's key id.
    let k = |id: &str| format!("{id}:{}", "ab".repeat(32));
    let foreign = Signer::from_entries("zz", &[k("zz")]).unwrap();
    let far = srv.state.now_ms() + 60_000;
    let m = refused(
        get(
            &srv,
            &format!("{path}?{}", foreign.query(&path, far, "u1")),
            None,
        )
        .await,
    )
    .await;
    assert!(m.contains("key"), "{m}");
    let impostor = Signer::from_entries("k1", &[k("k1")]).unwrap();
    refused(
        get(
            &srv,
            &format!("{path}?{}", impostor.query(&path, far, "u1")),
            None,
        )
        .await,
    )
    .await;

    // Missing parameters.
    let m = refused(get(&srv, &path, None).await).await;
    assert!(m.contains("missing"), "{m}");
    let no_sig = query.split("&sig=").next().unwrap().to_string();
    refused(get(&srv, &format!("{path}?{no_sig}"), None).await).await;
}

/// Sends a raw request line (so `..` reaches the server unnormalized); returns status and body.
async fn raw_get(srv: &TestServer, target: &str) -> (u16, String) {
    let mut s = tokio::net::TcpStream::connect(srv.addr).await.unwrap();
    let req = format!(
        "GET {target} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        srv.addr
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8_lossy(&out).to_string();
    let status = text[9..12].parse().unwrap();
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

#[tokio::test]
async fn path_traversal_is_refused() {
    let srv = start(|_| {}).await;
    let far = srv.state.now_ms() + 60_000;
    let signer = srv.state.cdn.signer();
    // Even a correctly signed traversal path is refused: the key file must never be served.
    for path in [
        "/cdn/../keys/cdn.key",
        "/cdn/song/../../keys/cdn.key",
        "/cdn/%2e%2e/keys/cdn.key",
        "/cdn/song/..%2f..%2fkeys%2fcdn.key",
        "/cdn/.hidden",
        "/cdn//etc/passwd",
    ] {
        let q = signer.query(path, far, "u1");
        let (status, body) = raw_get(&srv, &format!("{path}?{q}")).await;
        assert_eq!(status, 403, "{path}: {body}");
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(json["code"], "forbidden", "{path}: {body}");
    }
    // A signed URL for a file that does not exist is a plain 404.
    let q = signer.query("/cdn/song/999.mp3", far, "u1");
    let r = get(&srv, &format!("/cdn/song/999.mp3?{q}"), None).await;
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn rotated_keys_keep_old_urls_valid() {
    let k1 = format!("k1:{}", "11".repeat(32));
    let k2 = format!("k2:{}", "22".repeat(32));
    let (a, b) = (k1.clone(), k2.clone());
    let srv = start(move |c| {
        c.cdn.signing_keys = vec![a, b];
        c.cdn.active_key_id = "k2".into();
    })
    .await;
    let (path, query) = signed(&srv, "low").await;
    assert!(query.contains("kid=k2"), "{query}");
    // A URL issued before the rotation, when k1 was the active key.
    let before = Signer::from_entries("k1", &[k1]).unwrap();
    let far = srv.state.now_ms() + 60_000;
    let old_url = format!("{path}?{}", before.query(&path, far, "u1"));
    let r = get(&srv, &old_url, None).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap().to_vec(), audio_bytes(96));
    // A key that was never listed is refused.
    let stranger = Signer::from_entries("k3", &[format!("k3:{}", "33".repeat(32))]).unwrap();
    let r = get(
        &srv,
        &format!("{path}?{}", stranger.query(&path, far, "u1")),
        None,
    )
    .await;
    refused(r).await;
}
