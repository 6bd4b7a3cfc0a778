//! The server's traffic peaks, and what a peak does to a connection.
//!
//! Seed 002 says only that "the peaks come at random". Here they are an
//! alternating renewal process: calm and peak spells follow each other, each
//! spell's length drawn from an exponential distribution, the two means set
//! so that the server spends `duty` of its time in peaks. It is driven by a
//! seeded xorshift generator, so two servers built with the same seed go
//! through the same peaks at the same moments after they start — every
//! strategy is measured against the same weather.

use std::time::Duration;

/// Marsaglia's xorshift64* generator: small, fast, and repeatable from its
/// seed (no `rand` crate).
#[derive(Debug, Clone)]
pub struct Xorshift(u64);

impl Xorshift {
    /// A generator started from `seed` (any value, zero included).
    pub fn new(seed: u64) -> Xorshift {
        // xorshift must never hold zero; spreading the seed keeps small seeds
        // from starting in a run of small numbers.
        Xorshift(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `[0, 1)`, from the top 53 bits.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A draw from the exponential distribution with this mean.
    pub fn exponential(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.unit()).ln()
    }
}

/// What the server does with a connection it accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// Calm: read the request, answer after this service time.
    Serve(Duration),
    /// Peak: close the connection without answering (the client reads EOF).
    Drop,
    /// Peak: reset the connection (the client sees `ECONNRESET`).
    Reset,
    /// Peak: never answer, and hold the connection until the client leaves.
    Stall,
}

/// The peaks and the service times of one server: answers "what happens to
/// a connection accepted `at` after the server started?".
#[derive(Debug)]
pub struct Traffic {
    random: Xorshift,
    mean_peak_ms: f64,
    mean_calm_ms: f64,
    in_peak: bool,
    /// When the current spell ends, in ms after the start.
    spell_ends_ms: f64,
}

/// Share of calm requests that take the slow path (the tail that staggered
/// hedging is for).
const SLOW_SHARE: f64 = 0.04;

impl Traffic {
    /// Peaks `duty` of the time (0.0 ..= 1.0), `mean_peak` long on average.
    pub fn new(seed: u64, duty: f64, mean_peak: Duration) -> Traffic {
        let duty = duty.clamp(0.0, 1.0);
        let mean_peak_ms = mean_peak.as_secs_f64() * 1e3;
        let mean_calm_ms = if duty == 0.0 {
            f64::INFINITY
        } else {
            mean_peak_ms * (1.0 - duty) / duty
        };
        let mut random = Xorshift::new(seed);
        // Start in the stationary state: in a peak with probability `duty`.
        let in_peak = random.unit() < duty;
        let mut traffic = Traffic {
            random,
            mean_peak_ms,
            mean_calm_ms,
            in_peak,
            spell_ends_ms: 0.0,
        };
        traffic.spell_ends_ms = traffic.spell_length();
        traffic
    }

    fn spell_length(&mut self) -> f64 {
        let mean = if self.in_peak {
            self.mean_peak_ms
        } else {
            self.mean_calm_ms
        };
        if mean.is_infinite() {
            f64::INFINITY
        } else {
            self.random.exponential(mean)
        }
    }

    /// Whether the server is in a peak `at` after its start. Times must not
    /// go backwards between calls (the process only moves forward); an
    /// earlier time is answered with the current spell.
    pub fn in_peak(&mut self, at: Duration) -> bool {
        let at_ms = at.as_secs_f64() * 1e3;
        while at_ms >= self.spell_ends_ms {
            // A duty of 1.0 has an infinite peak, of 0.0 an infinite calm:
            // neither ever ends, so this loop does.
            self.in_peak = !self.in_peak;
            self.spell_ends_ms += self.spell_length();
        }
        self.in_peak
    }

    /// The fate of a connection accepted `at` after the start: in a peak one
    /// of drop, reset and stall, equally likely; in calm, served in about
    /// 1.5 ms, or — 4 % of the time — slowly, in 15 to 40 ms.
    pub fn fate(&mut self, at: Duration) -> Fate {
        if self.in_peak(at) {
            return match self.random.next_u64() % 3 {
                0 => Fate::Drop,
                1 => Fate::Reset,
                _ => Fate::Stall,
            };
        }
        let ms = if self.random.unit() < SLOW_SHARE {
            15.0 + 25.0 * self.random.unit()
        } else {
            1.0 + self.random.exponential(0.5)
        };
        Fate::Serve(Duration::from_secs_f64(ms / 1e3))
    }
}
