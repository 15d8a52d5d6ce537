//! Making a chunk of a mapping resident without ever touching a missing page: the way prefetch
//! and populate-at-open avoid SIGBUS on a file truncated under them.

use std::fs::File;
use std::io;
use std::path::Path;

use crate::error::{Error, Result};
use crate::file_io::{read_exact_at, will_read};
use crate::platform;

/// Brings `len` bytes at `ptr` (a chunk of a mapping of `file`, starting at file offset
/// `offset`) into RAM: `MADV_POPULATE_READ` where the kernel has it, else positioned reads into
/// the page cache. Pages that no longer exist in the file become `FileChanged`, not a signal.
pub(crate) fn populate_chunk(
    ptr: *const u8,
    len: usize,
    file: &File,
    offset: u64,
    path: &Path,
) -> Result<()> {
    match platform::populate_read(ptr, len) {
        Ok(true) => Ok(()),
        Ok(false) => {
            // No MADV_POPULATE_READ (macOS, Windows, older Linux): ask for read-ahead, then read
            // the chunk into the page cache with positioned reads. The mapping itself is never
            // touched, so a truncated file is a short read (FileChanged), not SIGBUS.
            let _ = platform::advise(ptr, len, crate::Advice::WillNeed);
            will_read(file, offset, len as u64);
            read_into_cache(file, offset, len as u64, path)
        }
        Err(e) => Err(efault_to_file_changed_in(e, path, file, offset, len as u64)),
    }
}

/// EFAULT from populate means a page past the end of a truncated file: `FileChanged` at
/// `offset` (the file's new end is not known here). Any other error is the syscall's.
pub(crate) fn efault_to_file_changed(
    e: io::Error,
    path: &Path,
    offset: u64,
    syscall: &'static str,
) -> Error {
    if e.raw_os_error() == Some(efault()) {
        Error::FileChanged {
            path: path.to_path_buf(),
            offset,
        }
    } else {
        Error::io(path, syscall, e)
    }
}

/// As `efault_to_file_changed`, naming the first byte the file no longer has.
fn efault_to_file_changed_in(
    e: io::Error,
    path: &Path,
    file: &File,
    offset: u64,
    len: u64,
) -> Error {
    match efault_to_file_changed(e, path, offset, "madvise") {
        Error::FileChanged { path, .. } => Error::FileChanged {
            path,
            offset: first_missing_byte(file, offset, len),
        },
        other => other,
    }
}

/// The file's current end (every byte from there on is gone), when it lies before the end of the
/// chunk that failed; else (the file grew back meanwhile) the chunk start.
fn first_missing_byte(file: &File, chunk_start: u64, chunk_len: u64) -> u64 {
    match file.metadata() {
        Ok(meta) if meta.len() < chunk_start + chunk_len => meta.len(),
        _ => chunk_start,
    }
}

fn efault() -> i32 {
    #[cfg(unix)]
    return libc::EFAULT;
    #[cfg(not(unix))]
    return 14;
}

fn read_into_cache(file: &File, offset: u64, length: u64, path: &Path) -> Result<()> {
    let mut scratch = vec![0u8; length.min(1 << 20) as usize];
    let mut done = 0u64;
    while done < length {
        let want = (length - done).min(scratch.len() as u64) as usize;
        read_exact_at(file, &mut scratch[..want], offset + done, path)?;
        done += want as u64;
    }
    Ok(())
}
