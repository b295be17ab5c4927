//! The cost ledger: every call records its usage and cost; totals by day, month, model and session;
//! daily and monthly budget caps that refuse a call before it is sent.

use rusqlite::params;
use serde::{Deserialize, Serialize};

use crate::cost::Usage;
use crate::error::{Error, Result};
use crate::library::Library;
use crate::library::db::{now_ms, record_change};

/// Optional spending caps in USD (settings file `budget`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Budget {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub daily_usd: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monthly_usd: Option<f64>,
}

#[derive(Clone, Debug, Default)]
pub struct Entry<'a> {
    pub model: &'a str,
    pub provider: &'a str,
    pub session_id: Option<&'a str>,
    pub job_id: Option<&'a str>,
    pub cost_usd: f64,
    pub estimated: bool,
    pub usage: Usage,
}

/// Spend grouped by one key (a day, a month, a model or a session).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Total {
    pub key: String,
    pub cost_usd: f64,
    pub calls: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupBy {
    Day,
    Month,
    Model,
    Session,
}

impl GroupBy {
    fn column(self) -> &'static str {
        match self {
            GroupBy::Day => "day",
            GroupBy::Month => "month",
            GroupBy::Model => "model",
            GroupBy::Session => "coalesce(session_id, '-')",
        }
    }
}

fn today() -> (String, String) {
    let now = jiff::Zoned::now();
    (now.strftime("%Y-%m-%d").to_string(), now.strftime("%Y-%m").to_string())
}

impl Library {
    pub fn record_cost(&self, e: &Entry<'_>) -> Result<()> {
        let (day, month) = today();
        self.db().write(|tx| {
            tx.execute(
                "INSERT INTO ledger (at_ms, day, month, model, provider, session_id, job_id, cost_usd, estimated, \
                 input_text_tokens, input_image_tokens, output_image_tokens, output_text_tokens) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                params![
                    now_ms(),
                    day,
                    month,
                    e.model,
                    e.provider,
                    e.session_id,
                    e.job_id,
                    e.cost_usd,
                    e.estimated,
                    e.usage.input_text_tokens as i64,
                    e.usage.input_image_tokens as i64,
                    e.usage.output_image_tokens as i64,
                    e.usage.output_text_tokens as i64,
                ],
            )?;
            record_change(tx, "budget_changed", "*")
        })
    }

    /// Spend grouped by `by`, biggest key first for days/months, biggest cost first otherwise.
    pub fn cost_totals(&self, by: GroupBy, limit: u32) -> Result<Vec<Total>> {
        let col = by.column();
        let order = match by {
            GroupBy::Day | GroupBy::Month => "k DESC",
            _ => "c DESC",
        };
        let sql =
            format!("SELECT {col} AS k, sum(cost_usd) AS c, count(*) FROM ledger GROUP BY k ORDER BY {order} LIMIT ?1");
        self.db().read(|c| {
            let mut stmt = c.prepare_cached(&sql)?;
            let rows = stmt.query_map([limit], |r| {
                Ok(Total {
                    key: r.get(0)?,
                    cost_usd: r.get(1)?,
                    calls: r.get::<_, i64>(2)? as u64,
                })
            })?;
            rows.collect()
        })
    }

    /// (spent today, spent this month), local time.
    pub fn spent(&self) -> Result<(f64, f64)> {
        let (day, month) = today();
        self.db().read(|c| {
            c.query_row(
                "SELECT coalesce(sum(CASE WHEN day = ?1 THEN cost_usd END), 0), coalesce(sum(cost_usd), 0) \
                 FROM ledger WHERE month = ?2",
                params![day, month],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
        })
    }

    /// Refuse a call whose pre-flight estimate would take today's or this month's spend over a cap.
    pub fn check_budget(&self, budget: &Budget, estimate_usd: f64) -> Result<()> {
        if budget.daily_usd.is_none() && budget.monthly_usd.is_none() {
            return Ok(());
        }
        let (day, month) = self.spent()?;
        for (period, cap, spent) in [("daily", budget.daily_usd, day), ("monthly", budget.monthly_usd, month)] {
            if let Some(cap) = cap
                && spent + estimate_usd > cap + 1e-9
            {
                return Err(Error::BudgetExceeded {
                    period,
                    cap_usd: cap,
                    spent_usd: spent,
                    estimate_usd,
                });
            }
        }
        Ok(())
    }
}
