use super::*;
use crate::load;
use std::path::Path;

fn arterial() -> Corridor {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/corridors/arterial-4.toml");
    load::corridor(&path).expect("arterial-4 is valid")
}

#[test]
fn arterial_4_has_the_layout_the_scenarios_rely_on() {
    let c = arterial();
    assert_eq!(c.intersections().count(), 4);
    let link = |id: &str| &c.graph()[c.link_by_id(id).unwrap_or_else(|| panic!("link {id}"))];
    let lengths: Vec<f64> = ["W->J1", "J1->J2", "J2->J3", "J3->J4", "J4->E", "N3->J3"]
        .iter()
        .map(|id| link(id).length_m)
        .collect();
    assert_eq!(lengths, [400.0, 400.0, 300.0, 500.0, 400.0, 300.0]);
    assert!((link("W->J1").speed_mps - 50.0 / 3.6).abs() < 1e-9);
    assert_eq!(
        c.entries().count(),
        10,
        "W, E and eight side streets feed the corridor"
    );
    // Each cabinet has 30 detector channels: the controllers' loops 0..19, the advance count
    // loops 20..29 (120 m upstream, one a lane).
    for (node, _) in c.intersections() {
        let detectors = || {
            c.graph()
                .edges_directed(node, Dir::Incoming)
                .flat_map(|e| e.weight().detectors.clone())
        };
        let mut channels: Vec<u8> = detectors().map(|d| d.channel).collect();
        channels.sort_unstable();
        assert_eq!(channels, (0..30).collect::<Vec<u8>>());
        for d in detectors() {
            let counting = d.kind == DetectorKind::AdvanceCount;
            assert_eq!(counting, d.channel >= 20, "{}", d.id);
            assert_eq!(counting, d.distance_m == 120.0, "{}", d.id);
        }
    }
}

#[test]
fn approaches_and_turns_follow_from_node_positions() {
    let c = arterial();
    let j2 = c.node_by_id("J2").unwrap();
    let eb = c.approach(j2, Approach::EB).expect("eastbound approach");
    assert_eq!(eb.id, "J1->J2");
    assert_eq!(
        eb.lanes.iter().map(ToString::to_string).collect::<Vec<_>>(),
        ["L", "T", "TR"]
    );
    let onto = |turn| c.graph()[eb.onto(turn).expect("movement")].id.clone();
    assert_eq!(onto(Turn::Left), "J2->N2");
    assert_eq!(onto(Turn::Through), "J2->J3");
    assert_eq!(onto(Turn::Right), "J2->S2");
    let sb = c.approach(j2, Approach::SB).expect("southbound approach");
    assert_eq!(sb.id, "N2->J2");
    assert_eq!(
        c.graph()[sb.onto(Turn::Left).unwrap()].id,
        "J2->J3",
        "southbound left is east"
    );
    // Links into a boundary have no movements.
    assert!(
        c.graph()[c.link_by_id("J4->E").unwrap()]
            .movements
            .is_empty()
    );
}

#[test]
fn a_missing_intersection_file_is_reported_at_its_node() {
    let spec = CorridorSpec {
        id: "x".into(),
        name: None,
        nodes: vec![NodeSpec {
            id: "J1".into(),
            x_m: 0.0,
            y_m: 0.0,
            intersection: Some("nope.toml".into()),
        }],
        links: vec![],
    };
    let err = Corridor::from_spec(&spec, |p| Err(format!("{p}: cannot read"))).unwrap_err();
    assert!(err.mentions("nope.toml: cannot read"), "{err}");
    assert_eq!(err.0[0].field, "nodes[0].intersection");
}
