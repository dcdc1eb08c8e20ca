//! A scenario file (TOML): reading never panics, and a scenario that reads
//! gives a request that is JSON. Seeds: every shipped scenario.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(scenario) = host::scenario::parse(text) {
        let request = scenario.request_json();
        if let Err(error) = serde_json::from_str::<serde_json::Value>(&request) {
            panic!("a scenario's request is not JSON: {error}\n{request}");
        }
    }
});
