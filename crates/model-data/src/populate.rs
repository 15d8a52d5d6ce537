//! Making a chunk of a mapping resident without ever touching a missing page: the way prefetch,
//! populate-at-open and checksum avoid SIGBUS on a file truncated under them.

use std::fs::File;
use std::io;
use std::path::Path;

use crate::error::{Error, Result};
use crate::platform;

/// Brings `bytes` (a chunk of the mapping of `file`, starting at file offset `offset`) into RAM:
/// `MADV_POPULATE_READ` where the kernel has it, else positioned reads into the page cache.
/// Pages that no longer exist in the file become `FileChanged`, not a signal.
pub(crate) fn populate_chunk(bytes: &[u8], file: &File, offset: u64, path: &Path) -> Result<()> {
    match platform::populate_read(bytes.as_ptr(), bytes.len()) {
        Ok(true) => Ok(()),
        Ok(false) => {
            let _ = platform::advise(bytes.as_ptr(), bytes.len(), crate::Advice::WillNeed);
            read_into_cache(file, offset, bytes.len() as u64, path)
        }
        Err(e) if e.raw_os_error() == Some(efault()) => Err(Error::FileChanged {
            path: path.to_path_buf(),
            offset,
        }),
        Err(e) => Err(Error::io(path, "madvise", e)),
    }
}

/// Checks that a chunk can be touched without SIGBUS where the kernel can tell cheaply
/// (`MADV_POPULATE_READ`); elsewhere trusts the caller (see `is_stale`).
pub(crate) fn ensure_readable(bytes: &[u8], offset: u64, path: &Path) -> Result<()> {
    match platform::populate_read(bytes.as_ptr(), bytes.len()) {
        Ok(_) => Ok(()),
        Err(e) if e.raw_os_error() == Some(efault()) => Err(Error::FileChanged {
            path: path.to_path_buf(),
            offset,
        }),
        Err(e) => Err(Error::io(path, "madvise", e)),
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
        let got = read_at(file, &mut scratch[..want], offset + done)
            .map_err(|e| Error::io(path, "read", e))?;
        if got == 0 {
            return Err(Error::FileChanged {
                path: path.to_path_buf(),
                offset: offset + done,
            });
        }
        done += got as u64;
    }
    Ok(())
}

fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    loop {
        #[cfg(unix)]
        let result = std::os::unix::fs::FileExt::read_at(file, buf, offset);
        #[cfg(windows)]
        let result = std::os::windows::fs::FileExt::seek_read(file, buf, offset);
        #[cfg(not(any(unix, windows)))]
        let result: io::Result<usize> = {
            let _ = (file, buf, offset);
            Err(io::Error::from(io::ErrorKind::Unsupported))
        };
        match result {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}
