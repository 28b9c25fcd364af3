//! The access log must not carry credentials: a signed CDN URL's signature is a bearer secret
//! for as long as it is valid, so query values that are secrets are replaced before logging.

/// Query parameters whose values are never logged.
const SECRET_PARAMS: &[&str] = &["sig", "signature", "token", "access_token"];

/// `path?query` with the values of secret parameters replaced by `REDACTED`.
pub fn redact_path_and_query(path_and_query: &str) -> String {
    let Some((path, query)) = path_and_query.split_once('?') else {
        return path_and_query.to_string();
    };
    let query: Vec<String> = query
        .split('&')
        .map(|pair| {
            let name = pair.split_once('=').map_or(pair, |(n, _)| n);
            if SECRET_PARAMS.iter().any(|s| s.eq_ignore_ascii_case(name)) {
                format!("{name}=REDACTED")
            } else {
                pair.to_string()
            }
        })
        .collect();
    format!("{path}?{}", query.join("&"))
}

/// The request line as the access log prints it (`%r`), with secrets redacted.
pub fn request_line(req: &actix_web::dev::ServiceRequest) -> String {
    let pq = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.path().to_string(), |p| p.as_str().to_string());
    format!(
        "{} {} {:?}",
        req.method(),
        redact_path_and_query(&pq),
        req.version()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_values_are_redacted() {
        let line = redact_path_and_query("/cdn/a/b.mp3?exp=123&uid=u1&kid=k1&sig=deadbeefsecret");
        assert_eq!(line, "/cdn/a/b.mp3?exp=123&uid=u1&kid=k1&sig=REDACTED");
        assert!(!redact_path_and_query("/x?Signature=abc&a=1").contains("abc"));
        assert_eq!(redact_path_and_query("/plain"), "/plain");
        assert_eq!(redact_path_and_query("/q?sig"), "/q?sig=REDACTED");
    }
}
