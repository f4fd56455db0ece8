//! What went wrong with a request, as data: a stable code, the field it concerns and named
//! parameters. The web client shows its own translation of each code (`api.<code>` in
//! `web/js/lang/*.js`, fields as `field.<name>`); the English sentence of [`Problem`]'s
//! `Display` is for logs, the command line and API clients that read no catalogue.

use std::fmt;

use serde::ser::{Serialize, SerializeMap, Serializer};

/// Declares a plain enum of unit variants with its stable snake_case names, `ALL` and `as_str`.
macro_rules! names {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal, $english:literal;)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The stable name on the wire.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            /// The English text: a sentence with `{param}` places for a code, a noun for a field.
            pub fn english(self) -> &'static str {
                match self {
                    $($name::$variant => $english,)+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }
    };
}

names! {
    /// The stable code of an API error. The `{name}`s of the English text are the problem's
    /// parameters; the field it is about goes before it, as in `indicator 2, value: …`.
    ProblemCode {
        // Values people type.
        Empty => "empty", "must not be empty";
        TooLong => "too_long", "must be at most {max} characters";
        TooShort => "too_short", "must have at least {min} characters";
        TooManyBytes => "too_many_bytes", "must have at most {max} bytes";
        ControlCharacters => "control_characters", "must not contain control characters";
        BidiControl => "bidi_control", "must not contain characters that change the direction of text (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C)";
        TooMany => "too_many", "at most {max}, not {count}";
        Duplicate => "duplicate", "{value} is given more than once";
        OutOfRange => "out_of_range", "{value} is out of range; give {min} to {max}";
        NotANumber => "not_a_number", "{value} is not a number";
        AmbiguousNumber => "ambiguous_number", "{value} is ambiguous (thousands or decimals?): use either \",\" or \".\" before the decimals and spaces between thousands, as in 1 130,5; write three decimals with a trailing zero, as in 1,1300";
        RepeatedDot => "repeated_dot", "{value} is not a number: \".\" may appear once, before the decimals; separate thousands with spaces, as in 1 130 000";
        RepeatedComma => "repeated_comma", "{value} is not a number: \",\" may appear once, before the decimals; separate thousands with spaces, as in 1 130 000";
        ThousandsGroups => "thousands_groups", "{value} is not a number: thousands are groups of three digits, as in 1 130 000";
        NumberTooLarge => "number_too_large", "{value} is out of range: at most 1 000 000 000 000 000 in size";
        SameIndicator => "same_indicator", "indicator {first} has the same name and measure; give each indicator once";
        NotPositive => "not_positive", "must be greater than 0, not {value}";
        NotADate => "not_a_date", "{value} is not a date and time such as 31/12/2026 08:00";
        NotADay => "not_a_day", "{value} is not a date such as 31/12/2026";
        InThePast => "in_the_past", "{value} is in the past";
        NotAnEmail => "not_an_email", "{value} is not an e-mail address";
        BadUnitCode => "bad_unit_code", "{value} is not a unit code (letters A-Z, digits, '.', '_' and '-', at most {max})";
        UnknownUnit => "unknown_unit", "no unit has the code {value}";
        NotAnOwner => "not_an_owner", "unit {value} is not one of the task's owners";
        OwnerCount => "owner_count", "give 1 to {max} unit codes, the lead included; got {count}";
        ReporterElsewhere => "reporter_elsewhere", "the reporting point is not invited to this briefing";
        LeadRequired => "lead_required", "name the lead unit of a task with several owners";
        NotInvited => "not_invited", "unit {value} is not invited to this briefing";
        HostAndPoint => "host_and_point", "unit {value} is the host and cannot also be a point";
        HostTwice => "host_twice", "give the host either by name or as a unit, not both";
        NotOnAgenda => "not_on_agenda", "{value} is not on this briefing's agenda";
        EmptyReport => "empty_report", "the report is empty: give a narrative or at least one indicator to submit it, or save it as a draft";
        SubstituteName => "substitute_name", "a substitute answer needs the name of who attends instead";
        SubstituteOnly => "substitute_only", "a substitute's name only goes with status substitute";
        BadChoice => "bad_choice", "{value} is not one of {choices}";
        EmptyFile => "empty_file", "the file {file} is empty";
        BadFileName => "bad_file_name", "{value} must not contain \"/\", \"\\\" or control characters";
        BadFileType => "bad_file_type", "{file} is not an accepted document; accepted are {accepted}";
        BadFileContent => "bad_file_content", "{file} does not hold what its name says ({kind})";
        NotUtf8 => "not_utf8", "the file is not UTF-8 text (byte {offset}); save it as \"CSV UTF-8\"";
        BadCsv => "bad_csv", "the file is not CSV ({detail})";
        BadHeader => "bad_header", "the first line must be exactly {expected}; got {value}";
        SemicolonHeader => "semicolon_header", "the first line must be exactly {expected}; save the file as comma-separated CSV, not with \";\"";
        FieldCount => "field_count", "expected {expected} fields, got {count}; a field containing a comma must be in double quotes";
        RepeatedCode => "repeated_code", "{value} appears again; it is already on line {first}";
        UnknownParent => "unknown_parent", "no unit has the code {value}, neither stored nor in this file";
        NameTaken => "name_taken", "{value} looks the same as the name of the stored unit {code}";
        Cycle => "cycle", "{value} would make a cycle: {chain}";
        BadBody => "bad_body", "the request is not the JSON this route takes: {detail}";
        BadQuery => "bad_query", "the query string is not what this route takes: {detail}";
        BadFormat => "bad_format", "format must be json or csv, not {value}";

        // Sizes.
        BodyTooLarge => "too_large", "a request body is at most {max} KiB";
        RequestTooLarge => "request_too_large", "the request body is too large";
        FileTooLarge => "file_too_large", "a file is at most {max} MiB";
        UnitsFileTooLarge => "units_file_too_large", "a units file sent to the API is at most {max} MiB; import a larger one with `giaoban units import`";
        UnsupportedMediaType => "unsupported_media_type", "send the body with Content-Type: {expected}";
        UnreadableBody => "unreadable_body", "the request body could not be read";

        // Things the request names.
        NoSuchPage => "no_such_page", "no such page";
        MethodNotAllowed => "method_not_allowed", "this method is not allowed here";
        UpgradeRequired => "upgrade_required", "open this address as a WebSocket";
        BadRequest => "bad_request", "the request is malformed";
        NoSuchBriefing => "no_such_briefing", "there is no such briefing";
        NoSuchPoint => "no_such_point", "this briefing has no point {value}";
        NoSuchItem => "no_such_item", "this briefing has none with the id {value}";
        NoSuchMail => "no_such_mail", "there is no mail {value}";
        NoSuchAdmin => "no_such_admin", "there is no admin named {value}";
        NoReport => "no_report", "{point} has not submitted a report";
        NoPreviousSet => "no_previous_set", "no earlier briefing of this series has an indicator set";

        // Collisions.
        AlreadySubmitted => "already_submitted", "the report is already submitted: submit it again to change it";
        AlreadyTask => "already_task", "concern {concern} already has task {task}";
        AlreadyConcern => "already_concern", "comment {comment} already became concern {concern}";
        CommentsFull => "comments_full", "a briefing holds at most {max} comments, and this one is full";
        AlreadyExists => "already_exists", "{value} exists already";
        RecordingAlready => "recording_already", "the briefing is already being recorded";
        RecordingNotRunning => "recording_not_running", "the briefing is not being recorded";
        DiskLow => "disk_low", "only {free_mb} MB of disk are free; recording needs at least {min_mb} MB";
        QuotaPoint => "quota_point", "a point may upload at most {max_documents} documents and {max_mb} MiB to a briefing; it has uploaded {used_documents} documents, {used_mb} MiB: delete some to upload this one ({size_mb} MiB)";
        QuotaBriefing => "quota_briefing", "a briefing holds at most {max_documents} documents and {max_mb} MiB; this one has {used_documents} documents, {used_mb} MiB: delete some to upload this one ({size_mb} MiB)";
        UploadInProgress => "upload_in_progress", "this point is already sending {max} documents; wait until they are uploaded";
        UploadsBusy => "uploads_busy", "the server is receiving {max} documents already; try again in a moment";
        DownloadInProgress => "download_in_progress", "this point is already downloading {max} documents; wait until they arrive";
        DownloadsBusy => "downloads_busy", "the server is sending {max} documents already; try again in a moment";
        DocumentsDiskLow => "documents_disk_low", "only {free_mb} MB of disk are free; documents are accepted while at least {min_mb} MB are";
        RecordingUnavailable => "recording_unavailable", "this server does not record: start it without --no-recording";
        MailNotConfigured => "mail_not_configured", "this server sends no mail: start it with --smtp-url smtp://HOST:PORT and --mail-from ADDRESS (or GIAOBAN_SMTP_URL and GIAOBAN_MAIL_FROM)";

        // Who may do what.
        MissingToken => "missing_token", "missing Authorization: Bearer <invitation token>";
        InvalidToken => "invalid_token", "the invitation link is invalid";
        RevokedToken => "revoked_token", "this invitation link has been revoked";
        OtherBriefing => "other_briefing", "this invitation link is for another briefing";
        HostOnly => "host_only", "only the host may do this";
        HostOrOrganiserOnly => "host_or_organiser_only", "only the host or the organiser may do this";
        PointOnly => "point_only", "only an invited point may do this; open the briefing with its invitation link";
        OwnReportOnly => "own_report_only", "a unit may submit only its own report";
        ReportReaders => "report_readers", "only the host or the point itself may read a report";
        TaskOwnersOnly => "task_owners_only", "only an owner unit or the host may report progress on this task";
        TaskDocumentsOwnersOnly => "task_documents_owners_only", "only the host or a point of a unit that owns task {task} may attach documents to it";
        DocumentDeleters => "document_deleters", "only the host, the organiser or the point that uploaded a document may delete it";
        NoAdminSession => "no_session", "log in first: open /admin/login";
        InvalidAdminSession => "invalid_session", "the admin session is invalid or expired; log in again";
        CrossOrigin => "cross_origin", "this request does not come from a page of this server; open the admin page at the server's address and try again";
        InvalidMetricsToken => "invalid_metrics_token", "the metrics token is not valid";
        MetricsLocalOnly => "metrics_local_only", "the metrics are readable from the server's own machine, or with the token of --metrics-token";
        InvalidLogin => "invalid_login", "the name or the password is wrong";
        TooManyLogins => "too_many_logins", "too many failed logins; try again in {minutes} minutes";
        InvalidLoginCode => "invalid_login_code", "this login link is invalid, expired or already used; run `giaoban admin-url` for a new one";

        // The live briefing's direction.
        UnknownPoint => "unknown_point", "{point} is not invited to this briefing";
        NotConnected => "not_connected", "{point} is not connected";
        NotAllowed => "not_allowed", "this is not possible now: {detail}";
        InvalidDuration => "invalid_duration", "a floor time of {value} seconds is out of range: give 1 to {max} seconds, or none";
        Removed => "removed", "{point} was removed from this briefing";
        Locked => "locked", "the briefing is locked; no new points may join";
        Invalid => "invalid", "{detail}";

        Internal => "internal", "the server could not complete the request";
        MinutesFailed => "minutes_failed", "the minutes could not be rendered";
    }
}

names! {
    /// A field a [`Problem`] is about: an element of a [`FieldPath`].
    Field {
        Title => "title", "title";
        Series => "series", "series";
        Host => "host", "host";
        HostUnit => "host_unit", "host unit";
        Points => "points", "point";
        Units => "units", "unit";
        PointName => "point_name", "point name";
        ScheduledStart => "scheduled_start", "start";
        ReportDeadline => "report_deadline", "report deadline";
        Agenda => "agenda", "agenda item";
        AgendaItem => "agenda_item_id", "agenda item";
        Id => "id", "id";
        Presenter => "presenter", "presenter";
        Duration => "duration_minutes", "duration in minutes";
        Narrative => "narrative", "narrative";
        Indicators => "indicators", "indicator";
        Name => "name", "name";
        Measure => "measure", "measure";
        Value => "value", "value";
        Plan => "plan", "plan";
        Plans => "plans", "plan for unit";
        Text => "text", "text";
        Answer => "answer", "answer";
        Deadline => "deadline", "deadline";
        Owners => "owners", "owner";
        Lead => "lead", "lead";
        Status => "status", "status";
        Note => "note", "note";
        Reason => "reason", "reason";
        Substitute => "substitute", "substitute";
        FileName => "file_name", "file name";
        Document => "document", "document";
        Task => "task", "task";
        Concern => "concern", "concern";
        Comment => "comment", "comment";
        Conclusion => "conclusion", "conclusion";
        FloorGrant => "floor_grant", "floor grant";
        Presentation => "presentation", "presentation";
        Session => "session", "attendance session";
        Number => "number", "number and symbol";
        Place => "place", "place";
        Chair => "chair", "chair";
        Secretary => "secretary", "secretary";
        Line => "line", "line";
        Code => "code", "code";
        ParentCode => "parent_code", "parent_code";
        Email => "email", "email";
        Time => "time", "time";
        Password => "password", "password";
    }
}

impl ProblemCode {
    /// The names of the parameters the code's sentence uses, in order: `["value", "max"]`.
    pub fn params(self) -> Vec<&'static str> {
        let mut names = Vec::new();
        let mut rest = self.english();
        while let Some(open) = rest.find('{') {
            let Some(close) = rest[open..].find('}') else {
                break;
            };
            names.push(&rest[open + 1..open + close]);
            rest = &rest[open + close + 1..];
        }
        names
    }
}

/// Where in a request a problem is: fields and, after a list, the 1-based position in it, as in
/// `indicators.2.value` ("the value of the second indicator").
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FieldPath(Vec<Step>);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Field(Field),
    Position(usize),
}

impl FieldPath {
    /// The path of one field.
    pub fn of(field: Field) -> FieldPath {
        FieldPath(vec![Step::Field(field)])
    }

    /// The `position`-th (1-based) element of the list named so far.
    pub fn at(mut self, position: usize) -> FieldPath {
        self.0.push(Step::Position(position));
        self
    }

    /// `field` of what the path names so far.
    pub fn then(mut self, field: Field) -> FieldPath {
        self.0.push(Step::Field(field));
        self
    }

    /// English words for a sentence: `indicator 2, value`.
    pub fn english(&self) -> String {
        let mut out = String::new();
        for step in &self.0 {
            match step {
                Step::Field(field) => {
                    if !out.is_empty() {
                        out.push_str(", ");
                    }
                    out.push_str(field.english());
                }
                Step::Position(n) => {
                    out.push(' ');
                    out.push_str(&n.to_string());
                }
            }
        }
        out
    }
}

impl From<Field> for FieldPath {
    fn from(field: Field) -> FieldPath {
        FieldPath::of(field)
    }
}

impl fmt::Display for FieldPath {
    /// The path on the wire: `indicators.2.value`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            match step {
                Step::Field(field) => f.write_str(field.as_str())?,
                Step::Position(n) => write!(f, "{n}")?,
            }
        }
        Ok(())
    }
}

/// A parameter of a [`Problem`]: text (quoted in English) or a number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Param {
    Text(String),
    Int(i64),
}

impl From<&str> for Param {
    fn from(s: &str) -> Param {
        Param::Text(s.to_owned())
    }
}

impl From<String> for Param {
    fn from(s: String) -> Param {
        Param::Text(s)
    }
}

impl From<&String> for Param {
    fn from(s: &String) -> Param {
        Param::Text(s.clone())
    }
}

macro_rules! int_param {
    ($($t:ty),*) => {$(
        impl From<$t> for Param {
            fn from(n: $t) -> Param {
                Param::Int(i64::try_from(n).unwrap_or(i64::MAX))
            }
        }
    )*};
}
int_param!(i64, u64, usize, u32, i32);

/// Parameters that are the server's own words (a reason, a list), not what somebody typed, and
/// so are not quoted in the English sentence.
const UNQUOTED: &[&str] = &["detail", "choices", "accepted", "chain", "expected"];

/// The longest text parameter kept, in characters: a huge input cannot make a huge error.
const MAX_PARAM_CHARS: usize = 120;

/// A refused request: its code, the field it concerns and named parameters.
///
/// Serialised as the error object of the HTTP API (see `docs/http.md`): code, field path,
/// parameters and the English sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    code: ProblemCode,
    field: Option<FieldPath>,
    params: Vec<(&'static str, Param)>,
}

impl Problem {
    pub fn new(code: ProblemCode) -> Problem {
        Problem {
            code,
            field: None,
            params: Vec::new(),
        }
    }

    /// The problem about `field`. A problem already about a field keeps its own path under
    /// `field`: `at(indicators.2)` of a problem about `value` is about `indicators.2.value`.
    pub fn at(mut self, field: impl Into<FieldPath>) -> Problem {
        let mut path = field.into();
        if let Some(inner) = self.field.take() {
            path.0.extend(inner.0);
        }
        self.field = Some(path);
        self
    }

    /// With the parameter `name`; text is cut to 120 characters.
    pub fn with(mut self, name: &'static str, value: impl Into<Param>) -> Problem {
        let value = match value.into() {
            Param::Text(s) => match s.char_indices().nth(MAX_PARAM_CHARS) {
                Some((cut, _)) => Param::Text(format!("{}…", &s[..cut])),
                None => Param::Text(s),
            },
            int => int,
        };
        self.params.retain(|(n, _)| *n != name);
        self.params.push((name, value));
        self
    }

    pub fn code(&self) -> ProblemCode {
        self.code
    }

    pub fn field(&self) -> Option<&FieldPath> {
        self.field.as_ref()
    }

    /// The parameter `name`, if given.
    pub fn param(&self, name: &str) -> Option<&Param> {
        self.params.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }
}

impl fmt::Display for Problem {
    /// The English sentence: the field, then the code's text with the parameters filled in.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(path) = &self.field {
            write!(f, "{}: ", path.english())?;
        }
        let template = self.code.english();
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            f.write_str(&rest[..open])?;
            let Some(close) = rest[open..].find('}') else {
                break;
            };
            let name = &rest[open + 1..open + close];
            match self.param(name) {
                Some(Param::Text(s)) if UNQUOTED.contains(&name) => f.write_str(s)?,
                Some(Param::Text(s)) => write!(f, "{s:?}")?,
                Some(Param::Int(n)) => write!(f, "{n}")?,
                None => write!(f, "{{{name}}}")?,
            }
            rest = &rest[open + close + 1..];
        }
        f.write_str(rest)
    }
}

impl From<ProblemCode> for Problem {
    fn from(code: ProblemCode) -> Problem {
        Problem::new(code)
    }
}

/// The parameters of a problem as one JSON-like object: `{"value": "abc", "max": 50}`.
struct Params<'a>(&'a [(&'static str, Param)]);

impl Serialize for Params<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, value) in self.0 {
            match value {
                Param::Text(s) => map.serialize_entry(name, s)?,
                Param::Int(n) => map.serialize_entry(name, n)?,
            }
        }
        map.end()
    }
}

impl Serialize for Problem {
    /// The error object of the HTTP API: `{"code": "not_a_number", "field":
    /// "indicators.2.value", "params": {"value": "abc"}, "message": "indicator 2, value: \"abc\"
    /// is not a number"}`; `field` only when the problem is about one.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(3 + usize::from(self.field.is_some())))?;
        map.serialize_entry("code", &self.code)?;
        if let Some(field) = &self.field {
            map.serialize_entry("field", &field.to_string())?;
        }
        map.serialize_entry("params", &Params(&self.params))?;
        map.serialize_entry("message", &self.to_string())?;
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_reads_in_english_and_serialises_its_path() {
        let problem = Problem::new(ProblemCode::NotANumber)
            .at(Field::Value)
            .with("value", "85 phần trăm")
            .at(FieldPath::of(Field::Indicators).at(2));

        assert_eq!(
            problem.to_string(),
            "indicator 2, value: \"85 phần trăm\" is not a number"
        );
        assert_eq!(
            serde_json::to_value(&problem).unwrap(),
            serde_json::json!({
                "code": "not_a_number",
                "field": "indicators.2.value",
                "params": {"value": "85 phần trăm"},
                "message": "indicator 2, value: \"85 phần trăm\" is not a number",
            })
        );
    }

    #[test]
    fn long_text_parameters_are_cut() {
        let problem = Problem::new(ProblemCode::Duplicate).with("value", "ử".repeat(10_000));
        let Some(Param::Text(value)) = problem.param("value") else {
            panic!("no value");
        };
        assert_eq!(value.chars().count(), MAX_PARAM_CHARS + 1);
    }

    #[test]
    fn codes_and_fields_have_unique_names() {
        let mut codes: Vec<_> = ProblemCode::ALL.iter().map(|c| c.as_str()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), ProblemCode::ALL.len());
        let mut fields: Vec<_> = Field::ALL.iter().map(|c| c.as_str()).collect();
        fields.sort_unstable();
        fields.dedup();
        assert_eq!(fields.len(), Field::ALL.len());
    }
}
