//! The configuration file of `giaoban serve` (crates/server/src/cli/config.rs, compiled here
//! from its path): any text is either refused with an error naming the line or the key, or
//! becomes the environment of the flags, each variable once, with values that read back as
//! the type of their flag.
#![no_main]

use std::collections::HashSet;
use std::net::SocketAddr;

use libfuzzer_sys::fuzz_target;

#[allow(dead_code)]
#[path = "../../crates/server/src/cli/config.rs"]
mod config;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(entries) = config::parse(text) else {
        return;
    };
    let mut seen = HashSet::new();
    for (var, value) in entries {
        assert!(seen.insert(var), "{var} set twice");
        assert!(var.starts_with("GIAOBAN_"), "{var}");
        let reads_back = match var {
            "GIAOBAN_LISTEN" | "GIAOBAN_REDIRECT_HTTP" => value.parse::<SocketAddr>().is_ok(),
            "GIAOBAN_MEDIA_PORT" | "GIAOBAN_MEDIA_THREADS" => value.parse::<u16>().is_ok(),
            "GIAOBAN_MAX_CONNECTIONS" | "GIAOBAN_REMINDER_MINUTES" => value.parse::<u32>().is_ok(),
            "GIAOBAN_TURN_TTL_MINUTES" => value.parse::<u64>().is_ok(),
            "GIAOBAN_TRUST_PROXY" | "GIAOBAN_DEMO" => value.parse::<bool>().is_ok(),
            _ => true,
        };
        assert!(reads_back, "{var}={value:?} does not read back");
    }
});
