//! An event loop's connections by token: a slab of slots, each token the
//! slot index (low 32 bits) and the slot's generation (high 32 bits), so an
//! event or a worker's reply for a connection that has since closed, and
//! whose slot was reused, is recognised as stale and ignored. Owned by one
//! thread: no lock.

/// A connection's name in its event loop's epoll and in worker replies.
pub type Token = u64;

struct Slot<T> {
    generation: u32,
    value: Option<T>,
}

pub struct Slab<T> {
    slots: Vec<Slot<T>>,
    free: Vec<u32>,
    len: usize,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Self::new()
    }
}

fn split(token: Token) -> (usize, u32) {
    ((token & 0xFFFF_FFFF) as usize, (token >> 32) as u32)
}

impl<T> Slab<T> {
    pub fn new() -> Self {
        Slab {
            slots: Vec::new(),
            free: Vec::new(),
            len: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Stores `value` and returns its token. Tokens never collide with
    /// `u64::MAX - k` for small k (reserved by the event loop) because
    /// indexes stay far below 2^32 - k.
    pub fn insert(&mut self, value: T) -> Token {
        let index = match self.free.pop() {
            Some(i) => i as usize,
            None => {
                self.slots.push(Slot {
                    generation: 0,
                    value: None,
                });
                self.slots.len() - 1
            }
        };
        let slot = &mut self.slots[index];
        slot.value = Some(value);
        self.len += 1;
        (u64::from(slot.generation) << 32) | index as u64
    }

    pub fn get_mut(&mut self, token: Token) -> Option<&mut T> {
        let (index, generation) = split(token);
        let slot = self.slots.get_mut(index)?;
        if slot.generation != generation {
            return None;
        }
        slot.value.as_mut()
    }

    pub fn remove(&mut self, token: Token) -> Option<T> {
        let (index, generation) = split(token);
        let slot = self.slots.get_mut(index)?;
        if slot.generation != generation {
            return None;
        }
        let value = slot.value.take()?;
        slot.generation = slot.generation.wrapping_add(1);
        self.free.push(index as u32);
        self.len -= 1;
        Some(value)
    }

    /// Tokens of the values `pick` selects.
    pub fn tokens_where(&self, mut pick: impl FnMut(&T) -> bool) -> Vec<Token> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                let v = s.value.as_ref()?;
                pick(v).then_some((u64::from(s.generation) << 32) | i as u64)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_tokens_are_ignored() {
        let mut s = Slab::new();
        let a = s.insert("a");
        assert_eq!(s.get_mut(a), Some(&mut "a"));
        assert_eq!(s.remove(a), Some("a"));
        let b = s.insert("b");
        assert_ne!(a, b, "same slot, new generation");
        assert_eq!(s.get_mut(a), None);
        assert_eq!(s.remove(a), None);
        assert_eq!(s.len(), 1);
        assert_eq!(s.tokens_where(|v| *v == "b"), vec![b]);
    }
}
