//! Import files (`sesame secret import`): parsing must never panic; what parses must write
//! back out and parse to the same document.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(doc) = sesame::input::parse_export(text, "import") {
        let again = sesame::input::parse_export(&doc.to_json(), "json").unwrap();
        assert_eq!(again, doc);
    }
});
