//! Two-factor codes from the command line: enroll, confirm, guard export,
//! disable.

use crate::util::*;

#[test]
fn totp_enroll_confirm_guard_export_and_disable() {
    let h = Home::with_profile();
    assert_ok(&h.run(&["secret", "add", "GH_TOKEN"], Some("ghp_cliTotp0123456789abcdef")));
    assert_eq!(h.json(&["totp", "status"])["enabled"], false);
    let qr = h.path("qr.svg");
    let e = h.json(&["totp", "enroll", "--qr-svg", &qr]);
    let b32 = e["secret_base32"].as_str().expect("secret").to_owned();
    assert!(e["otpauth_uri"].as_str().expect("uri").starts_with("otpauth://totp/KeyClave:Work?secret="));
    assert!(std::fs::read_to_string(&qr).expect("svg").contains("<svg"));
    let secret = keyclave_core::totp::secret_from_base32(&b32).expect("base32");
    let now = settled_now();
    let code = |t: u64| keyclave_core::totp::code_at(&secret, t);

    let wrong = format!("{:06}", (code(now).parse::<u32>().expect("digits") + 1) % 1_000_000);
    let (code_exit, err) = h.fails(&["totp", "confirm", &wrong], None);
    assert_eq!((code_exit, err["code"].as_str()), (2, Some("totp.invalid")));
    let confirmed = h.json(&["totp", "confirm", &code(now - 30)]);
    let recovery: Vec<String> = confirmed["recovery_codes"]
        .as_array()
        .expect("codes")
        .iter()
        .map(|c| c.as_str().expect("str").to_owned())
        .collect();
    assert_eq!(recovery.len(), 8);
    assert!(recovery.iter().all(|c| c.len() == 9 && &c[4..5] == "-"));
    assert_eq!(h.json(&["profile", "list"])[0]["totp_enabled"], true);

    let out = h.path("t.kcbundle");
    let bp = h.bundle_pass_file();
    let bp = bp.to_str().expect("utf8");
    let (c, err) = h.fails(&export_args(&out, bp, &[]), None);
    assert_eq!((c, err["code"].as_str()), (2, Some("totp.required")));
    let now_code = code(now);
    assert_ok(&h.run(&export_args(&out, bp, &["--totp", &now_code]), None));
    let (_, err) = h.fails(&export_args(&out, bp, &["--force", "--totp", &now_code]), None);
    assert_eq!(err["code"], "totp.invalid", "a code works once");

    // Reveal is not guarded until the policy says so.
    assert_ok(&h.run(&["secret", "reveal", "GH_TOKEN"], None));
    assert_ok(&h.run(&["totp", "policy", "--reveal", "on", "--code", &recovery[0]], None));
    assert_eq!(h.fails(&["secret", "reveal", "GH_TOKEN"], None).1["code"], "totp.required");
    assert_ok(&h.run(&["secret", "reveal", "GH_TOKEN", "--totp", &code(now + 30)], None));

    let status = h.json(&["totp", "status"]);
    assert_eq!(status["recovery_codes_remaining"], 7);
    assert_eq!(status["policy"]["required_for_reveal"], true);

    assert_eq!(h.fails(&["totp", "disable", "--code", &recovery[0]], None).1["code"], "totp.invalid");
    assert_ok(&h.run(&["totp", "disable", "--code", &recovery[1]], None));
    assert_eq!(h.json(&["totp", "status"])["enabled"], false);
    assert_eq!(h.json(&["profile", "list"])[0]["totp_enabled"], false);
    let audit = h.json(&["audit", "--limit", "200"]).to_string();
    assert!(!audit.contains(&b32) && !recovery.iter().any(|c| audit.contains(c.as_str())));
}

#[test]
fn a_policy_set_while_totp_is_off_says_it_waits_for_totp() {
    let h = Home::with_profile();
    let out = h.run(&["totp", "policy", "--reveal", "on"], None);
    assert_ok(&out);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("TOTP is off, so nothing needs a code now"), "{text}");
    assert!(!text.contains("required for"), "it must not claim a code is required: {text}");
    let policy = h.json(&["totp", "policy", "--export", "on"]);
    assert_eq!(
        (policy["required_for_reveal"].as_bool(), policy["in_effect"].as_bool()),
        (Some(true), Some(false))
    );
    // And indeed nothing asks for one.
    assert_ok(&h.run(&["secret", "add", "GH_TOKEN"], Some("ghp_PolicyOff0123456789abcdefghijklmn")));
    assert_ok(&h.run(&["secret", "reveal", "GH_TOKEN"], None));
}
