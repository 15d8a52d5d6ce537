//! Positioned reads of the user's file: how jobs read bytes without touching the mapping, so a
//! file truncated under them is an error (a short read) instead of SIGBUS.

use std::fs::File;
use std::io;
use std::path::Path;

use crate::error::{Error, Result};

/// One positioned read, retried on EINTR. Does not move any file cursor.
pub(crate) fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
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

/// Fills `buf` from `offset`. A file that ends early is `FileChanged` at the first missing byte.
pub(crate) fn read_exact_at(file: &File, buf: &mut [u8], offset: u64, path: &Path) -> Result<()> {
    let mut done = 0usize;
    while done < buf.len() {
        let at = offset + done as u64;
        let got = read_at(file, &mut buf[done..], at).map_err(|e| Error::io(path, "read", e))?;
        if got == 0 {
            return Err(Error::FileChanged {
                path: path.to_path_buf(),
                offset: at,
            });
        }
        done += got;
    }
    Ok(())
}

/// Tells the kernel a range will be read soon (read-ahead), where the OS has such a hint.
pub(crate) fn will_read(file: &File, offset: u64, length: u64) {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use std::os::fd::AsRawFd;
        let (Ok(offset), Ok(length)) = (i64::try_from(offset), i64::try_from(length)) else {
            return;
        };
        // SAFETY: a hint on a descriptor we own; it touches no memory of ours.
        unsafe { libc::posix_fadvise(file.as_raw_fd(), offset, length, libc::POSIX_FADV_WILLNEED) };
    }
    // macOS has no posix_fadvise; F_RDADVISE is its read-ahead request.
    #[cfg(target_vendor = "apple")]
    {
        use std::os::fd::AsRawFd;
        let (Ok(ra_offset), Ok(ra_count)) = (
            libc::off_t::try_from(offset),
            libc::c_int::try_from(length.min(i32::MAX as u64)),
        ) else {
            return;
        };
        let advice = libc::radvisory {
            ra_offset,
            ra_count,
        };
        // SAFETY: a hint on a descriptor we own, with a struct we own; it touches no memory of ours.
        unsafe { libc::fcntl(file.as_raw_fd(), libc::F_RDADVISE, &advice) };
    }
    #[cfg(not(any(target_os = "linux", target_os = "android", target_vendor = "apple")))]
    let _ = (file, offset, length);
}
