//! Registered users: username to Django-format password hash. Only the hash
//! is ever stored.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use crate::limits::{PASSWORD_MAX, PASSWORD_MIN, USERNAME_MAX};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub password_hash: String,
    /// Unix seconds.
    pub created_at: i64,
}

/// Why [`UserStore::insert`] did not add the user.
#[derive(Debug)]
pub enum InsertError<E> {
    Taken,
    /// The `persist` step failed; nothing was added.
    Persist(E),
}

#[derive(Default)]
pub struct UserStore {
    users: Mutex<HashMap<String, User>>,
}

impl UserStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, User>> {
        self.users.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn exists(&self, username: &str) -> bool {
        self.lock().contains_key(username)
    }

    /// The stored hash of `username`.
    pub fn password_hash(&self, username: &str) -> Option<String> {
        self.lock().get(username).map(|u| u.password_hash.clone())
    }

    pub fn get(&self, username: &str) -> Option<User> {
        self.lock().get(username).cloned()
    }

    /// Adds `username` unless taken. `persist` runs under the lock just
    /// before the insert (it only queues a journal record, it does not wait
    /// for the disk), so the journal sees users in the order they appear.
    pub fn insert<T, E>(
        &self,
        username: &str,
        user: User,
        persist: impl FnOnce(&User) -> Result<T, E>,
    ) -> Result<T, InsertError<E>> {
        let mut map = self.lock();
        if map.contains_key(username) {
            return Err(InsertError::Taken);
        }
        let t = persist(&user).map_err(InsertError::Persist)?;
        map.insert(username.to_string(), user);
        Ok(t)
    }

    /// Replaces `username`'s hash with `new_hash` if it is still
    /// `old_hash` (any hash when `None`); if a concurrent login replaced it first, nothing happens
    /// and the answer is `Ok(None)`. `persist` runs under the lock just
    /// before the change, as for [`UserStore::insert`]; if it fails, the old
    /// hash stays.
    pub fn replace_hash<T, E>(
        &self,
        username: &str,
        old_hash: Option<&str>,
        new_hash: String,
        persist: impl FnOnce(&User) -> Result<T, E>,
    ) -> Result<Option<T>, E> {
        let mut map = self.lock();
        let Some(user) = map.get_mut(username) else {
            return Ok(None);
        };
        if old_hash.is_some_and(|old| user.password_hash != old) {
            return Ok(None);
        }
        let updated = User {
            password_hash: new_hash,
            created_at: user.created_at,
        };
        let t = persist(&updated)?;
        *user = updated;
        Ok(Some(t))
    }

    /// Puts back a user read from the journal (a later record wins).
    pub fn restore(&self, username: String, user: User) {
        self.lock().insert(username, user);
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A username is 1 to 150 ASCII letters, digits and `@ . + - _`.
pub fn valid_username(name: &str) -> bool {
    (1..=USERNAME_MAX).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"@.+-_".contains(&b))
}

/// A password is 8 to 1024 bytes of UTF-8 without NUL.
pub fn valid_password(password: &str) -> bool {
    (PASSWORD_MIN..=PASSWORD_MAX).contains(&password.len()) && !password.contains('\0')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        for ok in ["a", "alice", "a.b+c-d_e@f", "A9", &"x".repeat(150)] {
            assert!(valid_username(ok), "{ok:?}");
        }
        for bad in [
            "",
            " ",
            "a b",
            "é",
            "a/b",
            "a\"b",
            "<script>",
            "a\r\nb",
            &"x".repeat(151),
        ] {
            assert!(!valid_username(bad), "{bad:?}");
        }
    }

    #[test]
    fn passwords() {
        assert!(valid_password("12345678"));
        assert!(valid_password("비밀번호는길게"));
        assert!(valid_password(&"p".repeat(1024)));
        assert!(!valid_password("1234567"));
        assert!(!valid_password(&"p".repeat(1025)));
        assert!(!valid_password("1234567\0"));
    }

    fn user(password_hash: &str, created_at: i64) -> User {
        User {
            password_hash: password_hash.into(),
            created_at,
        }
    }

    #[test]
    fn insert_once() {
        let s = UserStore::new();
        let u = user("h", 0);
        assert!(s.insert("a", u.clone(), |_| Ok::<_, ()>(())).is_ok());
        assert!(matches!(
            s.insert("a", u.clone(), |_| Ok::<_, ()>(())),
            Err(InsertError::Taken)
        ));
        assert!(matches!(
            s.insert("b", u, |_| Err::<(), _>("disk")),
            Err(InsertError::Persist("disk"))
        ));
        assert!(!s.exists("b"), "a failed persist adds nothing");
        assert_eq!(s.password_hash("a").as_deref(), Some("h"));
    }

    #[test]
    fn replace_hash_only_over_the_hash_it_read() {
        let s = UserStore::new();
        s.insert("a", user("old", 7), |_| Ok::<_, ()>(())).unwrap();
        assert_eq!(
            s.replace_hash("a", Some("old"), "bad".into(), |_| Err::<(), _>("disk")),
            Err("disk")
        );
        assert_eq!(
            s.password_hash("a").as_deref(),
            Some("old"),
            "a failed persist changes nothing"
        );
        let persisted = s.replace_hash("a", Some("old"), "new".into(), |u| Ok::<_, ()>(u.clone()));
        assert_eq!(
            persisted,
            Ok(Some(user("new", 7))),
            "the record keeps the creation time"
        );
        assert_eq!(s.password_hash("a").as_deref(), Some("new"));
        let mut called = false;
        let stale = s.replace_hash("a", Some("old"), "newer".into(), |_| {
            called = true;
            Ok::<_, ()>(())
        });
        assert_eq!(stale, Ok(None));
        assert!(!called, "nothing is persisted over a hash already replaced");
        assert_eq!(s.password_hash("a").as_deref(), Some("new"));
        let nobody = s.replace_hash("b", Some("old"), "x".into(), |_| Ok::<_, ()>(()));
        assert_eq!(nobody, Ok(None));
        assert!(!s.exists("b"));
    }
}
