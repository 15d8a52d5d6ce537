//! Summary statistics of a tensor's values, decoded a unit at a time and never kept: a health
//! check of a quantized or converted model (NaN and infinity counts, range, mean, spread).

use std::sync::Mutex;

use crate::{check, decode_checked, Dtype, Error, Job, Out, Result};

/// Over the finite values; NaN and infinities are counted apart.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stats {
    pub count: u64,
    pub nan: u64,
    pub pos_inf: u64,
    pub neg_inf: u64,
    /// Of the finite values (+∞ / −∞ when there are none).
    pub min: f32,
    pub max: f32,
    finite: u64,
    mean: f64,
    /// Sum of squared distances from the mean (Chan et al.'s M2), for the variance.
    m2: f64,
}

impl Default for Stats {
    fn default() -> Self {
        Stats {
            count: 0,
            nan: 0,
            pos_inf: 0,
            neg_inf: 0,
            min: f32::INFINITY,
            max: f32::NEG_INFINITY,
            finite: 0,
            mean: 0.0,
            m2: 0.0,
        }
    }
}

impl Stats {
    /// Values that were finite.
    pub fn finite(&self) -> u64 {
        self.finite
    }

    /// Mean of the finite values (NaN when there are none).
    pub fn mean(&self) -> f64 {
        if self.finite == 0 {
            f64::NAN
        } else {
            self.mean
        }
    }

    /// Population standard deviation of the finite values (numpy's `std`, ddof 0).
    pub fn std(&self) -> f64 {
        if self.finite == 0 {
            f64::NAN
        } else {
            (self.m2 / self.finite as f64).sqrt()
        }
    }

    /// Adds a run of values: two passes over it (its own mean, then squared distances), merged
    /// into the running totals.
    pub fn add(&mut self, values: &[f32]) {
        let mut part = Stats::default();
        let mut sum = 0f64;
        for &v in values {
            if v.is_nan() {
                part.nan += 1;
            } else if v == f32::INFINITY {
                part.pos_inf += 1;
            } else if v == f32::NEG_INFINITY {
                part.neg_inf += 1;
            } else {
                part.finite += 1;
                sum += f64::from(v);
                part.min = part.min.min(v);
                part.max = part.max.max(v);
            }
        }
        part.count = values.len() as u64;
        if part.finite > 0 {
            part.mean = sum / part.finite as f64;
            part.m2 = values
                .iter()
                .filter(|v| v.is_finite())
                .map(|&v| (f64::from(v) - part.mean).powi(2))
                .sum();
        }
        self.merge(&part);
    }

    pub fn merge(&mut self, other: &Stats) {
        let n = self.finite + other.finite;
        if n > 0 {
            let delta = other.mean - self.mean;
            let (a, b) = (self.finite as f64, other.finite as f64);
            self.mean += delta * b / n as f64;
            self.m2 += other.m2 + delta * delta * a * b / n as f64;
        }
        self.finite = n;
        self.count += other.count;
        self.nan += other.nan;
        self.pos_inf += other.pos_inf;
        self.neg_inf += other.neg_inf;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }
}

/// Values per unit: each thread decodes a unit into a scratch buffer of its own.
const UNIT: usize = 1 << 16;

/// The statistics of `elements` values of `dtype` in `src`, on up to `threads` threads.
pub fn stats_parallel(
    dtype: Dtype,
    src: &[u8],
    elements: usize,
    little_endian: bool,
    threads: usize,
    job: &Job<'_>,
) -> Result<Stats> {
    check(dtype, src, elements)?;
    let per = dtype.block_bytes() * (UNIT / dtype.block_elements());
    let units = src
        .chunks(per)
        .zip((0..elements).step_by(UNIT))
        .map(|(b, at)| (b, UNIT.min(elements - at)));
    let queue = Mutex::new(units);
    let total = Mutex::new(Stats::default());
    let worker = || {
        let mut scratch = vec![0f32; UNIT];
        let mut mine = Stats::default();
        loop {
            if (job.cancelled)() {
                break;
            }
            let next = queue.lock().unwrap_or_else(|p| p.into_inner()).next();
            let Some((bytes, n)) = next else { break };
            decode_checked(dtype, bytes, Out::F32(&mut scratch[..n]), little_endian);
            mine.add(&scratch[..n]);
            (job.progress)(n as u64);
        }
        total.lock().unwrap_or_else(|p| p.into_inner()).merge(&mine);
    };
    let threads = threads.clamp(1, elements.div_ceil(UNIT).max(1));
    crate::parallel::on_threads("modelmap-stats", threads, worker);
    if (job.cancelled)() {
        return Err(Error::Cancelled);
    }
    Ok(total.into_inner().unwrap_or_else(|p| p.into_inner()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_moments_match_a_direct_computation() {
        let values: Vec<f32> = (0..300_000)
            .map(|i| ((i * 37 % 1001) as f32 - 500.0) / 7.0)
            .collect();
        let mut src: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        src[0..4].copy_from_slice(&f32::NAN.to_le_bytes());
        src[4..8].copy_from_slice(&f32::INFINITY.to_le_bytes());
        let job = Job {
            cancelled: &|| false,
            progress: &|_| {},
        };
        let s = stats_parallel(Dtype::F32, &src, values.len(), true, 3, &job).unwrap();
        let finite = &values[2..];
        let mean = finite.iter().map(|&v| f64::from(v)).sum::<f64>() / finite.len() as f64;
        let var = finite
            .iter()
            .map(|&v| (f64::from(v) - mean).powi(2))
            .sum::<f64>()
            / finite.len() as f64;
        assert_eq!(
            (s.count, s.nan, s.pos_inf, s.neg_inf, s.finite()),
            (300_000, 1, 1, 0, 299_998)
        );
        assert!((s.mean() - mean).abs() < 1e-9 && (s.std() - var.sqrt()).abs() < 1e-9);
        assert_eq!((s.min, s.max), (-500.0 / 7.0, 500.0 / 7.0));
    }
}
