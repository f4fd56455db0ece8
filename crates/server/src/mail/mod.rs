//! Official mail to the units of a briefing: invitations and reminders, sent by SMTP.
//!
//! The API only writes `queued` rows into the store's mail log and hands their ids to the
//! [`Mailer`]; a background task composes each message from the store and sends it, retrying
//! with a backoff, and records every attempt. Nothing in the briefing waits for mail, and a
//! message accepted before a restart is sent after it (queued rows are picked up at start).

mod ics;
mod letter;

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use giaoban_model::{BriefingId, PointId, Role};
use giaoban_store::{MailAttempt, MailKind, MailRecord, MailStatus, Store, StoreError};
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::Serialize;
use time::OffsetDateTime;
use tokio::sync::{Semaphore, mpsc};
use tracing::{Instrument, debug, info, info_span, warn};

/// How long one SMTP exchange may take before the attempt counts as failed.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// Messages sent at the same time; more wait their turn.
const MAX_CONCURRENT_SENDS: usize = 4;

/// Name of the calendar attachment of an invitation.
const CALENDAR_FILE: &str = "giay-moi.ics";

/// Name of the PDF attachment of the minutes.
const MINUTES_FILE: &str = "bien-ban.pdf";

/// Mail settings of `giaoban serve`.
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// `smtp://`, `smtp://…?tls=required` (STARTTLS) or `smtps://`, credentials in the userinfo.
    pub smtp_url: String,
    /// The sender, `address` or `Name <address>`.
    pub from: String,
    /// Waits between attempts; a message gets `retry_delays.len() + 1` attempts.
    pub retry_delays: Vec<Duration>,
    /// How long before the scheduled start the reminder goes out; zero sends none.
    pub reminder_lead: Duration,
    /// How often to look for briefings due a reminder.
    pub reminder_interval: Duration,
}

/// Waits between send attempts, as given on the command line: seconds separated by commas,
/// e.g. `1,5` (three attempts: at once, after 1 s, after 5 s more).
#[derive(Debug, Clone, PartialEq)]
pub struct RetryDelays(pub Vec<Duration>);

impl FromStr for RetryDelays {
    type Err = String;

    fn from_str(s: &str) -> Result<RetryDelays, String> {
        if s.trim().is_empty() {
            return Ok(RetryDelays(Vec::new()));
        }
        s.split(',')
            .map(|part| {
                let part = part.trim();
                part.parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite() && (0.0..=3600.0).contains(v))
                    .map(Duration::from_secs_f64)
                    .ok_or_else(|| format!("{part:?} is not a number of seconds from 0 to 3600"))
            })
            .collect::<Result<_, _>>()
            .map(RetryDelays)
    }
}

impl fmt::Display for RetryDelays {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|d| d.as_secs_f64().to_string()).collect();
        f.write_str(&parts.join(","))
    }
}

/// One recipient of a message: the point it is for and one of its unit's addresses.
type Recipient = (PointId, String);

/// An invited point that gets no mail, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    pub point: String,
    /// `revoked`, `not_a_unit` or `no_email`.
    pub reason: &'static str,
}

/// What asking for invitations did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Queued {
    /// Messages queued, one per recipient address.
    pub queued: usize,
    pub skipped: Vec<Skipped>,
}

/// Sends official mail in the background; see the module documentation.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    retry_delays: Vec<Duration>,
    reminder_lead: Duration,
    reminder_interval: Duration,
    store: Arc<Store>,
    base_url: Arc<str>,
    queue: mpsc::UnboundedSender<i64>,
}

impl fmt::Debug for Mailer {
    // Hand-written: the transport holds the SMTP password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mailer")
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

impl Mailer {
    /// Checks the settings, then starts the sending task and the reminder check on the current
    /// Tokio runtime, and queues again what a previous run left queued.
    pub fn start(
        config: MailConfig,
        store: Arc<Store>,
        base_url: Arc<str>,
    ) -> anyhow::Result<Arc<Mailer>> {
        let from: Mailbox = config.from.parse().with_context(|| {
            format!(
                "--mail-from {:?} is not an e-mail address (address or \"Name <address>\")",
                config.from
            )
        })?;
        // The URL is not repeated in the message: it may hold a password.
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&config.smtp_url)
            .context(
                "--smtp-url is not an SMTP URL; expected smtp://HOST:PORT, \
                 smtp://HOST:PORT?tls=required or smtps://HOST:PORT, with USER:PASSWORD@ before \
                 the host if the server wants a login",
            )?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        let (queue, receiver) = mpsc::unbounded_channel();
        let mailer = Arc::new(Mailer {
            transport,
            from,
            retry_delays: config.retry_delays,
            reminder_lead: config.reminder_lead,
            reminder_interval: config.reminder_interval,
            store,
            base_url,
            queue,
        });
        tokio::spawn(mailer.clone().send_loop(receiver));
        if !mailer.reminder_lead.is_zero() {
            tokio::spawn(mailer.clone().reminder_loop());
        }
        let left = mailer.store.queued_mail()?;
        if !left.is_empty() {
            info!(
                messages = left.len(),
                "sending mail queued by the previous run"
            );
            mailer.enqueue(left);
        }
        Ok(mailer)
    }

    /// Queues an invitation to every address of every unit invited to `briefing`.
    pub fn invite(&self, briefing: &BriefingId) -> Result<Queued, StoreError> {
        let (recipients, skipped) = self.recipients(briefing)?;
        let ids = self
            .store
            .queue_mail(briefing, MailKind::Invitation, &recipients)?;
        let queued = ids.len();
        info!(briefing = %briefing, queued, skipped = skipped.len(), "invitations queued");
        self.enqueue(ids);
        Ok(Queued { queued, skipped })
    }

    /// Queues the minutes (as a PDF, rendered when each message is composed) to every address
    /// of every unit invited to `briefing`.
    pub fn send_minutes(&self, briefing: &BriefingId) -> Result<Queued, StoreError> {
        let (recipients, skipped) = self.recipients(briefing)?;
        let ids = self
            .store
            .queue_mail(briefing, MailKind::Minutes, &recipients)?;
        let queued = ids.len();
        info!(briefing = %briefing, queued, skipped = skipped.len(), "minutes queued");
        self.enqueue(ids);
        Ok(Queued { queued, skipped })
    }

    /// Queues the reminders due at `now`: for each briefing whose invitations were sent and
    /// which starts within the reminder lead, one per unit address not reminded yet. Returns
    /// how many were queued.
    pub fn queue_due_reminders(&self, now: OffsetDateTime) -> Result<usize, StoreError> {
        let mut queued = 0;
        for briefing in self.store.briefings_with_invitations()? {
            let Ok(start) = letter::parse_start(&briefing.scheduled_start) else {
                continue;
            };
            if now >= start || start - now > self.reminder_lead {
                continue;
            }
            let (recipients, _) = self.recipients(&briefing.id)?;
            let ids = self
                .store
                .queue_mail(&briefing.id, MailKind::Reminder, &recipients)?;
            if !ids.is_empty() {
                info!(briefing = %briefing.id, queued = ids.len(), "reminders queued");
            }
            queued += ids.len();
            self.enqueue(ids);
        }
        Ok(queued)
    }

    /// The addresses that mail about `briefing` goes to, and the points that get none.
    fn recipients(
        &self,
        briefing: &BriefingId,
    ) -> Result<(Vec<Recipient>, Vec<Skipped>), StoreError> {
        let mut recipients = Vec::new();
        let mut skipped = Vec::new();
        for point in self.store.points(briefing)? {
            if point.role != Role::Point {
                continue;
            }
            let skip = |reason| Skipped {
                point: point.name.clone(),
                reason,
            };
            if point.revoked {
                skipped.push(skip("revoked"));
                continue;
            }
            let Some(code) = &point.unit_code else {
                skipped.push(skip("not_a_unit"));
                continue;
            };
            let emails = self
                .store
                .unit(code.as_str())?
                .map(|u| u.emails)
                .unwrap_or_default();
            if emails.is_empty() {
                skipped.push(skip("no_email"));
            }
            recipients.extend(emails.into_iter().map(|a| (point.id.clone(), a)));
        }
        Ok((recipients, skipped))
    }

    fn enqueue(&self, ids: Vec<i64>) {
        for id in ids {
            // The receiver lives as long as the runtime; a closed queue means the server is
            // shutting down, and the row stays queued for the next start.
            let _ = self.queue.send(id);
        }
    }

    async fn send_loop(self: Arc<Self>, mut receiver: mpsc::UnboundedReceiver<i64>) {
        let slots = Arc::new(Semaphore::new(MAX_CONCURRENT_SENDS));
        while let Some(id) = receiver.recv().await {
            let Ok(slot) = slots.clone().acquire_owned().await else {
                return;
            };
            let mailer = self.clone();
            tokio::spawn(
                async move {
                    mailer.deliver(id).await;
                    drop(slot);
                }
                .instrument(info_span!("mail", id)),
            );
        }
    }

    async fn reminder_loop(self: Arc<Self>) {
        let mut tick = tokio::time::interval(self.reminder_interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tick.tick().await;
            if let Err(e) = self.queue_due_reminders(OffsetDateTime::now_utc()) {
                warn!("reminder check failed: {e}");
            }
        }
    }

    /// Sends one queued message, attempt after attempt, recording each.
    async fn deliver(&self, id: i64) {
        let record = match self.store.mail(id) {
            Ok(Some(r)) if r.status == MailStatus::Queued => r,
            Ok(_) => return,
            Err(e) => {
                warn!("cannot read queued mail: {e}");
                return;
            }
        };
        let message = match self.compose(&record) {
            Ok(m) => m,
            Err(e) => {
                warn!(to = %record.address, "cannot compose {}: {e}", record.kind);
                self.record(id, MailAttempt::Failed(&e));
                return;
            }
        };
        let attempts = self.retry_delays.len() + 1;
        let mut attempt = record.attempts as usize;
        loop {
            attempt += 1;
            match self.transport.send(message.clone()).await {
                Ok(_) => {
                    info!(to = %record.address, kind = %record.kind, attempt, "mail sent");
                    self.record(id, MailAttempt::Sent);
                    return;
                }
                Err(e) => {
                    let error = e.to_string();
                    if e.is_permanent() || attempt >= attempts {
                        warn!(to = %record.address, kind = %record.kind, attempt, "mail failed: {error}");
                        self.record(id, MailAttempt::Failed(&error));
                        return;
                    }
                    debug!(to = %record.address, attempt, "mail attempt failed: {error}");
                    self.record(id, MailAttempt::Retrying(&error));
                    let delay = self.retry_delays[attempt - 1];
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }

    fn record(&self, id: i64, attempt: MailAttempt<'_>) {
        if let Err(e) = self.store.record_mail_attempt(id, attempt) {
            warn!("cannot record a mail attempt: {e}");
        }
    }

    /// The MIME message of a mail log row, composed from what the store holds now.
    fn compose(&self, record: &MailRecord) -> Result<Message, String> {
        let briefing = self
            .store
            .briefing(&record.briefing_id)
            .map_err(|e| e.to_string())?
            .ok_or("the briefing no longer exists")?;
        let points = self.store.points(&briefing.id).map_err(|e| e.to_string())?;
        let point = points
            .iter()
            .find(|p| p.id == record.point_id)
            .ok_or("the point no longer exists")?;
        if point.revoked {
            return Err("the point's invitation was revoked".into());
        }
        let host = points
            .iter()
            .find(|p| p.role == Role::Host)
            .map_or("", |p| p.name.as_str());
        let link = format!("{}/j/{}", self.base_url, self.store.token_for(point));
        let from_address = self.from.email.to_string();
        let unit_code = point.unit_code.as_ref().map_or("", |c| c.as_str());
        let facts = letter::Facts {
            briefing_id: &briefing.id.0,
            title: &briefing.title,
            scheduled_start: &briefing.scheduled_start,
            host,
            unit_code,
            unit_name: &point.name,
            link: &link,
            to: &record.address,
            from: (self.from.name.as_deref().unwrap_or(""), &from_address),
            now: OffsetDateTime::now_utc(),
        };
        let letter = match record.kind {
            MailKind::Invitation => letter::invitation(&facts)?,
            MailKind::Reminder => letter::reminder(&facts)?,
            MailKind::Minutes => {
                let minutes = crate::record::assemble(&self.store, &briefing)
                    .map_err(|e| format!("cannot gather the minutes: {e}"))?;
                let pdf = giaoban_minutes::render_pdf(&minutes).map_err(|e| e.to_string())?;
                letter::minutes(&facts, pdf)?
            }
            other => return Err(format!("{other} mail is not composed by this server")),
        };
        let to = Mailbox::new(
            Some(point.name.clone()),
            record
                .address
                .parse()
                .map_err(|e| format!("{:?} is not an address: {e}", record.address))?,
        );
        build_message(&self.from, to, letter).map_err(|e| e.to_string())
    }
}

fn build_message(
    from: &Mailbox,
    to: Mailbox,
    letter: letter::Letter,
) -> Result<Message, lettre::error::Error> {
    let builder = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(letter.subject)
        .message_id(None);
    let body = MultiPart::alternative_plain_html(letter.text, letter.html);
    if letter.calendar.is_none() && letter.pdf.is_none() {
        return builder.multipart(body);
    }
    let mut mixed = MultiPart::mixed().multipart(body);
    if let Some(calendar) = letter.calendar {
        let calendar_type = ContentType::parse("text/calendar; method=REQUEST; charset=UTF-8")
            .expect("a valid content type");
        mixed =
            mixed.singlepart(Attachment::new(CALENDAR_FILE.into()).body(calendar, calendar_type));
    }
    if let Some(pdf) = letter.pdf {
        let pdf_type = ContentType::parse("application/pdf").expect("a valid content type");
        mixed = mixed.singlepart(Attachment::new(MINUTES_FILE.into()).body(pdf, pdf_type));
    }
    builder.multipart(mixed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delays_parse_from_seconds() {
        assert_eq!(
            "1,5".parse::<RetryDelays>().unwrap().0,
            [Duration::from_secs(1), Duration::from_secs(5)]
        );
        assert_eq!(
            " 0.05 , 0 ".parse::<RetryDelays>().unwrap().0,
            [Duration::from_millis(50), Duration::ZERO]
        );
        assert!("".parse::<RetryDelays>().unwrap().0.is_empty());
        for bad in ["1,,5", "-1", "x", "NaN", "99999"] {
            assert!(bad.parse::<RetryDelays>().is_err(), "{bad}");
        }
    }

    #[test]
    fn an_invitation_is_utf8_mime_with_an_encoded_subject_and_a_calendar() {
        let from: Mailbox = "Sở TT&TT Nghệ An <giaoban@nghean.gov.vn>".parse().unwrap();
        let to = Mailbox::new(
            Some("UBND thị xã Cửa Lò".into()),
            "ubnd@cualo.nghean.gov.vn".parse().unwrap(),
        );
        let letter = letter::Letter {
            subject: "Giấy mời: Giao ban CNTT — 08:00 ngày 01/12/2026".into(),
            text: "Kính gửi".into(),
            html: "<p>Kính gửi</p>".into(),
            calendar: Some("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n".into()),
            pdf: None,
        };

        let raw = String::from_utf8(build_message(&from, to, letter).unwrap().formatted()).unwrap();

        let headers = &raw[..raw.find("\r\n\r\n").unwrap()];
        assert!(headers.is_ascii(), "{headers}");
        assert!(headers.contains("Subject: =?utf-8?"), "{headers}");
        assert!(headers.contains("<ubnd@cualo.nghean.gov.vn>"));
        assert!(headers.contains("Message-ID: <"));
        // MIME parameter values are case-insensitive (RFC 2045 §5.1); lettre writes lowercase.
        assert!(
            raw.to_ascii_lowercase()
                .contains("content-type: text/calendar; method=request; charset=utf-8"),
            "{raw}"
        );
        assert!(raw.contains("filename=\"giay-moi.ics\""));
        assert!(raw.contains("Content-Type: text/plain; charset=utf-8"));
        assert!(raw.contains("Content-Type: text/html; charset=utf-8"));
    }
}
