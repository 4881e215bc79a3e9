//! `GET /openapi.json`: the OpenAPI 3.1 document kept in `src/openapi.json`, served as is.
use worker::{Headers, Response};

use crate::http::error::ApiResult;
use crate::http::Ctx;

pub const DOCUMENT: &str = include_str!("../openapi.json");

pub async fn document(_cx: &mut Ctx) -> ApiResult<Response> {
    let headers = Headers::new();
    headers.set("content-type", "application/json; charset=utf-8")?;
    headers.set("cache-control", "public, max-age=300")?;
    Ok(Response::from_bytes(DOCUMENT.as_bytes().to_vec())?.with_headers(headers))
}

#[cfg(test)]
mod tests {
    //! The document's limits and enumerations are the code's: a constant changed in one place
    //! and not the other fails here.
    use serde_json::{json, Value};

    use super::DOCUMENT;
    use crate::domain::customer::{self, Kind, Source};
    use crate::domain::permission::Permission;
    use crate::domain::{activation, api_key, bulk, contact, email, fields, filter, group, interaction, query};
    use crate::http::error::MAX_LISTED_FIELDS;

    fn doc() -> Value {
        serde_json::from_str(DOCUMENT).unwrap()
    }

    fn at(doc: &Value, pointer: &str) -> Value {
        doc.pointer(pointer).cloned().unwrap_or_else(|| panic!("openapi.json has nothing at {pointer}"))
    }

    fn words(list: &str) -> Value {
        json!(list.split(", ").collect::<Vec<_>>())
    }

    #[test]
    fn text_limits_match_the_domain_rules() {
        let d = doc();
        for schema in ["CustomerCreate", "CustomerPatch", "Customer"] {
            let p = format!("/components/schemas/{schema}/properties");
            assert_eq!(at(&d, &format!("{p}/name/maxLength")), json!(customer::MAX_NAME_LEN), "{schema}.name");
            assert_eq!(at(&d, &format!("{p}/email/maxLength")), json!(email::MAX_EMAIL_LEN), "{schema}.email");
            assert_eq!(at(&d, &format!("{p}/phone/maxLength")), json!(fields::MAX_PHONE_LEN), "{schema}.phone");
            assert_eq!(at(&d, &format!("{p}/company/maxLength")), json!(customer::MAX_COMPANY_LEN), "{schema}.company");
            assert_eq!(at(&d, &format!("{p}/notes/maxLength")), json!(customer::MAX_NOTES_LEN), "{schema}.notes");
        }
        for schema in ["GroupCreate", "GroupPatch"] {
            let p = format!("/components/schemas/{schema}/properties");
            assert_eq!(at(&d, &format!("{p}/name/maxLength")), json!(group::MAX_NAME_LEN), "{schema}.name");
            assert_eq!(at(&d, &format!("{p}/description/maxLength")), json!(group::MAX_DESCRIPTION_LEN), "{schema}.description");
        }
        for schema in ["ContactCreate", "ContactPatch"] {
            let p = format!("/components/schemas/{schema}/properties");
            assert_eq!(at(&d, &format!("{p}/first_name/maxLength")), json!(contact::MAX_NAME_LEN), "{schema}.first_name");
            assert_eq!(at(&d, &format!("{p}/last_name/maxLength")), json!(contact::MAX_NAME_LEN), "{schema}.last_name");
            assert_eq!(at(&d, &format!("{p}/email/maxLength")), json!(email::MAX_EMAIL_LEN), "{schema}.email");
        }
        assert_eq!(at(&d, "/components/schemas/ApiKeyCreate/properties/name/maxLength"), json!(api_key::MAX_NAME_LEN));
        let token = "/components/schemas/ContactActivation/properties/token";
        assert_eq!(at(&d, &format!("{token}/minLength")), json!(activation::TOKEN_LEN));
        assert_eq!(at(&d, &format!("{token}/maxLength")), json!(activation::TOKEN_LEN));
        let public = "/components/schemas/PublicInteraction/properties";
        assert_eq!(at(&d, &format!("{public}/resource_id/maxLength")), json!(interaction::MAX_RESOURCE_ID_LEN));
        assert_eq!(at(&d, &format!("{public}/name/maxLength")), json!(customer::MAX_NAME_LEN));
    }

    #[test]
    fn attribute_limits_match_the_domain_rules() {
        let d = doc();
        assert_eq!(at(&d, "/components/schemas/Attributes/maxProperties"), json!(customer::MAX_ATTRIBUTES));
        assert_eq!(at(&d, "/components/schemas/Attributes/propertyNames/maxLength"), json!(customer::MAX_ATTRIBUTE_KEY_LEN));
        assert_eq!(
            at(&d, "/components/schemas/Attributes/additionalProperties/maxLength"),
            json!(customer::MAX_ATTRIBUTE_VALUE_LEN)
        );
    }

    #[test]
    fn list_sizes_match_the_code() {
        let d = doc();
        assert_eq!(at(&d, "/components/parameters/Limit/schema/maximum"), json!(filter::MAX_LIMIT));
        assert_eq!(at(&d, "/components/parameters/Limit/schema/default"), json!(filter::DEFAULT_LIMIT));
        assert_eq!(at(&d, "/components/parameters/Q/schema/maxLength"), json!(filter::MAX_SEARCH_LEN));
        assert_eq!(at(&d, "/components/schemas/BulkDeleteBody/properties/ids/maxItems"), json!(bulk::MAX_IDS));
        assert_eq!(at(&d, "/components/schemas/GroupMembers/properties/customer_ids/maxItems"), json!(group::MAX_MEMBER_IDS));
        assert_eq!(
            at(&d, "/components/schemas/CustomerCreate/properties/group_ids/maxItems"),
            json!(group::MAX_GROUPS_PER_CUSTOMER)
        );
        assert_eq!(at(&d, "/components/parameters/GroupListLimit/schema/default"), json!(group::DEFAULT_LIST_LIMIT));
        assert_eq!(at(&d, "/components/parameters/GroupListLimit/schema/maximum"), json!(filter::MAX_LIMIT));
        assert_eq!(at(&d, "/components/schemas/FilterCriteria/properties/conditions/maxItems"), json!(filter::MAX_CONDITIONS));
        assert_eq!(at(&d, "/components/schemas/Error/properties/error/properties/fields/maxItems"), json!(MAX_LISTED_FIELDS));
    }

    #[test]
    fn enumerations_match_the_code() {
        let d = doc();
        assert_eq!(at(&d, "/components/schemas/CustomerKind/enum"), json!(Kind::ALL));
        assert_eq!(at(&d, "/components/schemas/CustomerSource/enum"), json!(Source::ALL));
        assert_eq!(at(&d, "/components/schemas/InteractionType/enum"), json!(interaction::InteractionType::ALL));
        assert_eq!(at(&d, "/components/schemas/Permission/enum"), json!(Permission::ALL.map(|p| p.as_str())));
        assert_eq!(at(&d, "/components/schemas/ContactStatus/enum"), json!(contact::ContactStatus::ALL));
        assert_eq!(at(&d, "/components/schemas/EventType/enum"), json!(crate::domain::event::TYPES));
        let subscribable = at(&d, "/components/schemas/WebhookCreate/properties/event_types/items/enum");
        assert_eq!(subscribable[0], json!(crate::domain::webhook::ALL_TYPES));
        assert_eq!(subscribable.as_array().unwrap()[1..], json!(crate::domain::event::TYPES).as_array().unwrap()[..]);
        assert_eq!(at(&d, "/components/schemas/ListSort/enum"), words(query::Sort::ALLOWED));
        assert_eq!(at(&d, "/components/schemas/FilterCondition/properties/op/enum"), words(query::Op::ALLOWED));
    }
}
