//! Notices, decisions and the outbox on SQLite and PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use kizuki_store::{
    Bounce, Decision, NewEvent, Notice, NoticeItem, OutboxDraft, Plan, PlannedNotice, Recipient,
    Store,
};

fn event(key: &str, at: i64) -> NewEvent {
    NewEvent {
        dedupe_key: key.into(),
        observed_at: at,
        address: "192.0.2.1".into(),
        port: Some(4444),
        malware: "emotet".into(),
        attribution: "exact".into(),
        candidates: vec!["subscriber:A".into()],
        body: format!("{{\"source.ip\": \"192.0.2.1\", \"k\": \"{key}\"}}"),
    }
}

fn notice(id: i64, status: &str, code: &str) -> Notice {
    Notice {
        id,
        code: code.into(),
        recipient_id: Some("subscriber:A".into()),
        candidates: vec!["subscriber:A".into()],
        kind: "notice".into(),
        language: "ja".into(),
        status: status.into(),
        hold_reason: String::new(),
        assigned_to: String::new(),
        created_at: 1000,
        sent_at: None,
        message_id: format!("kizuki.{id}@isp.example"),
        subject: "件名".into(),
        body: "本文".into(),
    }
}

async fn plan_one(store: &Store) -> Plan {
    let (e, n) = store.next_ids().await.unwrap();
    Plan {
        recipients: vec![Recipient {
            id: "subscriber:A".into(),
            kind: "person".into(),
            name: "山田".into(),
            emails: vec!["a@example.jp".into()],
            cc: Vec::new(),
            language: "ja".into(),
            timezone: "Asia/Tokyo".into(),
            attachment: String::new(),
        }],
        new_events: vec![(e, event("k1", 10)), (e + 1, event("k2", 20))],
        notices: vec![PlannedNotice {
            notice: notice(n, "queued", "CODE0000000000000001"),
            items: vec![
                NoticeItem {
                    event_id: e,
                    address: "192.0.2.1".into(),
                    malware: "emotet".into(),
                    observed_at: 10,
                },
                NoticeItem {
                    event_id: e + 1,
                    address: "192.0.2.1".into(),
                    malware: "emotet".into(),
                    observed_at: 20,
                },
            ],
            outbox: Some(OutboxDraft {
                message_id: format!("kizuki.{n}@isp.example"),
                envelope_from: "abuse@isp.example".into(),
                rcpt: vec!["a@example.jp".into()],
                message: "Subject: x\r\n\r\nbody\r\n".into(),
            }),
        }],
        event_states: vec![
            (e, "notified".into(), Some(n)),
            (e + 1, "notified".into(), Some(n)),
        ],
        decisions: vec![Decision {
            at: 5,
            actor: "policy".into(),
            notice_id: Some(n),
            event_id: Some(e),
            decision: "notify".into(),
            reason: "new".into(),
        }],
        escalations: Vec::new(),
    }
}

#[tokio::test]
async fn a_plan_is_written_whole_and_read_back() {
    for (name, store, _dir) in common::stores().await {
        let plan = plan_one(&store).await;
        store.apply_plan(&plan).await.unwrap();
        let id = plan.notices[0].notice.id;
        let n = store.notice(id).await.unwrap().unwrap();
        assert_eq!(n, plan.notices[0].notice, "{name}");
        assert_eq!(store.notice_items(id).await.unwrap(), plan.notices[0].items);
        assert_eq!(
            store
                .notice_by_code("CODE0000000000000001")
                .await
                .unwrap()
                .map(|n| n.id),
            Some(id)
        );
        let keys = store
            .known_event_keys(&["k1".into(), "k3".into()])
            .await
            .unwrap();
        assert_eq!(keys.into_iter().collect::<Vec<_>>(), ["k1"], "{name}");
        assert!(store.pending_events().await.unwrap().is_empty(), "{name}");
        let evs = store.notice_events(id).await.unwrap();
        assert_eq!(evs.len(), 2);
        assert_eq!(evs[0].event, plan.new_events[0].1);
        assert_eq!(evs[0].state, "notified");
        let hist = store
            .notice_history(&["subscriber:A".into()])
            .await
            .unwrap();
        assert_eq!(hist.len(), 1);
        assert_eq!(hist[0].items.len(), 2);
        assert_eq!(
            store.decisions_for_notice(id).await.unwrap()[0].reason,
            "new"
        );
        assert_eq!(
            store.recipient("subscriber:A").await.unwrap().unwrap().name,
            "山田"
        );
        // The same plan again fails as a whole: the events exist.
        assert!(store.apply_plan(&plan).await.is_err(), "{name}");
        assert_eq!(store.notices(None, 10).await.unwrap().len(), 1, "{name}");
    }
}

#[tokio::test]
async fn the_outbox_claims_retries_recovers_and_finishes() {
    for (name, store, _dir) in common::stores().await {
        let plan = plan_one(&store).await;
        store.apply_plan(&plan).await.unwrap();
        let id = plan.notices[0].notice.id;
        // Not due before its time.
        let claimed = store.outbox_claim(i64::MAX, 10).await.unwrap();
        assert_eq!(claimed.len(), 1, "{name}");
        assert_eq!(
            (claimed[0].state.as_str(), claimed[0].attempts),
            ("sending", 1)
        );
        // Claimed rows are not claimed twice.
        assert!(store.outbox_claim(i64::MAX, 10).await.unwrap().is_empty());
        // A temporary failure: due again later.
        store
            .outbox_retry(&claimed[0], 5_000, "451 busy")
            .await
            .unwrap();
        assert!(store.outbox_claim(4_999, 10).await.unwrap().is_empty());
        let again = store.outbox_claim(5_000, 10).await.unwrap();
        assert_eq!(again[0].attempts, 2);
        // The sender dies here: the next one finds the row in flight.
        assert_eq!(store.outbox_recover().await.unwrap(), vec![id], "{name}");
        let third = store.outbox_claim(i64::MAX, 10).await.unwrap();
        assert_eq!(third[0].attempts, 3);
        store.outbox_sent(&third[0], "250 ok").await.unwrap();
        let n = store.notice(id).await.unwrap().unwrap();
        assert_eq!(n.status, "sent");
        assert!(n.sent_at.is_some());
        let outcomes: Vec<String> = store
            .deliveries(id)
            .await
            .unwrap()
            .into_iter()
            .map(|d| d.outcome)
            .collect();
        assert_eq!(outcomes, ["retry", "interrupted", "sent"], "{name}");
        assert!(store.outbox_claim(i64::MAX, 10).await.unwrap().is_empty());

        // A bounce, read twice, is recorded once and marks the notice.
        let b = Bounce {
            notice_id: Some(id),
            message_id: n.message_id.clone(),
            recipient: "a@example.jp".into(),
            action: "failed".into(),
            status: "5.1.1".into(),
            diagnostic: "550 5.1.1 no such user".into(),
            source: "dsn.eml".into(),
        };
        assert!(store.add_bounce(&b, "test").await.unwrap());
        assert!(!store.add_bounce(&b, "test").await.unwrap());
        assert_eq!(store.notice(id).await.unwrap().unwrap().status, "bounced");
        assert_eq!(store.bounces(id).await.unwrap(), vec![b]);
    }
}

#[tokio::test]
async fn a_permanent_failure_fails_the_notice_with_the_reason() {
    for (name, store, _dir) in common::stores().await {
        let plan = plan_one(&store).await;
        store.apply_plan(&plan).await.unwrap();
        let id = plan.notices[0].notice.id;
        let row = store
            .outbox_claim(i64::MAX, 1)
            .await
            .unwrap()
            .pop()
            .unwrap();
        store
            .outbox_failed(&row, "550 5.1.1 user unknown")
            .await
            .unwrap();
        assert_eq!(
            store.notice(id).await.unwrap().unwrap().status,
            "failed",
            "{name}"
        );
        let r = store.outbox_row(id).await.unwrap().unwrap();
        assert_eq!(
            (r.state.as_str(), r.last_error.as_str()),
            ("failed", "550 5.1.1 user unknown")
        );
    }
}

#[tokio::test]
async fn held_notices_are_released_rejected_or_assigned_once() {
    for (name, store, _dir) in common::stores().await {
        let mut plan = plan_one(&store).await;
        let held_id = plan.notices[0].notice.id;
        plan.notices[0].notice.status = "held".into();
        plan.notices[0].notice.recipient_id = None;
        plan.notices[0].notice.candidates = vec!["subscriber:A".into(), "subscriber:B".into()];
        plan.notices[0].outbox = None;
        for s in &mut plan.event_states {
            s.1 = "held".into();
        }
        store.apply_plan(&plan).await.unwrap();
        store.assign_notice(held_id, "lead", "alice").await.unwrap();
        assert_eq!(
            store.notice(held_id).await.unwrap().unwrap().assigned_to,
            "alice"
        );

        let mut released = plan.notices[0].clone();
        released.notice = notice(held_id + 1, "queued", "CODE0000000000000002");
        released.outbox = Some(OutboxDraft {
            message_id: "kizuki.x@isp.example".into(),
            envelope_from: "abuse@isp.example".into(),
            rcpt: vec!["a@example.jp".into()],
            message: "m".into(),
        });
        store
            .release_held(held_id, "alice", "port matched by hand", &[released])
            .await
            .unwrap();
        assert_eq!(
            store.notice(held_id).await.unwrap().unwrap().status,
            "released",
            "{name}"
        );
        assert_eq!(
            store.notice(held_id + 1).await.unwrap().unwrap().status,
            "queued"
        );
        // Decided already: a second decision is refused.
        assert!(
            store.reject_held(held_id, "bob", "no").await.is_err(),
            "{name}"
        );
        let ds = store.decisions_for_notice(held_id).await.unwrap();
        assert!(
            ds.iter()
                .any(|d| d.decision == "approve" && d.actor == "alice")
        );
        assert!(ds.iter().any(|d| d.decision == "assign"));
        // The events now belong to the released notice.
        let evs = store.notice_events(held_id + 1).await.unwrap();
        assert!(
            evs.iter()
                .all(|e| e.state == "notified" && e.notice_id == Some(held_id + 1))
        );
    }
}
