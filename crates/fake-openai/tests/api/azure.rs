//! Azure OpenAI paths: deployments, /openai/v1, api-key, api-version, no WebP.

use fake_openai::FakeOpenAi;
use image::GenericImageView;
use serde_json::{Value, json};

use crate::common::{b64, client, decode, error_of, fake};

fn root(fake: &FakeOpenAi) -> String {
    format!("http://{}", fake.addr())
}

async fn azure(fake: &FakeOpenAi, path: &str, key: Option<&str>, body: Value) -> (u16, Value) {
    let mut request = client().post(format!("{}{path}", root(fake))).json(&body);
    if let Some(key) = key {
        request = request.header("api-key", key);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn deployment_paths() {
    let fake = fake().await;
    let key = Some(fake.azure_api_key());
    let path = "/openai/deployments/gpt-image-1/images/generations?api-version=2025-04-01-preview";
    let body = json!({"prompt": "p", "size": "1024x1024", "quality": "low"});
    let (status, ok) = azure(&fake, path, key, body.clone()).await;
    assert_eq!(status, 200, "{ok}");
    assert_eq!(
        ok["usage"]["output_tokens"], 272,
        "gpt-image-1 from the deployment name"
    );

    // A custom deployment name means gpt-image-2, which accepts custom sizes.
    let custom = "/openai/deployments/my-images/images/generations?api-version=preview";
    let (status, ok) = azure(&fake, custom, key, json!({"prompt": "p", "size": "1024x640"})).await;
    assert_eq!(status, 200, "{ok}");
    let (img, _) = decode(&b64(ok["data"][0]["b64_json"].as_str().unwrap()));
    assert_eq!(img.dimensions(), (1024, 640));

    let no_version = "/openai/deployments/gpt-image-1/images/generations";
    let (status, err) = azure(&fake, no_version, key, body.clone()).await;
    assert_eq!(status, 400);
    assert_eq!(error_of(&err)["param"], "api-version");

    let (status, err) = azure(&fake, path, Some("wrong"), body.clone()).await;
    assert_eq!(status, 401);
    error_of(&err);
    let (status, _) = azure(&fake, path, None, body.clone()).await;
    assert_eq!(status, 401);
    let bearer_only = client()
        .post(format!("{}{path}", root(&fake)))
        .bearer_auth(fake.api_key())
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(bearer_only.status(), 401);

    let webp = json!({"prompt": "p", "output_format": "webp"});
    let (status, err) = azure(&fake, path, key, webp).await;
    assert_eq!(status, 400);
    assert_eq!(error_of(&err)["param"], "output_format");
}

#[tokio::test]
async fn v1_paths_and_responses() {
    let fake = fake().await;
    let key = Some(fake.azure_api_key());
    let (status, ok) = azure(
        &fake,
        "/openai/v1/images/generations?api-version=preview",
        key,
        json!({"model": "gpt-image-1-mini", "prompt": "p", "size": "1024x1024", "quality": "low"}),
    )
    .await;
    assert_eq!(status, 200, "{ok}");

    let request = json!({"model": "gpt-5", "input": "a cat",
        "tools": [{"type": "image_generation", "quality": "low", "size": "1024x1024"}]});
    let (status, err) = azure(&fake, "/openai/v1/responses", key, request.clone()).await;
    assert_eq!(status, 400, "needs the image deployment header: {err}");
    let response = client()
        .post(format!("{}/openai/v1/responses", root(&fake)))
        .header("api-key", fake.azure_api_key())
        .header("x-ms-oai-image-generation-deployment", "gpt-image-1")
        .json(&request)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["output"][0]["type"], "image_generation_call");
}
