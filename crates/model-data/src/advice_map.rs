//! The access-pattern advice given for ranges of a file, remembered so that windows mapped later
//! get it too (a window is a mapping of its own, and madvise applies to mappings, not files).
//!
//! Only the lasting hints are kept: `sequential` and `random` (`normal` is the default and
//! clears them). `willneed` and `dontneed` are actions on what is mapped now, not states.

use std::collections::BTreeMap;
use std::ops::Range;

use crate::options::Advice;

/// Non-overlapping spans `start → (end, advice)`; neighbours with the same advice are merged,
/// so the map has at most one entry per distinct run the caller set.
#[derive(Default, Debug)]
pub(crate) struct AdviceMap {
    spans: BTreeMap<u64, (u64, Advice)>,
}

impl AdviceMap {
    /// Records `advice` over `range` (later advice wins where ranges overlap).
    pub(crate) fn set(&mut self, range: Range<u64>, advice: Advice) {
        if range.is_empty() {
            return;
        }
        let lasting = matches!(advice, Advice::Sequential | Advice::Random);
        if !lasting && advice != Advice::Normal {
            return;
        }
        // Cut every span that overlaps `range` down to its parts outside it.
        let overlapping: Vec<u64> = self
            .spans
            .range(..range.end)
            .filter(|(_, (end, _))| *end > range.start)
            .map(|(&start, _)| start)
            .collect();
        for start in overlapping {
            let Some((end, old)) = self.spans.remove(&start) else {
                continue;
            };
            if start < range.start {
                self.spans.insert(start, (range.start, old));
            }
            if end > range.end {
                self.spans.insert(range.end, (end, old));
            }
        }
        if !lasting {
            return;
        }
        let (mut start, mut end) = (range.start, range.end);
        // Merge with a neighbour on either side that has the same advice and touches.
        if let Some((&before, &(before_end, before_advice))) = self.spans.range(..start).next_back()
        {
            if before_end == start && before_advice == advice {
                self.spans.remove(&before);
                start = before;
            }
        }
        if let Some(&(after_end, after_advice)) = self.spans.get(&end) {
            if after_advice == advice {
                self.spans.remove(&end);
                end = after_end;
            }
        }
        self.spans.insert(start, (end, advice));
    }

    /// The recorded spans that overlap `range`, clipped to it.
    pub(crate) fn within(&self, range: &Range<u64>) -> Vec<(Range<u64>, Advice)> {
        let first = self
            .spans
            .range(..=range.start)
            .next_back()
            .map_or(range.start, |(&start, _)| start);
        self.spans
            .range(first..range.end)
            .filter(|(_, (end, _))| *end > range.start)
            .map(|(&start, &(end, advice))| (start.max(range.start)..end.min(range.end), advice))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(map: &AdviceMap) -> Vec<(Range<u64>, Advice)> {
        map.within(&(0..u64::MAX))
    }

    #[test]
    fn later_advice_wins_and_splits() {
        let mut map = AdviceMap::default();
        map.set(0..100, Advice::Sequential);
        map.set(40..60, Advice::Random);
        assert_eq!(
            all(&map),
            vec![
                (0..40, Advice::Sequential),
                (40..60, Advice::Random),
                (60..100, Advice::Sequential)
            ]
        );
        map.set(50..70, Advice::Normal);
        assert_eq!(
            all(&map),
            vec![
                (0..40, Advice::Sequential),
                (40..50, Advice::Random),
                (70..100, Advice::Sequential)
            ]
        );
    }

    #[test]
    fn touching_runs_merge_and_actions_are_not_kept() {
        let mut map = AdviceMap::default();
        for i in 0..1000 {
            map.set(i * 10..(i + 1) * 10, Advice::Random);
        }
        map.set(0..10_000, Advice::WillNeed);
        map.set(0..10_000, Advice::DontNeed);
        assert_eq!(all(&map), vec![(0..10_000, Advice::Random)]);
        assert_eq!(map.within(&(5..15)), vec![(5..15, Advice::Random)]);
        map.set(0..10_000, Advice::Normal);
        assert!(all(&map).is_empty());
    }
}
