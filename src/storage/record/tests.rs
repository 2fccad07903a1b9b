use super::*;

fn user(name: &str, hash: &str, at: i64) -> Record {
    Record::User {
        username: name.into(),
        password_hash: hash.into(),
        created_at: at,
    }
}

fn comment(id: u64, author: &str, text: &str, at: i64) -> Record {
    Record::Comment {
        id,
        author: author.into(),
        text: text.into(),
        created_at: at,
    }
}

fn round_trip_cases() -> Vec<Record> {
    vec![
        user("", "", 0),
        user("ann", "pbkdf2_sha256$600000$salt$hash=", 1_700_000_000),
        user("a@b.c+d-e_f", "h", -1),
        user("x", "y", i64::MIN),
        comment(1, "ann", "hello", 1_700_000_001),
        comment(u64::MAX, "", "", i64::MAX),
        comment(7, "bob", "ünïcødé ✓ 😀\n\0", 0),
        comment(8, &"u".repeat(150), &"t".repeat(4096), 42),
    ]
}

#[test]
fn round_trips() {
    for record in round_trip_cases() {
        let frame = record.encode().expect("small record");
        let decoded = decode_frame(&frame);
        assert_eq!(
            decoded,
            Ok(Frame::Complete {
                record: record.clone(),
                len: frame.len()
            })
        );
    }
}

/// httparse's test: every proper prefix of a valid frame is Partial.
#[test]
fn every_prefix_is_partial() {
    for record in round_trip_cases() {
        let frame = record.encode().expect("small record");
        for cut in 0..frame.len() {
            assert_eq!(
                decode_frame(&frame[..cut]),
                Ok(Frame::Partial),
                "{record:?} cut {cut}"
            );
        }
    }
}

#[test]
fn size_limit() {
    let largest = comment(
        1,
        "",
        &"x".repeat(MAX_PAYLOAD_BYTES - COMMENT_FIXED_BYTES),
        0,
    );
    assert_eq!(largest.encode().map(|f| f.len()), Ok(MAX_RECORD_BYTES));
    let too_large = comment(
        1,
        "a",
        &"x".repeat(MAX_PAYLOAD_BYTES - COMMENT_FIXED_BYTES),
        0,
    );
    let payload_bytes = MAX_PAYLOAD_BYTES + 1;
    assert_eq!(
        too_large.encode(),
        Err(EncodeError::TooLarge { payload_bytes })
    );
}

/// A frame for `payload` with a correct checksum, whatever the payload.
fn frame_of(payload: &[u8]) -> Vec<u8> {
    let len = (payload.len() as u32).to_le_bytes();
    let crc = Crc32::new().update(&len).update(payload).finish();
    [&[MAGIC, VERSION][..], &len, &crc.to_le_bytes(), payload].concat()
}

#[test]
fn refusals() {
    use FrameError as F;
    use PayloadError as P;
    let good = user("ann", "h", 0).encode().expect("small record");
    let with = |at: usize, byte: u8| {
        let mut frame = good.clone();
        frame[at] = byte;
        frame
    };
    let user_head = |a: u32, b: u32| {
        let mut p = vec![TAG_USER];
        p.extend_from_slice(&a.to_le_bytes());
        p.extend_from_slice(&b.to_le_bytes());
        p.extend_from_slice(&[0; 8]);
        p
    };
    let cases: Vec<(Vec<u8>, F)> = vec![
        (vec![0x00], F::BadMagic(0)),
        (vec![MAGIC, 2], F::UnsupportedVersion(2)),
        (with(2, 0), F::LengthOutOfRange(0)),
        (with(2, 16), F::LengthOutOfRange(16)),
        (with(5, 1), F::LengthOutOfRange(0x0100_0015)),
        (
            with(6, 0),
            F::ChecksumMismatch {
                stored: 0x0831_7500,
                computed: 0x0831_75DE,
            },
        ),
        (
            frame_of(&[[3].as_slice(), &[0; 16]].concat()),
            F::Payload(P::UnknownType(3)),
        ),
        (
            frame_of(&[user_head(1, 0), vec![b'a', b'!']].concat()),
            F::Payload(P::TrailingBytes),
        ),
        (
            frame_of(&[user_head(2, 0), vec![b'a']].concat()),
            F::Payload(P::Truncated),
        ),
        (
            frame_of(&[user_head(1, 1), vec![0xC3, b'a']].concat()),
            F::Payload(P::InvalidUtf8(Field::Username)),
        ),
        (
            frame_of(&[user_head(1, 1), vec![b'a', 0xFF]].concat()),
            F::Payload(P::InvalidUtf8(Field::PasswordHash)),
        ),
        // Partial frames are checked as far as they go:
        (
            frame_of(&[[9].as_slice(), &[0; 16]].concat())[..11].to_vec(),
            F::Payload(P::UnknownType(9)),
        ),
        (with(2, 22)[..25].to_vec(), F::Payload(P::TrailingBytes)),
        (with(11, 4)[..25].to_vec(), F::Payload(P::Truncated)),
        (
            with(27, 0xFF)[..29].to_vec(),
            F::Payload(P::InvalidUtf8(Field::Username)),
        ),
    ];
    for (bytes, expected) in cases {
        assert_eq!(decode_frame(&bytes), Err(expected), "{bytes:02X?}");
    }
}

#[test]
fn payload_refusals() {
    use PayloadError as P;
    let cases: &[(&[u8], P)] = &[
        (&[], P::Truncated),
        (&[1, 0, 0], P::Truncated),
        (&[2, 0, 0, 0, 0, 0, 0, 0, 0], P::Truncated),
        (&[0], P::UnknownType(0)),
        (&[255, 0, 0, 0, 0, 0, 0, 0, 0], P::UnknownType(255)),
        (&[1, 255, 255, 255, 255, 255, 255, 255, 255], P::Truncated),
        (
            &[1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            P::TrailingBytes,
        ),
    ];
    for &(payload, expected) in cases {
        assert_eq!(
            Record::decode_payload(payload),
            Err(expected),
            "{payload:?}"
        );
    }
}

/// A character cut by the end of a partial frame is fine; a bad one is not.
#[test]
fn partial_utf8() {
    let frame = comment(1, "", "éyz", 0).encode().expect("small record");
    let text_at = HEADER_BYTES + COMMENT_FIXED_BYTES;
    assert_eq!(decode_frame(&frame[..text_at + 1]), Ok(Frame::Partial));
    let mut bad = frame.clone();
    bad[text_at + 1] = b'x'; // 0xC3 then an ASCII byte
    assert_eq!(
        decode_frame(&bad[..frame.len() - 1]),
        Err(FrameError::Payload(PayloadError::InvalidUtf8(Field::Text)))
    );
}
