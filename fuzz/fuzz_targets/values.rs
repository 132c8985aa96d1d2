//! `--values` documents (JSON or YAML): parsing must never panic, and an error must never
//! quote the document back (it holds secrets).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    match sesame::input::parse_values_text(text, "--values") {
        Ok(values) => {
            // Whatever was accepted must survive a JSON round trip unchanged.
            let json = serde_json::to_string(&values).unwrap();
            let again = sesame::input::parse_values_text(&json, "json").unwrap();
            assert_eq!(again, values);
        }
        Err(e) => assert!(!e.to_string().contains('\n'), "multi-line error"),
    }
});
