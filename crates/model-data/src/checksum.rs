//! SHA-256 over a range of model data, chunk by chunk.

use std::ops::Range;

use sha2::{Digest, Sha256};

use crate::error::Result;
use crate::model_data::ModelData;
use crate::populate::ensure_readable;
use crate::progress::Progress;
use crate::{platform, Advice};

/// Large enough that per-chunk work (lock, madvise, progress) is noise next to hashing; small
/// enough that cancellation and `close()` wait at most a few milliseconds.
const CHUNK: usize = 4 << 20;

pub(crate) fn sha256(
    model: &ModelData,
    range: Range<usize>,
    progress: &Progress,
) -> Result<[u8; 32]> {
    let mut hasher = Sha256::new();
    let mut at = range.start;
    while at < range.end {
        progress.check()?;
        let end = (at + CHUNK).min(range.end);
        let next_end = (end + CHUNK).min(range.end);
        model.with_chunk(at..next_end, |span, file| {
            let (chunk, ahead) = span.split_at(end - at);
            if let (Some(_), Some(path)) = (file, model.path()) {
                // Start reading the next chunk from disk while this one is hashed.
                let _ = platform::advise(ahead.as_ptr(), ahead.len(), Advice::WillNeed);
                ensure_readable(chunk, at as u64, path)?;
            }
            hasher.update(chunk);
            Ok(())
        })?;
        progress.add((end - at) as u64);
        at = end;
    }
    Ok(hasher.finalize().into())
}
