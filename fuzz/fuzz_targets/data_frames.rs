#![no_main]
//! Format 2 frames and the entries they carry: scanning any bytes is total,
//! and every entry that decodes encodes back to the same payload.
use stateful::storage::entry::Entry;
use stateful::storage::frame::scan_frames;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let scan = scan_frames(data, |_, kind, payload| {
        if let Ok(entry) = Entry::decode(kind, payload) {
            assert_eq!(entry.kind(), kind);
            assert_eq!(entry.payload(), payload, "{entry:?}");
        }
        Ok::<(), ()>(())
    })
    .expect("the callback never fails");
    assert!(scan.valid_len <= data.len());
});
