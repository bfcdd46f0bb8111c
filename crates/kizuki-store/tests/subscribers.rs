//! The subscriber directory and the audit log, on SQLite and PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use kizuki_store::{Subscriber, SubscriberKind};

fn sub(id: &str, keys: &[&str]) -> Subscriber {
    Subscriber {
        id: id.into(),
        name: format!("株式会社{id}"),
        kind: SubscriberKind::Company,
        emails: vec![
            format!("soumu@{id}.example.jp"),
            format!("it@{id}.example.jp"),
        ],
        language: "ja".into(),
        timezone: "Asia/Tokyo".into(),
        postal_address: "東京都千代田区1-1".into(),
        keys: keys.iter().map(|k| k.to_string()).collect(),
    }
}

#[tokio::test]
async fn import_replaces_and_every_read_is_audited() {
    for (name, store, _dir) in common::stores().await {
        let c = store
            .put_subscribers(
                &[
                    sub("S1", &["user:a", "mac:aa:bb:cc:dd:ee:ff"]),
                    sub("S2", &["user:b"]),
                ],
                "tester",
                "subs.csv",
            )
            .await
            .unwrap();
        assert_eq!(
            (c.added, c.updated, c.keys, c.keys_moved),
            (2, 0, 3, 0),
            "{name}"
        );
        // Again, with S1's keys changed and one key moved from S2 to S1.
        let c = store
            .put_subscribers(&[sub("S1", &["user:a2", "user:b"])], "tester", "subs2.csv")
            .await
            .unwrap();
        assert_eq!(
            (c.added, c.updated, c.keys, c.keys_moved),
            (0, 1, 2, 1),
            "{name}"
        );
        let keys = store.subscriber_keys("attribute", "test").await.unwrap();
        assert_eq!(
            keys,
            vec![
                ("user:a2".to_string(), "S1".to_string()),
                ("user:b".into(), "S1".into())
            ],
            "{name}"
        );
        let got = store
            .subscribers(&["S1".into(), "S9".into()], "whois-at", "a question")
            .await
            .unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0], sub("S1", &["user:a2", "user:b"]), "{name}");
        assert_eq!(store.subscriber_count().await.unwrap(), 2);
        let log = store.audit_log(10).await.unwrap();
        let actions: Vec<(&str, &str)> = log
            .iter()
            .map(|e| (e.action.as_str(), e.actor.as_str()))
            .collect();
        assert_eq!(
            actions,
            [
                ("subscribers.read", "whois-at"),
                ("subscriber_keys.read", "attribute"),
                ("subscribers.import", "tester"),
                ("subscribers.import", "tester"),
            ],
            "{name}"
        );
        assert!(log.windows(2).all(|w| w[0].id > w[1].id));
        assert!(log[0].detail.contains("a question"));
        // No personal data in the audit details.
        assert!(log.iter().all(|e| !e.detail.contains("株式会社")));
    }
}

#[tokio::test]
async fn a_large_import_is_one_transaction() {
    for (name, store, _dir) in common::stores().await {
        let subs: Vec<Subscriber> = (0..2500)
            .map(|i| {
                sub(
                    &format!("S{i:05}"),
                    &[
                        &format!("user:u{i}"),
                        &format!("prefix:10.{}.{}.0/24", i / 256, i % 256),
                    ],
                )
            })
            .collect();
        let c = store
            .put_subscribers(&subs, "tester", "big.csv")
            .await
            .unwrap();
        assert_eq!((c.added, c.keys), (2500, 5000), "{name}");
        assert_eq!(store.subscriber_keys("t", "t").await.unwrap().len(), 5000);
    }
}

#[tokio::test]
async fn one_question_reads_the_prefixes_and_the_keys_it_names() {
    for (name, store, _dir) in common::stores().await {
        store
            .put_subscribers(
                &[
                    sub("S1", &["user:a", "prefix:192.0.2.0/24"]),
                    sub("S2", &["user:b", "PREFIX:198.51.100.0/24"]),
                    sub("S3", &["user:prefix:c", "prefix:2001:db8::/48"]),
                ],
                "tester",
                "subs.csv",
            )
            .await
            .unwrap();
        let keys = store
            .subscriber_keys_for(&["user:b".into(), "user:zz".into()], "whois-at", "q")
            .await
            .unwrap();
        let mut keys: Vec<(&str, &str)> =
            keys.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                ("prefix:192.0.2.0/24", "S1"),
                ("prefix:2001:db8::/48", "S3"),
                ("user:b", "S2"),
            ],
            "{name}"
        );
        let log = store.audit_log(1).await.unwrap();
        assert_eq!(log[0].action, "subscriber_keys.read", "{name}");
        assert!(log[0].detail.contains("\"q\""), "{name}: {}", log[0].detail);
    }
}

/// Keys come back exactly, whatever they hold (they are read as one JSON
/// document), in key order, on both backends; an empty directory is empty.
#[tokio::test]
async fn every_key_comes_back_exactly() {
    for (name, store, _dir) in common::stores().await {
        assert!(store.subscriber_keys("t", "t").await.unwrap().is_empty());
        let odd = [
            "user:a\"b\\c",
            "user:日本\tタブ",
            "user:\u{1}ctl",
            "user:😀",
            "client-id:01:aa",
        ];
        store
            .put_subscribers(
                &[sub("S1", &odd[..3]), sub("S2", &odd[3..])],
                "tester",
                "odd.csv",
            )
            .await
            .unwrap();
        let mut want: Vec<(String, String)> = odd
            .iter()
            .enumerate()
            .map(|(i, k)| (k.to_string(), if i < 3 { "S1" } else { "S2" }.to_string()))
            .collect();
        want.sort();
        assert_eq!(
            store.subscriber_keys("t", "t").await.unwrap(),
            want,
            "{name}"
        );
    }
}
