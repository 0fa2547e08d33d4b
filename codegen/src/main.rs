//! `cargo run -p warren-codegen`: regenerates `core/src/codec/generated.rs` from the vendored spec.

use std::path::PathBuf;

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let spec_path = root.join(warren_codegen::SPEC_PATH);
    let out_path = root.join(warren_codegen::OUTPUT_PATH);
    let result = std::fs::read_to_string(&spec_path)
        .map_err(|e| format!("reading {}: {e}", spec_path.display()))
        .and_then(|spec| warren_codegen::generate(&spec))
        .and_then(|code| {
            std::fs::write(&out_path, code).map_err(|e| format!("writing {}: {e}", out_path.display()))
        });
    match result {
        Ok(()) => println!("wrote {}", out_path.display()),
        Err(e) => {
            eprintln!("warren-codegen: {e}");
            std::process::exit(1);
        }
    }
}
