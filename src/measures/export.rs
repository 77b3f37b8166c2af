//! The measures for tools: JSON (everything) and two CSV tables (phases, approaches).

use std::io::{self, Write};

use super::SiteMeasures;
use super::timeline::Termination;

/// The measures as JSON: `{"after": [...], "before": [...]}`.
pub fn write_json(
    out: impl Write,
    after: &[SiteMeasures],
    before: Option<&[SiteMeasures]>,
) -> io::Result<()> {
    #[derive(serde::Serialize)]
    struct Doc<'a> {
        after: &'a [SiteMeasures],
        #[serde(skip_serializing_if = "Option::is_none")]
        before: Option<&'a [SiteMeasures]>,
    }
    serde_json::to_writer_pretty(out, &Doc { after, before }).map_err(io::Error::from)
}

fn opt(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(String::new, |x| format!("{x:.digits$}"))
}

/// One row per (set, site, phase).
pub fn write_phases_csv(mut out: impl Write, sets: &[(&str, &[SiteMeasures])]) -> io::Result<()> {
    writeln!(
        out,
        "set,site,phase,cycles,mean_green_s,gap_outs,max_outs,force_offs,arrivals,arrivals_on_green_pct,platoon_ratio,cycles_judged,split_failures,yellow_actuations,red_clearance_actuations"
    )?;
    for (set, sites) in sets {
        for s in *sites {
            for p in &s.phases {
                writeln!(
                    out,
                    "{set},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
                    s.site,
                    p.phase,
                    p.greens.len(),
                    opt(p.mean_green_s(), 1),
                    p.ended(Termination::GapOut),
                    p.ended(Termination::MaxOut),
                    p.ended(Termination::ForceOff),
                    p.arrivals,
                    opt(p.aog_pct(), 1),
                    opt(p.platoon_ratio(), 2),
                    p.judged,
                    p.split_failures,
                    p.yellow_actuations,
                    p.red_clearance_actuations
                )?;
            }
        }
    }
    Ok(())
}

/// One row per (set, site, approach).
pub fn write_approaches_csv(
    mut out: impl Write,
    sets: &[(&str, &[SiteMeasures])],
) -> io::Result<()> {
    writeln!(
        out,
        "set,site,direction,approach,street,vehicles,mean_wait_s,p95_wait_s,cycles_judged,split_failures,split_failure_pct"
    )?;
    for (set, sites) in sets {
        for s in *sites {
            for a in &s.approaches {
                writeln!(
                    out,
                    "{set},{},{},{},{},{},{},{},{},{},{}",
                    s.site,
                    a.direction,
                    a.link,
                    if a.arterial { "arterial" } else { "side" },
                    a.vehicles,
                    opt(a.mean_wait_s, 1),
                    opt(a.p95_wait_s, 1),
                    a.cycles,
                    a.split_failures,
                    opt(a.split_failure_pct(), 1)
                )?;
            }
        }
    }
    Ok(())
}
