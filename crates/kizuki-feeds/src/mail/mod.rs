//! Notices that arrive by e-mail: [`parse_notice`] reads one mail into a
//! [`MailNotice`] — who sent it, its code, and the reported addresses and
//! times ([`Reported`]) — whatever shape it came in.
//!
//! * kizuki's own notices carry `kizuki-notice.json`, which is read first
//!   and checked against the `X-Kizuki-Notice-Code` header and the text;
//! * other ISPs write free text, in Japanese or English, with labelled
//!   lines (`IPアドレス：`, `観測日時：`, `Source IP:`), tables, full-width
//!   digits and defanged addresses, in UTF-8, ISO-2022-JP, Shift_JIS or
//!   EUC-JP (declared right, wrong, or not at all);
//! * report attachments (CSV, X-ARF, IntelMQ JSON, zipped) are read with
//!   the crate's readers into [`Event`](kizuki_event::Event)s;
//! * notices forwarded as attachments or inline (`-------- 転送メッセージ
//!   --------`) are read from the original, and the forwarder noted.
//!
//! The reader never fails: a mail it cannot understand comes back with
//! status [`Status::Unparsed`] and its problems listed.

mod attachment;
mod charset;
mod code;
mod datetime;
mod forward;
mod freetext;
mod header;
mod iplist;
mod ips;
mod kizuki;
mod labels;
mod normalize;
mod notice;
mod options;
mod parse;
mod parts;

pub use notice::{
    AttachmentInfo, CodeSource, ForwardStyle, Forwarding, KizukiNotice, Language, MailNotice,
    Mailbox, NoticeCode, NoticeKind, ReportSource, Reported, Status,
};
pub use options::MailOptions;
pub use parse::parse_notice;
