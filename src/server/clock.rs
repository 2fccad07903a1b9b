//! The current time as the server writes it: read once per batch of
//! events and formatted at most once a second per event loop.

use std::time::SystemTime;

use crate::http::date::{civil_from_unix, unix_seconds, write_imf_fixdate, MONTH_NAMES};

/// Cached renderings of the current second.
pub struct Clock {
    second: i64,
    http: String,
    log: String,
}

impl Default for Clock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock {
    pub fn new() -> Self {
        Clock {
            second: i64::MIN,
            http: String::new(),
            log: String::new(),
        }
    }

    /// Reads the system clock; the loop calls it once per batch of events.
    pub fn refresh(&mut self) {
        let now = unix_seconds(SystemTime::now());
        if now == self.second {
            return;
        }
        self.second = now;
        self.http.clear();
        write_imf_fixdate(now, &mut self.http);
        let c = civil_from_unix(now);
        self.log = format!(
            "{:02}/{}/{:04}:{:02}:{:02}:{:02} +0000",
            c.day,
            MONTH_NAMES[(c.month - 1) as usize],
            c.year,
            c.hour,
            c.minute,
            c.second
        );
    }

    /// IMF-fixdate for the `Date` field, as of the last refresh.
    pub fn http_date(&mut self) -> &str {
        if self.second == i64::MIN {
            self.refresh();
        }
        &self.http
    }

    /// Common Log Format time, e.g. `10/Oct/2000:13:55:36 +0000`.
    pub fn log_date(&mut self) -> &str {
        if self.second == i64::MIN {
            self.refresh();
        }
        &self.log
    }
}
