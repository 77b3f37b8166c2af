use super::*;

fn profile(text: &str) -> Result<Profile, Vec<String>> {
    Profile::from_spec(&toml::from_str(text).expect("parses"))
}

const WATCHDOG: &str = "[watchdog]\ntimeout_register = 4096\nkeepalive = \"traffic\"\n";

#[test]
fn the_shipped_profiles_load() {
    for name in [
        "generic-16do-16di",
        "generic-16do-16di-flash",
        "generic-8ro-8di-counters",
        "generic-32di",
    ] {
        let path = format!("{}/config/profiles/{name}.toml", env!("CARGO_MANIFEST_DIR"));
        let p = Profile::load(Path::new(&path)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!p.terminals.is_empty());
    }
    let path = format!(
        "{}/config/profiles/generic-8ro-8di-counters.toml",
        env!("CARGO_MANIFEST_DIR")
    );
    let p = Profile::load(Path::new(&path)).unwrap();
    assert_eq!(p.terminals["RO1"], Terminal::Output(0));
    let Terminal::Input(3, Some(c)) = p.terminals["DI4"] else {
        panic!("{:?}", p.terminals["DI4"])
    };
    assert_eq!((c.address, c.registers), (6, 2));
}

#[test]
fn overlapping_banks_are_named() {
    let e = profile(&format!(
        "name = \"x\"\n[[outputs]]\nprefix = \"DO\"\ncount = 16\naddress = 0\n\
         [[outputs]]\nprefix = \"RO\"\ncount = 4\naddress = 12\n{WATCHDOG}"
    ))
    .unwrap_err();
    assert_eq!(
        e,
        vec!["outputs[1]: coils 12..15 overlap outputs[0] (0..15)".to_owned()]
    );
}

#[test]
fn a_terminal_named_twice_is_named() {
    let e = profile(&format!(
        "name = \"x\"\n[[inputs]]\nprefix = \"DI\"\ncount = 8\naddress = 0\n\
         [[inputs]]\nprefix = \"DI\"\nfirst_number = 7\ncount = 2\naddress = 100\n{WATCHDOG}"
    ))
    .unwrap_err();
    assert_eq!(e, vec!["inputs[1]: terminal DI7 is named twice".to_owned()]);
}

#[test]
fn outputs_without_a_watchdog_are_refused_inputs_alone_are_not() {
    let e = profile("name = \"x\"\n[[outputs]]\nprefix = \"DO\"\ncount = 4\naddress = 0\n")
        .unwrap_err();
    assert!(e[0].starts_with("watchdog: missing"), "{e:?}");
    let p = profile("name = \"x\"\n[[inputs]]\nprefix = \"DI\"\ncount = 4\naddress = 0\n").unwrap();
    assert!(p.watchdog.is_none());
}

#[test]
fn every_problem_is_reported_at_once() {
    let e = profile(
        "name = \"x\"\n[[outputs]]\nprefix = \"DO\"\ncount = 0\naddress = 0\n\
         [[counters]]\nprefix = \"DI\"\ncount = 2\naddress = 0\n\
         [watchdog]\ntimeout_register = 70000\nkeepalive = \"register\"\n",
    )
    .unwrap_err();
    assert_eq!(e.len(), 5, "{e:#?}");
    assert!(
        e[0].starts_with("outputs[0].count: 0 is out of range"),
        "{e:?}"
    );
    assert!(
        e.iter()
            .any(|p| p == "counters[0]: DI0 is not an input of this module"),
        "{e:?}"
    );
    assert!(
        e.iter()
            .any(|p| p.starts_with("watchdog.timeout_register.address")),
        "{e:?}"
    );
    assert!(
        e.iter()
            .any(|p| p.starts_with("watchdog.keepalive_register: missing")),
        "{e:?}"
    );
}

#[test]
fn a_flash_function_is_checked_and_named() {
    let outputs = "name = \"x\"\n[[outputs]]\nprefix = \"DO\"\ncount = 16\naddress = 0\n";
    let p = profile(&format!(
        "{outputs}{WATCHDOG}[flash]\nenable_offset = 100\nflashes_per_minute = 55\n\
         rate_register = 4200\nrate_value = 55\n"
    ))
    .unwrap();
    let flash = p.flash.expect("a flash function");
    assert_eq!(
        (flash.enable_offset, flash.flashes_per_minute, flash.rate),
        (100, 55, Some((4200, 55)))
    );
    let e = profile(&format!(
        "{outputs}{WATCHDOG}[flash]\nenable_offset = 8\nflashes_per_minute = 90\n\
         rate_register = 4096\n"
    ))
    .unwrap_err();
    assert_eq!(
        e,
        vec![
            "flash.flashes_per_minute: 90 is outside 50 to 60 (MUTCD 2009 4D.30)".to_owned(),
            "flash (enable coils of outputs[0]): coils 8..23 overlap outputs[0] (0..15)".to_owned(),
            "flash.rate_value: missing (rate_register is given)".to_owned(),
        ]
    );
    let e = profile(
        "name = \"x\"\n[[inputs]]\nprefix = \"DI\"\ncount = 4\naddress = 0\n\
         [flash]\nenable_offset = 100\nflashes_per_minute = 60\n",
    )
    .unwrap_err();
    assert_eq!(
        e,
        vec!["flash: the module has no outputs to flash".to_owned()]
    );
}
