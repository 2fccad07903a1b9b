#![no_main]
//! `parse_reply` never panics; `reply_len` agrees with it; what it accepts
//! re-encodes to bytes it reads back as the same value; and every strict
//! prefix of an accepted reply is `Partial`.
use libfuzzer_sys::fuzz_target;
use stateful::redis::resp::{encode_reply, parse_reply, reply_len, Status};

fuzz_target!(|data: &[u8]| {
    let parsed = parse_reply(data);
    match (&parsed, reply_len(data)) {
        (Ok(Status::Complete((_, used))), Ok(Status::Complete(len))) => assert_eq!(*used, len),
        (Ok(Status::Partial), Ok(Status::Partial)) => {}
        (Err(a), Err(b)) => assert_eq!(*a, b),
        (a, b) => panic!("parse_reply {a:?} but reply_len {b:?}"),
    }
    if let Ok(Status::Complete((reply, used))) = parsed {
        assert!(used <= data.len());
        let mut again = Vec::new();
        encode_reply(&reply, &mut again);
        assert_eq!(parse_reply(&again), Ok(Status::Complete((reply, again.len()))));
        if used <= 512 {
            for cut in 0..used {
                assert_eq!(parse_reply(&data[..cut]), Ok(Status::Partial));
            }
        }
    }
});
