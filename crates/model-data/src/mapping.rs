//! One memory mapping of one file, shared by every handle that opened it, and the rules for
//! letting it go while raw pointers into it may still exist.
//!
//! The base address never changes for the life of a `Mapping`, so views can keep a raw pointer
//! without a lock. What changes is what lives there: the file (while some handle has it open),
//! then, after the last handle closes, anonymous zero pages (POSIX) until the last `Arc` drops.
//! Our own worker threads read only under [`Mapping::read`], which `release` waits for.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, RwLock, RwLockReadGuard};

use memmap2::{Mmap, MmapMut, MmapOptions};

use crate::error::{Error, Result};
use crate::identity::FileIdentity;
use crate::options::MappingMode;
use crate::platform;

enum Region {
    CopyOnWrite(MmapMut),
    ReadOnly(Mmap),
    /// Empty files: nothing to map (mmap of zero bytes fails on Linux).
    Empty,
}

/// What exists only while at least one handle has the file open.
pub(crate) struct Live {
    region: Region,
    pub(crate) file: File,
}

pub struct Mapping {
    ptr: NonNull<u8>,
    len: usize,
    mode: MappingMode,
    path: PathBuf,
    identity: FileIdentity,
    live: RwLock<Option<Live>>,
    /// Handles (ModelData values) that are open on this mapping.
    open_handles: AtomicUsize,
    /// Handles that asked for `lock`; the range is munlocked when the last one lets go.
    locks: Mutex<usize>,
    /// Set once the file mapping was swapped for zero pages that Drop must unmap.
    zero_pages: AtomicBool,
}

// SAFETY: `ptr` points into memory owned by this value (the memmap2 region, or the zero-page
// stand-in) that is only unmapped in Drop. Shared access from threads goes through `live`.
unsafe impl Send for Mapping {}
// SAFETY: as above; all interior mutability is atomics, Mutex or RwLock.
unsafe impl Sync for Mapping {}

/// Proof that the file is still mapped, held by readers for the length of one chunk of work.
pub(crate) struct ReadGuard<'a> {
    guard: RwLockReadGuard<'a, Option<Live>>,
}

impl ReadGuard<'_> {
    pub(crate) fn file(&self) -> &File {
        // The guard is only created when `live` is Some.
        &self
            .guard
            .as_ref()
            .expect("ReadGuard over a live mapping")
            .file
    }
}

impl Mapping {
    /// Maps `file` (already checked to be a regular file of `identity.size` bytes).
    pub(crate) fn map(
        path: &Path,
        file: File,
        identity: FileIdentity,
        mode: MappingMode,
    ) -> Result<Mapping> {
        let size = identity.size;
        let len = usize::try_from(size).map_err(|_| Error::TooLarge {
            path: path.to_path_buf(),
            size,
        })?;
        let region = if len == 0 {
            Region::Empty
        } else {
            let mut options = MmapOptions::new();
            options.len(len);
            // SAFETY: the mapping is private (copy-on-write) or read-only, so this process never
            // writes the file. Other processes may still change or truncate it: that hazard
            // (SIGBUS on touch, changing contents) is documented and detectable with is_stale().
            let mapped = unsafe {
                match mode {
                    // MAP_NORESERVE: a writable private mapping is otherwise charged in full
                    // against the commit limit, and a 100 GB model would fail to map on a 24 GB
                    // machine. Only pages the user actually writes ever need backing.
                    MappingMode::CopyOnWrite => options
                        .no_reserve_swap()
                        .map_copy(&file)
                        .map(Region::CopyOnWrite),
                    MappingMode::ReadOnly => options.map(&file).map(Region::ReadOnly),
                }
            };
            mapped.map_err(|e| Error::io(path, "mmap", e))?
        };
        let ptr = match &region {
            Region::CopyOnWrite(m) => NonNull::new(m.as_ptr() as *mut u8),
            Region::ReadOnly(m) => NonNull::new(m.as_ptr() as *mut u8),
            Region::Empty => None,
        }
        .unwrap_or(NonNull::dangling());
        Ok(Mapping {
            ptr,
            len,
            mode,
            path: path.to_path_buf(),
            identity,
            live: RwLock::new(Some(Live { region, file })),
            open_handles: AtomicUsize::new(0),
            locks: Mutex::new(0),
            zero_pages: AtomicBool::new(false),
        })
    }

    pub fn as_ptr(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn mode(&self) -> MappingMode {
        self.mode
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn identity(&self) -> FileIdentity {
        self.identity
    }

    /// A guard under which the file is guaranteed to stay mapped, or `Closed`.
    pub(crate) fn read(&self) -> Result<ReadGuard<'_>> {
        let guard = self.live.read().unwrap_or_else(|p| p.into_inner());
        if guard.is_none() {
            return Err(Error::Closed {
                path: Some(self.path.clone()),
            });
        }
        Ok(ReadGuard { guard })
    }

    pub(crate) fn is_released(&self) -> bool {
        self.read().is_err()
    }

    pub(crate) fn add_handle(&self) {
        self.open_handles.fetch_add(1, Ordering::AcqRel);
    }

    /// Returns true when that was the last open handle.
    pub(crate) fn remove_handle(&self) -> bool {
        self.open_handles.fetch_sub(1, Ordering::AcqRel) == 1
    }

    pub(crate) fn lock(&self) -> Result<()> {
        let _live = self.read()?;
        let mut locks = self.locks.lock().unwrap_or_else(|p| p.into_inner());
        if *locks == 0 {
            let cow = self.mode == MappingMode::CopyOnWrite;
            platform::lock(self.as_ptr(), self.len, cow).map_err(|source| Error::LockFailed {
                path: self.path.clone(),
                length: self.len as u64,
                source,
            })?;
        }
        *locks += 1;
        Ok(())
    }

    pub(crate) fn unlock(&self) {
        let _live = self.read();
        let mut locks = self.locks.lock().unwrap_or_else(|p| p.into_inner());
        if *locks == 1 && _live.is_ok() {
            let _ = platform::unlock(self.as_ptr(), self.len);
        }
        *locks = locks.saturating_sub(1);
    }

    /// Lets go of the file now: waits for readers holding [`Mapping::read`] to finish their chunk,
    /// then (POSIX) swaps the file mapping for zero pages, or (elsewhere) unmaps it. Views must
    /// have been detached by the caller before this on platforms without the zero-page stand-in.
    pub(crate) fn release(&self) {
        let mut live = self.live.write().unwrap_or_else(|p| p.into_inner());
        let Some(Live { region, file }) = live.take() else {
            return;
        };
        drop(file);
        match region {
            Region::Empty => {}
            region if platform::HAS_ZERO_PAGE_RELEASE => {
                match platform::replace_with_zero_pages(self.as_ptr(), self.len) {
                    Ok(()) => {
                        // The range is ours now, as anonymous memory; memmap2 must not unmap it
                        // (Drop below does, once no pointer can be in use).
                        std::mem::forget(region);
                        self.zero_pages.store(true, Ordering::Release);
                    }
                    Err(_) => drop(region),
                }
            }
            region => drop(region),
        }
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        if self.zero_pages.load(Ordering::Acquire) {
            platform::unmap(self.as_ptr(), self.len);
        }
        // Otherwise the memmap2 region inside `live` unmaps itself.
    }
}
