//! The case engine on SQLite and PostgreSQL: grouping notices into
//! incidents, the playbook's tasks, hosts, EmoCheck evidence closing tasks,
//! the timeline, and drills.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use jiff::tz::TimeZone;
use kizuki_cases::{
    CaseConfig, Cases, HostInput, IncomingNotice, IncomingReport, IntakeOutcome, TaskChange,
};
use kizuki_store::{Drill, Store};

const MIN: i64 = 60_000_000;
const HOUR: i64 = 60 * MIN;
const DAY: i64 = 24 * HOUR;
/// 2021-02-22 01:15:23 UTC.
const T0: i64 = 1_613_956_523_000_000;

async fn stores() -> Vec<(&'static str, Store, Option<tempfile::TempDir>)> {
    let dir = tempfile::tempdir().unwrap();
    let mut out = vec![(
        "sqlite",
        Store::open_dir(dir.path()).await.unwrap(),
        Some(dir),
    )];
    match std::env::var("KIZUKI_TEST_POSTGRES") {
        Ok(url) => out.push((
            "postgres",
            Store::open_fresh_postgres(&url).await.unwrap(),
            None,
        )),
        Err(_) => {
            assert!(
                std::env::var_os("KIZUKI_REQUIRE_SERVICES").is_none(),
                "KIZUKI_TEST_POSTGRES is not set: run .ci/services/postgres.sh"
            );
            eprintln!("skipped PostgreSQL: KIZUKI_TEST_POSTGRES is not set");
        }
    }
    out
}

fn notice(
    tag: &str,
    address: &str,
    at: i64,
    malware: &str,
    received: i64,
) -> (Vec<u8>, IncomingNotice) {
    let raw =
        format!("Message-ID: <{tag}@isp.example>\r\n\r\nIPアドレス：{address}\r\n").into_bytes();
    let n = IncomingNotice {
        source: "soumu".into(),
        message_id: format!("{tag}@isp.example"),
        sender: "abuse@isp.example".into(),
        subject: "【注意喚起】".into(),
        received_at: received,
        status: "parsed".into(),
        parsed: "{}".into(),
        raw_path: format!("intake/{tag}.eml"),
        reports: vec![IncomingReport {
            address: address.into(),
            port: None,
            observed_at: Some(at),
            time_text: "2021/02/22 10:15:23 (日本時間)".into(),
            zone: "Asia/Tokyo".into(),
            malware: malware.into(),
        }],
        ..IncomingNotice::default()
    };
    (raw, n)
}

fn opened(o: &IntakeOutcome) -> i64 {
    match o {
        IntakeOutcome::Opened { incident, .. } => *incident,
        other => panic!("expected a new incident, got {other:?}"),
    }
}

fn emocheck(host: &str, time: &str, infected: bool) -> Vec<u8> {
    if infected {
        format!(
            r#"{{"scan_time":"{time}","hostname":"{host}","emocheck_version":"2.0","is_infected":"yes","emotet_processes":[{{"process_name":"mstask.exe","process_id":"716","image_path":"C:\\Users\\a\\AppData\\Local\\mstask.exe","registry_key":""}}]}}"#
        )
        .into_bytes()
    } else {
        format!(
            r#"{{"scan_time":"{time}","hostname":"{host}","emocheck_version":"2.0","is_infected":"no"}}"#
        )
        .into_bytes()
    }
}

#[tokio::test]
async fn notices_about_one_address_and_window_make_one_incident() {
    for (name, store, _dir) in stores().await {
        let cases = Cases::new(store, CaseConfig::default());
        let (raw, n) = notice("a", "203.0.113.5", T0, "emotet", T0 + HOUR);
        let id = opened(&cases.take_in(&raw, &n, "t").await.unwrap());

        // The same bytes again (a second mailbox, a re-read): nothing new.
        let again = cases.take_in(&raw, &n, "t").await.unwrap();
        assert_eq!(
            again,
            IntakeOutcome::Duplicate {
                intake: 1,
                incident: Some(id)
            },
            "{name}"
        );

        // Another ISP's notice about the same contact two days later joins.
        let (raw, n) = notice("b", "203.0.113.5", T0 + 2 * DAY, "", T0 + 2 * DAY);
        assert_eq!(
            cases.take_in(&raw, &n, "t").await.unwrap(),
            IntakeOutcome::Joined {
                intake: 2,
                incident: id
            },
            "{name}"
        );
        // Another address, a time far outside the window, another malware:
        // each opens its own incident.
        let (raw, n) = notice("c", "203.0.113.6", T0, "emotet", T0 + HOUR);
        let other_addr = opened(&cases.take_in(&raw, &n, "t").await.unwrap());
        let (raw, n) = notice("d", "203.0.113.5", T0 + 30 * DAY, "emotet", T0 + 30 * DAY);
        let later = opened(&cases.take_in(&raw, &n, "t").await.unwrap());
        let (raw, n) = notice("e", "203.0.113.5", T0, "qakbot", T0 + HOUR);
        let qakbot = opened(&cases.take_in(&raw, &n, "t").await.unwrap());
        let ids = [id, other_addr, later, qakbot];
        let mut sorted = ids.to_vec();
        sorted.dedup();
        assert_eq!(sorted.len(), 4, "{name}: {ids:?}");

        let v = cases.view(id).await.unwrap();
        assert_eq!(v.reports.len(), 2, "{name}");
        assert_eq!(v.notices.len(), 2, "{name}");
        assert_eq!(v.incident.window_start, T0);
        assert_eq!(v.incident.window_end, T0 + 2 * DAY);
        assert_eq!(
            v.incident.opened_at,
            T0 + HOUR,
            "the first notice's arrival"
        );

        // The playbook's tasks exist before any host is known; those that
        // need the host wait for it.
        let playbook = kizuki_cases::playbook::builtin("emotet").unwrap();
        assert_eq!(v.tasks.len(), playbook.tasks().len(), "{name}");
        assert!(v.tasks.iter().any(|t| t.state == "waiting"), "{name}");
        assert!(v.tasks.iter().all(|t| t.host_id.is_none()), "{name}");
        assert!(
            v.tasks
                .iter()
                .all(|t| t.due_at.is_none_or(|d| d > T0 + HOUR))
        );
        assert_eq!(v.timeline[0].what, "opened");
    }
}

#[tokio::test]
async fn mail_without_a_report_is_kept_and_flagged() {
    for (name, store, _dir) in stores().await {
        let cases = Cases::new(store.clone(), CaseConfig::default());
        let n = IncomingNotice {
            source: "soumu".into(),
            status: "unparsed".into(),
            problems: vec!["no address found".into()],
            received_at: T0,
            raw_path: "intake/x.eml".into(),
            ..IncomingNotice::default()
        };
        let o = cases.take_in(b"garbage", &n, "t").await.unwrap();
        assert_eq!(o, IntakeOutcome::Flagged { intake: 1 }, "{name}");
        let flagged = store.intake_list(Some("unparsed")).await.unwrap();
        assert_eq!(flagged.len(), 1);
        assert_eq!(flagged[0].problems, r#"["no address found"]"#);
        assert!(store.incidents().await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn hosts_take_over_the_tasks_and_emocheck_closes_removal() {
    for (name, store, _dir) in stores().await {
        let cases = Cases::new(store, CaseConfig::default());
        let (raw, n) = notice("a", "203.0.113.5", T0, "emotet", T0 + HOUR);
        let id = opened(&cases.take_in(&raw, &n, "kizuki").await.unwrap());
        let before = cases.view(id).await.unwrap();
        assert!(before.incident.acknowledged_at.is_none());

        let pc = HostInput {
            address: "10.1.2.3".into(),
            hostname: "PC01".into(),
            owner: "Sato".into(),
            infected: true,
            ..HostInput::default()
        };
        let (host, new) = cases
            .add_host(id, &pc, "sato", T0 + 2 * HOUR)
            .await
            .unwrap();
        assert!(new);
        let (same, new) = cases
            .add_host(id, &pc, "sato", T0 + 3 * HOUR)
            .await
            .unwrap();
        assert!(!new && same.id == host.id, "{name}: tied once");
        let v = cases.view(id).await.unwrap();
        assert_eq!(v.incident.identified_at, Some(T0 + 2 * HOUR), "{name}");
        assert_eq!(
            v.incident.acknowledged_at,
            Some(T0 + 2 * HOUR),
            "a person acted"
        );
        assert!(v.tasks.iter().all(|t| t.state != "waiting"), "{name}");
        let removal: Vec<_> = v
            .tasks
            .iter()
            .filter(|t| t.done_when == "emocheck-clean")
            .collect();
        assert!(
            !removal.is_empty(),
            "the Emotet playbook closes removal on a clean EmoCheck"
        );
        assert!(removal.iter().all(|t| t.host_id == Some(host.id)));

        // EmoCheck finds Emotet: the host is infected, the task stays open.
        let tokyo = TimeZone::get("Asia/Tokyo").unwrap();
        let bad = emocheck("PC01", "2021-02-22 13:00:00", true);
        let o = cases
            .add_emocheck(
                id,
                "PC01_20210222130000_emocheck.json",
                &bad,
                None,
                &tokyo,
                "",
                "sato",
                T0 + 3 * HOUR,
            )
            .await
            .unwrap();
        assert_eq!(o.verdict, "infected");
        assert!(o.closed_tasks.is_empty());
        let v = cases.view(id).await.unwrap();
        assert_eq!(v.hosts[0].state, "infected", "{name}");
        assert!(v.incident.contained_at.is_none());
        // 13:00 in Tokyo is 04:00 UTC.
        assert_eq!(v.evidence[0].observed_at, Some(1_613_966_400_000_000));

        // A clean report older than the infected one does not close it.
        let old = emocheck("PC01", "2021-02-22 12:00:00", false);
        let o = cases
            .add_emocheck(
                id,
                "PC01_20210222120000_emocheck.json",
                &old,
                None,
                &tokyo,
                "",
                "sato",
                T0 + 4 * HOUR,
            )
            .await
            .unwrap();
        assert!(o.closed_tasks.is_empty() && !o.contained, "{name}");

        // After removal, a clean report closes the task and contains the
        // incident.
        let clean = emocheck("PC01", "2021-02-22 18:00:00", false);
        let o = cases
            .add_emocheck(
                id,
                "PC01_20210222180000_emocheck.json",
                &clean,
                None,
                &tokyo,
                "",
                "sato",
                T0 + 9 * HOUR,
            )
            .await
            .unwrap();
        assert_eq!(o.closed_tasks.len(), removal.len(), "{name}");
        assert!(o.contained);
        let again = cases
            .add_emocheck(
                id,
                "copy.json",
                &clean,
                None,
                &tokyo,
                "",
                "sato",
                T0 + 10 * HOUR,
            )
            .await
            .unwrap();
        assert!(!again.new, "the same file is evidence once");
        let v = cases.view(id).await.unwrap();
        assert_eq!(v.incident.state, "contained");
        assert_eq!(v.incident.contained_at, Some(T0 + 9 * HOUR));
        assert_eq!(v.hosts[0].state, "clean");

        // A second infected host gets its own removal tasks.
        let pc2 = HostInput {
            address: "10.1.2.4".into(),
            infected: true,
            ..HostInput::default()
        };
        let (h2, _) = cases
            .add_host(id, &pc2, "sato", T0 + 11 * HOUR)
            .await
            .unwrap();
        let v = cases.view(id).await.unwrap();
        let of = |h: i64| v.tasks.iter().filter(|t| t.host_id == Some(h)).count();
        assert!(of(h2.id) >= removal.len(), "{name}");
        assert_eq!(
            of(h2.id),
            of(host.id),
            "{name}: the same infected-host tasks"
        );
    }
}

#[tokio::test]
async fn every_task_change_is_on_the_timeline() {
    for (name, store, _dir) in stores().await {
        let cases = Cases::new(store, CaseConfig::default());
        let (raw, n) = notice("a", "203.0.113.5", T0, "emotet", T0);
        let id = opened(&cases.take_in(&raw, &n, "kizuki").await.unwrap());
        let v = cases.view(id).await.unwrap();
        let optional = v.tasks.iter().find(|t| t.optional == 1).unwrap();
        let change = TaskChange {
            state: Some("in_progress".into()),
            owner: Some("tanaka".into()),
            due_at: Some(T0 + DAY),
            note: "started".into(),
        };
        let t = cases
            .change_task(id, &optional.task_key, &change, "tanaka", T0 + MIN)
            .await
            .unwrap();
        assert_eq!(
            (t.state.as_str(), t.owner.as_str()),
            ("in_progress", "tanaka")
        );
        let done = TaskChange {
            state: Some("done".into()),
            ..TaskChange::default()
        };
        let t = cases
            .change_task(id, &t.id.to_string(), &done, "tanaka", T0 + HOUR)
            .await
            .unwrap();
        assert_eq!(t.done_at, Some(T0 + HOUR), "{name}");
        let bad = TaskChange {
            state: Some("finished".into()),
            ..TaskChange::default()
        };
        assert!(
            cases
                .change_task(id, &t.task_key, &bad, "x", T0)
                .await
                .is_err()
        );
        assert!(
            cases
                .change_task(id, "no-such-task", &done, "x", T0)
                .await
                .is_err()
        );

        let old_due = optional.due_at.map(|d| d.to_string()).unwrap_or_default();
        let v = cases.view(id).await.unwrap();
        let changes: Vec<(&str, &str, &str, i64)> = v
            .timeline
            .iter()
            .filter(|c| c.task_id == Some(t.id))
            .map(|c| {
                (
                    c.what.as_str(),
                    c.old_value.as_str(),
                    c.new_value.as_str(),
                    c.at,
                )
            })
            .collect();
        assert_eq!(
            changes,
            vec![
                ("task-state", "open", "in_progress", T0 + MIN),
                ("task-owner", "", "tanaka", T0 + MIN),
                ("task-due", &*old_due, &*(T0 + DAY).to_string(), T0 + MIN),
                ("task-state", "in_progress", "done", T0 + HOUR),
            ],
            "{name}"
        );
        assert_eq!(v.incident.acknowledged_at, Some(T0 + MIN));
    }
}

#[tokio::test]
async fn a_drill_is_its_own_incident_and_reports_missed_steps() {
    for (name, store, _dir) in stores().await {
        let cases = Cases::new(store.clone(), CaseConfig::default());
        // A real incident on the same address is open.
        let (raw, n) = notice("real", "203.0.113.5", T0, "emotet", T0);
        let real = opened(&cases.take_in(&raw, &n, "kizuki").await.unwrap());
        let drill = store
            .add_drill(&Drill {
                id: 0,
                message_id: "drill1@isp.example".into(),
                mailbox: "soumu".into(),
                address: "203.0.113.5".into(),
                observed_at: T0,
                malware: "emotet".into(),
                started_at: T0 + HOUR,
                started_by: "lead".into(),
                note: String::new(),
            })
            .await
            .unwrap();
        let (raw, n) = notice("drill1", "203.0.113.5", T0, "emotet", T0 + HOUR + 5 * MIN);
        let d = opened(&cases.take_in(&raw, &n, "kizuki").await.unwrap());
        assert_ne!(d, real, "{name}: a drill never joins a real incident");
        let v = cases.view(d).await.unwrap();
        assert!(v.drill);
        cases
            .acknowledge(d, "sato", T0 + HOUR + 20 * MIN, "")
            .await
            .unwrap();

        let r2 = {
            let v = cases.view(d).await.unwrap();
            kizuki_cases::drill::report(&drill, Some(&v), T0 + 3 * DAY)
        };
        assert_eq!(r2.incident, Some(d));
        let step = |r: &kizuki_cases::drill::DrillReport, s: &str| {
            r.steps.iter().find(|x| x.step == s).unwrap().clone()
        };
        assert_eq!(step(&r2, "notice taken in").after, Some(300.0), "{name}");
        assert_eq!(step(&r2, "acknowledged").after, Some(1200.0));
        assert!(!step(&r2, "acknowledged").missed);
        assert!(step(&r2, "infected host identified").missed);
        assert!(step(&r2, "contained (clean EmoCheck)").missed);
        // Optional checklist tasks never count as missed.
        assert!(
            r2.steps
                .iter()
                .filter(|s| s.step.starts_with("task"))
                .any(|s| !s.missed)
        );
        assert!(r2.missed >= 2);
        let none = kizuki_cases::drill::report(&drill, None, T0);
        assert!(none.steps[0].missed);
    }
}
