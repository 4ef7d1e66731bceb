//! The watchdog's checks: each check's query, the metric it publishes and the alarm on that
//! metric, kept together so the template's alarms cannot drift from what is published.

/// The CloudWatch namespace of the watchdog metrics.
pub const WATCHDOG_NAMESPACE: &str = "Notify/Watchdog";

/// When a watchdog alarm fires, over the hourly MAX of each (environment, clientid, campaignid)
/// series of its metric in this environment. Missing data is never breaching.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlarmRule {
    /// The largest series value is at least 1 (anything overdue or stuck anywhere).
    AnySeriesAtLeastOne,
    /// At least this many series are above zero (several client/campaigns degraded at once).
    SeriesAboveZeroAtLeast(u32),
}

/// One watchdog check: its query, the metric it publishes and the alarm on that metric, kept
/// together so that the template's alarms cannot drift from what is published.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WatchdogCheck {
    pub query: &'static str,
    pub metric: &'static str,
    /// `<csi>-<alarm_suffix>`.
    pub alarm_suffix: &'static str,
    pub alarm: AlarmRule,
}

/// The five checks, in the order the watchdog runs them.
pub const WATCHDOG: &[WatchdogCheck] = &[
    WatchdogCheck {
        query: "watchdog/overdue_request_item_plans",
        metric: "OverdueRequestItemPlansCount",
        alarm_suffix: "overdue-request-item-plans",
        alarm: AlarmRule::AnySeriesAtLeastOne,
    },
    WatchdogCheck {
        query: "watchdog/overdue_request_items",
        metric: "OverdueRequestItemsCount",
        alarm_suffix: "overdue-request-items",
        alarm: AlarmRule::AnySeriesAtLeastOne,
    },
    WatchdogCheck {
        query: "watchdog/overdue_requests",
        metric: "OverdueRequestsCount",
        alarm_suffix: "overdue-requests",
        alarm: AlarmRule::AnySeriesAtLeastOne,
    },
    WatchdogCheck {
        query: "watchdog/stuck_request_items",
        metric: "StuckRequestItemsCount",
        alarm_suffix: "stuck-request-items",
        alarm: AlarmRule::AnySeriesAtLeastOne,
    },
    WatchdogCheck {
        query: "watchdog/degraded_latency",
        metric: "DegradedLatenciesCount",
        alarm_suffix: "degraded-latency",
        alarm: AlarmRule::SeriesAboveZeroAtLeast(2),
    },
];

impl AlarmRule {
    /// Whether the alarm fires for these series values (one per client and campaign).
    pub fn fires(self, values: &[f64]) -> bool {
        match self {
            AlarmRule::AnySeriesAtLeastOne => values.iter().any(|v| *v >= 1.0),
            AlarmRule::SeriesAboveZeroAtLeast(n) => {
                values.iter().filter(|v| **v > 0.0).count() >= n as usize
            }
        }
    }
}

pub fn watchdog_check(query: &str) -> Option<&'static WatchdogCheck> {
    WATCHDOG.iter().find(|c| c.query == query)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_watchdog_query_has_one_check_and_alarm() {
        let queries: Vec<&str> = crate::catalog::QUERIES
            .iter()
            .filter(|q| q.purpose == crate::catalog::Purpose::Watchdog)
            .map(|q| q.id)
            .collect();
        let checks: Vec<&str> = WATCHDOG.iter().map(|c| c.query).collect();
        assert_eq!(queries, checks);
        assert!(AlarmRule::AnySeriesAtLeastOne.fires(&[0.0, 1.0]));
        assert!(!AlarmRule::AnySeriesAtLeastOne.fires(&[0.0, 0.0]));
        assert!(!AlarmRule::SeriesAboveZeroAtLeast(2).fires(&[0.0, 5.0]));
        assert!(AlarmRule::SeriesAboveZeroAtLeast(2).fires(&[1.0, 5.0, 0.0]));
    }
}
