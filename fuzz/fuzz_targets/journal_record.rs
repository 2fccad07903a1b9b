#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = stateful::storage::decode_journal(data);
});
