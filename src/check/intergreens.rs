//! Intergreens against the junctions' geometry: `greenwave check` warns where a given intergreen
//! of a European intersection is shorter than the conflict geometry asks for
//! (EN 12675, computed by
//! [`geometry`](greenwave_controllers::corridor::geometry)), and with `--intergreens` lists every
//! derived value beside the given one (or the one in force, where an intersection takes those
//! its file does not give from the geometry: `derive_intergreens`).

use greenwave_controllers::corridor::Corridor;
use greenwave_controllers::corridor::geometry::derived_intergreens;
use greenwave_controllers::model::Region;

/// Intergreens shorter than the junction's geometry asks for (EN 12675; see
/// [`geometry`](greenwave_controllers::corridor::geometry)), at European intersections, whose
/// intergreens are timed so (US practice times a change and clearance interval by ITE's
/// formula, post-Soviet practice its own intermediate interval).
pub fn short_intergreens(corridor: &Corridor) -> Vec<String> {
    let mut out = Vec::new();
    for (node, n) in corridor.intersections() {
        let ix = n.intersection().expect("an intersection");
        if ix.region() != Region::Eu {
            continue;
        }
        for d in derived_intergreens(corridor, node) {
            let Some(given) = ix.intergreen(d.clearing, d.entering) else {
                continue;
            };
            if given.as_secs_f64() + 1e-9 < d.seconds {
                out.push(format!(
                    "`{}`: intergreen {} -> {} is {given}, its geometry asks for {} s \
                     (EN 12675: `{}` clears {:.1} m + 6 m to where `{}` enters {:.1} m in)",
                    n.id,
                    ix.group(d.clearing).id,
                    ix.group(d.entering).id,
                    d.seconds,
                    d.movements.0,
                    d.clearing_m,
                    d.movements.1,
                    d.entering_m
                ));
            }
        }
    }
    out
}

/// Every intergreen the geometry asks for, beside the one given: one line per intersection.
pub fn intergreen_table(corridor: &Corridor) -> Vec<String> {
    corridor
        .intersections()
        .map(|(node, n)| {
            let ix = n.intersection().expect("an intersection");
            // Where the file leaves them to the geometry, those in force are the derived ones
            // (or the file's own, where it gives one).
            let label = if ix.intergreens_derived() {
                "in force"
            } else {
                "given"
            };
            let pairs: Vec<String> = derived_intergreens(corridor, node)
                .iter()
                .map(|d| {
                    let given = ix
                        .intergreen(d.clearing, d.entering)
                        .map_or("none".to_owned(), |g| g.to_string());
                    format!(
                        "{} -> {} {} s ({label} {given})",
                        ix.group(d.clearing).id,
                        ix.group(d.entering).id,
                        d.seconds
                    )
                })
                .collect();
            format!(
                "`{}` intergreens from geometry (EN 12675): {}",
                n.id,
                pairs.join(", ")
            )
        })
        .collect()
}
