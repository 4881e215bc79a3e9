//! The actions an audit row may record: the one list the code writes from, the OpenAPI
//! document's `AuditAction` enum repeats and the console's Action filter reads.

pub const ACTIONS: &[&str] = &[
    "customer.create",
    "customer.update",
    "customer.delete",
    "customer.restore",
    "customer.redact",
    "customer.force_delete",
    "customer.bulk_delete",
    "customer.bulk_force_delete",
    "customer.import",
    "customer.export",
    "customer.merge",
    "customer.own_company_set",
    "customer.own_company_unset",
    "contact.create",
    "contact.update",
    "contact.delete",
    "contact.issue_activation_link",
    "contact.activate",
    "group.create",
    "group.update",
    "group.delete",
    "group.members_add",
    "group.members_remove",
    "api_key.create",
    "api_key.revoke",
    "admin.create",
    "admin.update",
    "admin.delete",
    "webhook.create",
    "webhook.update",
    "webhook.delete",
    "webhook.rotate_secret",
    "webhook.replay",
    "contact.email_sent",
];

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::ACTIONS;

    /// Every action literal the source writes into the audit log: the first argument after
    /// `audit_entry(cx, ` / `members_entry(cx, ` and the action column of the SQL that inserts
    /// audit rows itself (`'<type>.<verb>', '<type>'`).
    fn written_actions(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        for call in ["audit_entry(cx, \"", "members_entry(cx, \""] {
            for part in text.split(call).skip(1) {
                out.push(part.split('"').next().unwrap_or_default().to_string());
            }
        }
        for (at, sep) in text.match_indices(", '") {
            let part = &text[at + sep.len()..];
            let literal = part.split('\'').next().unwrap_or_default();
            let rest = &part[literal.len()..];
            let target = literal.split('.').next().unwrap_or_default();
            if literal.contains('.') && rest.starts_with(&format!("', '{target}'")) {
                out.push(literal.to_string());
            }
        }
        out
    }

    fn sources(dir: &Path, out: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push((path.display().to_string(), std::fs::read_to_string(&path).unwrap()));
            }
        }
    }

    #[test]
    fn every_action_the_code_writes_is_listed() {
        let mut files = Vec::new();
        sources(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut files);
        let mut seen = 0;
        for (path, text) in &files {
            for action in written_actions(text) {
                seen += 1;
                assert!(ACTIONS.contains(&action.as_str()), "{path} writes the audit action {action}, which ACTIONS lacks");
            }
        }
        assert!(seen > 30, "the scan found only {seen} audit actions");
    }

    #[test]
    fn the_scan_reads_calls_and_sql() {
        let text = "audit_entry(cx, \"customer.merge\", x); SELECT ?1, 'contact.update', 'contact', s.id";
        assert_eq!(written_actions(text), vec!["customer.merge", "contact.update"]);
    }

    #[test]
    fn actions_are_listed_once() {
        let mut sorted = ACTIONS.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), ACTIONS.len());
    }
}
