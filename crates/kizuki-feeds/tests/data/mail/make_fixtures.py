#!/usr/bin/env python3
"""Writes the mail fixtures of kizuki-feeds' mail tests.

Every fixture was written for kizuki: the ISPs, people and addresses are
invented (addresses from the documentation ranges 192.0.2.0/24,
198.51.100.0/24, 203.0.113.0/24 and 2001:db8::/32). The mails are built
byte by byte, not with Python's email package, so that the charsets and
encodings are exactly the ones under test, mistakes included.

Run from this directory:  python3 make_fixtures.py
Then regenerate the expected outputs (KIZUKI_BLESS=1 cargo test -p
kizuki-feeds --test mail) and check every change by hand.
"""

import base64
import io
import quopri
import random
import zipfile

CRLF = "\r\n"


def sjis_to_jis(b):
    """One CP932 double-byte character as its JIS X 0208 code (NEC row 13
    included, as CP50220 writes it)."""
    c1, c2 = b[0], b[1]
    if c1 >= 0xE0:
        c1 -= 0x40
    c1 = (c1 - 0x81) * 2 + 0x21
    if c2 >= 0x9F:
        c1 += 1
        c2 -= 0x7E
    else:
        if c2 >= 0x80:
            c2 -= 1
        c2 -= 0x1F
    return bytes([c1, c2])


def iso2022jp(s):
    out = bytearray()
    mode = "ascii"
    for ch in s:
        if ord(ch) < 0x80:
            if mode != "ascii":
                out += b"\x1b(B"
                mode = "ascii"
            out += ch.encode("ascii")
        else:
            b = ch.encode("cp932")
            assert len(b) == 2, ch
            if mode != "jis":
                out += b"\x1b$B"
                mode = "jis"
            out += sjis_to_jis(b)
    if mode != "ascii":
        out += b"\x1b(B"
    return bytes(out)


def encode(s, charset):
    if charset.lower() == "iso-2022-jp":
        return iso2022jp(s)
    if charset.lower() == "shift_jis":
        return s.encode("cp932")
    if charset.lower() == "euc-jp":
        return s.encode("euc_jp")
    return s.encode(charset)


def words(s, charset, chunk=12):
    """RFC 2047 B-encoded words, a few characters each, folded."""
    parts = [s[i : i + chunk] for i in range(0, len(s), chunk)]
    enc = [
        "=?%s?B?%s?=" % (charset, base64.b64encode(encode(p, charset)).decode())
        for p in parts
    ]
    return (CRLF + " ").join(enc)


def crlf(text):
    return text.replace("\r\n", "\n").replace("\n", CRLF)


def b64lines(data):
    s = base64.b64encode(data).decode()
    return CRLF.join(s[i : i + 76] for i in range(0, len(s), 76)) + CRLF


def headers(*lines):
    return (CRLF.join(lines) + CRLF).encode("ascii")


def write(name, data):
    with open(name, "wb") as f:
        f.write(data)


# 1. A Japanese ISP notice in ISO-2022-JP: encoded-word subject and name,
# 7-bit body, full-width digits, CP932's circled numbers.
JA_NOTICE = """株式会社エグザンプル 御中

いつもエグザンプル光をご利用いただきありがとうございます。

お客様の回線に接続された機器が、マルウェア「Emotet（エモテット）」に
感染しているおそれがあるとの情報を、関係機関より受け取りました。

■対象の通信
　ＩＰアドレス：２０３．０．１１３．５
　観測日時　　：２０２１年２月２２日　１０時１５分２３秒（日本時間）
　マルウェア名：Ｅｍｏｔｅｔ

■お願いしたい対応
①　回線につながっているパソコンで EmoCheck を実行してください。
②　ウイルス対策ソフトで全体を検査してください。

当社がパスワードやお支払いをお願いすることはありません。

通知番号：ＥＸ－２０２１０２２２－０００４２

エグザンプル光 サポートセンター
"""


def ja_iso2022jp(address="２０３．０．１１３．５", msgid="20210222153000.1234@isp.example"):
    body = JA_NOTICE.replace("２０３．０．１１３．５", address)
    return (
        headers(
            "Return-Path: <abuse@isp.example>",
            "From: %s <abuse@isp.example>" % words("エグザンプル光 サポートセンター", "ISO-2022-JP"),
            "To: soumu@example.co.jp",
            "Subject: %s" % words("【重要】マルウェア感染のおそれに関するご連絡", "ISO-2022-JP"),
            "Date: Mon, 22 Feb 2021 15:30:00 +0900",
            "Message-ID: <%s>" % msgid,
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=ISO-2022-JP",
            "Content-Transfer-Encoding: 7bit",
            "",
        )
        + iso2022jp(crlf(body))
    )


write("ja-iso2022jp.eml", ja_iso2022jp())

# 2. Shift_JIS, base64: two blocks, a time range with ～, defanged
# addresses, an encoded word inside quotes (not allowed, but common).
SJIS_NOTICE = """お客様各位

下記の通り、お客様の回線からボット（Emotet）の指令サーバへの通信を検知いたしました。

【１】
ＩＰアドレス：203.0.113[.]17
検知日時：2021/02/22 10:00～10:30 (日本時間)
ポート：４９１５２
接続先IPアドレス：198.51.100.23:8080

【２】
ＩＰアドレス：203[.]0[.]113[.]18
検知日時：2021年2月22日 午後1時5分
マルウェア：エモテット

※本メールは送信専用です。
受付番号：ＩＳＰ－２０２１－００７７７
"""
write(
    "ja-sjis-base64.eml",
    headers(
        "From: %s <security@ispnet.example>" % words("ISPネット セキュリティ窓口", "Shift_JIS"),
        'To: "%s" <info@example.co.jp>' % words("総務部", "Shift_JIS"),
        "Subject: %s" % words("【ISPネット】ボット感染に関するお知らせ（２件）", "Shift_JIS"),
        "Date: Tue, 23 Feb 2021 09:05:00 +0900",
        "Message-ID: <a1b2c3@ispnet.example>",
        "MIME-Version: 1.0",
        'Content-Type: text/plain; charset="Shift_JIS"',
        "Content-Transfer-Encoding: base64",
        "",
    )
    + b64lines(crlf(SJIS_NOTICE).encode("cp932")).encode("ascii"),
)

# 3. Shift_JIS, 8-bit body, and raw Shift_JIS bytes in Subject and From
# (an old mailer that never MIME-encoded its headers). Labels with
# full-width spaces and no colon.
SJIS8_NOTICE = """ご契約者様

ISP2 運用センターです。
お客様の回線で、不正プログラムへの感染が疑われる通信を確認しました。

グローバルIPアドレス　203.0.113.33
通信日時　2021-02-22 10:15:23 +0900
マルウェア名　Emotet

詳しくは当社ウェブサイトのお知らせをご覧ください。
"""
write(
    "ja-sjis-8bit.eml",
    "From: ＩＳＰ２運用センター <noc@isp2.example>\r\n".encode("cp932")
    + headers(
        "To: daihyo@example.co.jp",
    )
    + "Subject: 【重要】不正プログラム感染の可能性について\r\n".encode("cp932")
    + headers(
        "Date: Wed, 24 Feb 2021 10:00:00 +0900",
        "Message-ID: <isp2-0001@isp2.example>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=Shift_JIS",
        "Content-Transfer-Encoding: 8bit",
        "",
    )
    + crlf(SJIS8_NOTICE).encode("cp932"),
)

# 4. English, quoted-printable, two blocks in different shapes.
EN_NOTICE = """Dear customer,

Our abuse desk has received reports that hosts on your connection
communicated with command-and-control servers of the Emotet botnet.

Source IP: 203.0.113.40
Source Port: 51514
Timestamp: 2021-02-22T01:15:23Z
Malware: Emotet
Destination IP: 198.51.100.7

IP address: 203.0.113.41
Date/Time: Feb 22, 2021 10:45:00 JST
Malware: Emotet

Please check these devices with up-to-date anti-virus software.
We will never ask you for passwords or payment.

Reference: ABUSE-2021-0222-17
Example Broadband Abuse Team
"""
write(
    "en-plain.eml",
    headers(
        "From: Example Broadband Abuse Team <abuse@broadband.example>",
        "To: it@example.com, Security <security@example.com>",
        "Cc: noc@broadband.example",
        "Subject: [Abuse] Infected hosts on your network (Ref ABUSE-2021-0222-17)",
        "Date: Mon, 22 Feb 2021 12:00:00 +0000",
        "Message-ID: <abuse-2021-0222-17@broadband.example>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: quoted-printable",
        "",
    )
    + quopri.encodestring(crlf(EN_NOTICE).encode("utf-8")),
)

# 5. General affairs forwards a notice as an attachment (message/rfc822).
inner = ja_iso2022jp("２０３．０．１１３．５０", "20210222160000.9876@isp.example")
outer_text = """CSIRT 各位

総務部の鈴木です。
ISP から下記の通知が届きましたので、添付のとおり転送します。
ご確認をお願いします。
"""
write(
    "fwd-attached.eml",
    headers(
        "From: %s <suzuki@example.co.jp>" % words("鈴木 花子", "UTF-8"),
        "To: csirt@example.co.jp",
        "Subject: %s" % words("Fw: 【重要】マルウェア感染のおそれ", "UTF-8", 20),
        "Date: Mon, 22 Feb 2021 17:02:10 +0900",
        "Message-ID: <fw-0001@example.co.jp>",
        "MIME-Version: 1.0",
        'Content-Type: multipart/mixed; boundary="==outer=="',
        "",
        "--==outer==",
        "Content-Type: text/plain; charset=UTF-8",
        "Content-Transfer-Encoding: base64",
        "",
    )
    + b64lines(crlf(outer_text).encode("utf-8")).encode("ascii")
    + headers(
        "--==outer==",
        "Content-Type: message/rfc822",
        'Content-Disposition: attachment; filename="notice.eml"',
        "",
    )
    + inner
    + b"\r\n--==outer==--\r\n",
)

# 6. Forwarded inline, Thunderbird's Japanese marker; the original's times
# have no zone and its Date is +0900 while the forward's is UTC.
INLINE = """CSIRT各位

総務の山田です。以下のメールがISPから届きました。対応をお願いします。

-------- 転送メッセージ --------
件名: \t【重要】Emotet感染のおそれに関するご連絡
日付: \tMon, 22 Feb 2021 11:00:00 +0900
差出人: \tISPサポート <support@isp3.example>
宛先: \tsoumu@example.co.jp

株式会社エグザンプル ご担当者様

お客様の回線からマルウェアの通信が観測されました。

IPアドレス：203.0.113.60
日時：2021-02-22 10:15:23
マルウェア：Emotet

お問い合わせ番号：Q-556677
"""
write(
    "fwd-inline-ja.eml",
    headers(
        "From: %s <yamada@example.co.jp>" % words("山田 太郎", "UTF-8"),
        "To: csirt@example.co.jp",
        "Subject: %s" % words("Fwd: 【重要】Emotet感染のおそれに関するご連絡", "UTF-8", 20),
        "Date: Mon, 22 Feb 2021 03:00:00 +0000",
        "Message-ID: <fwd-inline-0001@example.co.jp>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=UTF-8; format=flowed",
        "Content-Transfer-Encoding: quoted-printable",
        "",
    )
    + quopri.encodestring(crlf(INLINE).encode("utf-8")),
)

# 7. A kizuki notice as kizuki-notify builds it: text part (base64),
# kizuki-notice.json, and a CSV report with IntelMQ columns.
CODE = "7KQ3-MX2P-0A1B-CDEF-GHJK"
KIZUKI_TEXT = """株式会社エグザンプル 様

お客様の回線を利用している機器が、マルウェア「Emotet」の
サーバーと通信していたとの報告を受けました。
この回線につながっているパソコンなどの機器が感染しているおそれがあります。

観測された内容 (時刻は Asia/Tokyo):

  IPアドレス：203.0.113.70 (ポート 51514)
  日時：　　　2021-02-22 10:15:23 JST ～ 2021-02-22 11:00:00 JST (3 回)
  マルウェア：emotet

  IPアドレス：203.0.113.71
  日時：　　　2021-02-22 12:00:00 JST
  マルウェア：emotet

お願いしたい対応:

  1. この回線を使っているすべての Windows パソコンで EmoCheck (JPCERT/CC 提供) を
     実行してください。

Example ISP がこの通知に関して、パスワードや暗証番号、お支払いを
お願いすることはありません。そのような連絡には応じないでください。

通知番号：%s
この通知が本物かどうかは、Example ISP の通知確認ページをご自身で開き
(トップページの「通知の確認」)、通知番号を入力して確認できます。

お問い合わせ先：0120-000-000

Example ISP
""" % CODE
KIZUKI_JSON = """{
  "kizuki_notice": 1,
  "code": "%s",
  "notice_id": 42,
  "kind": "notice",
  "operator": "Example ISP",
  "language": "ja",
  "events": [
    {
      "classification.type": "infected-system",
      "destination.ip": "198.51.100.23",
      "malware.name": "emotet",
      "source.ip": "203.0.113.70",
      "source.port": 51514,
      "time.source": "2021-02-22T01:15:23+00:00"
    },
    {
      "classification.type": "infected-system",
      "malware.name": "emotet",
      "source.ip": "203.0.113.71",
      "time.source": "2021-02-22T03:00:00+00:00"
    }
  ]
}""" % CODE
KIZUKI_CSV = (
    "time.source,source.ip,source.port,malware.name,classification.type,destination.ip,feed.name\r\n"
    "2021-02-22T01:15:23+00:00,203.0.113.70,51514,emotet,infected-system,198.51.100.23,Police-Emotet\r\n"
    "2021-02-22T03:00:00+00:00,203.0.113.71,,emotet,infected-system,,Police-Emotet\r\n"
)


def kizuki_mail(json_text, with_csv=True):
    return (
        headers(
            "From: Example ISP <notice@isp.example>",
            "To: contract@example.co.jp",
            "Subject: %s" % words("【Example ISP】Emotet 感染のおそれに関するご連絡 (通知番号 %s)" % CODE, "utf-8", 24),
            "Message-ID: <notice-42.7kq3mx2p@isp.example>",
            "Date: Mon, 22 Feb 2021 06:00:00 +0000",
            "MIME-Version: 1.0",
            "X-Kizuki-Notice-Code: %s" % CODE,
            "Auto-Submitted: auto-generated",
            'Content-Type: multipart/mixed; boundary="kzmixed"',
            "",
            "--kzmixed",
            'Content-Type: multipart/alternative; boundary="kzalt"',
            "",
            "--kzalt",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: base64",
            "",
        )
        + b64lines(crlf(KIZUKI_TEXT).encode("utf-8")).encode("ascii")
        + headers(
            "--kzalt--",
            "--kzmixed",
            'Content-Disposition: attachment; filename="kizuki-notice.json"',
            "Content-Type: application/json",
            "Content-Transfer-Encoding: base64",
            "",
        )
        + b64lines(json_text.encode("utf-8")).encode("ascii")
        + (
            headers(
                "--kzmixed",
                'Content-Disposition: attachment; filename="KZ-20210222-example-1a2b3c4d.csv"',
                "Content-Type: text/csv",
                "Content-Transfer-Encoding: 7bit",
                "",
            )
            + KIZUKI_CSV.encode("ascii")
            if with_csv
            else b""
        )
        + b"--kzmixed--\r\n"
    )


write("kizuki-notice.eml", kizuki_mail(KIZUKI_JSON))

# 8. The same notice with its JSON part cut short (and no report
# attached): the text is read.
write("kizuki-broken-json.eml", kizuki_mail(KIZUKI_JSON[:180], with_csv=False))

# 9. A Shift_JIS CSV list with Japanese column names, named with an
# encoded word.
CSV_TEXT = """お客様各位

ボット感染が疑われる通信を観測しました。
対象IPアドレス数：2件
詳細は添付のCSVファイルをご確認ください。
"""
CSV_SJIS = (
    "IPアドレス,観測日時(JST),ポート,マルウェア\r\n"
    "203.0.113.120,2021/02/22 10:15:23,49152,Emotet\r\n"
    "203.0.113.121,2021/02/22 10:20:00,,エモテット\r\n"
    "不明,2021/02/22 10:25:00,,Emotet\r\n"
).encode("cp932")
write(
    "csv-attachment.eml",
    headers(
        "From: ISP4 <abuse@isp4.example>",
        "To: info@example.co.jp",
        "Subject: %s" % words("ボット感染のおそれ（一覧添付）", "ISO-2022-JP"),
        "Date: Thu, 25 Feb 2021 09:00:00 +0900",
        "Message-ID: <csv-1@isp4.example>",
        "MIME-Version: 1.0",
        'Content-Type: multipart/mixed; boundary="b1"',
        "",
        "--b1",
        "Content-Type: text/plain; charset=ISO-2022-JP",
        "Content-Transfer-Encoding: 7bit",
        "",
    )
    + iso2022jp(crlf(CSV_TEXT))
    + headers(
        "--b1",
        'Content-Type: text/csv; charset=Shift_JIS; name="%s"' % words("通知対象一覧.csv", "ISO-2022-JP"),
        'Content-Disposition: attachment; filename="%s"' % words("通知対象一覧.csv", "ISO-2022-JP"),
        "Content-Transfer-Encoding: base64",
        "",
    )
    + b64lines(CSV_SJIS).encode("ascii")
    + b"--b1--\r\n",
)

# 10. A zipped CSV in Shadowserver's sinkhole layout, named without the
# report type.
SS_CSV = (
    '"timestamp","protocol","src_ip","src_port","src_asn","src_geo","src_region","src_city",'
    '"dst_ip","dst_port","infection","family","tag","event_id"\n'
    '"2021-02-22 01:15:23","tcp","203.0.113.130",51514,64500,"JP","TOKYO","CHIYODA",'
    '"198.51.100.23",8080,"emotet","emotet",,\n'
    '"2021-02-22 01:16:40","tcp","203.0.113.131",49200,64500,"JP","TOKYO","CHIYODA",'
    '"198.51.100.23",8080,"emotet","emotet",,\n'
)
zbuf = io.BytesIO()
with zipfile.ZipFile(zbuf, "w", zipfile.ZIP_DEFLATED) as z:
    zi = zipfile.ZipInfo("report.csv", date_time=(2021, 2, 22, 10, 0, 0))
    zi.compress_type = zipfile.ZIP_DEFLATED
    z.writestr(zi, SS_CSV)
ZIP_TEXT = """Hello,

Please find attached the list of hosts in your network that were seen
connecting to our Emotet sinkhole. Times in the file are UTC.

Regards,
Sinkhole Operations
"""
write(
    "zip-csv.eml",
    headers(
        "From: Sinkhole Operations <reports@sinkhole.example>",
        "To: abuse@example.net",
        "Subject: Sinkhole report for AS64500",
        "Date: Mon, 22 Feb 2021 08:00:00 +0000",
        "Message-ID: <sh-20210222@sinkhole.example>",
        "MIME-Version: 1.0",
        'Content-Type: multipart/mixed; boundary="zz"',
        "",
        "--zz",
        "Content-Type: text/plain; charset=us-ascii",
        "",
        crlf(ZIP_TEXT).rstrip("\r\n"),
        "--zz",
        'Content-Type: application/zip; name="emotet-report.zip"',
        'Content-Disposition: attachment; filename="emotet-report.zip"',
        "Content-Transfer-Encoding: base64",
        "",
    )
    + b64lines(zbuf.getvalue()).encode("ascii")
    + b"--zz--\r\n",
)

# 11. Several addresses in a table, IPv6 included.
TABLE = """ご担当者様

下記のとおり、Emotet の通信を観測しました。

No. 日時(JST)            IPアドレス        ポート  マルウェア
1   2021/02/22 10:15:23  203.0.113.80      49152   emotet
2   2021/02/22 10:47:01  203.0.113.81      50001   emotet
3   2021/02/22 11:02:45  2001:db8:10::5            emotet

以上、3件です。
"""
write(
    "several-addresses.eml",
    headers(
        "From: ISP5 Security <sec@isp5.example>",
        "To: net@example.co.jp",
        "Subject: =?UTF-8?B?%s?=" % base64.b64encode("Emotet 通信の観測について（3件）".encode()).decode(),
        "Date: Mon, 22 Feb 2021 14:00:00 +0900",
        "Message-ID: <t-3@isp5.example>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
        "",
    )
    + crlf(TABLE).encode("utf-8"),
)

# 12. Cut short inside its base64 text part, before any address.
full = (
    headers(
        "From: ISP6 <abuse@isp6.example>",
        "To: info@example.co.jp",
        "Subject: =?UTF-8?B?%s?=" % base64.b64encode("感染のおそれ".encode()).decode(),
        "Date: Mon, 22 Feb 2021 14:00:00 +0900",
        "Message-ID: <cut-1@isp6.example>",
        "MIME-Version: 1.0",
        'Content-Type: multipart/mixed; boundary="cut"',
        "",
        "--cut",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: base64",
        "",
    )
    + b64lines(crlf(JA_NOTICE.replace("２０３．０．１１３．５", "203.0.113.140")).encode("utf-8")).encode("ascii")
    + b"--cut--\r\n"
)
write("truncated.eml", full[: full.index(b"--cut\r\nContent-Type: text/plain") + 300])

# 13. Not a mail at all.
rng = random.Random(20210222)
write("garbage.eml", bytes(rng.randrange(256) for _ in range(700)))

# 14. Declared ISO-8859-1, written in Shift_JIS.
WRONG = """お客様各位

ＩＰアドレス：203.0.113.150
日時：2021/02/22 10:15:23 JST
マルウェア：Emotet
"""
write(
    "wrong-charset.eml",
    headers(
        "From: ISP7 <abuse@isp7.example>",
        "To: info@example.co.jp",
        "Subject: =?ISO-8859-1?B?%s?=" % base64.b64encode("感染のおそれ".encode("cp932")).decode(),
        "Date: Mon, 22 Feb 2021 14:00:00 +0900",
        "Message-ID: <wrong-1@isp7.example>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=iso-8859-1",
        "Content-Transfer-Encoding: 8bit",
        "",
    )
    + crlf(WRONG).encode("cp932"),
)

# 15. EUC-JP with no charset at all, and the address only in a sentence.
EUC = """ご契約者様

2021年2月22日 10時15分頃、お客様の回線（203.0.113.160）から
マルウェアの指令サーバへの通信が観測されました。
"""
write(
    "ja-eucjp.eml",
    headers(
        "From: ISP8 <abuse@isp8.example>",
        "To: info@example.co.jp",
        "Subject: =?EUC-JP?B?%s?=" % base64.b64encode("マルウェア通信の観測".encode("euc_jp")).decode(),
        "Date: Mon, 22 Feb 2021 14:00:00 +0900",
        "Message-ID: <euc-1@isp8.example>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain",
        "Content-Transfer-Encoding: 8bit",
        "",
    )
    + crlf(EUC).encode("euc_jp"),
)

# 16. An X-ARF v4 report attached as JSON.
XARF = """{
  "xarf_version": "4.0.0",
  "report_id": "5b1c2d3e-0000-4000-8000-000000000001",
  "timestamp": "2021-02-22T02:00:00Z",
  "reporter": {"org": "Example CERT", "contact": "cert@cert.example", "domain": "cert.example"},
  "sender": {"org": "Example CERT", "contact": "cert@cert.example", "domain": "cert.example"},
  "source_identifier": "203.0.113.170",
  "source_port": 50123,
  "category": "connection",
  "type": "infected_host",
  "evidence_source": "traffic_analysis",
  "destination_ip": "198.51.100.23",
  "destination_port": 8080,
  "protocol": "tcp",
  "malware_family": "Emotet",
  "first_seen": "2021-02-22T01:15:23Z",
  "last_seen": "2021-02-22T01:40:00Z"
}
"""
write(
    "xarf-attachment.eml",
    headers(
        "From: Example CERT <cert@cert.example>",
        "To: abuse@example.net",
        "Subject: [X-ARF] infected host 203.0.113.170",
        "Date: Mon, 22 Feb 2021 02:05:00 +0000",
        "Message-ID: <xarf-1@cert.example>",
        "MIME-Version: 1.0",
        'Content-Type: multipart/mixed; boundary="xx"',
        "",
        "--xx",
        "Content-Type: text/plain; charset=us-ascii",
        "",
        "An infected host report is attached in X-ARF v4 format.",
        "--xx",
        'Content-Type: application/json; name="report.json"',
        'Content-Disposition: attachment; filename="report.json"',
        "",
    )
    + crlf(XARF).encode("ascii")
    + b"--xx--\r\n",
)
