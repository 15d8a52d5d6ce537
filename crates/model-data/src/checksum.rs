//! SHA-256 over a range of model data, chunk by chunk.
//!
//! A mapped file is hashed from positioned reads of the file, not through the mapping: if another
//! process truncates the file meanwhile, a read comes back short (`FileChanged`, naming the first
//! missing byte) where touching the mapping would raise SIGBUS. It also means the digest is the
//! file's, whatever this process wrote into its copy-on-write views. Reading costs a copy into a
//! small buffer, which is cheap next to hashing (see `bench/`).

use std::ops::Range;

use sha2::{Digest, Sha256};

use crate::error::Result;
use crate::file_io::{read_exact_at, will_read};
use crate::mapping::Mapping;
use crate::progress::Progress;

/// Large enough that per-chunk work (a read, a lock, progress) is noise next to hashing; small
/// enough that cancellation and `close()` wait at most a few milliseconds.
const CHUNK: usize = 4 << 20;

/// SHA-256 of `range` of a mapped file, from positioned reads of the file.
pub(crate) fn sha256_file(
    mapping: &Mapping,
    range: Range<usize>,
    progress: &Progress,
) -> Result<[u8; 32]> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; CHUNK.min(range.len())];
    let end = range.end;
    for_each_chunk(range, progress, |chunk| {
        let file = mapping.file()?;
        // Start reading the next chunk from disk while this one is read and hashed.
        let next = chunk.end as u64;
        will_read(file.file(), next, (CHUNK.min(end - chunk.end)) as u64);
        let bytes = &mut buf[..chunk.len()];
        read_exact_at(file.file(), bytes, chunk.start as u64, mapping.path())?;
        drop(file);
        hasher.update(&*bytes);
        Ok(())
    })?;
    Ok(hasher.finalize().into())
}

/// SHA-256 of `range` of bytes in memory; `open` fails once the handle is closed.
pub(crate) fn sha256_bytes(
    bytes: &[u8],
    range: Range<usize>,
    progress: &Progress,
    open: impl Fn() -> Result<()>,
) -> Result<[u8; 32]> {
    let mut hasher = Sha256::new();
    for_each_chunk(range, progress, |chunk| {
        open()?;
        hasher.update(&bytes[chunk]);
        Ok(())
    })?;
    Ok(hasher.finalize().into())
}

/// Calls `f` on consecutive chunks of `range`, checking cancellation before each and counting
/// progress after each.
fn for_each_chunk(
    range: Range<usize>,
    progress: &Progress,
    mut f: impl FnMut(Range<usize>) -> Result<()>,
) -> Result<()> {
    let mut at = range.start;
    while at < range.end {
        progress.check()?;
        let end = (at + CHUNK).min(range.end);
        f(at..end)?;
        progress.add((end - at) as u64);
        at = end;
    }
    Ok(())
}
