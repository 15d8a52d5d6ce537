//! `ModelData`: model bytes that are either a read-only mapping of a file (zero-copy, paged by the
//! kernel) or a heap buffer (after decompression, in sandboxes, where mmap is missing).

use std::fs;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::heap::HeapBytes;
use crate::identity::FileIdentity;
use crate::mapping::Mapping;
use crate::options::{Advice, OpenOptions, PrefetchOptions};
use crate::progress::Progress;
use crate::range::checked_range;
use crate::window::Window;
use crate::{checksum, open, prefetch};

/// Where the bytes live.
pub enum Storage {
    /// A private mapping of the file at `path`, owned by this open alone. Boxed: its locks are
    /// large on some targets (Windows), and the heap variant is two words.
    Mmap {
        mapping: Box<Mapping>,
        path: PathBuf,
    },
    /// Bytes owned by this value (and by every window over them).
    Heap(Arc<HeapBytes>),
}

/// How much of a range is in RAM. `resident_bytes` is `None` where the OS cannot tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Residency {
    pub resident_bytes: Option<u64>,
    pub total_bytes: u64,
}

/// Model bytes plus the open/closed state of the handle. The bytes (mapping or heap) live as long
/// as this value; `close()` ends the handle (file descriptor, lock, every later call), never the
/// bytes, so whatever still points into them (views, Node's own I/O) keeps reading them.
pub struct ModelData {
    storage: Storage,
    closed: AtomicBool,
}

impl ModelData {
    /// Opens `path` read-only and maps it. Errors name the file and the failing call.
    pub fn open_mmap(path: impl AsRef<Path>, options: &OpenOptions) -> Result<Self> {
        let path = path.as_ref();
        let (file, identity) = open::open_regular_file(path)?;
        let mapping = Mapping::new(path, file, identity, options.mode, options.populate)?;
        let model = ModelData {
            storage: Storage::Mmap {
                mapping: Box::new(mapping),
                path: path.to_path_buf(),
            },
            closed: AtomicBool::new(false),
        };
        // Windows: a mapped file cannot be truncated, replaced or rewritten by anyone, which is
        // the only protection there against a same-size rewrite (it has no ctime to notice one
        // by). Keep it from open on: the whole file is mapped now and windows share it.
        if cfg!(windows) {
            model.as_ptr()?;
        }
        if options.advice != Advice::Normal {
            model.advise(options.advice, 0, None)?;
        }
        if options.populate {
            model.prefetch(0, None, &PrefetchOptions::default(), &Progress::new())?;
        }
        if options.lock {
            model.lock()?;
        }
        Ok(model)
    }

    /// Heap-backed model data from bytes already in memory.
    pub fn from_vec(bytes: Vec<u8>) -> Self {
        ModelData {
            storage: Storage::Heap(Arc::new(HeapBytes::from(bytes))),
            closed: AtomicBool::new(false),
        }
    }

    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    /// Start of the bytes, mapping the whole file at the first call. Once returned, valid with
    /// the same contents for the whole life of this value (also after `close`): whoever keeps a
    /// pointer into it must keep this value alive (an `Arc`). `Closed` if the handle was closed
    /// before anything mapped it. (Views for JavaScript use `window`, which maps only a range.)
    pub fn as_ptr(&self) -> Result<*mut u8> {
        match &self.storage {
            Storage::Mmap { mapping, .. } => {
                if mapping.is_empty() {
                    return Ok(std::ptr::NonNull::dangling().as_ptr());
                }
                mapping.whole().map(|region| region.address_of(0))
            }
            Storage::Heap(bytes) => Ok(bytes.as_ptr()),
        }
    }

    /// A window over `offset..offset+length` (checked; length defaults to the rest) that keeps
    /// its bytes valid for as long as it lives, independently of this value: the memory behind a
    /// JavaScript view. On a mapping only that range is mapped (or the whole-file mapping is
    /// shared, where one exists). `FileChanged` if the file is no longer what was opened.
    pub fn window(&self, offset: u64, length: Option<u64>) -> Result<Arc<Window>> {
        self.check_open()?;
        let range = self.range("view", offset, length)?;
        let range = range.start as u64..range.end as u64;
        match &self.storage {
            Storage::Mmap { mapping, .. } if !range.is_empty() => mapping.window(range),
            Storage::Mmap { .. } => Ok(Arc::new(Window::empty(range.start))),
            Storage::Heap(bytes) => Ok(Arc::new(Window::heap(bytes, range))),
        }
    }

    /// The bytes. For a mapping, reading a page of a file truncated by someone else raises
    /// SIGBUS (check `is_stale()` first if other processes may modify the file).
    pub fn as_slice(&self) -> Result<&[u8]> {
        self.check_open()?;
        if self.is_empty() {
            return Ok(&[]);
        }
        // SAFETY: `as_ptr()..+len()` is mapped (or allocated) for as long as `self` lives. JS may
        // write into copy-on-write views concurrently: callers treat the bytes as untrusted.
        Ok(unsafe { std::slice::from_raw_parts(self.as_ptr()?, self.len()) })
    }

    /// Whether dropping this value would unmap something (the whole-file mapping; windows own
    /// their own mappings).
    pub fn holds_mapping(&self) -> bool {
        matches!(&self.storage, Storage::Mmap { mapping, .. } if mapping.holds_mapping())
    }

    pub fn len(&self) -> usize {
        match &self.storage {
            Storage::Mmap { mapping, .. } => mapping.len(),
            Storage::Heap(bytes) => bytes.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn is_mmap(&self) -> bool {
        matches!(self.storage, Storage::Mmap { .. })
    }

    pub fn path(&self) -> Option<&Path> {
        match &self.storage {
            Storage::Mmap { path, .. } => Some(path),
            Storage::Heap(_) => None,
        }
    }

    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    fn check_open(&self) -> Result<()> {
        if self.is_closed() {
            Err(Error::Closed {
                path: self.path().map(Path::to_path_buf),
            })
        } else {
            Ok(())
        }
    }

    /// `offset..offset+length` checked against the data (length defaults to the rest).
    pub fn range(
        &self,
        what: &'static str,
        offset: u64,
        length: Option<u64>,
    ) -> Result<Range<usize>> {
        checked_range(what, offset, length, self.len() as u64, self.path())
    }

    /// Ends the handle: every later call fails with `Closed`, the lock is dropped and the file
    /// descriptor closed (after a running job finishes its current chunk). The bytes stay valid
    /// until this value drops. Closing twice is harmless.
    pub fn close(&self) {
        if self.closed.swap(true, Ordering::AcqRel) {
            return;
        }
        if let Storage::Mmap { mapping, .. } = &self.storage {
            mapping.release();
        }
    }

    /// madvise over a range: what is mapped now and, for the lasting hints (sequential,
    /// random, normal), every window mapped later. No-op for heap data and where madvise does
    /// not exist.
    pub fn advise(&self, advice: Advice, offset: u64, length: Option<u64>) -> Result<()> {
        self.check_open()?;
        let range = self.range("advise range", offset, length)?;
        let Storage::Mmap { mapping, path } = &self.storage else {
            return Ok(());
        };
        if advice == Advice::DontNeed && mapping.is_locked() {
            // Linux refuses it (EINVAL) and Windows would silently unlock: say so instead.
            return Err(Error::Unsupported {
                operation: "releasing the pages of a locked mapping (open it without lock)",
                path: Some(path.clone()),
            });
        }
        mapping.advise(range.start as u64..range.end as u64, advice)
    }

    /// `MADV_SEQUENTIAL` over everything, before a linear scan.
    pub fn advise_sequential(&self) -> Result<()> {
        self.advise(Advice::Sequential, 0, None)
    }

    /// `MADV_DONTNEED` over everything, after the bytes were copied elsewhere (a GPU). Pages
    /// re-fault from the file; anything written into views of this mapping is discarded.
    pub fn release_cpu_pages(&self) -> Result<()> {
        self.advise(Advice::DontNeed, 0, None)
    }

    /// How much of the range is in RAM (the page cache, for a file). Heap data is all resident.
    pub fn residency(&self, offset: u64, length: Option<u64>) -> Result<Residency> {
        self.check_open()?;
        let range = self.range("residency range", offset, length)?;
        let total_bytes = range.len() as u64;
        let Storage::Mmap { mapping, .. } = &self.storage else {
            return Ok(Residency {
                resident_bytes: Some(total_bytes),
                total_bytes,
            });
        };
        let resident_bytes = if range.is_empty() {
            Some(0)
        } else {
            mapping.resident_bytes(range.start as u64..range.end as u64)?
        };
        Ok(Residency {
            resident_bytes,
            total_bytes,
        })
    }

    /// Locks the mapping in RAM for this open (idempotent). Heap data: no-op.
    pub fn lock(&self) -> Result<()> {
        self.check_open()?;
        if let Storage::Mmap { mapping, .. } = &self.storage {
            mapping.lock()?;
        }
        Ok(())
    }

    pub fn unlock(&self) {
        if let Storage::Mmap { mapping, .. } = &self.storage {
            mapping.unlock();
        }
    }

    pub fn is_locked(&self) -> bool {
        match &self.storage {
            Storage::Mmap { mapping, .. } => mapping.is_locked(),
            Storage::Heap(_) => false,
        }
    }

    /// True when the file at `path` is no longer the file that was mapped: replaced, deleted,
    /// truncated, grown or modified since open (size, mtime or ctime moved). Heap data is never
    /// stale. `Closed` after close, like every other call.
    pub fn is_stale(&self) -> Result<bool> {
        self.check_open()?;
        let Storage::Mmap { mapping, path } = &self.storage else {
            return Ok(false);
        };
        let opened = mapping.identity();
        let now = match fs::metadata(path) {
            Ok(meta) => FileIdentity::of(&meta),
            Err(_) => return Ok(true),
        };
        Ok(now != opened)
    }

    /// SHA-256 of a range, in chunks, reporting progress and honouring cancellation.
    pub fn checksum_sha256(
        &self,
        offset: u64,
        length: Option<u64>,
        progress: &Progress,
    ) -> Result<[u8; 32]> {
        self.check_open()?;
        let range = self.range("checksum range", offset, length)?;
        match &self.storage {
            Storage::Mmap { mapping, .. } => checksum::sha256_file(mapping, range, progress),
            Storage::Heap(bytes) => {
                // SAFETY: the heap bytes live as long as `self`; JS may write into views of them
                // meanwhile, which only changes the digest.
                let all = unsafe { std::slice::from_raw_parts(bytes.as_ptr(), bytes.len()) };
                checksum::sha256_bytes(all, range, progress, || self.check_open())
            }
        }
    }

    /// Brings a range of the file into the page cache, in parallel parts.
    pub fn prefetch(
        &self,
        offset: u64,
        length: Option<u64>,
        options: &PrefetchOptions,
        progress: &Progress,
    ) -> Result<()> {
        self.check_open()?;
        let range = self.range("prefetch range", offset, length)?;
        match &self.storage {
            Storage::Mmap { mapping, .. } => prefetch::prefetch(mapping, range, options, progress),
            Storage::Heap(_) => {
                // Heap bytes are resident already.
                progress.add(range.len() as u64);
                Ok(())
            }
        }
    }
}

impl Drop for ModelData {
    fn drop(&mut self) {
        self.close();
    }
}
