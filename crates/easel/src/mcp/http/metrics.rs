//! Counters for `/metrics`, rendered in the Prometheus text exposition format (version 0.0.4).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// Upper bounds (seconds) of the duration histograms' buckets.
const BUCKETS: [f64; 14] = [
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 120.0,
];

/// What the HTTP endpoint has done since it started.
#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(&'static str, u16), u64>>,
    request_seconds: Mutex<BTreeMap<&'static str, Histogram>>,
    in_flight: AtomicI64,
    tool_calls: Mutex<BTreeMap<(String, &'static str), u64>>,
    tool_seconds: Mutex<BTreeMap<String, Histogram>>,
    tools_running: AtomicI64,
}

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        if let Some(i) = BUCKETS.iter().position(|&le| seconds <= le) {
            self.counts[i] += 1;
        }
        self.sum += seconds;
        self.count += 1;
    }
}

/// Counts one running request or tool call in a gauge until dropped, so a request whose client went
/// away (its future dropped) does not stay counted.
pub struct Running<'a>(&'a AtomicI64);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

fn running(gauge: &AtomicI64) -> Running<'_> {
    gauge.fetch_add(1, Ordering::Relaxed);
    Running(gauge)
}

impl Metrics {
    pub fn request_started(&self) -> Running<'_> {
        running(&self.in_flight)
    }

    pub fn request_finished(&self, route: &'static str, status: u16, took: Duration) {
        *lock(&self.requests).entry((route, status)).or_default() += 1;
        lock(&self.request_seconds)
            .entry(route)
            .or_default()
            .observe(took.as_secs_f64());
    }

    pub fn tool_started(&self) -> Running<'_> {
        running(&self.tools_running)
    }

    pub fn tool_finished(&self, tool: &str, outcome: &'static str, took: Duration) {
        *lock(&self.tool_calls).entry((tool.to_string(), outcome)).or_default() += 1;
        lock(&self.tool_seconds)
            .entry(tool.to_string())
            .or_default()
            .observe(took.as_secs_f64());
    }

    /// Everything, in the Prometheus text format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        header(
            &mut out,
            "easel_http_requests_total",
            "counter",
            "HTTP requests by route and status.",
        );
        for ((route, status), n) in lock(&self.requests).iter() {
            let _ = writeln!(
                out,
                "easel_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}"
            );
        }
        header(
            &mut out,
            "easel_http_requests_in_flight",
            "gauge",
            "HTTP requests being answered (until their response headers are sent).",
        );
        let _ = writeln!(
            out,
            "easel_http_requests_in_flight {}",
            self.in_flight.load(Ordering::Relaxed)
        );
        header(
            &mut out,
            "easel_http_request_duration_seconds",
            "histogram",
            "Time to the response headers by route (tool results stream after them: see easel_mcp_tool_call_duration_seconds).",
        );
        for (route, h) in lock(&self.request_seconds).iter() {
            histogram(&mut out, "easel_http_request_duration_seconds", "route", route, h);
        }
        header(
            &mut out,
            "easel_mcp_tool_calls_total",
            "counter",
            "MCP tool calls by tool and outcome (ok, error, rejected).",
        );
        for ((tool, outcome), n) in lock(&self.tool_calls).iter() {
            let _ = writeln!(
                out,
                "easel_mcp_tool_calls_total{{tool=\"{}\",outcome=\"{outcome}\"}} {n}",
                escape(tool)
            );
        }
        header(
            &mut out,
            "easel_mcp_tool_calls_in_flight",
            "gauge",
            "MCP tool calls running.",
        );
        let _ = writeln!(
            out,
            "easel_mcp_tool_calls_in_flight {}",
            self.tools_running.load(Ordering::Relaxed)
        );
        header(
            &mut out,
            "easel_mcp_tool_call_duration_seconds",
            "histogram",
            "MCP tool call duration by tool.",
        );
        for (tool, h) in lock(&self.tool_seconds).iter() {
            histogram(
                &mut out,
                "easel_mcp_tool_call_duration_seconds",
                "tool",
                &escape(tool),
                h,
            );
        }
        out
    }
}

/// A poisoned lock only means a panic elsewhere while counting; the counts are still usable.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

fn histogram(out: &mut String, name: &str, label: &str, value: &str, h: &Histogram) {
    let mut cumulative = 0;
    for (le, n) in BUCKETS.iter().zip(h.counts) {
        cumulative += n;
        let _ = writeln!(out, "{name}_bucket{{{label}=\"{value}\",le=\"{le}\"}} {cumulative}");
    }
    let _ = writeln!(out, "{name}_bucket{{{label}=\"{value}\",le=\"+Inf\"}} {}", h.count);
    let _ = writeln!(out, "{name}_sum{{{label}=\"{value}\"}} {}", h.sum);
    let _ = writeln!(out, "{name}_count{{{label}=\"{value}\"}} {}", h.count);
}

/// A label value as the text format wants it: backslash, double quote and newline escaped.
fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_gauges_and_cumulative_histograms() {
        let m = Metrics::default();
        let _open = m.request_started();
        drop(m.request_started());
        m.request_finished("/mcp", 200, Duration::from_millis(3));
        drop(m.tool_started());
        m.tool_finished("generate_image", "ok", Duration::from_millis(40));
        m.tool_finished("generate_image", "ok", Duration::from_secs(200));
        let text = m.render();
        for line in [
            "easel_http_requests_total{route=\"/mcp\",status=\"200\"} 1",
            "easel_http_requests_in_flight 1",
            "easel_http_request_duration_seconds_bucket{route=\"/mcp\",le=\"0.001\"} 0",
            "easel_http_request_duration_seconds_bucket{route=\"/mcp\",le=\"0.005\"} 1",
            "easel_http_request_duration_seconds_count{route=\"/mcp\"} 1",
            "easel_mcp_tool_calls_total{tool=\"generate_image\",outcome=\"ok\"} 2",
            "easel_mcp_tool_calls_in_flight 0",
            "easel_mcp_tool_call_duration_seconds_bucket{tool=\"generate_image\",le=\"0.05\"} 1",
            "easel_mcp_tool_call_duration_seconds_bucket{tool=\"generate_image\",le=\"120\"} 1",
            "easel_mcp_tool_call_duration_seconds_bucket{tool=\"generate_image\",le=\"+Inf\"} 2",
            "# TYPE easel_mcp_tool_call_duration_seconds histogram",
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line}:\n{text}");
        }
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
