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
