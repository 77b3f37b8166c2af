use std::path::Path;
use std::sync::Arc;

use super::*;
use crate::corridor::CorridorSpec;
use crate::load;
use crate::model::{Intersection, IntersectionSpec};

/// The plain crossing's intersection file: the east-west street in K1 and the north-south
/// street in K2, with `extra` (its intergreens, or that they are derived).
fn crossing_file(extra: &str) -> IntersectionSpec {
    toml::from_str(&format!(
        r#"
        region = "eu"
        [timings]
        amber_s = 3.0
        [[groups]]
        id = "K1"
        min_green_s = 5.0
        max_green_s = 40.0
        movements = [{{ approach = "eb", turn = "through" }}, {{ approach = "wb", turn = "through" }}]
        [[groups]]
        id = "K2"
        min_green_s = 5.0
        max_green_s = 40.0
        movements = [{{ approach = "nb", turn = "through" }}, {{ approach = "sb", turn = "through" }}]
        [[stages]]
        id = "A"
        groups = ["K1"]
        [[stages]]
        id = "B"
        groups = ["K2"]
        {extra}
        "#
    ))
    .unwrap()
}

/// A plain crossing: one lane in and one out on every leg, 100 m legs, the east-west street in
/// K1 and the north-south street in K2.
fn crossing() -> Corridor {
    let ix = crossing_file("[intergreens_s]\nK1 = { K2 = 3.0 }\nK2 = { K1 = 5.0 }");
    let ix = Arc::new(Intersection::from_spec(&ix).unwrap());
    let spec: CorridorSpec = toml::from_str(&crossing_text()).unwrap();
    Corridor::from_spec(&spec, |_| Ok(ix.clone())).unwrap()
}

#[test]
fn a_plain_crossing_needs_what_the_formula_gives_by_hand() {
    let c = crossing();
    let j = c.node_by_id("J").unwrap();
    let d = derived_intergreens(&c, j);
    assert_eq!(d.len(), 2, "{d:?}");
    // Stop lines 5.5 m out (two 3.5 m lanes a leg, half of it, and 2 m). Eastbound clears
    // 7.25 m to where northbound, 3.75 m in, crosses: 3 + (7.25 + 6) / 10 - 3.75 / 11.1 = 3.99.
    let k1_k2 = &d[0];
    assert_eq!(
        (k1_k2.clearing, k1_k2.entering),
        (GroupIndex(0), GroupIndex(1))
    );
    assert_eq!(
        k1_k2.movements,
        ("eb through".to_owned(), "nb through".to_owned())
    );
    assert!((k1_k2.clearing_m - 7.25).abs() < 1e-6, "{k1_k2:?}");
    assert!((k1_k2.entering_m - 3.75).abs() < 1e-6, "{k1_k2:?}");
    assert_eq!(k1_k2.seconds, 4.0);
    // And the same the other way round, by symmetry.
    assert_eq!(d[1].seconds, 4.0);
}

#[test]
fn the_shipped_european_junctions_intergreens_cover_their_geometry() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/corridors");
    let mut checked = 0;
    for file in ["five-leg.toml", "y-junction.toml", "eu-crossing.toml"] {
        let c = load::corridor(&root.join(file)).unwrap();
        for (node, n) in c.intersections() {
            let ix = n.intersection().unwrap();
            assert_eq!(ix.region(), crate::model::Region::Eu, "{file}");
            for d in derived_intergreens(&c, node) {
                let Some(given) = ix.intergreen(d.clearing, d.entering) else {
                    continue;
                };
                assert!(
                    given.as_secs_f64() >= d.seconds,
                    "{file}: {} -> {} is {given}, the geometry asks for {} s ({d:?})",
                    ix.group(d.clearing).id,
                    ix.group(d.entering).id,
                    d.seconds
                );
                assert!((1.0..=12.0).contains(&d.seconds), "{file}: {d:?}");
                checked += 1;
            }
        }
    }
    assert!(checked > 25, "{checked} pairs checked");
}

#[test]
fn a_pedestrian_clearing_a_crossing_needs_more_than_a_vehicle() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/corridors");
    let c = load::corridor(&root.join("eu-crossing.toml")).unwrap();
    let (node, n) = c.intersections().next().unwrap();
    let ix = n.intersection().unwrap();
    let d = derived_intergreens(&c, node);
    let get = |a: &str, b: &str| {
        let (a, b) = (ix.group_by_id(a).unwrap(), ix.group_by_id(b).unwrap());
        d.iter()
            .find(|x| x.clearing == a && x.entering == b)
            .unwrap_or_else(|| panic!("no conflict {a:?} -> {b:?}: {d:?}"))
            .seconds
    };
    // P3 walks across the east leg; K1's traffic crosses it there.
    assert!(get("P3", "K1") > get("K1", "P3"), "{d:?}");
}

/// The plain crossing with intergreens derived, beside those `given`.
fn crossing_deriving(given: &str) -> Result<Corridor, crate::Problems> {
    let mut ix = crossing_file(given);
    ix.derive_intergreens = true;
    let ix = Arc::new(Intersection::from_spec(&ix).unwrap());
    // Until a corridor gives it its geometry, the pairs its file leaves out do not conflict.
    assert!(ix.derives_intergreens());
    let spec: CorridorSpec = toml::from_str(&crossing_text()).unwrap();
    Corridor::from_spec(&spec, |_| Ok(ix.clone()))
}

/// The plain crossing's corridor file.
fn crossing_text() -> String {
    let mut text = String::from(
        "id = \"x\"\n[[nodes]]\nid = \"J\"\nx_m = 0.0\ny_m = 0.0\nintersection = \"J\"\n",
    );
    for (n, x, y) in [
        ("W", -100.0, 0.0),
        ("E", 100.0, 0.0),
        ("S", 0.0, -100.0),
        ("N", 0.0, 100.0),
    ] {
        text += &format!("[[nodes]]\nid = \"{n}\"\nx_m = {x}\ny_m = {y}\n");
        text +=
            &format!("[[links]]\nfrom = \"{n}\"\nto = \"J\"\nspeed_kmh = 50.0\nlanes = [\"T\"]\n");
        text +=
            &format!("[[links]]\nfrom = \"J\"\nto = \"{n}\"\nspeed_kmh = 50.0\nlanes = [\"T\"]\n");
    }
    text
}

#[test]
fn intergreens_not_given_come_from_the_geometry_and_those_given_are_kept() {
    let c = crossing_deriving("").unwrap();
    let ix = c.graph()[c.node_by_id("J").unwrap()]
        .intersection()
        .unwrap();
    let (k1, k2) = (GroupIndex(0), GroupIndex(1));
    // 3.99 s rounded up, both ways (as by hand above).
    assert_eq!(ix.intergreen(k1, k2), Some(crate::Duration::from_secs(4)));
    assert_eq!(ix.intergreen(k2, k1), Some(crate::Duration::from_secs(4)));
    assert!(ix.conflicts(k1, k2));
    assert!(!ix.derives_intergreens() && ix.intergreens_derived());

    // One given: kept, the other direction derived.
    let c = crossing_deriving("[intergreens_s]\nK1 = { K2 = 6.0 }").unwrap();
    let ix = c.graph()[c.node_by_id("J").unwrap()]
        .intersection()
        .unwrap();
    assert_eq!(ix.intergreen(k1, k2), Some(crate::Duration::from_secs(6)));
    assert_eq!(ix.intergreen(k2, k1), Some(crate::Duration::from_secs(4)));
}

#[test]
fn the_shipped_five_leg_junction_takes_its_intergreens_from_its_geometry() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/corridors");
    let c = load::corridor(&root.join("five-leg.toml")).unwrap();
    let node = c.node_by_id("J1").unwrap();
    let ix = c.graph()[node].intersection().unwrap();
    assert!(ix.intergreens_derived());
    let g = |id: &str| ix.group_by_id(id).unwrap();
    let mut checked = 0;
    for d in derived_intergreens(&c, node) {
        let together = ix
            .stages()
            .iter()
            .any(|s| s.groups.contains(d.clearing) && s.groups.contains(d.entering));
        let expected = (!together).then(|| crate::Duration::from_secs_f64(d.seconds));
        assert_eq!(ix.intergreen(d.clearing, d.entering), expected, "{d:?}");
        checked += 1;
    }
    assert_eq!(checked, 20);
    // Eastbound and westbound share stage A (their lefts permissive): no conflict.
    assert!(!ix.conflicts(g("K1"), g("K2")));
    assert_eq!(
        ix.intergreen(g("K1"), g("K5")),
        Some(crate::Duration::from_secs(7))
    );
}

#[test]
fn intergreens_from_the_geometry_are_for_european_practice_only() {
    let spec: IntersectionSpec = toml::from_str(
        r#"
        region = "us"
        derive_intergreens = true
        [[groups]]
        id = "K1"
        movements = [{ approach = "eb", turn = "through" }]
        [[stages]]
        id = "A"
        groups = ["K1"]
        "#,
    )
    .unwrap();
    let err = Intersection::from_spec(&spec).unwrap_err();
    assert!(err.mentions("`derive_intergreens`"), "{err}");
    assert!(
        err.mentions("region `us` gives its change and clearance intervals"),
        "{err}"
    );
}

#[test]
fn a_u_turn_loops_into_the_junction_and_comes_back_beside_where_it_came_from() {
    // Heading east at the west edge of the junction, back out heading west one lane north.
    let (a, u) = ((-10.0, -1.75), (1.0, 0.0));
    let (b, v) = ((-10.0, 1.75), (-1.0, 0.0));
    let path = curve(a, u, b, v);
    let furthest = path.iter().map(|p| p.0).fold(f64::MIN, f64::max);
    assert!(
        furthest > -10.0 + 1.0,
        "reaches into the junction: {furthest}"
    );
    assert_eq!(path.first(), Some(&a));
    assert_eq!(path.last(), Some(&b));
    // About half a circle round the 3.5 m between the ends (5.5 m), not straight across.
    assert!(length(&path) > 1.4 * (b.1 - a.1), "{}", length(&path));
}
