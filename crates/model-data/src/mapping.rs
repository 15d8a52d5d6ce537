//! One open of one file, and the windows mapped from it (opens are isolated: two opens of a file
//! never share a copy-on-write mapping, so a write through one is never seen by the other).
//!
//! Nothing is mapped at open. Each window the binding asks for is a mapping of just its range
//! (`Window`), owned by the window: it stays mapped for as long as the window lives, whatever
//! happens to this handle, and an open holds address space only for what its views cover (a
//! loop of open → header view → close over a 64 GiB file held 64 GiB per cycle when the whole
//! file was mapped at the first view, and ran out of address space after ~2,000 cycles).
//!
//! Where the whole file is mapped (Windows, at open: a mapped file cannot be truncated, replaced
//! or rewritten there, its only guard against a same-size rewrite; elsewhere `lock` and
//! `as_slice`), windows share that mapping instead.

use std::fs::File;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, RwLock, RwLockReadGuard, Weak};

use crate::advice_map::AdviceMap;
use crate::error::{Error, Result};
use crate::identity::FileIdentity;
use crate::options::{Advice, MappingMode};
use crate::platform;
use crate::populate::efault_to_file_changed;
use crate::region::Region;
use crate::window::Window;

pub struct Mapping {
    len: u64,
    mode: MappingMode,
    path: PathBuf,
    identity: FileIdentity,
    /// Fault each window in when it is made (`populate` at open).
    populate: bool,
    /// The open file, until `release`. Jobs that read it hold the read guard for one chunk.
    file: RwLock<Option<File>>,
    /// The whole file mapped, once something needed it (see the module docs).
    whole: OnceLock<Arc<Region>>,
    /// Serialises making `whole`.
    mapping_whole: Mutex<()>,
    /// A read-only mapping of the whole file that only residency uses (mincore needs a mapping),
    /// made at the first residency call and kept until this value drops: never shared with a
    /// window, so views never keep it mapped after the handle is gone.
    probe: Mutex<Option<Region>>,
    /// Windows handed out and maybe still alive, for advice that applies to what is mapped.
    windows: Mutex<Vec<Weak<Window>>>,
    advice: Mutex<AdviceMap>,
    /// Whether this open holds an mlock on `whole`.
    locked: Mutex<bool>,
}

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

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

impl Mapping {
    /// An open of `file` (already checked to be a regular file of `identity.size` bytes).
    pub(crate) fn new(
        path: &Path,
        file: File,
        identity: FileIdentity,
        mode: MappingMode,
        populate: bool,
    ) -> Result<Mapping> {
        if usize::try_from(identity.size).is_err() {
            return Err(Error::TooLarge {
                path: path.to_path_buf(),
                size: identity.size,
            });
        }
        Ok(Mapping {
            len: identity.size,
            mode,
            path: path.to_path_buf(),
            identity,
            populate,
            file: RwLock::new(Some(file)),
            whole: OnceLock::new(),
            mapping_whole: Mutex::new(()),
            probe: Mutex::new(None),
            windows: Mutex::new(Vec::new()),
            advice: Mutex::new(AdviceMap::default()),
            locked: Mutex::new(false),
        })
    }

    pub fn len(&self) -> usize {
        self.len as usize
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

    /// Whether dropping this value unmaps something: the whole file (unless windows share it)
    /// or the residency probe.
    pub fn holds_mapping(&self) -> bool {
        self.whole.get().is_some() || self.holds_probe()
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

    /// The file must still hold every byte it had at open before a new range of it is mapped:
    /// touching a page the file no longer has raises SIGBUS. (A file changed in place or grown
    /// maps fine; its contents are the documented hazard, told by is_stale(). Views made earlier
    /// are the documented SIGBUS hazard.)
    fn check_not_truncated(&self, file: &File) -> Result<()> {
        let size = file
            .metadata()
            .map_err(|e| Error::io(&self.path, "fstat", e))?
            .len();
        if size < self.identity.size {
            return Err(Error::ChangedSinceOpen {
                path: self.path.clone(),
                offset: size,
                opened_size: self.identity.size,
                size,
            });
        }
        Ok(())
    }

    /// The whole file mapped, mapping it now if need be. `Closed` after `release` if it was
    /// never mapped.
    pub(crate) fn whole(&self) -> Result<Arc<Region>> {
        if let Some(region) = self.whole.get() {
            return Ok(Arc::clone(region));
        }
        let _one_at_a_time = lock(&self.mapping_whole);
        if let Some(region) = self.whole.get() {
            return Ok(Arc::clone(region));
        }
        let file = self.file()?;
        self.check_not_truncated(file.file())?;
        let region = Arc::new(Region::map(
            file.file(),
            &self.path,
            self.mode,
            0..self.len,
        )?);
        let _ = self.whole.set(Arc::clone(&region));
        Ok(region)
    }

    /// A window over `range` (checked by the caller, not empty): a mapping of just that range,
    /// or a share of the whole-file mapping where one exists.
    pub(crate) fn window(&self, range: Range<u64>) -> Result<Arc<Window>> {
        let file = self.file()?;
        self.check_not_truncated(file.file())?;
        let window = match self.whole.get() {
            Some(whole) => Window::shared(whole, range.clone()),
            None => {
                let region = Region::map(file.file(), &self.path, self.mode, range.clone())?;
                Window::own(region, range.clone())
            }
        };
        drop(file);
        if self.populate {
            window
                .populate()
                .map_err(|e| efault_to_file_changed(e, &self.path, range.start, "madvise"))?;
        }
        for (span, advice) in lock(&self.advice).within(&range) {
            window
                .advise(&span, advice)
                .map_err(|e| Error::io(&self.path, "madvise", e))?;
        }
        let window = Arc::new(window);
        let mut windows = lock(&self.windows);
        // Forget windows that are gone once the list has doubled: amortised O(1) per window.
        if windows.len() >= 64 && windows.len().is_power_of_two() {
            windows.retain(|w| w.strong_count() > 0);
        }
        windows.push(Arc::downgrade(&window));
        Ok(window)
    }

    /// Applies `advice` to `range`: to what is mapped now, and (lasting hints) to every window
    /// mapped later.
    pub(crate) fn advise(&self, range: Range<u64>, advice: Advice) -> Result<()> {
        let file = self.file()?;
        lock(&self.advice).set(range.clone(), advice);
        let io = |e| Error::io(&self.path, "madvise", e);
        if let Some(whole) = self.whole.get() {
            let len = (range.end - range.start) as usize;
            return platform::advise(whole.address_of(range.start), len, advice).map_err(io);
        }
        if advice == Advice::WillNeed {
            // Nothing may be mapped yet: ask for read-ahead on the file itself.
            crate::file_io::will_read(file.file(), range.start, range.end - range.start);
        }
        drop(file);
        let live: Vec<Arc<Window>> = lock(&self.windows)
            .iter()
            .filter_map(Weak::upgrade)
            .collect();
        for window in live {
            window.advise(&range, advice).map_err(io)?;
        }
        Ok(())
    }

    /// Bytes of `range` in RAM. Through the whole-file mapping where there is one (Windows can
    /// only tell what is in this process's working set); else through the residency probe, a
    /// read-only mapping that mincore answers for from the page cache.
    pub(crate) fn resident_bytes(&self, range: Range<u64>) -> Result<Option<u64>> {
        let io = |e| Error::io(&self.path, "mincore", e);
        let len = (range.end - range.start) as usize;
        if let Some(whole) = self.whole.get() {
            return platform::resident_bytes(whole.address_of(range.start), len).map_err(io);
        }
        let mut probe = lock(&self.probe);
        if probe.is_none() {
            let file = self.file()?;
            *probe = Some(Region::map(
                file.file(),
                &self.path,
                MappingMode::ReadOnly,
                0..self.len,
            )?);
        }
        match probe.as_ref() {
            Some(region) => {
                platform::resident_bytes(region.address_of(range.start), len).map_err(io)
            }
            None => Ok(None),
        }
    }

    /// Whether dropping this value unmaps the residency probe.
    pub(crate) fn holds_probe(&self) -> bool {
        lock(&self.probe).is_some()
    }

    /// Locks the whole file in RAM for this open (idempotent).
    pub(crate) fn lock(&self) -> Result<()> {
        let _file = self.file()?;
        let mut locked = lock(&self.locked);
        if *locked || self.len == 0 {
            *locked = true;
            return Ok(());
        }
        if let Some((lockable, reason)) = platform::lockable_bytes() {
            if self.len > lockable {
                return Err(Error::LockTooLarge {
                    path: self.path.clone(),
                    length: self.len,
                    lockable,
                    reason,
                });
            }
        }
        let whole = self.whole()?;
        let cow = self.mode == MappingMode::CopyOnWrite;
        platform::lock(whole.address_of(0), self.len as usize, cow).map_err(|source| {
            if source.kind() == std::io::ErrorKind::Unsupported {
                Error::Unsupported {
                    operation: "locking a mapping",
                    path: Some(self.path.clone()),
                }
            } else {
                Error::LockFailed {
                    path: self.path.clone(),
                    length: self.len,
                    source,
                }
            }
        })?;
        *locked = true;
        Ok(())
    }

    pub(crate) fn unlock(&self) {
        let mut locked = lock(&self.locked);
        if *locked {
            if let Some(whole) = self.whole.get() {
                let _ = platform::unlock(whole.address_of(0), self.len as usize);
            }
            *locked = false;
        }
    }

    pub(crate) fn is_locked(&self) -> bool {
        *lock(&self.locked)
    }

    /// Closes the file (after any job finishes its current chunk) and drops the lock. Mapped
    /// memory stays: windows own theirs, and the whole-file mapping goes with this value.
    pub(crate) fn release(&self) {
        self.unlock();
        let mut file = self.file.write().unwrap_or_else(|p| p.into_inner());
        drop(file.take());
    }
}
