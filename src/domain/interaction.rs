//! What an outside person did on a public page, as the public endpoint accepts it.
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::customer::Source;
use super::email::Email;
use super::validation::{not_accepted, object, FieldError};

pub const MAX_DETAILS_BYTES: usize = 4096;
pub const MAX_RESOURCE_ID_LEN: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
        serde_json::from_value(Value::String(s.to_string())).ok()
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
    pub email: Email,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub kind: InteractionType,
    pub resource_id: String,
    pub details: Map<String, Value>,
}

impl PublicInteraction {
    /// The names of the customer fields this interaction carries, for an audit row.
    pub fn given_fields(&self) -> Vec<&'static str> {
        let mut names = vec!["email"];
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
        // Name and phone follow the same rules as an admin-created customer.
        let mut person = Map::new();
        for key in ["email", "name", "phone"] {
            if let Some(v) = map.get(key) {
                person.insert(key.into(), v.clone());
            }
        }
        let fields = match super::customer::NewCustomer::parse(&Value::Object(person)) {
            Ok(new) => Some(new.fields),
            Err(errs) => {
                errors.extend(errs.into_iter().filter(|e| e.field != "name" || e.code != "required"));
                None
            }
        };
        let email = fields.as_ref().and_then(|f| f.email.clone());
        if email.is_none() && !errors.iter().any(|e: &FieldError| e.field == "email") {
            errors.push(FieldError::new("email", "required", "email is required"));
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
            Some(Value::Object(d)) if Value::Object(d.clone()).to_string().len() <= MAX_DETAILS_BYTES => d.clone(),
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
            if !["email", "name", "phone", "type", "resource_id", "details"].contains(&key.as_str()) {
                errors.push(not_accepted(key, &[]));
            }
        }
        match (errors.is_empty(), email, kind, resource_id, fields) {
            (true, Some(email), Some(kind), Some(resource_id), Some(fields)) => {
                Ok(PublicInteraction { email, name: fields.name, phone: fields.phone, kind, resource_id, details })
            }
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
    fn email_is_required() {
        assert_eq!(
            codes(json!({"name": "V", "type": "chat_started", "resource_id": "r"})),
            vec![("email".into(), "required".into())]
        );
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
