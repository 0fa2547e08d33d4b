//! `cargo run -p warren-codegen`: regenerates `core/src/codec/generated.rs` and the test
//! strategies in `core/tests/support/arbitrary_methods.rs` from the vendored spec.

use std::path::PathBuf;

type Generator = fn(&str) -> Result<String, String>;

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let spec_path = root.join(warren_codegen::SPEC_PATH);
    let outputs: [(&str, Generator); 2] = [
        (warren_codegen::OUTPUT_PATH, warren_codegen::generate),
        (
            warren_codegen::ARBITRARY_OUTPUT_PATH,
            warren_codegen::generate_arbitrary,
        ),
    ];
    let result = std::fs::read_to_string(&spec_path)
        .map_err(|e| format!("reading {}: {e}", spec_path.display()))
        .and_then(|spec| {
            // Generate everything before writing anything, so an error leaves no file half-updated.
            outputs
                .iter()
                .map(|(path, generate)| Ok((root.join(path), generate(&spec)?)))
                .collect::<Result<Vec<_>, String>>()
        })
        .and_then(|files| {
            files.into_iter().try_for_each(|(path, code)| {
                std::fs::write(&path, code)
                    .map_err(|e| format!("writing {}: {e}", path.display()))?;
                println!("wrote {}", path.display());
                Ok(())
            })
        });
    if let Err(e) = result {
        eprintln!("warren-codegen: {e}");
        std::process::exit(1);
    }
}
