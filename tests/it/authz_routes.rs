//! The routes the server registers, read from `src/http/routes/`, so that the authorization
//! matrix cannot fall behind them.

use std::collections::BTreeSet;

/// Every `(METHOD, route)` registered in `src/http/routes/`, read from the source, so that the
/// table cannot fall behind the server.
pub fn registered_routes() -> BTreeSet<(String, String)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/http/routes");
    let mut found = BTreeSet::new();
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("routes dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .collect();
    entries.sort();
    for path in entries {
        let text = std::fs::read_to_string(&path).expect("read routes file");
        let code: String = text
            .lines()
            .map(|l| l.split("//").next().unwrap_or(""))
            .collect::<Vec<_>>()
            .join("")
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        found.extend(routes_in(&code));
    }
    found
}

fn literal_at(s: &str) -> Option<String> {
    let rest = s.strip_prefix('"')?;
    Some(rest[..rest.find('"')?].to_string())
}

fn routes_in(code: &str) -> Vec<(String, String)> {
    let consts: Vec<(String, String)> = code
        .match_indices("const")
        .filter_map(|(i, _)| {
            let rest = &code[i + 5..];
            let name = rest.split(':').next()?.to_string();
            let lit = rest.find("=\"").and_then(|j| literal_at(&rest[j + 1..]))?;
            Some((name, lit))
        })
        .collect();
    let scope = code
        .find("web::scope(")
        .and_then(|i| literal_at(&code[i + "web::scope(".len()..]).map(|p| (i, p)));
    let mut out = Vec::new();
    let mut resource = String::new();
    let mut at = 0;
    while let Some(off) = code[at..].find("route(") {
        let start = at + off;
        at = start + "route(".len();
        if let Some(r) = code[..start].rfind("web::resource(") {
            if let Some(lit) = literal_at(&code[r + "web::resource(".len()..]) {
                resource = lit;
            }
        }
        let args = &code[at..];
        let (path, after) = if let Some(lit) = literal_at(args) {
            (lit.clone(), &args[lit.len() + 2..])
        } else if let Some(rest) = args.strip_prefix("&format!(") {
            let lit = literal_at(rest).unwrap_or_default();
            let shown = lit.replace("{{", "\u{0}").replace("}}", "\u{1}");
            (
                shown.replace('\u{0}', "{").replace('\u{1}', "}"),
                &rest[lit.len() + 2..],
            )
        } else if args.starts_with("web::") {
            (resource.clone(), args)
        } else {
            let name: String = args.chars().take_while(|c| *c != ',').collect();
            match consts.iter().find(|(n, _)| *n == name) {
                Some((_, lit)) => (lit.clone(), &args[name.len()..]),
                None => continue,
            }
        };
        let after = after.trim_start_matches([')', ',']);
        let Some(method) = after
            .strip_prefix("web::")
            .and_then(|m| m.split("()").next())
        else {
            continue;
        };
        let path = match &scope {
            Some((i, prefix)) if *i < start && !path.starts_with("/v1/") => {
                format!("{prefix}{path}")
            }
            _ => path,
        };
        out.push((method.to_uppercase(), path));
    }
    out
}

/// The web player's asset directories, as `/{dir}/{file:.*}` is registered once per directory.
pub fn expand_asset_dirs(routes: BTreeSet<(String, String)>) -> BTreeSet<(String, String)> {
    routes
        .into_iter()
        .flat_map(|(m, p)| {
            if p == "/{dir}/{file:.*}" {
                ["js", "css", "img"]
                    .iter()
                    .map(|d| (m.clone(), format!("/{d}/{{file:.*}}")))
                    .collect::<Vec<_>>()
            } else {
                vec![(m, p)]
            }
        })
        .collect()
}
