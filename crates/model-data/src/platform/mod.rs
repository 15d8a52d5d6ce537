//! The OS calls behind advice, residency, locking, populate and release, one file per family
//! (the way memmap2 splits unix / windows / the rest). Every function takes a raw range inside a
//! live mapping; callers guarantee that.

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub use unix::*;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub use windows::*;

#[cfg(not(any(unix, windows)))]
mod other;
#[cfg(not(any(unix, windows)))]
pub use other::*;

/// Widens `ptr..ptr+len` to whole pages (as madvise, mincore, mlock, VirtualLock and
/// QueryWorkingSetEx require): the first page's address and the span's length.
#[cfg(any(unix, windows))]
fn page_span(ptr: *const u8, len: usize) -> (usize, usize) {
    let page = page_size();
    let start = ptr as usize & !(page - 1);
    let end = (ptr as usize + len).div_ceil(page) * page;
    (start, end - start)
}

/// How many bytes this process may lock, and what sets that bound: the smallest of the
/// `MODELMAP_MAX_LOCK_BYTES` environment variable (a cap the user sets) and the OS's own bounds
/// (`os_lock_bounds`). Checked before locking: with no limit (root), locking more than RAM holds
/// populates until the OOM killer strikes.
pub fn lockable_bytes() -> Option<(u64, &'static str)> {
    let cap = std::env::var("MODELMAP_MAX_LOCK_BYTES")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(|bytes| (bytes, "MODELMAP_MAX_LOCK_BYTES"));
    cap.into_iter()
        .chain(os_lock_bounds())
        .min_by_key(|&(bytes, _)| bytes)
}

/// Bytes of the range `first..last` that lie in resident pages, where page `i` of the window
/// starting at `base` is resident when `resident(i)` says so (one mincore / QueryWorkingSetEx
/// answer per page). Pages at the ends count only their part inside the range.
#[cfg(any(unix, windows))]
fn clipped_resident_bytes(
    base: usize,
    page: usize,
    count: usize,
    (first, last): (usize, usize),
    resident: impl Fn(usize) -> bool,
) -> u64 {
    (0..count)
        .filter(|&i| resident(i))
        .map(|i| {
            let page_start = (base + i * page).max(first);
            let page_end = (base + (i + 1) * page).min(last);
            (page_end - page_start) as u64
        })
        .sum()
}
