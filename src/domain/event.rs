//! Change events: the types a change produces (migration 0014's triggers write them) and the
//! filters of the pull API.

/// Every type a committed change can produce, in the contract's order.
pub const TYPES: [&str; 10] = [
    "customer.created",
    "customer.updated",
    "customer.deleted",
    "customer.restored",
    "customer.force_deleted",
    "customer.redacted",
    "customer.merged",
    "interaction.recorded",
    "contact.activated",
    "import.completed",
];

/// What `POST /v1/webhooks/{id}/test` sends: never stored as a change, never in the pull API.
pub const TEST_TYPE: &str = "webhook.test";

/// Events are kept this long, then purged (the pull API's window).
pub const RETENTION_DAYS: i64 = 30;

/// `type=a,b`: one or more known types, each at most once.
pub fn parse_types(raw: &str) -> Result<Vec<&'static str>, String> {
    let mut out: Vec<&'static str> = Vec::new();
    for name in raw.split(',').map(str::trim) {
        let known = TYPES.iter().find(|t| **t == name).ok_or_else(|| {
            if name.is_empty() {
                "must name at least one event type".to_string()
            } else {
                format!("`{name}` is not an event type; one of {}", TYPES.join(", "))
            }
        })?;
        if !out.contains(known) {
            out.push(known);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_of_known_types_is_accepted_once_each() {
        assert_eq!(
            parse_types("customer.deleted, customer.merged,customer.deleted"),
            Ok(vec!["customer.deleted", "customer.merged"])
        );
    }

    #[test]
    fn an_unknown_or_empty_type_is_refused() {
        assert!(parse_types("customer.exploded").unwrap_err().contains("customer.exploded"));
        assert!(parse_types("customer.created,").is_err());
        assert!(parse_types("webhook.test").is_err());
    }
}
