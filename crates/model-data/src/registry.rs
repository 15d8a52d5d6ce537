//! One mapping per file identity per process: eight workers opening one model map it once.
//! Entries are weak, so the registry never keeps a mapping alive by itself.

use std::collections::HashMap;
use std::fs::File;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};

use crate::error::Result;
use crate::identity::FileIdentity;
use crate::mapping::Mapping;
use crate::options::MappingMode;

type Key = (FileIdentity, MappingMode);

fn registry() -> MutexGuard<'static, HashMap<Key, Weak<Mapping>>> {
    static REGISTRY: OnceLock<Mutex<HashMap<Key, Weak<Mapping>>>> = OnceLock::new();
    REGISTRY
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner())
}

/// Returns the live mapping of this identity and mode, or maps `file`. The result counts as one
/// more open handle.
pub(crate) fn open_shared(
    path: &Path,
    file: File,
    identity: FileIdentity,
    mode: MappingMode,
) -> Result<Arc<Mapping>> {
    if !identity.is_unique() {
        let mapping = Arc::new(Mapping::map(path, file, identity, mode)?);
        mapping.add_handle();
        return Ok(mapping);
    }
    let mut map = registry();
    let key = (identity, mode);
    if let Some(existing) = map.get(&key).and_then(Weak::upgrade) {
        if !existing.is_released() {
            existing.add_handle();
            return Ok(existing);
        }
    }
    let mapping = Arc::new(Mapping::map(path, file, identity, mode)?);
    mapping.add_handle();
    map.retain(|_, weak| weak.strong_count() > 0);
    map.insert(key, Arc::downgrade(&mapping));
    Ok(mapping)
}

/// Drops one open handle; the last one releases the file. Done under the registry lock so no
/// open can pick up a mapping that is being released.
pub(crate) fn close_handle(mapping: &Arc<Mapping>) {
    let mut map = registry();
    if mapping.remove_handle() {
        let key = (mapping.identity(), mapping.mode());
        if map
            .get(&key)
            .is_some_and(|weak| std::ptr::eq(weak.as_ptr(), Arc::as_ptr(mapping)))
        {
            map.remove(&key);
        }
        drop(map);
        mapping.release();
    }
}

/// How many distinct live mappings the registry knows (for tests and diagnostics).
pub fn live_mappings() -> usize {
    registry()
        .values()
        .filter(|weak| weak.strong_count() > 0)
        .count()
}
