//! Prompts: a few ready-made requests a user can pick in their MCP client ("/" menus), each telling the
//! model which Easel tools to use and how.

use rmcp::ErrorData;
use rmcp::model::{GetPromptResult, JsonObject, Prompt, PromptArgument, PromptMessage, Role};

struct Template {
    name: &'static str,
    title: &'static str,
    description: &'static str,
    /// (name, description, required)
    arguments: &'static [(&'static str, &'static str, bool)],
    /// The message; `{name}` is replaced by the argument (empty when an optional one is missing).
    text: &'static str,
}

const TEMPLATES: &[Template] = &[
    Template {
        name: "create_image",
        title: "Create an image",
        description: "Make an image from a short idea: Easel writes a detailed prompt, generates, and keeps it in a session for refinement.",
        arguments: &[
            ("idea", "What the image should show", true),
            (
                "style",
                "Look and feel, e.g. watercolour, product photo, flat vector",
                false,
            ),
        ],
        text: "Create an image of: {idea}. Style: {style}.\n\
               First call start_session with a short name. Then write a detailed prompt (subject, composition, \
               lighting, style, any text to render in quotes) and call generate_image with it and the session_id. \
               Show me the result and ask what to change; apply changes with continue_session.",
    },
    Template {
        name: "refine_image",
        title: "Refine an image",
        description: "Change part of an existing library image, keeping everything else.",
        arguments: &[
            ("image", "Library id or path of the image", true),
            ("change", "What to change", true),
        ],
        text: "Edit the image {image}: {change}.\n\
               Call edit_image with images [\"{image}\"] and a prompt that states the change and says to keep \
               everything else identical. If the image belongs to a session (get_image tells), use \
               continue_session from its turn instead, so the edit joins the session's history.",
    },
    Template {
        name: "find_image",
        title: "Find an earlier image",
        description: "Search the library for an image made earlier and show it.",
        arguments: &[("description", "Words from the prompt or what the image shows", true)],
        text: "Find the image I made earlier of: {description}.\n\
               Call search_images with the most distinctive words (try fewer words if nothing matches), \
               then show the best matches with their ids, paths and dates.",
    },
    Template {
        name: "budget_check",
        title: "Check spending",
        description: "Spend today and this month against the budget caps, and what a planned call would cost.",
        arguments: &[(
            "planned",
            "An optional planned call, e.g. '4 images at 1536x1024 high quality'",
            false,
        )],
        text: "Call get_usage and summarise today's and this month's spend against the caps. \
               Planned call: {planned}. If one is given, call estimate_cost for it and say whether it fits.",
    },
];

pub fn list() -> Vec<Prompt> {
    TEMPLATES
        .iter()
        .map(|t| {
            let arguments = t
                .arguments
                .iter()
                .map(|&(name, description, required)| {
                    PromptArgument::new(name)
                        .with_description(description)
                        .with_required(required)
                })
                .collect();
            let mut prompt = Prompt::new(t.name, Some(t.description), Some(arguments));
            prompt.title = Some(t.title.to_string());
            prompt
        })
        .collect()
}

/// The prompt `name` with `arguments` filled in; a missing required argument is an invalid-params error.
pub fn get(name: &str, arguments: Option<&JsonObject>) -> Result<GetPromptResult, ErrorData> {
    let template = TEMPLATES.iter().find(|t| t.name == name).ok_or_else(|| {
        let names: Vec<&str> = TEMPLATES.iter().map(|t| t.name).collect();
        ErrorData::invalid_params(format!("unknown prompt '{name}'; prompts: {}", names.join(", ")), None)
    })?;
    let mut text = template.text.to_string();
    for &(arg, _, required) in template.arguments {
        let value = arguments
            .and_then(|a| a.get(arg))
            .and_then(|v| v.as_str())
            .map(str::trim)
            .filter(|v| !v.is_empty());
        let value = match (value, required) {
            (Some(v), _) => v,
            (None, true) => {
                return Err(ErrorData::invalid_params(
                    format!("prompt '{name}' needs the argument '{arg}'"),
                    None,
                ));
            }
            (None, false) => "(none given)",
        };
        text = text.replace(&format!("{{{arg}}}"), value);
    }
    Ok(GetPromptResult::new(vec![PromptMessage::new_text(Role::User, text)]).with_description(template.description))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(pairs: &[(&str, &str)]) -> JsonObject {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), serde_json::json!(v)))
            .collect()
    }

    #[test]
    fn every_placeholder_is_an_argument_and_every_argument_is_used() {
        for t in TEMPLATES {
            for (arg, _, _) in t.arguments {
                assert!(t.text.contains(&format!("{{{arg}}}")), "{}: {arg} unused", t.name);
            }
            let all: Vec<(&str, &str)> = t.arguments.iter().map(|(a, _, _)| (*a, "x")).collect();
            let filled = get(t.name, Some(&args(&all))).unwrap();
            let text = serde_json::to_string(&filled.messages).unwrap();
            for (arg, _, _) in t.arguments {
                assert!(
                    !text.contains(&format!("{{{arg}}}")),
                    "{}: {arg} left in {text}",
                    t.name
                );
            }
        }
    }

    #[test]
    fn arguments_are_filled_in_and_required_ones_enforced() {
        let got = get(
            "refine_image",
            Some(&args(&[("image", "img_1"), ("change", "make the sky red")])),
        )
        .unwrap();
        let text = serde_json::to_string(&got.messages).unwrap();
        assert!(text.contains("img_1") && text.contains("make the sky red"), "{text}");
        let missing = get("refine_image", Some(&args(&[("image", "img_1")]))).unwrap_err();
        assert!(missing.message.contains("'change'"), "{}", missing.message);
        assert!(get("nope", None).unwrap_err().message.contains("create_image"));
        let optional = get("create_image", Some(&args(&[("idea", "a fox")]))).unwrap();
        assert!(
            serde_json::to_string(&optional.messages)
                .unwrap()
                .contains("(none given)")
        );
    }
}
