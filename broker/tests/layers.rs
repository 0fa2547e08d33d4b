//! The broker's modules form layers, leaves first: a module may use only modules before it in
//! [`LAYERS`] (and itself). This test reads every `crate::<module>` path in `broker/src` — in
//! `use` lines and inline paths alike — and fails on one that points up, or on a module the
//! list does not place (a new module must be given its layer here).

use std::path::{Path, PathBuf};

/// Leaves first. The crate root (`lib.rs`: `FastMap`, re-exports) and `main.rs` sit above
/// everything.
const LAYERS: &[&str] = &[
    "error",
    "message",
    "auth",
    "config",
    "resources",
    "storage",
    "queue",
    "routing",
    "reply_to",
    "vhost",
    "broker",
    "connection",
    "server",
];

/// Names reachable as `crate::<name>` that are items of the crate root, not modules.
const ROOT_ITEMS: &[&str] = &["FastMap", "Broker", "BrokerConfig", "BrokerHandle", "Admin"];

fn rank(module: &str) -> Option<usize> {
    LAYERS.iter().position(|m| *m == module)
}

/// The top-level module a source file belongs to (`None`: the crate root or `main.rs`).
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).expect("file under src");
    let first = rel.components().next()?.as_os_str().to_str()?.to_owned();
    match first.strip_suffix(".rs") {
        Some("lib" | "main") => None,
        Some(name) => Some(name.to_owned()),
        None => Some(first),
    }
}

/// Every `crate::name` in `text`, with its line number.
fn crate_paths(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let before = rest[..at].chars().next_back();
            rest = &rest[at + "crate::".len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue; // e.g. `warren_crate::`, not ours
            }
            if let Some(group) = rest.strip_prefix('{') {
                // `use crate::{a, b::c}`: each head of the group.
                let inner = group.split('}').next().unwrap_or("");
                for part in inner.split(',') {
                    let head: String = part
                        .trim()
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    if !head.is_empty() {
                        out.push((i + 1, head));
                    }
                }
                continue;
            }
            let head: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !head.is_empty() {
                out.push((i + 1, head));
            }
        }
    }
    out
}

/// The upward imports (and unplaced modules) of `file`'s `text`, as messages.
fn violations(module: Option<&str>, file: &str, text: &str) -> Vec<String> {
    let Some(module) = module else {
        return Vec::new();
    };
    let Some(mine) = rank(module) else {
        return vec![format!("{file}: module `{module}` has no layer in LAYERS")];
    };
    let mut out = Vec::new();
    for (line, target) in crate_paths(text) {
        if ROOT_ITEMS.contains(&target.as_str()) || target == module {
            continue;
        }
        match rank(&target) {
            Some(theirs) if theirs < mine => {}
            Some(_) => out.push(format!(
                "{file}:{line}: `{module}` uses `crate::{target}`, which is not below it"
            )),
            None => out.push(format!(
                "{file}:{line}: `crate::{target}` is neither a placed module nor a root item"
            )),
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_module_imports_a_module_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    assert!(
        files.len() > 20,
        "expected the broker's sources under {src:?}"
    );
    let mut all = Vec::new();
    let mut seen = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read source");
        seen += crate_paths(&text).len();
        let module = module_of(&src, file);
        let name = file.strip_prefix(&src).unwrap().display().to_string();
        all.extend(violations(module.as_deref(), &name, &text));
    }
    assert!(
        seen > 50,
        "only {seen} crate paths read: is the scan broken?"
    );
    assert!(all.is_empty(), "imports pointing up:\n{}", all.join("\n"));
}

#[test]
fn the_check_sees_upward_imports_in_every_form() {
    let up = "use crate::vhost::VHost;\nfn f() { crate::server::x(); }\nuse crate::{error, broker::Admin};";
    let found = violations(Some("queue"), "queue/mod.rs", up);
    assert_eq!(found.len(), 3, "{found:#?}");
    assert!(found[0].contains("crate::vhost"));
    assert!(found[1].contains("crate::server"));
    assert!(found[2].contains("crate::broker"));
    // Down, sideways into itself, root items, comments and other crates are fine.
    let fine = "use crate::error::AmqpResult;\nuse crate::queue::store::Store;\n\
                type M = crate::FastMap<u8, u8>;\n// crate::server in a comment\n\
                use warren_crate::server;";
    assert_eq!(
        violations(Some("queue"), "queue/mod.rs", fine),
        Vec::<String>::new()
    );
    assert_eq!(violations(Some("newthing"), "newthing.rs", "").len(), 1);
    assert_eq!(
        violations(Some("queue"), "queue/mod.rs", "crate::nosuch::x").len(),
        1
    );
}
