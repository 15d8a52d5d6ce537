//! The one bounds check every range-taking call goes through.

use std::ops::Range;
use std::path::Path;

use crate::error::{Error, Result};

/// `offset..offset+length` (length defaults to the rest) if it lies inside `total` bytes.
pub fn checked_range(
    what: &'static str,
    offset: u64,
    length: Option<u64>,
    total: u64,
    path: Option<&Path>,
) -> Result<Range<usize>> {
    let out_of_range = |length: u64| Error::OutOfRange {
        what,
        offset,
        length,
        total,
        path: path.map(Path::to_path_buf),
    };
    if offset > total {
        return Err(out_of_range(length.unwrap_or(0)));
    }
    let length = length.unwrap_or(total - offset);
    let end = offset
        .checked_add(length)
        .filter(|&end| end <= total)
        .ok_or_else(|| out_of_range(length))?;
    // `total` is the length of something already in memory, so it fits in usize.
    Ok(offset as usize..end as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_inside_and_edges() {
        assert_eq!(checked_range("view", 0, None, 10, None).unwrap(), 0..10);
        assert_eq!(checked_range("view", 10, None, 10, None).unwrap(), 10..10);
        assert_eq!(checked_range("view", 3, Some(7), 10, None).unwrap(), 3..10);
        assert_eq!(checked_range("view", 0, Some(0), 0, None).unwrap(), 0..0);
    }

    #[test]
    fn rejects_past_end_and_overflow() {
        for (offset, length) in [
            (11, None),
            (3, Some(8)),
            (u64::MAX, Some(2)),
            (1, Some(u64::MAX)),
        ] {
            let err = checked_range("view", offset, length, 10, None).unwrap_err();
            assert_eq!(err.code(), "ERR_OUT_OF_RANGE");
            assert_eq!(err.byte_offset(), Some(offset));
        }
    }
}
