//! Shared lanes in the adaptive controller's queue model: the movements of an approach that
//! share a lane (a through/right lane, and the through lane beside it) form one queue that
//! discharges at the saturation flow of all their lanes, each movement leaving in proportion to
//! what it has queued, as vehicles do from a first-in, first-out lane. Splitting a shared lane's
//! discharge evenly among its turns instead would have a side street's through traffic, nine in
//! ten of its vehicles, leave at half its lane's rate, and its green would look worth half of what
//! it is.

use crate::site::Site;

/// Movements discharging together from the same lanes.
#[derive(Clone, Debug)]
pub(super) struct Pool {
    /// Discharge rate of the pool's lanes when green, veh/s.
    pub capacity: f64,
}

/// The pools of `flows` (given as approach index and lanes): each flow's pool, and the pools.
pub(super) fn pools(site: &Site, flows: &[(usize, Vec<u8>)]) -> (Vec<usize>, Vec<Pool>) {
    // Flows on one approach whose lanes overlap, transitively, share a pool.
    let mut of: Vec<usize> = (0..flows.len()).collect();
    loop {
        let mut merged = false;
        for i in 0..flows.len() {
            for j in 0..i {
                let overlap =
                    flows[i].0 == flows[j].0 && flows[i].1.iter().any(|l| flows[j].1.contains(l));
                if overlap && of[i] != of[j] {
                    let (keep, drop) = (of[i].min(of[j]), of[i].max(of[j]));
                    of.iter_mut()
                        .filter(|p| **p == drop)
                        .for_each(|p| *p = keep);
                    merged = true;
                }
            }
        }
        if !merged {
            break;
        }
    }
    let mut ids: Vec<usize> = of.clone();
    ids.sort_unstable();
    ids.dedup();
    let pool_of = of
        .iter()
        .map(|p| ids.binary_search(p).expect("a pool id"))
        .collect();
    let pools = ids
        .iter()
        .map(|&id| {
            let mut lanes: Vec<u8> = of
                .iter()
                .enumerate()
                .filter(|&(_, p)| *p == id)
                .flat_map(|(i, _)| flows[i].1.iter().copied())
                .collect();
            lanes.sort_unstable();
            lanes.dedup();
            let approach = &site.approaches[flows[id].0];
            Pool {
                capacity: approach.saturation_flow_veh_h_lane / 3600.0
                    * (lanes.len() as f64).max(0.5),
            }
        })
        .collect();
    (pool_of, pools)
}
