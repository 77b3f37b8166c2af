//! How much memory a simulation needs, estimated before it starts, and how much the machine
//! has: a network too large for it is refused up front with the estimate, not killed half-way.
//!
//! The figures are the maximum resident sets measured on generated grids (3600 s simulated,
//! `/usr/bin/time -v`): about 11 MB for the program and a small network, and per intersection
//! 0.17 MB under fixed time (20x20 grid: 75 MB) and 0.25 MB under adaptive control (10x10
//! grid: 35 MB), which keeps its predictions and forecasts. The estimate rounds up by a fifth.

/// The program and a small network, MB.
const BASE_MB: f64 = 11.0;
/// Per intersection under fixed time and the other cycle-based controllers, MB.
const PER_SITE_MB: f64 = 0.17;
/// Per intersection under adaptive control, MB.
const PER_ADAPTIVE_SITE_MB: f64 = 0.25;
/// Headroom on the measurements.
const MARGIN: f64 = 1.2;

/// The memory a run of `intersections` under `controller` needs, MB.
pub fn estimate_mb(intersections: usize, controller: &str) -> f64 {
    let per = if controller == "adaptive" {
        PER_ADAPTIVE_SITE_MB
    } else {
        PER_SITE_MB
    };
    (BASE_MB + per * intersections as f64) * MARGIN
}

/// The memory available to a run, MB: `GREENWAVE_MEMORY_MB` where set (a container's limit,
/// say), else the kernel's `MemAvailable`; `None` where neither is known.
pub fn available_mb() -> Option<f64> {
    if let Ok(v) = std::env::var("GREENWAVE_MEMORY_MB") {
        return v
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite() && *x > 0.0);
    }
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Why a run of `intersections` under `controller` does not fit in memory, if it does not.
pub fn too_large(intersections: usize, controller: &str) -> Option<String> {
    let need = estimate_mb(intersections, controller);
    let have = available_mb()?;
    (need > have).then(|| {
        format!(
            "{intersections} intersections under {controller} need about {need:.0} MB to simulate \
             and {have:.0} MB are available; make the network smaller (or set \
             GREENWAVE_MEMORY_MB if the machine has more)"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_estimate_covers_the_measured_grids() {
        assert!(estimate_mb(400, "fixed") >= 75.4);
        assert!(estimate_mb(100, "adaptive") >= 35.2);
        assert!(estimate_mb(4, "fixed") >= 11.0);
        // A city of 2,000 signals under adaptive control: about 600 MB.
        let city = estimate_mb(2000, "adaptive");
        assert!((500.0..800.0).contains(&city), "{city}");
    }
}
