//! `kizuki bench notify`: notices decided and rendered per second, and
//! messages delivered per second to a local SMTP server over reused
//! connections.
//!
//! The events are exact attributions of synthetic subscribers; every step
//! is the real one (`prepare`, the audited subscriber read, the policy,
//! the templates, the message builder, the store's transaction, the
//! sender). With no `--smtp`, Debian's `smtp-sink` is started on a free
//! port when it is installed.

use crate::Global;
use crate::cli::BenchNotifyArgs;
use crate::output::thousands;
use anyhow::{Context, Result, bail};
use kizuki_notify::send::{Backoff, Sender, Transport};
use kizuki_store::{Subscriber, SubscriberKind};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn events(n: u64, recipients: u64) -> Vec<kizuki_store::NewEvent> {
    let mut out = Vec::with_capacity(n as usize);
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    for i in 0..n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let sub = x % recipients.max(1);
        let ip = std::net::Ipv4Addr::from(0x0a00_0000 + (i as u32));
        let v = serde_json::json!({
            "time.source": format!("2021-02-22T{:02}:{:02}:{:02}+00:00", (i / 3600) % 24, (i / 60) % 60, i % 60),
            "source.ip": ip.to_string(),
            "source.port": 1024 + (i % 60000),
            "malware.name": if i % 3 == 0 { "emotet" } else { "qakbot" },
            "classification.taxonomy": "malicious-code",
            "classification.type": "infected-system",
            "feed.name": "bench",
            "extra.attribution.status": "exact",
            "extra.attribution.subscribers": [format!("B{sub}")],
        });
        let line = v.to_string();
        if let serde_json::Value::Object(m) = v
            && let Ok(e) = kizuki_notify::event_record(&m, &line)
        {
            out.push(e);
        }
    }
    out
}

fn subscribers(n: u64) -> Vec<Subscriber> {
    (0..n)
        .map(|i| Subscriber {
            id: format!("B{i}"),
            name: format!("Subscriber {i}"),
            kind: if i % 5 == 0 {
                SubscriberKind::Company
            } else {
                SubscriberKind::Person
            },
            emails: vec![format!("b{i}@example.jp")],
            language: if i % 2 == 0 { "ja" } else { "en" }.into(),
            timezone: "Asia/Tokyo".into(),
            postal_address: String::new(),
            keys: vec![format!("user:b{i}")],
        })
        .collect()
}

struct SinkProcess(std::process::Child);

impl Drop for SinkProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_sink() -> Result<(SinkProcess, u16)> {
    let sink = "/usr/sbin/smtp-sink";
    if !std::path::Path::new(sink).exists() {
        bail!("no --smtp given and {sink} is not installed (apt-get install postfix)");
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let mut c = Command::new(sink);
    if is_root() {
        c.args(["-u", "nobody"]);
    }
    c.args(["-c", &format!("127.0.0.1:{port}"), "256"]);
    let child = c.stdout(Stdio::null()).stderr(Stdio::null()).spawn()?;
    let t = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if t.elapsed() > Duration::from_secs(10) {
            bail!("smtp-sink did not start");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok((SinkProcess(child), port))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Runs `kizuki bench notify`.
pub fn run(args: BenchNotifyArgs) -> Result<()> {
    let dir = std::env::temp_dir().join(format!("kizuki-bench-notify-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let g = Global {
        data_dir: dir.clone(),
        config: crate::config::Config {
            notify: kizuki_notify::NotifyConfig {
                rate_limit: 0,
                ..kizuki_notify::NotifyConfig::default()
            },
            ..crate::config::Config::default()
        },
        quiet: true,
    };
    let recipients = args.recipients.unwrap_or(args.events / 4).max(1);
    let subs = subscribers(recipients);
    let evs = events(args.events, recipients);
    let rt = super::runtime()?;
    rt.block_on(async {
        let store = super::open_store(&g).await?;
        store.put_subscribers(&subs, "bench", "bench").await?;
        let notifier = super::notify::notifier(&g)?;
        let t = Instant::now();
        let prep = notifier.prepare(&store, evs).await?;
        let t_prep = t.elapsed();
        let recs = super::notify::resolve(&store, &prep.recipient_ids, None).await?;
        let t_resolve = t.elapsed();
        let (plan, summary, _) = notifier.decide(&prep, &recs, kizuki_store::now_micros())?;
        let t_decide = t.elapsed();
        store.apply_plan(&plan).await?;
        let t_all = t.elapsed();
        let notices: u64 = summary.queued.values().sum();
        println!(
            "notify: {} events, {} recipients -> {} notices",
            thousands(args.events),
            thousands(recipients),
            thousands(notices)
        );
        println!("  prepare (dedupe keys, history)   {:>8.2} s", t_prep.as_secs_f64());
        println!(
            "  resolve recipients (audited)     {:>8.2} s",
            (t_resolve - t_prep).as_secs_f64()
        );
        println!(
            "  decide and render                {:>8.2} s  {:>10} events/s  {:>8} notices/s",
            (t_decide - t_resolve).as_secs_f64(),
            thousands((args.events as f64 / (t_decide - t_resolve).as_secs_f64()) as u64),
            thousands((notices as f64 / (t_decide - t_resolve).as_secs_f64()) as u64)
        );
        println!(
            "  write (one transaction)          {:>8.2} s",
            (t_all - t_decide).as_secs_f64()
        );
        println!(
            "  whole run                        {:>8.2} s  {:>10} events/s  {:>8} notices/s",
            t_all.as_secs_f64(),
            thousands((args.events as f64 / t_all.as_secs_f64()) as u64),
            thousands((notices as f64 / t_all.as_secs_f64()) as u64)
        );

        if args.messages > 0 {
            let (_sink, host, port) = match &args.smtp {
                Some(s) => {
                    let (h, p) = s
                        .rsplit_once(':')
                        .context("--smtp HOST:PORT")?;
                    (None, h.to_owned(), p.parse::<u16>().context("--smtp port")?)
                }
                None => {
                    let (s, p) = start_sink()?;
                    (Some(s), "127.0.0.1".to_owned(), p)
                }
            };
            // Send at most `messages`: fail the rest out of the way first.
            let extra = store.outbox_claim(i64::MAX, i64::MAX).await?;
            let keep = usize::try_from(args.messages).unwrap_or(usize::MAX);
            for row in extra.iter().skip(keep) {
                store.outbox_failed(row, "not part of the benchmark").await?;
            }
            store.outbox_recover().await?;
            let sent_n = extra.len().min(keep) as u64;
            let smtp = kizuki_notify::config::SmtpConfig {
                host: host.clone(),
                port: Some(port),
                tls: kizuki_notify::config::Tls::None,
                ca_file: None,
                username: None,
                password_env: None,
                concurrency: args.concurrency,
                timeout_secs: 30,
                backoff: "1s".into(),
                backoff_max: "1s".into(),
                max_attempts: 3,
            };
            let t = Instant::now();
            let r = Sender::new(
                store.clone(),
                Transport::smtp(&smtp)?,
                Backoff::from_config(Some(&smtp))?,
            )
            .run(true)
            .await?;
            let s = t.elapsed().as_secs_f64();
            println!(
                "send: {} messages to {host}:{port}, {} connections at once, reused: {:.2} s, {} messages/s ({} sent, {} failed)",
                thousands(sent_n),
                args.concurrency,
                s,
                thousands((r.sent as f64 / s) as u64),
                r.sent,
                r.failed
            );
        }
        store.close().await;
        anyhow::Ok(())
    })?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
