//! One memory mapping of one range of a file: the unit the kernel maps and unmaps.
//!
//! A region is private to the open that made it (opens are isolated: a write through a
//! copy-on-write region is seen by nobody else) and lives exactly as long as this value. Every
//! region alive in the process is counted, for leak tests and diagnostics.

use std::fs::File;
use std::ops::Range;
use std::path::Path;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicUsize, Ordering};

use memmap2::{Mmap, MmapMut, MmapOptions};

use crate::error::{Error, Result};
use crate::options::MappingMode;

/// Regions alive in this process (mapped and not yet unmapped).
static LIVE_MAPPINGS: AtomicUsize = AtomicUsize::new(0);

/// How many file mappings made by this library are alive in this process.
pub fn live_mappings() -> usize {
    LIVE_MAPPINGS.load(Ordering::Acquire)
}

enum Memory {
    CopyOnWrite(MmapMut),
    ReadOnly(Mmap),
}

/// `range` of a file, mapped. memmap2 maps from the page (Windows: allocation granularity)
/// below `range.start`; `ptr` is the address of `range.start` itself.
pub struct Region {
    _memory: Memory,
    ptr: NonNull<u8>,
    range: Range<u64>,
}

// SAFETY: the pointer points into memory owned by `_memory`, which is only unmapped in Drop;
// nothing here hands out `&mut` to it (JavaScript writes through raw pointers, see ModelData).
unsafe impl Send for Region {}
// SAFETY: as above; a Region has no interior mutability of its own.
unsafe impl Sync for Region {}

impl Region {
    /// Maps `range` (not empty) of `file`.
    pub(crate) fn map(
        file: &File,
        path: &Path,
        mode: MappingMode,
        range: Range<u64>,
    ) -> Result<Region> {
        let len = usize::try_from(range.end - range.start).map_err(|_| Error::TooLarge {
            path: path.to_path_buf(),
            size: range.end,
        })?;
        let mut options = MmapOptions::new();
        options.offset(range.start).len(len);
        // SAFETY: the mapping is private (copy-on-write) or read-only, so this process never
        // writes the file. Other processes may still change or truncate it: that hazard (SIGBUS
        // on touch, changing contents) is documented, checked for before mapping (see
        // Mapping::window) and detectable with is_stale().
        let mapped = unsafe {
            match mode {
                // MAP_NORESERVE: a writable private mapping is otherwise charged in full against
                // the commit limit, and a 100 GB model would fail to map on a 24 GB machine.
                // Only pages the user actually writes ever need backing.
                MappingMode::CopyOnWrite => options
                    .no_reserve_swap()
                    .map_copy(file)
                    .map(Memory::CopyOnWrite),
                MappingMode::ReadOnly => options.map(file).map(Memory::ReadOnly),
            }
        };
        let memory = mapped.map_err(|e| Error::io(path, "mmap", e))?;
        let ptr = match &memory {
            Memory::CopyOnWrite(m) => NonNull::new(m.as_ptr() as *mut u8),
            Memory::ReadOnly(m) => NonNull::new(m.as_ptr() as *mut u8),
        }
        .unwrap_or(NonNull::dangling());
        LIVE_MAPPINGS.fetch_add(1, Ordering::AcqRel);
        Ok(Region {
            _memory: memory,
            ptr,
            range,
        })
    }

    /// Address of the file byte at `offset`, which must lie inside `file_range()` (or at its end).
    pub(crate) fn address_of(&self, offset: u64) -> *mut u8 {
        debug_assert!(self.range.start <= offset && offset <= self.range.end);
        // SAFETY: callers pass an offset inside the mapped range, so the result stays in bounds.
        unsafe { self.ptr.as_ptr().add((offset - self.range.start) as usize) }
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        // memmap2 unmaps `_memory` right after this.
        LIVE_MAPPINGS.fetch_sub(1, Ordering::AcqRel);
    }
}
