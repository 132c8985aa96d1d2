//! `--KEY=VALUE` arguments, including the `@file` and `@@` forms: never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|arg: &str| {
    // `@/dev/stdin` and friends are legitimate values but would block the fuzzer.
    if ["/dev", "/proc", "/sys"].iter().any(|p| arg.contains(p)) {
        return;
    }
    let _ = sesame::input::parse_assignment(arg);
    let _ = sesame::input::parse_value(arg);
    let _ = sesame::input::parse_values(arg);
});
