//! The cost view's command: spend per day, per model and per session from the ledger, with today's and
//! this month's spend against the budget caps in the configuration.

use easel::ledger::{Budget, GroupBy, Total};
use serde::Serialize;
use tauri::State;

use crate::studio::Studio;

/// How many days, models and sessions the view shows.
const DAYS: u32 = 30;
const MODELS: u32 = 20;
const SESSIONS: u32 = 10;

/// Spend by one session, with its name when it still exists.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionCost {
    /// The session id (`-` for calls outside any session).
    pub id: String,
    pub name: Option<String>,
    pub cost_usd: f64,
    pub calls: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostSummary {
    /// The last days with spend, newest first (`key` = `YYYY-MM-DD`, local time).
    pub days: Vec<Total>,
    /// Every model, most expensive first.
    pub models: Vec<Total>,
    /// The most expensive sessions first.
    pub sessions: Vec<SessionCost>,
    pub spent_today_usd: f64,
    pub spent_month_usd: f64,
    pub budget: Budget,
}

#[tauri::command]
pub async fn cost_summary(studio: State<'_, Studio>) -> Result<CostSummary, String> {
    let library = studio.library();
    let budget = studio.config().budget;
    let work = move || -> easel::Result<CostSummary> {
        let (spent_today_usd, spent_month_usd) = library.spent()?;
        let sessions = library
            .cost_totals(GroupBy::Session, SESSIONS)?
            .into_iter()
            .map(|t| SessionCost {
                name: library.get_session(&t.key).ok().map(|s| s.name),
                id: t.key,
                cost_usd: t.cost_usd,
                calls: t.calls,
            })
            .collect();
        Ok(CostSummary {
            days: library.cost_totals(GroupBy::Day, DAYS)?,
            models: library.cost_totals(GroupBy::Model, MODELS)?,
            sessions,
            spent_today_usd,
            spent_month_usd,
            budget,
        })
    };
    tauri::async_runtime::spawn_blocking(work)
        .await
        .map_err(|e| format!("the task failed: {e}"))?
        .map_err(|e| e.to_string())
}
