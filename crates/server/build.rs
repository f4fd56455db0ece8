//! The web client is embedded in the binary (`src/http/assets.rs`): a change to any of its
//! files rebuilds the server, which the embedding alone does not make cargo do.

fn main() {
    println!("cargo:rerun-if-changed=../../web");
}
