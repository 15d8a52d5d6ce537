//! Targets without madvise/mincore/mlock (wasm and the like): hints are no-ops, residency is
//! unknown, locking is unsupported. Reported honestly rather than guessed.

use std::io;

use crate::options::Advice;

pub fn page_size() -> usize {
    4096
}

pub fn advise(_ptr: *const u8, _len: usize, _advice: Advice) -> io::Result<()> {
    Ok(())
}

pub fn populate_read(_ptr: *const u8, _len: usize) -> io::Result<bool> {
    Ok(false)
}

pub fn resident_bytes(_ptr: *const u8, _len: usize) -> io::Result<Option<u64>> {
    Ok(None)
}

pub fn lock(_ptr: *const u8, _len: usize, _copy_on_write: bool) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "locking a mapping is not supported on this platform",
    ))
}

pub fn unlock(_ptr: *const u8, _len: usize) -> io::Result<()> {
    Ok(())
}

/// No bound known here beyond what the OS call itself enforces.
pub fn os_lock_bounds() -> Vec<(u64, &'static str)> {
    Vec::new()
}

/// A second open with read-ahead state of its own (see the unix version): not needed here, where
/// prefetch reads through positioned reads of the one file.
pub fn reopen(_file: &std::fs::File) -> Option<std::fs::File> {
    None
}
