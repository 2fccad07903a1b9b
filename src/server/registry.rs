//! Every open connection, by token. A connection is either parked here
//! (waiting in the poller for readiness or its deadline) or taken out by the
//! one thread working on it; the lock is held only to move it in or out.

use std::sync::Mutex;
use std::time::Instant;

use super::conn::Conn;

/// A connection's name in the poller: slot index in the low 32 bits, the
/// slot's generation above, so a stale event for a reused slot is ignored.
pub type Token = u64;

enum Slot {
    Free { next_free: Option<u32> },
    Parked(Box<Conn>),
    Busy,
}

struct Slots {
    slots: Vec<(u32, Slot)>,
    free_head: Option<u32>,
    open: usize,
}

pub struct Registry {
    inner: Mutex<Slots>,
}

fn split(token: Token) -> (usize, u32) {
    ((token & 0xFFFF_FFFF) as usize, (token >> 32) as u32)
}

impl Default for Registry {
    fn default() -> Self {
        Self::new()
    }
}

impl Registry {
    pub fn new() -> Self {
        Registry {
            inner: Mutex::new(Slots {
                slots: Vec::new(),
                free_head: None,
                open: 0,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Slots> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Number of open connections (parked or busy).
    pub fn open(&self) -> usize {
        self.lock().open
    }

    /// Reserves a slot for a new connection, marked busy, and returns its
    /// token.
    pub fn insert_busy(&self) -> Token {
        let mut s = self.lock();
        s.open += 1;
        let index = match s.free_head {
            Some(i) => {
                let next = match s.slots[i as usize].1 {
                    Slot::Free { next_free } => next_free,
                    _ => None,
                };
                s.free_head = next;
                s.slots[i as usize].1 = Slot::Busy;
                i as usize
            }
            None => {
                s.slots.push((0, Slot::Busy));
                s.slots.len() - 1
            }
        };
        let gen = s.slots[index].0;
        (u64::from(gen) << 32) | index as u64
    }

    /// Puts a busy connection back to wait in the poller, and runs `arm`
    /// (the epoll registration) while the lock is still held, so no other
    /// thread can take, close and reuse the descriptor between the two. If
    /// `arm` fails the slot is freed and the connection handed back to be
    /// dropped (outside the lock).
    pub fn park(
        &self,
        token: Token,
        conn: Box<Conn>,
        arm: impl FnOnce(&Conn) -> std::io::Result<()>,
    ) -> Result<(), Box<Conn>> {
        let (index, gen) = split(token);
        let mut s = self.lock();
        let armed = arm(&conn);
        match s.slots.get_mut(index) {
            Some((g, slot)) if *g == gen && armed.is_ok() => {
                *slot = Slot::Parked(conn);
                Ok(())
            }
            _ => {
                drop(s);
                self.remove(token);
                Err(conn)
            }
        }
    }

    /// Takes a parked connection for work; `None` if the token is stale or
    /// the connection is already busy.
    pub fn take(&self, token: Token) -> Option<Box<Conn>> {
        let (index, gen) = split(token);
        let mut s = self.lock();
        let (g, slot) = s.slots.get_mut(index)?;
        if *g != gen || !matches!(slot, Slot::Parked(_)) {
            return None;
        }
        match std::mem::replace(slot, Slot::Busy) {
            Slot::Parked(conn) => Some(conn),
            _ => None,
        }
    }

    /// Frees the slot of a busy connection that is being closed.
    pub fn remove(&self, token: Token) {
        let (index, gen) = split(token);
        let mut s = self.lock();
        let head = s.free_head;
        if let Some((g, slot)) = s.slots.get_mut(index) {
            if *g == gen {
                *g = g.wrapping_add(1);
                *slot = Slot::Free { next_free: head };
                s.free_head = Some(index as u32);
                s.open -= 1;
            }
        }
    }

    /// Takes every parked connection whose deadline is at or before `now`,
    /// or every parked one that `pick` selects.
    pub fn take_where(&self, mut pick: impl FnMut(&Conn) -> bool) -> Vec<(Token, Box<Conn>)> {
        let mut s = self.lock();
        let mut out = Vec::new();
        for (index, (gen, slot)) in s.slots.iter_mut().enumerate() {
            if let Slot::Parked(conn) = slot {
                if pick(conn) {
                    if let Slot::Parked(conn) = std::mem::replace(slot, Slot::Busy) {
                        out.push(((u64::from(*gen) << 32) | index as u64, conn));
                    }
                }
            }
        }
        out
    }

    /// Parked connections past their deadline.
    pub fn take_expired(&self, now: Instant) -> Vec<(Token, Box<Conn>)> {
        self.take_where(|c| c.deadline() <= now)
    }
}
