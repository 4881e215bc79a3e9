//! The emails this service sends: plain, short, a text part and an HTML part with the same words,
//! no tracking (no images, no pixels, no rewritten links). Pure: `http::mail` hands a `Message`
//! to the Email Service binding.

/// One email to one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// What the audit log records of it: the template's name, never the body or the link.
    pub kind: &'static str,
}

/// Escapes text for HTML element content and double-quoted attributes.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A message of a few sentences around one link, as text and as HTML.
fn with_link(to: &str, kind: &'static str, subject: &str, lead: &str, link: &str, tail: &str) -> Message {
    let text = format!("{lead}\n\n{link}\n\n{tail}\n");
    let html = format!(
        "<!doctype html><html><body><p>{}</p><p><a href=\"{}\">{}</a></p><p>{}</p></body></html>",
        escape_html(lead),
        escape_html(link),
        escape_html(link),
        escape_html(tail)
    );
    Message { to: to.into(), subject: subject.into(), text, html, kind }
}

/// The activation link of a new customer user (`organisation`: the customer they act for).
pub fn activation(to: &str, organisation: &str, link: &str, valid_hours: i64) -> Message {
    with_link(
        to,
        "activation",
        &format!("Activate your access for {}", one_line(organisation)),
        &format!(
            "You have been added as a user of {}. Open this link to activate your access and sign in:",
            one_line(organisation)
        ),
        link,
        &format!("The link works once and for {valid_hours} hours. If you did not expect this, ignore this message."),
    )
}

/// A single-use sign-in link for the portal.
pub fn sign_in(to: &str, link: &str, valid_minutes: i64) -> Message {
    with_link(
        to,
        "sign_in",
        "Your sign-in link",
        "Open this link to sign in to the customer portal:",
        link,
        &format!(
            "The link works once and for {valid_minutes} minutes. If you did not ask to sign in, ignore this message; nothing changes."
        ),
    )
}

/// A name as one line of a subject: control characters (a newline would start a header) become
/// spaces, and a long name is cut.
fn one_line(s: &str) -> String {
    let line: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let line = line.trim();
    if line.chars().count() > 80 {
        format!("{}…", line.chars().take(79).collect::<String>())
    } else {
        line.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_special_characters_are_escaped() {
        assert_eq!(escape_html("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
    }

    #[test]
    fn an_activation_message_carries_the_link_in_both_parts() {
        let m = activation("ada@example.com", "Acme <Ltd>", "https://p.example/activate#token=abc&x", 72);
        assert_eq!(m.to, "ada@example.com");
        assert_eq!(m.subject, "Activate your access for Acme <Ltd>");
        assert!(m.text.contains("https://p.example/activate#token=abc&x"));
        assert!(m.html.contains("href=\"https://p.example/activate#token=abc&amp;x\""));
        assert!(m.html.contains("Acme &lt;Ltd&gt;"), "{}", m.html);
        assert!(m.text.contains("72 hours"));
        assert!(!m.html.contains("<img"), "no tracking pixel");
    }

    #[test]
    fn a_name_cannot_break_the_subject_line() {
        let m = activation("a@example.com", "Evil\r\nBcc: x@example.com", "https://p.example/#t", 72);
        assert!(!m.subject.contains('\n') && !m.subject.contains('\r'), "{}", m.subject);
        let long = activation("a@example.com", &"n".repeat(200), "https://p.example/#t", 72);
        assert!(long.subject.chars().count() < 120);
    }

    #[test]
    fn a_sign_in_message_says_how_long_the_link_works() {
        let m = sign_in("ada@example.com", "https://p.example/portal#token=t", 15);
        assert_eq!((m.subject.as_str(), m.kind), ("Your sign-in link", "sign_in"));
        assert!(m.text.contains("15 minutes") && m.text.contains("https://p.example/portal#token=t"));
    }
}
