//! Sends an email through Cloudflare Email Service (the `[[send_email]]` binding `EMAIL`, from
//! `EMAIL_FROM`). `wrangler dev` and the tests simulate the binding; nothing leaves the machine.
use worker::{Env, SendEmailBuilder};

use super::config::Config;
use crate::domain::mail::Message;

pub const BINDING: &str = "EMAIL";

/// Whether the message was handed to the Email Service. Without the binding or a sender nothing
/// is sent; a refusal is logged (never the body or the address) and answered `false`, so the
/// caller says `"sent": false` instead of failing the change it made.
pub async fn send(env: &Env, message: &Message) -> bool {
    let Some(from) = Config::get(env).email_from.clone() else { return false };
    let Ok(binding) = env.send_email(BINDING) else { return false };
    let email = SendEmailBuilder::builder(&from, &message.to, &message.subject).build();
    email.set_text(&message.text);
    email.set_html(&message.html);
    match binding.send_with_builder(&email).await {
        Ok(_) => true,
        Err(e) => {
            worker::console_error!("email ({}) was not sent: {e:?}", message.kind);
            false
        }
    }
}
