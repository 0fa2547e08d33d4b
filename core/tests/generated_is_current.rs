//! The committed generated files must be what `warren-codegen` produces from the vendored spec.

use std::path::{Path, PathBuf};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn spec() -> String {
    let path = workspace_root().join(warren_codegen::SPEC_PATH);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn assert_current(relative: &str, generated: Result<String, String>) {
    let generated = generated.unwrap_or_else(|e| panic!("warren-codegen failed: {e}"));
    let path = workspace_root().join(relative);
    let committed = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    if committed != generated {
        let line = committed
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| committed.lines().count().min(generated.lines().count()))
            + 1;
        panic!(
            "{relative} is stale (first difference at line {line}): \
             run `cargo run -p warren-codegen` to regenerate it from {}",
            warren_codegen::SPEC_PATH
        );
    }
}

#[test]
fn generated_codec_is_current() {
    assert_current(
        warren_codegen::OUTPUT_PATH,
        warren_codegen::generate(&spec()),
    );
}

#[test]
fn generated_method_strategies_are_current() {
    assert_current(
        warren_codegen::ARBITRARY_OUTPUT_PATH,
        warren_codegen::generate_arbitrary(&spec()),
    );
}
