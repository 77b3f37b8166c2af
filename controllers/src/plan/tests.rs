use super::*;
use crate::load::parse_toml;
use crate::test_support::*;
use std::path::Path;

const NEMA_PLAN: &str = include_str!("../../../config/plans/nema-4leg-base.toml");

fn plan_spec(text: &str) -> PlanSpec {
    parse_toml(Path::new("plan.toml"), text).expect("plan parses")
}

#[test]
fn the_example_plan_adds_up() {
    let ix = intersection(NEMA_4LEG);
    let plan = TimingPlan::from_spec(&plan_spec(NEMA_PLAN), &ix).expect("valid");
    assert_eq!(plan.cycle, Duration::from_secs(90));
    assert_eq!(plan.interstages, vec![Duration::from_secs(6); 4]);
    assert_eq!(plan.max_cycle, Duration::from_secs(120));
    let main = plan.stages[1];
    assert_eq!(ix.stage(main.stage).id, "2+6");
    assert_eq!(
        (main.min_green, main.max_green),
        (Duration::from_secs(7), Duration::from_secs(50))
    );
}

#[test]
fn a_group_green_over_consecutive_stages_counts_all_of_them() {
    // Phase 2 runs through "2+5" and "2+6": 4 s + 6 s interstage + 4 s is enough for its 7 s,
    // but phase 5 gets only 4 s in "2+5" (below 7 s).
    let ix = intersection(NEMA_4LEG);
    let mut spec = plan_spec(NEMA_PLAN);
    let stage = |id: &str, green_s: f64| PlanStageSpec {
        stage: id.into(),
        green_s,
        min_green_s: Some(0.0),
        max_green_s: None,
    };
    spec.stages = vec![
        stage("2+5", 4.0),
        stage("2+6", 10.0),
        stage("3+7", 8.0),
        stage("4+8", 20.0),
        stage("1+6", 10.0),
    ];
    spec.cycle_s = 4.0 + 10.0 + 8.0 + 20.0 + 10.0 + 5.0 * 6.0;
    let err = TimingPlan::from_spec(&spec, &ix).unwrap_err();
    assert_eq!(err.0.len(), 1, "{err}");
    assert!(
        err.mentions("gives group `5` 4 s of green, below its minimum green of 7 s"),
        "{err}"
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let ix = intersection(EU_TWO_STAGE);
    let spec = plan_spec(
        r#"
        plan_id = ""
        version = 0
        cycle_s = 70.0
        offset_s = -1.0
        [[stages]]
        stage = "A"
        green_s = 30.0
        [[stages]]
        stage = "C"
        green_s = 24.0
        "#,
    );
    let err = TimingPlan::from_spec(&spec, &ix).unwrap_err();
    let fields: Vec<&str> = err.iter().map(|p| p.field.as_str()).collect();
    assert_eq!(
        fields,
        ["plan_id", "version", "offset_s", "stages[1].stage"]
    );
}

#[test]
fn a_broken_cycle_is_said_once_not_again_through_the_offset() {
    let ix = intersection(EU_TWO_STAGE);
    for (cycle, offset, fields) in [
        ("-90.0", "0.0", vec!["cycle_s"]),
        ("-90.0", "-5.0", vec!["cycle_s", "offset_s"]),
        ("90.0", "95.0", vec!["offset_s"]),
    ] {
        let spec = plan_spec(&format!(
            r#"
            plan_id = "p"
            version = 1
            cycle_s = {cycle}
            offset_s = {offset}
            max_cycle_s = 120.0
            [[stages]]
            stage = "A"
            green_s = 30.0
            "#
        ));
        let err = TimingPlan::from_spec(&spec, &ix).unwrap_err();
        let got: Vec<&str> = err.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            got[..fields.len()],
            fields[..],
            "cycle {cycle}, offset {offset}: {err:?}"
        );
        assert!(!got.contains(&"max_cycle_s"), "{err:?}");
    }
}

#[test]
fn a_stage_twice_in_the_order_is_refused() {
    let ix = intersection(EU_TWO_STAGE);
    let spec = plan_spec(
        r#"
        plan_id = "twice"
        version = 1
        cycle_s = 100.0
        [[stages]]
        stage = "A"
        green_s = 20.0
        [[stages]]
        stage = "B"
        green_s = 20.0
        [[stages]]
        stage = "A"
        green_s = 20.0
        "#,
    );
    let err = TimingPlan::from_spec(&spec, &ix).unwrap_err();
    assert!(
        err.mentions("stage `A` appears twice in the order"),
        "{err}"
    );
}

#[test]
fn a_pattern_number_is_kept_and_checked() {
    let ix = intersection(NEMA_4LEG);
    let plan = TimingPlan::from_spec(&plan_spec(NEMA_PLAN), &ix).expect("valid");
    assert_eq!((plan.pattern, plan.pattern_number()), (None, 1));
    let numbered = format!("pattern = 7\n{NEMA_PLAN}");
    let plan = TimingPlan::from_spec(&plan_spec(&numbered), &ix).expect("valid");
    assert_eq!((plan.pattern, plan.pattern_number()), (Some(7), 7));
    for bad in [0, 254, 255] {
        let text = format!("pattern = {bad}\n{NEMA_PLAN}");
        let problems = TimingPlan::from_spec(&plan_spec(&text), &ix).unwrap_err();
        let text = problems.to_string();
        assert!(
            text.contains("pattern") && text.contains("out of range"),
            "{text}"
        );
    }
}
