//! What an outside person did on a public page, as the public endpoint accepts it.
use serde::Serialize;
use serde_json::{Map, Value};

use super::customer::Source;
use super::customer::MAX_NAME_LEN;
use super::email::Email;
use super::fields::{phone, refused_characters, text, Lines};
use super::validation::{not_accepted, object, FieldError};

pub const MAX_DETAILS_BYTES: usize = 4096;
pub const MAX_RESOURCE_ID_LEN: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InteractionType {
    MeetingBooked,
    FormSubmitted,
    ChatStarted,
    ConferenceJoined,
}

impl InteractionType {
    pub const ALL: [&'static str; 4] = ["meeting_booked", "form_submitted", "chat_started", "conference_joined"];

    pub fn parse(s: &str) -> Option<Self> {
        use InteractionType::*;
        [MeetingBooked, FormSubmitted, ChatStarted, ConferenceJoined].into_iter().find(|v| v.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            InteractionType::MeetingBooked => "meeting_booked",
            InteractionType::FormSubmitted => "form_submitted",
            InteractionType::ChatStarted => "chat_started",
            InteractionType::ConferenceJoined => "conference_joined",
        }
    }

    /// The page a first-time visitor came through becomes the customer's source.
    pub fn source(self) -> Source {
        match self {
            InteractionType::MeetingBooked => Source::MeetingLink,
            InteractionType::FormSubmitted => Source::Form,
            InteractionType::ChatStarted => Source::Chat,
            InteractionType::ConferenceJoined => Source::ConferenceRoom,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PublicInteraction {
    /// The person, by email, by the browser the page knows them by, or both (at least one).
    pub email: Option<Email>,
    pub visitor_id: Option<VisitorId>,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub kind: InteractionType,
    pub resource_id: String,
    pub details: Map<String, Value>,
}

/// The id a public page keeps for an anonymous visitor (a cookie's or local storage's value):
/// 8 to 64 of `A-Z a-z 0-9 _ -`, so it can never carry markup, spaces or personal text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitorId(String);

impl VisitorId {
    pub fn parse(s: &str) -> Option<VisitorId> {
        let ok = (8..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        ok.then(|| VisitorId(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name an anonymous visitor's customer shows until they give theirs ("Visitor 3f2a9c1e").
    pub fn placeholder_name(&self) -> String {
        format!("Visitor {}", &self.0[..8])
    }
}

impl PublicInteraction {
    /// The names of the customer fields this interaction carries, for an audit row.
    pub fn given_fields(&self) -> Vec<&'static str> {
        let mut names = vec![];
        if self.email.is_some() {
            names.push("email");
        }
        if self.name.is_some() {
            names.push("name");
        }
        if self.phone.is_some() {
            names.push("phone");
        }
        names
    }

    /// Validates the public body. The endpoint faces the internet, so anything outside the
    /// contract's fields is refused rather than ignored.
    pub fn parse(body: &Value) -> Result<PublicInteraction, Vec<FieldError>> {
        let map = object(body)?;
        let mut errors = Vec::new();
        // Name, email and phone follow the same rules as an admin-created customer's, without
        // its need for a name or an email: a visitor may be anonymous.
        let mut person = super::validation::Errors::default();
        let name = map.get("name").and_then(|v| text(&mut person.0, "name", v, MAX_NAME_LEN, Lines::Single));
        let phone = map.get("phone").and_then(|v| phone(&mut person.0, v));
        let email = map.get("email").and_then(|v| super::customer::email(&mut person, v));
        let fields = person.0.is_empty().then_some((name, phone));
        errors.extend(person.0);
        let visitor_id = match map.get("visitor_id") {
            None | Some(Value::Null) => None,
            Some(v) => {
                let id = v.as_str().and_then(VisitorId::parse);
                if id.is_none() {
                    errors.push(FieldError::new("visitor_id", "invalid", "visitor_id is 8 to 64 letters, digits, `_` or `-`"));
                }
                id
            }
        };
        let named_person = errors.iter().any(|e: &FieldError| e.field == "email" || e.field == "visitor_id");
        if email.is_none() && visitor_id.is_none() && !named_person {
            errors.push(FieldError::new("email", "required", "an email or a visitor_id is required"));
        }
        let kind = match map.get("type").and_then(Value::as_str) {
            Some(t) => InteractionType::parse(t),
            None => None,
        };
        if kind.is_none() {
            errors.push(FieldError::new("type", "invalid", format!("type must be one of {}", InteractionType::ALL.join(", "))));
        }
        let resource_id = match map.get("resource_id") {
            Some(Value::String(s)) => super::fields::identifier_str(&mut errors, "resource_id", s, MAX_RESOURCE_ID_LEN),
            _ => {
                errors.push(FieldError::new(
                    "resource_id",
                    "invalid",
                    format!("resource_id must be a string of 1 to {MAX_RESOURCE_ID_LEN} characters"),
                ));
                None
            }
        };
        let details = match map.get("details") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(d)) if Value::Object(d.clone()).to_string().len() <= MAX_DETAILS_BYTES => {
                detail_characters(&mut errors, "details", d);
                d.clone()
            }
            Some(Value::Object(_)) => {
                errors.push(FieldError::new(
                    "details",
                    "too_large",
                    format!("details must be at most {MAX_DETAILS_BYTES} bytes of JSON"),
                ));
                Map::new()
            }
            Some(_) => {
                errors.push(FieldError::new("details", "invalid_type", "details must be an object"));
                Map::new()
            }
        };
        for key in map.keys() {
            if !["email", "visitor_id", "name", "phone", "type", "resource_id", "details"].contains(&key.as_str()) {
                errors.push(not_accepted(key, &[]));
            }
        }
        match (errors.is_empty(), kind, resource_id, fields) {
            (true, Some(kind), Some(resource_id), Some((name, phone))) => {
                Ok(PublicInteraction { email, visitor_id, name, phone, kind, resource_id, details })
            }
            _ => Err(errors),
        }
    }
}

/// The text rule of every stored text, through the whole `details` tree: keys are one line,
/// string values may hold tabs and line breaks. Each error names the path to the value, e.g.
/// `details.answers[2]`; a bad key is named by the object that holds it.
fn detail_characters(errors: &mut Vec<FieldError>, path: &str, object: &Map<String, Value>) {
    if object.keys().any(|k| refused_characters(path, k, Lines::Single).is_some()) {
        errors.push(FieldError::new(
            path,
            "invalid",
            format!("a key in {path} contains control or bidirectional override characters"),
        ));
    }
    for (key, value) in object.iter().filter(|(k, _)| refused_characters(path, k, Lines::Single).is_none()) {
        detail_value(errors, &format!("{path}.{key}"), value);
    }
}

fn detail_value(errors: &mut Vec<FieldError>, path: &str, value: &Value) {
    match value {
        Value::String(s) => errors.extend(refused_characters(path, s, Lines::Multi)),
        Value::Object(o) => detail_characters(errors, path, o),
        Value::Array(list) => list.iter().enumerate().for_each(|(i, v)| detail_value(errors, &format!("{path}[{i}]"), v)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_type_name_parses_to_the_type_spelled_so() {
        for name in InteractionType::ALL {
            assert_eq!(InteractionType::parse(name).map(InteractionType::as_str), Some(name));
        }
        assert_eq!(InteractionType::parse("meeting"), None);
    }

    fn codes(body: Value) -> Vec<(String, String)> {
        PublicInteraction::parse(&body).unwrap_err().into_iter().map(|e| (e.field, e.code)).collect()
    }

    #[test]
    fn a_minimal_interaction_is_accepted() {
        let i = PublicInteraction::parse(&json!({"email": "v@example.com", "type": "chat_started", "resource_id": "room-1"}))
            .unwrap();
        assert_eq!(i.kind, InteractionType::ChatStarted);
        assert_eq!(i.name, None);
    }

    #[test]
    fn given_fields_name_what_the_body_carried() {
        let bare =
            PublicInteraction::parse(&json!({"email": "v@example.com", "type": "chat_started", "resource_id": "r"})).unwrap();
        assert_eq!(bare.given_fields(), vec!["email"]);
        let full = PublicInteraction::parse(
            &json!({"email": "v@example.com", "name": "V", "phone": "+1 555 0100", "type": "form_submitted", "resource_id": "r"}),
        )
        .unwrap();
        assert_eq!(full.given_fields(), vec!["email", "name", "phone"]);
    }

    #[test]
    fn each_type_maps_to_its_source() {
        assert_eq!(InteractionType::MeetingBooked.source(), Source::MeetingLink);
        assert_eq!(InteractionType::FormSubmitted.source(), Source::Form);
        assert_eq!(InteractionType::ChatStarted.source(), Source::Chat);
        assert_eq!(InteractionType::ConferenceJoined.source(), Source::ConferenceRoom);
    }

    #[test]
    fn an_email_or_a_visitor_id_is_required() {
        assert_eq!(
            codes(json!({"name": "V", "type": "chat_started", "resource_id": "r"})),
            vec![("email".into(), "required".into())]
        );
    }

    #[test]
    fn a_visitor_id_alone_names_the_person() {
        let i =
            PublicInteraction::parse(&json!({"visitor_id": "v_1234-abcd", "type": "chat_started", "resource_id": "r"})).unwrap();
        assert_eq!(i.visitor_id.as_ref().map(VisitorId::as_str), Some("v_1234-abcd"));
        assert_eq!(i.email, None);
        assert!(i.given_fields().is_empty());
    }

    #[test]
    fn visitor_ids_are_8_to_64_safe_characters() {
        assert!(VisitorId::parse("abcdefgh").is_some());
        assert!(VisitorId::parse(&"a".repeat(64)).is_some());
        for bad in ["abcdefg", &"a".repeat(65), "abcd efgh", "abcd<efgh>", "abcdéfgh", "abcd.efgh"] {
            assert!(VisitorId::parse(bad).is_none(), "{bad}");
            let c = codes(json!({"visitor_id": bad, "type": "chat_started", "resource_id": "r"}));
            assert_eq!(c, vec![("visitor_id".into(), "invalid".into())], "{bad}");
        }
    }

    #[test]
    fn a_placeholder_name_shows_the_first_eight_characters() {
        assert_eq!(VisitorId::parse("3f2a9c1e77").unwrap().placeholder_name(), "Visitor 3f2a9c1e");
    }

    #[test]
    fn unknown_fields_are_refused() {
        let c = codes(json!({"email": "v@example.com", "type": "chat_started", "resource_id": "r", "kind": "registered"}));
        assert_eq!(c, vec![("kind".into(), "unknown_field".into())]);
    }

    #[test]
    fn details_over_4_kb_are_refused() {
        let c = codes(
            json!({"email": "v@example.com", "type": "form_submitted", "resource_id": "r", "details": {"a": "x".repeat(5000)}}),
        );
        assert_eq!(c, vec![("details".into(), "too_large".into())]);
    }

    #[test]
    fn resource_ids_with_control_or_bidi_characters_are_refused() {
        for bad in ["room\u{0}1", "room\r\n1", "room\u{202E}1"] {
            let c = codes(json!({"email": "v@example.com", "type": "chat_started", "resource_id": bad}));
            assert_eq!(c, vec![("resource_id".into(), "invalid".into())], "{bad:?}");
        }
    }

    #[test]
    fn control_and_bidi_characters_in_details_are_refused_by_path() {
        let with = |details: Value| {
            codes(json!({"email": "v@example.com", "type": "form_submitted", "resource_id": "r", "details": details}))
        };
        let one = |f: &str| vec![(f.to_string(), "invalid".to_string())];
        assert_eq!(with(json!({"note": "a\u{0}b"})), one("details.note"));
        assert_eq!(with(json!({"note": "ring\u{7}"})), one("details.note"));
        assert_eq!(with(json!({"note": "abc\u{202E}fdp.exe"})), one("details.note"));
        assert_eq!(with(json!({"note": "x\u{2069}"})), one("details.note"));
        assert_eq!(with(json!({"form": {"answers": ["ok", "\u{1b}[2J"]}})), one("details.form.answers[1]"));
        assert_eq!(with(json!({"k\u{0}": 1})), one("details"));
        assert_eq!(with(json!({"k\n": 1})), one("details"));
        assert_eq!(with(json!({"form": {"\u{202D}k": true}})), one("details.form"));
    }

    #[test]
    fn details_values_keep_tabs_and_line_breaks() {
        let body = json!({"email": "v@example.com", "type": "form_submitted", "resource_id": "r",
            "details": {"message": "line one\n\tline two\r\n", "n": 3, "nested": {"list": ["a\tb", null, false]}}});
        assert!(PublicInteraction::parse(&body).is_ok());
    }

    #[test]
    fn an_unknown_type_is_refused() {
        let c = codes(json!({"email": "v@example.com", "type": "page_viewed", "resource_id": "r"}));
        assert_eq!(c, vec![("type".into(), "invalid".into())]);
    }

    #[test]
    fn an_invalid_email_is_refused() {
        let c = codes(json!({"email": "nope", "type": "chat_started", "resource_id": "r"}));
        assert_eq!(c, vec![("email".into(), "invalid".into())]);
    }
}
