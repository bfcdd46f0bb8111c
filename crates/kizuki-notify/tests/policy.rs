//! The notice policy with a controllable clock: digests, dedupe,
//! re-notification after N days, the escalation ladder, holds,
//! suppression, rate limits and the age limit.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use kizuki_notify::config::{LadderStep, NotifyConfig, StepAction, Suppression};
use kizuki_notify::policy::{Decided, NoticeRef, Policy};
use kizuki_store::{Escalation, NewEvent, NoticeFact, NoticeItem, Recipient, StoredEvent};
use std::collections::HashMap;

const DAY: i64 = 86_400_000_000;
const T0: i64 = 1_613_952_000_000_000; // 2021-02-22 00:00 UTC

fn ev(id: i64, at: i64, address: &str, who: &[&str], status: &str) -> StoredEvent {
    StoredEvent {
        id,
        event: NewEvent {
            dedupe_key: format!("k{id}"),
            observed_at: at,
            address: address.into(),
            port: None,
            malware: "emotet".into(),
            attribution: status.into(),
            candidates: who.iter().map(|w| (*w).to_owned()).collect(),
            body: "{}".into(),
        },
        received_at: at,
        state: "pending".into(),
        notice_id: None,
    }
}

fn rcpt(id: &str, language: &str, emails: &[&str]) -> Recipient {
    Recipient {
        id: id.into(),
        kind: "person".into(),
        name: id.into(),
        emails: emails.iter().map(|e| (*e).to_owned()).collect(),
        cc: Vec::new(),
        language: language.into(),
        timezone: "Asia/Tokyo".into(),
        attachment: String::new(),
    }
}

fn dir() -> HashMap<String, Recipient> {
    [
        rcpt("subscriber:A", "ja", &["a@example.jp"]),
        rcpt("subscriber:B", "en", &["b@example.com"]),
        rcpt("subscriber:C", "fr", &["c@example.com"]),
        rcpt("subscriber:D", "ja", &[]),
    ]
    .into_iter()
    .map(|r| (r.id.clone(), r))
    .collect()
}

fn sent(id: i64, who: &str, address: &str, at: i64, items_at: &[i64]) -> NoticeFact {
    NoticeFact {
        id,
        recipient_id: who.into(),
        kind: "notice".into(),
        status: "sent".into(),
        created_at: at,
        sent_at: Some(at),
        items: items_at
            .iter()
            .enumerate()
            .map(|(i, t)| NoticeItem {
                event_id: 1000 + i as i64,
                address: address.into(),
                malware: "emotet".into(),
                observed_at: *t,
            })
            .collect(),
    }
}

fn policy(c: NotifyConfig) -> Policy {
    Policy::new(&c).unwrap()
}

fn state(d: &Decided, id: i64) -> (&str, Option<NoticeRef>) {
    let (s, n) = &d.states[&id];
    (s.as_str(), *n)
}

#[test]
fn one_run_makes_one_digest_per_recipient_whatever_days_it_spans() {
    let p = policy(NotifyConfig::default());
    let events = vec![
        ev(1, T0, "192.0.2.1", &["subscriber:A"], "exact"),
        ev(2, T0 + 3 * DAY, "192.0.2.1", &["subscriber:A"], "exact"),
        ev(3, T0 + 9 * DAY, "192.0.2.7", &["subscriber:A"], "exact"),
        ev(4, T0, "198.51.100.1", &["subscriber:B"], "exact"),
    ];
    // Old events are notified too: no age limit by default.
    let d = p.decide(&events, &dir(), &[], &[], T0 + 60 * DAY);
    assert_eq!(d.drafts.len(), 2);
    assert_eq!(d.drafts[0].recipient.as_deref(), Some("subscriber:A"));
    assert_eq!(d.drafts[0].events, vec![1, 2, 3]);
    assert_eq!(d.drafts[0].kind, "notice");
    assert!(d.drafts.iter().all(|x| x.hold.is_none()));
    for id in 1..=4 {
        assert_eq!(state(&d, id).0, "notified");
    }
}

#[test]
fn an_address_already_notified_is_a_duplicate_until_renotify_after_has_passed() {
    // Without the ladder, whose first step (a reminder after 3 days) would
    // take the duplicate into a reminder.
    let no_ladder = || NotifyConfig {
        escalation: Vec::new(),
        ..NotifyConfig::default()
    };
    let p = policy(no_ladder());
    let history = vec![sent(7, "subscriber:A", "192.0.2.1", T0, &[T0 - DAY])];
    let events = vec![
        // 6 days after the notice was sent: still covered by it.
        ev(1, T0 + 6 * DAY, "192.0.2.1", &["subscriber:A"], "exact"),
        // 7 days after: a re-observation.
        ev(2, T0 + 7 * DAY, "192.0.2.1", &["subscriber:A"], "exact"),
        // Another address of the same recipient: new.
        ev(3, T0 + DAY, "192.0.2.9", &["subscriber:A"], "exact"),
    ];
    let d = p.decide(&events, &dir(), &history, &[], T0 + 8 * DAY);
    assert_eq!(state(&d, 1), ("duplicate", Some(NoticeRef::Existing(7))));
    assert_eq!(state(&d, 2), ("notified", Some(NoticeRef::Draft(0))));
    assert_eq!(state(&d, 3), ("notified", Some(NoticeRef::Draft(0))));
    // One notice for the recipient in this run; new events make it a
    // plain notice even though one of them is a re-observation.
    assert_eq!(d.drafts.len(), 1);
    assert_eq!(d.drafts[0].events, vec![3, 2]);

    // Only the re-observation: a renotice.
    let d = p.decide(&events[1..2], &dir(), &history, &[], T0 + 8 * DAY);
    assert_eq!(d.drafts[0].kind, "renotice");
    let why = &d
        .decisions
        .iter()
        .find(|r| r.event == Some(2))
        .unwrap()
        .reason;
    assert!(why.contains("observed again 7 day(s)"), "{why}");

    // The days are configurable.
    let p3 = policy(NotifyConfig {
        renotify_after: "3d".into(),
        ..no_ladder()
    });
    let d = p3.decide(&events[..1], &dir(), &history, &[], T0 + 8 * DAY);
    assert_eq!(state(&d, 1).0, "notified");
    assert_eq!(d.drafts[0].kind, "renotice");
}

#[test]
fn a_notice_not_yet_sent_covers_later_observations() {
    let p = policy(NotifyConfig::default());
    let mut queued = sent(7, "subscriber:A", "192.0.2.1", T0, &[T0]);
    queued.status = "queued".into();
    queued.sent_at = None;
    let events = vec![ev(
        1,
        T0 + 30 * DAY,
        "192.0.2.1",
        &["subscriber:A"],
        "exact",
    )];
    let d = p.decide(&events, &dir(), &[queued], &[], T0 + 31 * DAY);
    assert_eq!(state(&d, 1), ("duplicate", Some(NoticeRef::Existing(7))));
    assert!(d.drafts.is_empty());
}

#[test]
fn shared_conflict_unknown_language_and_missing_address_are_held() {
    let p = policy(NotifyConfig::default());
    let events = vec![
        ev(
            1,
            T0,
            "203.0.113.1",
            &["subscriber:A", "subscriber:B"],
            "shared",
        ),
        ev(
            2,
            T0 + 1,
            "203.0.113.1",
            &["subscriber:B", "subscriber:A"],
            "shared",
        ),
        ev(
            3,
            T0,
            "203.0.113.2",
            &["subscriber:A", "subscriber:B"],
            "conflict",
        ),
        // "shared" with one candidate is held too: a port outside the
        // block convicts no one.
        ev(4, T0, "203.0.113.3", &["subscriber:B"], "shared"),
        ev(5, T0, "192.0.2.5", &["subscriber:C"], "exact"),
        ev(6, T0, "192.0.2.6", &["subscriber:D"], "exact"),
        ev(7, T0, "192.0.2.7", &["subscriber:Z"], "exact"),
    ];
    let d = p.decide(&events, &dir(), &[], &[], T0 + DAY);
    assert!(d.drafts.iter().all(|x| x.hold.is_some()), "{:?}", d.drafts);
    // Events 1 and 2 have the same candidates: one held notice.
    assert_eq!(state(&d, 1).1, state(&d, 2).1);
    assert_ne!(state(&d, 1).1, state(&d, 3).1);
    let reasons: Vec<&str> = d.drafts.iter().filter_map(|x| x.hold.as_deref()).collect();
    assert!(
        reasons.iter().any(|r| r.contains("language \"fr\"")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r.contains("no e-mail address")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r.contains("not in the directory")),
        "{reasons:?}"
    );
    for id in 1..=7 {
        assert_eq!(state(&d, id).0, "held", "event {id}");
    }
    // With a default language, the French speaker gets an English notice.
    let p = policy(NotifyConfig {
        default_language: "en".into(),
        ..NotifyConfig::default()
    });
    let d = p.decide(&events[4..5], &dir(), &[], &[], T0 + DAY);
    assert!(d.drafts[0].hold.is_none());
    assert_eq!(p.language_of(&dir()["subscriber:C"]).as_deref(), Some("en"));
}

#[test]
fn unattributed_old_and_suppressed_events_make_no_notice() {
    let p = policy(NotifyConfig {
        max_age: "30d".into(),
        suppress: vec![
            Suppression {
                address: Some("192.0.2.0/24".into()),
                recipient: None,
                reason: "our honeypot".into(),
                until: None,
            },
            Suppression {
                address: None,
                recipient: Some("subscriber:B".into()),
                reason: "customer asked; expired".into(),
                until: Some("2021-03-01T00:00:00Z".into()),
            },
        ],
        ..NotifyConfig::default()
    });
    let events = vec![
        ev(1, T0, "198.51.100.1", &[], "none"),
        ev(2, T0 - 40 * DAY, "198.51.100.2", &["subscriber:A"], "exact"),
        ev(3, T0, "192.0.2.3", &["subscriber:A"], "exact"),
        ev(4, T0, "198.51.100.4", &["subscriber:B"], "exact"),
    ];
    let d = p.decide(&events, &dir(), &[], &[], T0 + DAY);
    assert_eq!(state(&d, 1).0, "unattributed");
    assert_eq!(state(&d, 2).0, "too_old");
    assert_eq!(state(&d, 3).0, "suppressed");
    let why = &d
        .decisions
        .iter()
        .find(|r| r.event == Some(3))
        .unwrap()
        .reason;
    assert!(why.contains("honeypot"), "{why}");
    assert_eq!(state(&d, 4).0, "suppressed");
    // After `until`, B is no longer suppressed.
    let d = p.decide(&events[3..], &dir(), &[], &[], T0 + 10 * DAY);
    assert_eq!(state(&d, 4).0, "notified");
}

#[test]
fn the_rate_limit_leaves_events_pending_for_a_later_run() {
    let p = policy(NotifyConfig {
        rate_limit: 2,
        ..NotifyConfig::default()
    });
    let history = vec![
        sent(1, "subscriber:A", "192.0.2.1", T0, &[T0]),
        sent(2, "subscriber:A", "192.0.2.2", T0 + 1000, &[T0]),
    ];
    let events = vec![ev(9, T0 + 2000, "192.0.2.3", &["subscriber:A"], "exact")];
    let d = p.decide(&events, &dir(), &history, &[], T0 + 3000);
    assert_eq!(state(&d, 9), ("pending", None));
    assert!(d.drafts.is_empty());
    assert!(d.decisions.iter().any(|r| r.decision == "defer"));
    // A day later the limit has room again.
    let d = p.decide(&events, &dir(), &history, &[], T0 + DAY + 2000);
    assert_eq!(state(&d, 9).0, "notified");
}

#[test]
fn the_ladder_fires_each_step_once_after_its_days() {
    let c = NotifyConfig {
        escalation: vec![
            LadderStep {
                after: "3d".into(),
                action: StepAction::Reminder,
                to: Vec::new(),
            },
            LadderStep {
                after: "7d".into(),
                action: StepAction::Escalate,
                to: vec!["noc@isp.example".into()],
            },
            LadderStep {
                after: "14d".into(),
                action: StepAction::Export,
                to: Vec::new(),
            },
        ],
        ..NotifyConfig::default()
    };
    let p = policy(c);
    let history = vec![sent(5, "subscriber:A", "192.0.2.1", T0, &[T0 - DAY])];
    // Two days after: nothing fires; the event is a duplicate.
    let d = p.decide(
        &[ev(1, T0 + 2 * DAY, "192.0.2.1", &["subscriber:A"], "exact")],
        &dir(),
        &history,
        &[],
        T0 + 2 * DAY,
    );
    assert!(d.drafts.is_empty() && d.ladder.is_empty() && d.follow_up.is_empty());

    // Four days after: the reminder, as the recipient's notice of the run.
    let d = p.decide(
        &[ev(2, T0 + 4 * DAY, "192.0.2.1", &["subscriber:A"], "exact")],
        &dir(),
        &history,
        &[],
        T0 + 4 * DAY,
    );
    assert_eq!(d.drafts.len(), 1);
    assert_eq!(d.drafts[0].kind, "reminder");
    assert_eq!(d.drafts[0].recipient.as_deref(), Some("subscriber:A"));
    assert_eq!(d.drafts[0].events, vec![2]);
    let key = (
        "subscriber:A".to_owned(),
        "192.0.2.1".to_owned(),
        "emotet".to_owned(),
    );
    assert_eq!(d.ladder[&key], (5, 1));

    // Reminder fired already; eight days after: the escalation, once.
    let fired = |step| {
        vec![Escalation {
            recipient_id: "subscriber:A".into(),
            address: "192.0.2.1".into(),
            malware: "emotet".into(),
            first_notice_id: 5,
            step,
        }]
    };
    let d = p.decide(
        &[ev(3, T0 + 8 * DAY, "192.0.2.1", &["subscriber:A"], "exact")],
        &dir(),
        &history,
        &fired(1),
        T0 + 8 * DAY,
    );
    // Eight days after the notice was sent is also a re-observation: the
    // recipient gets a renotice, and the escalation contact a message.
    let kinds: Vec<&str> = d.drafts.iter().map(|x| x.kind.as_str()).collect();
    assert_eq!(kinds, ["renotice", "escalation"]);
    let x = d.drafts[1].escalation.as_ref().unwrap();
    assert_eq!((x.step, x.days, x.first_notice), (2, 8, 5));
    assert_eq!(x.to, ["noc@isp.example"]);
    assert_eq!(d.ladder[&key], (5, 2));

    // Both fired; fifteen days after: the follow-up list, and nothing
    // fires twice.
    let d = p.decide(
        &[ev(
            4,
            T0 + 15 * DAY,
            "192.0.2.1",
            &["subscriber:A"],
            "exact",
        )],
        &dir(),
        &history,
        &fired(2),
        T0 + 15 * DAY,
    );
    assert_eq!(d.follow_up.len(), 1);
    assert_eq!(d.follow_up[0].step, 3);
    assert!(d.drafts.iter().all(|x| x.kind != "escalation"));
    let d = p.decide(
        &[ev(
            5,
            T0 + 16 * DAY,
            "192.0.2.1",
            &["subscriber:A"],
            "exact",
        )],
        &dir(),
        &history,
        &fired(3),
        T0 + 16 * DAY,
    );
    assert!(d.follow_up.is_empty() && d.ladder.is_empty());
}

#[test]
fn bad_configuration_is_refused_with_a_reason() {
    let bad = |c: NotifyConfig| Policy::new(&c).unwrap_err().to_string();
    assert!(
        bad(NotifyConfig {
            renotify_after: "a week".into(),
            ..NotifyConfig::default()
        })
        .contains("not a duration")
    );
    assert!(
        bad(NotifyConfig {
            default_language: "de".into(),
            ..NotifyConfig::default()
        })
        .contains("ja or en")
    );
    assert!(
        bad(NotifyConfig {
            suppress: vec![Suppression {
                address: Some("192.0.2.0/33".into()),
                recipient: None,
                reason: String::new(),
                until: None,
            }],
            ..NotifyConfig::default()
        })
        .contains("not an address")
    );
}
