//! `{{name.key}}` templates (render, check, run --env-file, backend options): parsing never
//! panics, every error is one line with a place inside the text, and a text without escapes
//! renders, with each reference written back as itself, to a text with the same references.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zeroize::Zeroizing;

fuzz_target!(|text: &str| {
    let (template, errors) = sesame::reference::parse_all(text);
    let lines = text.split('\n').count();
    for e in &errors {
        assert!(!e.to_string().contains('\n'), "multi-line error");
        assert!(e.line >= 1 && e.line <= lines, "error outside the text");
    }
    if errors.is_empty() && !text.contains('\\') {
        let rendered = template
            .render(|r| Some(Zeroizing::new(r.to_string())))
            .unwrap();
        let again = sesame::reference::parse(&rendered).unwrap();
        let a: Vec<String> = again.references().map(|r| r.to_string()).collect();
        let b: Vec<String> = template.references().map(|r| r.to_string()).collect();
        assert_eq!(a, b);
    }
    let _ = sesame::reference::parse_single(text);
});
