//! The customer query: what selects customers for the list, the filter body, bulk delete and
//! export. Built from requests by `domain::filter`, checked here against the allow-lists and the
//! customer rules, and compiled to SQL by `storage::customer_sql`.
use serde::Serialize;

use super::customer::{is_valid_attribute_key, Kind, Source, MAX_ATTRIBUTE_VALUE_LEN};
use super::time::parse_time;

#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Null,
    Text(String),
    Int(i64),
    Real(f64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Active,
    Deleted,
    All,
}

impl Status {
    pub fn parse(s: &str) -> Option<Status> {
        match s {
            "active" => Some(Status::Active),
            "deleted" => Some(Status::Deleted),
            "all" => Some(Status::All),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortField {
    CreatedAt,
    Name,
    Email,
    LastSeenAt,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub field: SortField,
    pub descending: bool,
}

impl Default for Sort {
    fn default() -> Self {
        Sort { field: SortField::CreatedAt, descending: true }
    }
}

impl Sort {
    pub const ALLOWED: &'static str = "created_at, -created_at, name, -name, email, -email, last_seen_at, -last_seen_at";

    pub fn parse(s: &str) -> Option<Sort> {
        let (descending, name) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let field = match name {
            "created_at" => SortField::CreatedAt,
            "name" => SortField::Name,
            "email" => SortField::Email,
            "last_seen_at" => SortField::LastSeenAt,
            _ => return None,
        };
        Some(Sort { field, descending })
    }

    pub fn name(self) -> String {
        let base = match self.field {
            SortField::CreatedAt => "created_at",
            SortField::Name => "name",
            SortField::Email => "email",
            SortField::LastSeenAt => "last_seen_at",
        };
        if self.descending {
            format!("-{base}")
        } else {
            base.to_string()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    Name,
    Email,
    Phone,
    Company,
    Kind,
    Source,
    GroupId,
    ParentId,
    Handle,
    CreatedAt,
    UpdatedAt,
    LastSeenAt,
    Attribute(String),
}

impl Field {
    pub const ALLOWED: &'static str =
        "name, email, phone, company, kind, source, group_id, parent_id, handle, created_at, updated_at, last_seen_at, attributes.<key>";

    pub fn parse(s: &str) -> Option<Field> {
        Some(match s {
            "name" => Field::Name,
            "email" => Field::Email,
            "phone" => Field::Phone,
            "company" => Field::Company,
            "kind" => Field::Kind,
            "source" => Field::Source,
            "group_id" => Field::GroupId,
            "parent_id" => Field::ParentId,
            "handle" => Field::Handle,
            "created_at" => Field::CreatedAt,
            "updated_at" => Field::UpdatedAt,
            "last_seen_at" => Field::LastSeenAt,
            other => {
                // The same rule as the keys a customer can store, so every storable key is filterable.
                let key = other.strip_prefix("attributes.").filter(|k| is_valid_attribute_key(k))?;
                Field::Attribute(key.to_string())
            }
        })
    }

    pub fn is_time(&self) -> bool {
        matches!(self, Field::CreatedAt | Field::UpdatedAt | Field::LastSeenAt)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Eq,
    Neq,
    Contains,
    StartsWith,
    EndsWith,
    In,
    Gt,
    Gte,
    Lt,
    Lte,
    IsNull,
    IsNotNull,
}

impl Op {
    pub const ALLOWED: &'static str = "eq, neq, contains, starts_with, ends_with, in, gt, gte, lt, lte, is_null, is_not_null";
    pub fn parse(s: &str) -> Option<Op> {
        use Op::*;
        Some(match s {
            "eq" => Eq,
            "neq" => Neq,
            "contains" => Contains,
            "starts_with" => StartsWith,
            "ends_with" => EndsWith,
            "in" => In,
            "gt" => Gt,
            "gte" => Gte,
            "lt" => Lt,
            "lte" => Lte,
            "is_null" => IsNull,
            "is_not_null" => IsNotNull,
            _ => return None,
        })
    }
}

/// A condition's operand, already checked against its field and operator.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    None,
    One(Scalar),
    Many(Vec<Scalar>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub field: Field,
    pub op: Op,
    pub operand: Operand,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Match {
    All,
    Any,
}

/// Where a page starts: after the row with this sort key and id.
#[derive(Debug, Clone, PartialEq)]
pub struct After {
    pub key: String,
    pub id: String,
}

/// Everything that selects customers: the list query, the filter body, bulk delete and export.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerQuery {
    pub status: Status,
    /// Free-text search over name, email, phone, company and handle; always AND-ed.
    pub search: Option<String>,
    /// Conditions that are always AND-ed (list query parameters).
    pub required: Vec<Condition>,
    /// Conditions combined by `matching` (filter body).
    pub conditions: Vec<Condition>,
    pub matching: Match,
    pub sort: Sort,
}

impl Default for CustomerQuery {
    fn default() -> Self {
        CustomerQuery {
            status: Status::Active,
            search: None,
            required: vec![],
            conditions: vec![],
            matching: Match::All,
            sort: Sort::default(),
        }
    }
}

/// Checks a condition's operand against its field and operator and converts it to scalars.
pub fn operand_for(field: &Field, op: Op, value: Option<&serde_json::Value>) -> Result<Operand, String> {
    use serde_json::Value;
    let needs_none = matches!(op, Op::IsNull | Op::IsNotNull);
    if needs_none {
        return match value {
            None | Some(Value::Null) => Ok(Operand::None),
            Some(_) => Err(format!("{op:?} takes no value").to_ascii_lowercase()),
        };
    }
    if *field == Field::GroupId && !matches!(op, Op::Eq | Op::Neq | Op::In) {
        return Err("group_id supports eq, neq, in, is_null and is_not_null".into());
    }
    if matches!(field, Field::Kind | Field::Source | Field::ParentId) && !matches!(op, Op::Eq | Op::Neq | Op::In) {
        return Err("kind, source and parent_id support eq, neq, in, is_null and is_not_null".into());
    }
    let scalar = |v: &Value| -> Result<Scalar, String> {
        match (field, v) {
            (f, Value::String(s)) if f.is_time() => {
                parse_time(s).map(Scalar::Text).ok_or_else(|| "must be an RFC 3339 time or a date".to_string())
            }
            (f, _) if f.is_time() => Err("must be an RFC 3339 time or a date".into()),
            (Field::Kind, v) => Kind::parse_named(v.as_str().unwrap_or_default()).map(|k| Scalar::Text(k.as_str().into())),
            (Field::Source, v) => Source::parse_named(v.as_str().unwrap_or_default()).map(|s| Scalar::Text(s.as_str().into())),
            (Field::Attribute(_), Value::Bool(b)) => Ok(Scalar::Int(*b as i64)),
            (Field::Attribute(_), Value::Number(n)) => {
                Ok(n.as_i64().map(Scalar::Int).unwrap_or(Scalar::Real(n.as_f64().unwrap_or(0.0))))
            }
            (_, Value::String(s)) if s.chars().count() > MAX_ATTRIBUTE_VALUE_LEN => {
                Err(format!("values are at most {MAX_ATTRIBUTE_VALUE_LEN} characters"))
            }
            (_, Value::String(s)) => Ok(Scalar::Text(s.clone())),
            _ => Err("must be a string".into()),
        }
    };
    match (op, value) {
        (_, None) | (_, Some(Value::Null)) => Err("needs a value".into()),
        (Op::In, Some(Value::Array(items))) => {
            if items.is_empty() || items.len() > 50 {
                return Err("in takes a list of 1 to 50 values".into());
            }
            Ok(Operand::Many(items.iter().map(scalar).collect::<Result<_, _>>()?))
        }
        (Op::In, Some(_)) => Err("in takes a list of values".into()),
        (Op::Contains | Op::StartsWith | Op::EndsWith, Some(Value::String(s))) => {
            if s.is_empty() {
                return Err("needs a non-empty string".into());
            }
            if field.is_time() {
                return Err("text operators do not apply to times".into());
            }
            Ok(Operand::One(Scalar::Text(s.clone())))
        }
        (Op::Contains | Op::StartsWith | Op::EndsWith, Some(_)) => Err("needs a non-empty string".into()),
        (_, Some(v)) => Ok(Operand::One(scalar(v)?)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_allowed_operator_parses_and_serialises_as_its_name() {
        for name in Op::ALLOWED.split(", ") {
            let op = Op::parse(name).unwrap_or_else(|| panic!("{name} does not parse"));
            assert_eq!(serde_json::to_value(op).unwrap(), json!(name));
        }
        assert_eq!(Op::parse("like"), None);
    }

    #[test]
    fn bad_operands_are_explained() {
        assert!(operand_for(&Field::CreatedAt, Op::Gt, Some(&json!("soon"))).is_err());
        assert!(operand_for(&Field::Name, Op::IsNull, Some(&json!("x"))).is_err());
        assert!(operand_for(&Field::Name, Op::In, Some(&json!("x"))).is_err());
        assert!(operand_for(&Field::Kind, Op::Eq, Some(&json!("vip"))).is_err());
        assert!(operand_for(&Field::Name, Op::Contains, Some(&json!(""))).is_err());
        assert!(operand_for(&Field::GroupId, Op::Contains, Some(&json!("g"))).is_err());
    }

    #[test]
    fn every_storable_attribute_key_is_filterable_and_only_those() {
        // Counted in characters, as the customer rules count them.
        assert!(Field::parse(&format!("attributes.{}", "é".repeat(64))).is_some());
        assert!(Field::parse(&format!("attributes.{}", "é".repeat(65))).is_none());
        assert!(Field::parse("attributes.a\"b").is_none());
    }

    #[test]
    fn text_operands_are_limited_in_characters() {
        assert!(operand_for(&Field::Name, Op::Eq, Some(&json!("é".repeat(1000)))).is_ok());
        assert!(operand_for(&Field::Name, Op::Eq, Some(&json!("é".repeat(1001)))).is_err());
    }
}
