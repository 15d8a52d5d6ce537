//! Making a chunk of a mapping resident without ever touching a missing page: the way prefetch
//! and populate-at-open avoid SIGBUS on a file truncated under them.

use std::fs::File;
use std::path::Path;

use crate::error::{Error, Result};
use crate::file_io::{read_exact_at, will_read};
use crate::platform;

/// Brings `bytes` (a chunk of the mapping of `file`, starting at file offset `offset`) into RAM:
/// `MADV_POPULATE_READ` where the kernel has it, else positioned reads into the page cache.
/// Pages that no longer exist in the file become `FileChanged`, not a signal.
pub(crate) fn populate_chunk(bytes: &[u8], file: &File, offset: u64, path: &Path) -> Result<()> {
    match platform::populate_read(bytes.as_ptr(), bytes.len()) {
        Ok(true) => Ok(()),
        Ok(false) => {
            // No MADV_POPULATE_READ (macOS, Windows, older Linux): ask for read-ahead, then read
            // the chunk into the page cache with positioned reads. The mapping itself is never
            // touched, so a truncated file is a short read (FileChanged), not SIGBUS.
            let _ = platform::advise(bytes.as_ptr(), bytes.len(), crate::Advice::WillNeed);
            will_read(file, offset, bytes.len() as u64);
            read_into_cache(file, offset, bytes.len() as u64, path)
        }
        // EFAULT: a page past the end of the file. Name the first byte the file no longer has.
        Err(e) if e.raw_os_error() == Some(efault()) => Err(Error::FileChanged {
            path: path.to_path_buf(),
            offset: first_missing_byte(file, offset, bytes.len() as u64),
        }),
        Err(e) => Err(Error::io(path, "madvise", e)),
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
