//! The OS calls behind advice, residency, locking, populate and release, one file per family
//! (the way memmap2 splits unix / windows / the rest). Every function takes a raw range inside a
//! live mapping; callers guarantee that.

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub use unix::*;

#[cfg(not(unix))]
mod other;
#[cfg(not(unix))]
pub use other::*;
