//! The trace's clock: a cheap tick counter on the loop, nanoseconds in the file.
//!
//! A traced step costs what recording it costs, and reading the time is most
//! of that: `Instant::now()` takes about 27 ns on the machine the benchmarks
//! run on, longer than the whole step of a task that yields (about 12 ns).
//! The CPU's time-stamp counter (`rdtsc`) takes about 10 ns. So the recorder
//! stamps its records in *ticks* ([`ticks`]) and, each time it hands a batch
//! to the writer, reads both clocks at once: an [`Anchor`]. The writer maps
//! the ticks of a batch onto nanoseconds by straight-line interpolation
//! between the anchor before the batch and the anchor after it, which is
//! exact at both ends and never runs backwards.
//!
//! That relies on a counter that ticks at a constant rate on every core: the
//! "invariant TSC" that the CPU reports through CPUID (the `constant_tsc` and
//! `nonstop_tsc` flags of Linux), checked once. Where it is missing (an old
//! CPU, a virtual machine that hides it), and on other targets, a tick is
//! simply a nanosecond of [`now_ns`] and the interpolation is the identity.

use std::sync::OnceLock;
use std::time::Instant;

/// Nanoseconds since the first traced event of the process: one time base
/// for every loop (and thread) writing into a trace.
pub(crate) fn now_ns() -> u64 {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    let epoch = *EPOCH.get_or_init(Instant::now);
    u64::try_from(epoch.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// The tick counter: the time-stamp counter on x86-64 when the CPU says it
/// ticks at a constant rate ([`invariant_tsc`]), else [`now_ns`].
#[cfg(target_arch = "x86_64")]
#[inline]
pub(crate) fn ticks() -> u64 {
    if invariant_tsc() {
        // SAFETY: `rdtsc` exists on every x86-64 CPU, reads a counter and
        // has no other effect.
        unsafe { core::arch::x86_64::_rdtsc() }
    } else {
        now_ns()
    }
}

/// Whether the CPU reports an invariant time-stamp counter (CPUID leaf
/// `0x8000_0007`, EDX bit 8: constant rate in every power state), asked
/// once. A virtual machine that does not pass the bit on gets `now_ns`.
#[cfg(target_arch = "x86_64")]
#[inline]
// `__cpuid` is a safe function since Rust 1.87; corio's minimum is 1.85.
#[allow(unused_unsafe)]
fn invariant_tsc() -> bool {
    static INVARIANT: OnceLock<bool> = OnceLock::new();
    *INVARIANT.get_or_init(|| {
        use core::arch::x86_64::__cpuid;
        // SAFETY: `cpuid` exists on every x86-64 CPU and only reports.
        let highest = unsafe { __cpuid(0x8000_0000) }.eax;
        // SAFETY: as above; the leaf is asked only if the CPU has it.
        highest >= 0x8000_0007 && unsafe { __cpuid(0x8000_0007) }.edx & (1 << 8) != 0
    })
}

/// The tick counter: [`now_ns`] where there is no cheaper counter.
#[cfg(not(target_arch = "x86_64"))]
#[inline]
pub(crate) fn ticks() -> u64 {
    now_ns()
}

/// Whether [`ticks`] reads the time-stamp counter (so [`tsc_ticks`]
/// reads the same clock).
pub(crate) fn counts_tsc() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        invariant_tsc()
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// The tick counter for a caller that asked [`counts_tsc`] once and keeps
/// the answer where its hot path tests it: it reads the time-stamp counter
/// without asking again, so it is [`ticks`] only where that answer was
/// `true` (on other targets it is [`now_ns`], as [`ticks`] is there).
#[inline]
pub(crate) fn tsc_ticks() -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: `rdtsc` exists on every x86-64 CPU, reads a counter and
        // has no other effect.
        unsafe { core::arch::x86_64::_rdtsc() }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        now_ns()
    }
}

/// The two clocks read together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Anchor {
    pub(crate) ticks: u64,
    pub(crate) ns: u64,
}

impl Anchor {
    /// Both clocks, now.
    /// The nanoseconds are read between two tick reads, and paired with
    /// their midpoint: the pairing is then off by half the time one read
    /// of `now_ns` takes at most, rather than all of it (which matters
    /// where that read is slow: under valgrind, in a virtual machine).
    pub(crate) fn now() -> Anchor {
        let before = ticks();
        let ns = now_ns();
        let after = ticks();
        Anchor {
            ticks: before + after.saturating_sub(before) / 2,
            ns,
        }
    }

    /// Maps `at` (in ticks, taken between `self` and `later`) onto
    /// nanoseconds; a tick outside the span is held to its nearer end.
    pub(crate) fn to_ns(self, later: Anchor, at: u64) -> u64 {
        let span_ticks = later.ticks.saturating_sub(self.ticks);
        let span_ns = later.ns.saturating_sub(self.ns);
        if span_ticks == 0 {
            return self.ns;
        }
        let into = at.clamp(self.ticks, later.ticks) - self.ticks;
        let scaled = u128::from(into) * u128::from(span_ns) / u128::from(span_ticks);
        self.ns + u64::try_from(scaled).unwrap_or(span_ns)
    }
}

#[cfg(test)]
mod tests {
    use super::Anchor;

    #[test]
    fn ticks_map_onto_nanoseconds_between_two_anchors() {
        let a = Anchor {
            ticks: 1000,
            ns: 50,
        };
        let b = Anchor {
            ticks: 4000,
            ns: 1050,
        };
        assert_eq!(a.to_ns(b, 1000), 50);
        assert_eq!(a.to_ns(b, 2500), 550);
        assert_eq!(a.to_ns(b, 4000), 1050);
        // Outside the span: held to the nearer end, never backwards.
        assert_eq!(a.to_ns(b, 10), 50);
        assert_eq!(a.to_ns(b, 9000), 1050);
        // No ticks between the anchors: the first anchor's time.
        assert_eq!(a.to_ns(a, 1000), 50);
    }

    #[test]
    fn ticks_advance_with_time() {
        let a = Anchor::now();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = Anchor::now();
        assert!(b.ticks > a.ticks && b.ns >= a.ns + 2_000_000);
        let mid = a.to_ns(b, a.ticks + (b.ticks - a.ticks) / 2);
        assert!(mid > a.ns && mid < b.ns);
    }
}
