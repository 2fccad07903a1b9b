//! The key layout in Redis (see ARCHITECTURE.md, "Redis keys"). Every key
//! starts with `--redis-prefix` and carries a Cluster hash tag (`{...}`),
//! so that the keys one operation needs together share a slot: a user's
//! record, session index and throttle by `{username}`; the board's
//! comments, id counter and version by `{board}`; each session by
//! `{its hash}`.

/// The key names, under one prefix.
#[derive(Debug, Clone)]
pub struct Keys {
    prefix: String,
}

impl Keys {
    /// `prefix` must not contain `{` or `}` (the config refuses it), so the
    /// hash tags below are the keys' only ones.
    pub fn new(prefix: &str) -> Keys {
        Keys {
            prefix: prefix.to_string(),
        }
    }

    /// Hash: `h` (password hash), `c` (created, Unix s), `rb` (tokens
    /// issued at or before this second are revoked).
    pub fn user(&self, name: &str) -> String {
        format!("{}user:{{{name}}}", self.prefix)
    }

    /// Sorted set: the user's session hashes, scored by expiry.
    pub fn user_sessions(&self, name: &str) -> String {
        format!("{}user:{{{name}}}:sessions", self.prefix)
    }

    /// Sorted set: the user's recent failed logins (`time:nonce`, scored
    /// by time), with a TTL of the throttle window.
    pub fn throttle(&self, name: &str) -> String {
        format!("{}user:{{{name}}}:throttle", self.prefix)
    }

    /// What every session key starts with (tracked by the session cache).
    pub fn session_prefix(&self) -> String {
        format!("{}session:", self.prefix)
    }

    /// Hash: `u` user, `c` created, `e` expires, `s` last seen, `a` user
    /// agent; a Redis TTL to `e`. `hash` is [`super::super::store::session_key`].
    pub fn session(&self, hash: &str) -> String {
        format!("{}session:{{{hash}}}", self.prefix)
    }

    /// Sorted set: every session hash, scored by expiry (the count for
    /// `--max-sessions` and `/metrics`).
    pub fn all_sessions(&self) -> String {
        format!("{}sessions:{{all}}", self.prefix)
    }

    /// What every user key starts with (tracked by the token cache; the
    /// `:sessions` and `:throttle` keys share it).
    pub fn user_prefix(&self) -> String {
        format!("{}user:", self.prefix)
    }

    /// What every revoked token's key starts with (tracked by the token
    /// cache).
    pub fn jti_prefix(&self) -> String {
        format!("{}jti:", self.prefix)
    }

    /// String with a TTL to the token's expiry: a revoked token's `jti`.
    pub fn revoked_jti(&self, jti: &str) -> String {
        format!("{}jti:{{{jti}}}", self.prefix)
    }

    /// Sorted set: comments scored by id, member `id:created:author:text`.
    pub fn comments(&self) -> String {
        format!("{}{{board}}:comments", self.prefix)
    }

    /// Counter: the last comment id given out.
    pub fn comment_ids(&self) -> String {
        format!("{}{{board}}:next_id", self.prefix)
    }

    /// Counter: bumped by every post and delete (the `ETag`).
    pub fn comments_version(&self) -> String {
        format!("{}{{board}}:version", self.prefix)
    }
}

/// The Redis Cluster hash slot of `key` (CRC16/XMODEM of its hash tag, or
/// of the whole key, mod 16384), so tests can check the layout's promise.
pub fn cluster_slot(key: &[u8]) -> u16 {
    let tagged = key
        .iter()
        .position(|&b| b == b'{')
        .and_then(|open| {
            let rest = &key[open + 1..];
            let close = rest.iter().position(|&b| b == b'}')?;
            (close > 0).then(|| &rest[..close])
        })
        .unwrap_or(key);
    let mut crc: u16 = 0;
    for &b in tagged {
        crc ^= u16::from(b) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc % 16384
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_match_redis() {
        // Values from `CLUSTER KEYSLOT` (Redis documentation examples).
        assert_eq!(cluster_slot(b"123456789"), 0x31c3); // CRC16/XMODEM check value
        assert_eq!(cluster_slot(b"foo"), 12182);
        assert_eq!(
            cluster_slot(b"{user1000}.following"),
            cluster_slot(b"user1000")
        );
        assert_eq!(cluster_slot(b"foo{}{bar}"), cluster_slot(b"foo{}{bar}"));
        assert_ne!(cluster_slot(b"foo{}{bar}"), cluster_slot(b"bar"));
    }

    #[test]
    fn one_users_keys_share_a_slot_as_do_the_boards() {
        let k = Keys::new("stateful:");
        let slot = cluster_slot(k.user("alice").as_bytes());
        assert_eq!(cluster_slot(k.user_sessions("alice").as_bytes()), slot);
        assert_eq!(cluster_slot(k.throttle("alice").as_bytes()), slot);
        let board = cluster_slot(k.comments().as_bytes());
        assert_eq!(cluster_slot(k.comment_ids().as_bytes()), board);
        assert_eq!(cluster_slot(k.comments_version().as_bytes()), board);
        assert_eq!(k.session("ab"), "stateful:session:{ab}");
        assert!(k.session("ab").starts_with(&k.session_prefix()));
    }
}
