//! Generates `include/warren.h` with cbindgen and gives the shared library a versioned soname.
//!
//! The header is generated into `OUT_DIR` on every build and copied over the committed
//! `include/warren.h` when it differs (with a warning): building is how the header is
//! regenerated, and `scripts/bindings/c.sh` fails when the committed copy is stale
//! (`git diff --exit-code bindings-c/include/warren.h` after a build).

use std::path::PathBuf;

fn main() {
    let crate_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo"));

    // The soname carries the ABI version: the major version, and the minor one while the
    // major is 0 (0.x releases may break the ABI), e.g. libwarren.so.0.1.
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").expect("set by cargo");
    let minor = std::env::var("CARGO_PKG_VERSION_MINOR").expect("set by cargo");
    let soname = if major == "0" {
        format!("libwarren.so.0.{minor}")
    } else {
        format!("libwarren.so.{major}")
    };
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,{soname}");

    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=include/warren.h");

    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .expect("bindings-c/cbindgen.toml is valid");
    let bindings = cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen could not generate warren.h");
    let generated = out_dir.join("warren.h");
    bindings.write_to_file(&generated);

    let committed = crate_dir.join("include").join("warren.h");
    let new = std::fs::read(&generated).expect("just written");
    if std::fs::read(&committed).ok().as_deref() != Some(&new[..]) {
        match std::fs::write(&committed, &new) {
            Ok(()) => println!(
                "cargo:warning=bindings-c/include/warren.h was regenerated from the code; commit it"
            ),
            Err(e) => println!(
                "cargo:warning=could not update {}: {e}",
                committed.display()
            ),
        }
    }
}
