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

/// Bytes of `ptr..ptr+len` in resident pages, counted in whole pages and clipped to the range.
/// The pages are asked about in windows of at most `window_pages` (so a 100 GB range needs a
/// bounded buffer): `query(base, count, flags)` fills one flag per page of the window starting
/// at address `base`, bit 0 set when the page is resident (mincore's answer as it is; Windows
/// copies QueryWorkingSetEx's Valid bit into it).
#[cfg(any(unix, windows))]
fn resident_bytes_windowed(
    ptr: *const u8,
    len: usize,
    window_pages: usize,
    mut query: impl FnMut(usize, usize, &mut [u8]) -> std::io::Result<()>,
) -> std::io::Result<Option<u64>> {
    if len == 0 {
        return Ok(Some(0));
    }
    let page = page_size();
    let (start, span) = page_span(ptr, len);
    let pages = span / page;
    let mut flags = vec![0u8; pages.min(window_pages)];
    let (first, last) = (ptr as usize, ptr as usize + len);
    let mut resident = 0u64;
    let mut done = 0usize;
    while done < pages {
        let count = (pages - done).min(window_pages);
        let base = start + done * page;
        query(base, count, &mut flags[..count])?;
        // Pages at the ends count only their part inside the range.
        resident += flags[..count]
            .iter()
            .enumerate()
            .filter(|&(_, f)| f & 1 == 1)
            .map(|(i, _)| ((base + (i + 1) * page).min(last) - (base + i * page).max(first)) as u64)
            .sum::<u64>();
        done += count;
    }
    Ok(Some(resident))
}
