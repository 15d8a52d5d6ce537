//! One private memory mapping of one file, owned by one open (opens are isolated: two opens of a
//! file never share a copy-on-write mapping, so a write through one is never seen by the other).
//!
//! The mapped memory lives exactly as long as this value: the binding keeps the value in an `Arc`
//! that every JavaScript view (and every running job) holds a clone of, so the garbage collector
//! alone decides when the range is unmapped. `release` (the handle's `close()`) lets go of the
//! file descriptor and any lock, never of the memory.
//!
//! The range is mapped at its first use (a view, advice, residency, populate, lock), not at
//! open: mmap plus the munmap that must follow cost 4-11 µs here, more than opening the file,
//! and an open that only checks a file (or is closed at once) needs neither. (Windows maps at
//! open still, see `ModelData::open_mmap`.)

use std::fs::File;
use std::path::{Path, PathBuf};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock, RwLock, RwLockReadGuard};

use memmap2::{Mmap, MmapMut, MmapOptions};

use crate::error::{Error, Result};
use crate::identity::FileIdentity;
use crate::options::MappingMode;
use crate::platform;

/// Mappings alive in this process (made and not yet unmapped), for leak tests and diagnostics.
static LIVE_MAPPINGS: AtomicUsize = AtomicUsize::new(0);

/// How many file mappings made by this library are alive in this process.
pub fn live_mappings() -> usize {
    LIVE_MAPPINGS.load(Ordering::Acquire)
}

enum Region {
    CopyOnWrite(MmapMut),
    ReadOnly(Mmap),
    /// Empty files: nothing to map (mmap of zero bytes fails on Linux).
    Empty,
}

pub struct Mapping {
    /// The mapped range, once made; unmapped when this value drops. Only read through `ptr`.
    region: OnceLock<(Region, NonNull<u8>)>,
    /// Serialises the first mapping of the range.
    mapping_now: Mutex<()>,
    len: usize,
    mode: MappingMode,
    path: PathBuf,
    identity: FileIdentity,
    /// The open file, until `release`. Jobs that read it hold the read guard for one chunk.
    file: RwLock<Option<File>>,
    /// Whether this open holds an mlock on the range.
    locked: Mutex<bool>,
}

// SAFETY: the pointer in `region` points into memory owned by that Region, which is only
// unmapped in Drop, and nothing here hands out `&mut` to it. Shared state is behind OnceLock,
// RwLock and Mutex.
unsafe impl Send for Mapping {}
// SAFETY: as above.
unsafe impl Sync for Mapping {}

/// Proof that the handle is open (and the file descriptor valid) for one chunk of work.
pub(crate) struct FileGuard<'a> {
    guard: RwLockReadGuard<'a, Option<File>>,
}

impl FileGuard<'_> {
    pub(crate) fn file(&self) -> &File {
        match self.guard.as_ref() {
            Some(file) => file,
            // `Mapping::file` only builds a guard over `Some`.
            None => unreachable!("FileGuard over a released file"),
        }
    }
}

impl Mapping {
    /// A mapping of `file` (already checked to be a regular file of `identity.size` bytes), made
    /// at its first use.
    pub(crate) fn new(
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
        Ok(Mapping {
            region: OnceLock::new(),
            mapping_now: Mutex::new(()),
            len,
            mode,
            path: path.to_path_buf(),
            identity,
            file: RwLock::new(Some(file)),
            locked: Mutex::new(false),
        })
    }

    /// Maps the range now, if that has not been done: needs the file, so `Closed` after
    /// `release` on a handle that never mapped (nothing can point into it then).
    fn mapped(&self) -> Result<NonNull<u8>> {
        if let Some((_, ptr)) = self.region.get() {
            return Ok(*ptr);
        }
        let _one_at_a_time = self.mapping_now.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, ptr)) = self.region.get() {
            return Ok(*ptr);
        }
        let file = self.file()?;
        let region = if self.len == 0 {
            Region::Empty
        } else {
            let mut options = MmapOptions::new();
            options.len(self.len);
            // SAFETY: the mapping is private (copy-on-write) or read-only, so this process never
            // writes the file. Other processes may still change or truncate it: that hazard
            // (SIGBUS on touch, changing contents) is documented and detectable with is_stale().
            let mapped = unsafe {
                match self.mode {
                    // MAP_NORESERVE: a writable private mapping is otherwise charged in full
                    // against the commit limit, and a 100 GB model would fail to map on a 24 GB
                    // machine. Only pages the user actually writes ever need backing.
                    MappingMode::CopyOnWrite => options
                        .no_reserve_swap()
                        .map_copy(file.file())
                        .map(Region::CopyOnWrite),
                    MappingMode::ReadOnly => options.map(file.file()).map(Region::ReadOnly),
                }
            };
            mapped.map_err(|e| Error::io(&self.path, "mmap", e))?
        };
        let ptr = match &region {
            Region::CopyOnWrite(m) => NonNull::new(m.as_ptr() as *mut u8),
            Region::ReadOnly(m) => NonNull::new(m.as_ptr() as *mut u8),
            Region::Empty => None,
        }
        .unwrap_or(NonNull::dangling());
        LIVE_MAPPINGS.fetch_add(1, Ordering::AcqRel);
        let _ = self.region.set((region, ptr));
        Ok(ptr)
    }

    /// Start of the mapped bytes (mapping them now if need be); valid for the life of this
    /// value once returned.
    pub fn as_ptr(&self) -> Result<*mut u8> {
        self.mapped().map(NonNull::as_ptr)
    }

    /// Whether the range has been mapped (by a first use).
    pub fn is_mapped(&self) -> bool {
        self.region.get().is_some()
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

    /// The open file for one chunk of work, or `Closed` after `release`.
    pub(crate) fn file(&self) -> Result<FileGuard<'_>> {
        let guard = self.file.read().unwrap_or_else(|p| p.into_inner());
        if guard.is_none() {
            return Err(Error::Closed {
                path: Some(self.path.clone()),
            });
        }
        Ok(FileGuard { guard })
    }

    /// Locks the range in RAM for this open (idempotent).
    pub(crate) fn lock(&self) -> Result<()> {
        let _file = self.file()?;
        let mut locked = self.locked.lock().unwrap_or_else(|p| p.into_inner());
        if !*locked {
            if let Some((lockable, reason)) = platform::lockable_bytes() {
                if self.len as u64 > lockable {
                    return Err(Error::LockTooLarge {
                        path: self.path.clone(),
                        length: self.len as u64,
                        lockable,
                        reason,
                    });
                }
            }
            let cow = self.mode == MappingMode::CopyOnWrite;
            platform::lock(self.as_ptr()?, self.len, cow).map_err(|source| {
                if source.kind() == std::io::ErrorKind::Unsupported {
                    Error::Unsupported {
                        operation: "locking a mapping",
                        path: Some(self.path.clone()),
                    }
                } else {
                    Error::LockFailed {
                        path: self.path.clone(),
                        length: self.len as u64,
                        source,
                    }
                }
            })?;
            *locked = true;
        }
        Ok(())
    }

    pub(crate) fn unlock(&self) {
        let mut locked = self.locked.lock().unwrap_or_else(|p| p.into_inner());
        if *locked {
            // Locked means mapped.
            if let Some((_, ptr)) = self.region.get() {
                let _ = platform::unlock(ptr.as_ptr(), self.len);
            }
            *locked = false;
        }
    }

    pub(crate) fn is_locked(&self) -> bool {
        *self.locked.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Closes the file (after any job finishes its current chunk) and drops the lock. The mapped
    /// memory stays: views may still read it, and it goes when the last `Arc` of the owner does.
    pub(crate) fn release(&self) {
        self.unlock();
        let mut file = self.file.write().unwrap_or_else(|p| p.into_inner());
        drop(file.take());
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // The region unmaps itself right after this.
        if self.region.get().is_some() {
            LIVE_MAPPINGS.fetch_sub(1, Ordering::AcqRel);
        }
    }
}
