//! An in-memory [`Kv`] for tests: a sorted map behind a lock.

use super::StoreError;
use super::kv::{Kv, KvStore, Pairs, Txn};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::Mutex;

/// Keys and values in a sorted map.
#[derive(Default)]
pub struct MemoryKv {
    map: Mutex<BTreeMap<Vec<u8>, Vec<u8>>>,
}

/// A [`super::Store`] that lives in memory.
pub type MemoryStore = KvStore<MemoryKv>;

impl MemoryStore {
    /// An empty store.
    pub fn empty() -> MemoryStore {
        KvStore::new(MemoryKv::default())
    }
}

struct Staged<'a> {
    base: &'a BTreeMap<Vec<u8>, Vec<u8>>,
    changes: RefCell<BTreeMap<Vec<u8>, Option<Vec<u8>>>>,
}

impl Txn for Staged<'_> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(match self.changes.borrow().get(key) {
            Some(staged) => staged.clone(),
            None => self.base.get(key).cloned(),
        })
    }

    fn insert(&self, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        self.changes
            .borrow_mut()
            .insert(key.to_vec(), Some(value.to_vec()));
        Ok(())
    }

    fn remove(&self, key: &[u8]) -> Result<(), StoreError> {
        self.changes.borrow_mut().insert(key.to_vec(), None);
        Ok(())
    }
}

impl MemoryKv {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<Vec<u8>, Vec<u8>>> {
        self.map
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Kv for MemoryKv {
    fn location(&self) -> String {
        "memory".to_string()
    }

    fn directory(&self) -> Option<std::path::PathBuf> {
        None
    }

    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.lock().get(key).cloned())
    }

    fn scan(&self, prefix: &[u8], reverse: bool) -> Pairs<'_> {
        let map = self.lock();
        let mut pairs: Vec<_> = map
            .range(prefix.to_vec()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| Ok((k.clone(), v.clone())))
            .collect();
        if reverse {
            pairs.reverse();
        }
        Box::new(pairs.into_iter())
    }

    fn scan_from(&self, prefix: &[u8], start: &[u8], reverse: bool) -> Pairs<'_> {
        let map = self.lock();
        let range: Box<dyn Iterator<Item = (&Vec<u8>, &Vec<u8>)>> = if reverse {
            Box::new(map.range(prefix.to_vec()..=start.to_vec()).rev())
        } else {
            Box::new(map.range(start.to_vec()..))
        };
        let pairs: Vec<_> = range
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| Ok((k.clone(), v.clone())))
            .collect();
        Box::new(pairs.into_iter())
    }

    fn increment(&self, key: &[u8], by: u64) -> Result<u64, StoreError> {
        let mut map = self.lock();
        let next = map
            .get(key)
            .and_then(|b| b.as_slice().try_into().ok())
            .map_or(0, u64::from_be_bytes)
            + by;
        map.insert(key.to_vec(), next.to_be_bytes().to_vec());
        Ok(next)
    }

    fn swap_counter(&self, key: &[u8], current: u64, new: u64) -> Result<bool, StoreError> {
        let mut map = self.lock();
        let held = map.get(key).is_some_and(|b| b[..] == current.to_be_bytes());
        if held {
            map.insert(key.to_vec(), new.to_be_bytes().to_vec());
        }
        Ok(held)
    }

    fn transact(&self, f: &dyn Fn(&dyn Txn) -> Result<(), StoreError>) -> Result<(), StoreError> {
        let mut map = self.lock();
        let staged = Staged {
            base: &map,
            changes: RefCell::new(BTreeMap::new()),
        };
        f(&staged)?;
        let changes = staged.changes.into_inner();
        for (key, value) in changes {
            match value {
                Some(v) => map.insert(key, v),
                None => map.remove(&key),
            };
        }
        Ok(())
    }

    fn flush(&self) -> Result<(), StoreError> {
        Ok(())
    }
}
