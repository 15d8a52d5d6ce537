use std::io;
use std::sync::OnceLock;

use crate::options::Advice;

pub fn page_size() -> usize {
    static PAGE: OnceLock<usize> = OnceLock::new();
    *PAGE.get_or_init(|| {
        // SAFETY: sysconf has no memory-safety preconditions.
        let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        if size > 0 {
            size as usize
        } else {
            4096
        }
    })
}

/// The whole pages covering `ptr..ptr+len`, as the libc calls take them.
fn page_span(ptr: *const u8, len: usize) -> (*mut libc::c_void, usize) {
    let (start, span) = super::page_span(ptr, len);
    (start as *mut libc::c_void, span)
}

fn check(ret: libc::c_int) -> io::Result<()> {
    if ret == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// madvise over the pages covering the range.
pub fn advise(ptr: *const u8, len: usize, advice: Advice) -> io::Result<()> {
    if len == 0 {
        return Ok(());
    }
    let flag = match advice {
        Advice::Normal => libc::MADV_NORMAL,
        Advice::Sequential => libc::MADV_SEQUENTIAL,
        Advice::Random => libc::MADV_RANDOM,
        Advice::WillNeed => libc::MADV_WILLNEED,
        Advice::DontNeed => libc::MADV_DONTNEED,
    };
    let (start, span) = page_span(ptr, len);
    // SAFETY: the span lies inside one live mapping (callers hold its read guard). DONTNEED on a
    // file-backed private mapping only drops pages, which re-fault from the file: no memory that
    // Rust or JS holds a reference to becomes invalid, only its contents revert to the file's.
    check(unsafe { libc::madvise(start, span, flag) })
}

/// Faults the range in for reading without breaking copy-on-write (Linux 5.14+
/// `MADV_POPULATE_READ`). `Ok(false)` where the kernel or OS lacks it. A page past the end of a
/// truncated file makes this fail with EFAULT instead of raising SIGBUS.
pub fn populate_read(ptr: *const u8, len: usize) -> io::Result<bool> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        if len == 0 {
            return Ok(true);
        }
        let (start, span) = page_span(ptr, len);
        // SAFETY: as in `advise`; POPULATE_READ only reads the file into the page tables.
        match check(unsafe { libc::madvise(start, span, libc::MADV_POPULATE_READ) }) {
            Ok(()) => Ok(true),
            Err(e) if e.raw_os_error() == Some(libc::EINVAL) => Ok(false),
            Err(e) => Err(e),
        }
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        let _ = (ptr, len);
        Ok(false)
    }
}

/// Bytes of the range that are resident in RAM (mincore), counted in whole pages and clipped to
/// the range. Asked in windows of 2^20 pages: a 1 MiB vector for a 100 GB range, not 25 MB.
pub fn resident_bytes(ptr: *const u8, len: usize) -> io::Result<Option<u64>> {
    super::resident_bytes_windowed(ptr, len, 1 << 20, |base, count, flags| {
        // SAFETY: `base..base+count*page` lies within the page span of a live mapping and
        // `flags` has `count` bytes. The vector's element type differs by OS; libc casts it.
        check(unsafe {
            libc::mincore(
                base as *mut libc::c_void,
                count * page_size(),
                flags.as_mut_ptr() as *mut _,
            )
        })
    })
}

/// Locks the range in RAM. On Linux a copy-on-write mapping is locked on fault and then
/// populated for reading, because plain mlock of a writable private mapping breaks
/// copy-on-write on every page (a full anonymous copy of the file).
pub fn lock(ptr: *const u8, len: usize, copy_on_write: bool) -> io::Result<()> {
    if len == 0 {
        return Ok(());
    }
    let (start, span) = page_span(ptr, len);
    #[cfg(target_os = "linux")]
    if copy_on_write {
        const MLOCK_ONFAULT: libc::c_uint = 1;
        // SAFETY: the span lies inside a live mapping; locking changes residency only.
        check(unsafe { libc::mlock2(start, span, MLOCK_ONFAULT) })?;
        return match populate_read(ptr, len) {
            Ok(true) => Ok(()),
            Ok(false) => Ok(()), // pages lock as they are first touched
            Err(e) => {
                let _ = unlock(ptr, len);
                Err(e)
            }
        };
    }
    let _ = copy_on_write;
    // SAFETY: as above.
    check(unsafe { libc::mlock(start, span) })
}

pub fn unlock(ptr: *const u8, len: usize) -> io::Result<()> {
    if len == 0 {
        return Ok(());
    }
    let (start, span) = page_span(ptr, len);
    // SAFETY: the span lies inside a live mapping.
    check(unsafe { libc::munlock(start, span) })
}

/// The OS's bounds on locking: the soft `RLIMIT_MEMLOCK`, and (Linux) the memory the kernel
/// reports available.
pub fn os_lock_bounds() -> Vec<(u64, &'static str)> {
    let mut bounds = Vec::new();
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes one rlimit struct we own.
    if unsafe { libc::getrlimit(libc::RLIMIT_MEMLOCK, &mut limit) } == 0
        && limit.rlim_cur != libc::RLIM_INFINITY
    {
        // rlim_t is u64 on the 64-bit targets we ship, but not by definition.
        #[allow(clippy::unnecessary_cast)]
        bounds.push((limit.rlim_cur as u64, "the memlock limit (ulimit -l)"));
    }
    #[cfg(any(target_os = "linux", target_os = "android"))]
    if let Some(available) = mem_available() {
        bounds.push((available, "the memory available (MemAvailable)"));
    }
    bounds
}

/// `MemAvailable` from /proc/meminfo, in bytes.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn mem_available() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

/// A second open of the same file (the same inode, even if the path was renamed or replaced since),
/// with read-ahead state of its own: Linux keeps that state per open file, and several threads
/// reading different parts through one open file confuse it. Linux only (`/proc/self/fd`).
pub fn reopen(file: &std::fs::File) -> Option<std::fs::File> {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        std::fs::File::open(format!("/proc/self/fd/{}", file.as_raw_fd())).ok()
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = file;
        None
    }
}
