//! The dependency rule of the layers, checked on the source: `domain` is pure (no `worker`, no
//! other layer), `storage` knows only `domain`, `http` knows `domain` and `storage`, and only
//! `api` wires them all. A new import across the rule fails `make unit`.
use std::fs;
use std::path::Path;

/// The paths a layer may not name, outside comments.
const RULES: &[(&str, &[&str])] = &[
    ("domain", &["crate::http", "crate::storage", "crate::api", "worker::", "use worker", "js_sys"]),
    ("storage", &["crate::http", "crate::api"]),
    ("http", &["crate::api"]),
];

/// The sanctioned exceptions: NFC through the runtime's own `normalize`, and the runtime's clock
/// (see the files).
const ALLOWED: &[(&str, &str)] =
    &[("domain/unicode.rs", "js_sys"), ("domain/time.rs", "js_sys"), ("domain/weburl.rs", "web_sys")];

fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().map(|(i, l)| (i + 1, l.split("//").next().unwrap_or(""))).filter(|(_, l)| !l.trim().is_empty())
}

fn violations() -> Vec<String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    for (layer, forbidden) in RULES {
        for entry in fs::read_dir(src.join(layer)).expect("layer folder") {
            let path = entry.expect("file").path();
            let name = format!("{layer}/{}", path.file_name().unwrap().to_string_lossy());
            let text = fs::read_to_string(&path).expect("source file");
            for (line, code) in code_lines(&text) {
                for f in forbidden.iter().filter(|f| code.contains(**f)) {
                    if !ALLOWED.contains(&(name.as_str(), *f)) {
                        found.push(format!("{name}:{line} names `{f}`"));
                    }
                }
            }
        }
    }
    found
}

#[test]
fn every_layer_names_only_the_layers_below_it() {
    let found = violations();
    assert!(found.is_empty(), "imports across the layer rule:\n{}", found.join("\n"));
}

#[test]
fn the_check_sees_a_forbidden_import() {
    let lines: Vec<_> = code_lines("use crate::http::Ctx; // fine\n// use crate::api in a comment\n").collect();
    assert_eq!(lines.len(), 1);
    assert!(lines[0].1.contains("crate::http"));
}

/// The paths `ARCHITECTURE.md` names in backquotes (a `/` in them, or a file ending) exist, so
/// the map cannot drift from the code it describes. A `<placeholder>` stands for any name.
#[test]
fn architecture_names_real_paths() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = fs::read_to_string(root.join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let named: Vec<&str> = text
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|t| !t.contains(' ') && !t.contains('(') && (t.contains('/') || t.ends_with(".rs") || t.ends_with(".md")))
        .collect();
    assert!(named.len() > 30, "found only {named:?}");
    let missing: Vec<&&str> = named
        .iter()
        .filter(|t| match t.split_once('<') {
            // `src/api/<resource>.rs`: the folder exists and holds such files.
            Some((dir, _)) => !root.join(dir).is_dir(),
            None => !root.join(t).exists(),
        })
        .collect();
    assert!(missing.is_empty(), "ARCHITECTURE.md names paths that do not exist: {missing:?}");
}
