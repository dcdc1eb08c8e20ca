//! The calendar arithmetic the language defines, in whole days.
//!
//! These functions are the specification that the code generator and the
//! reference interpreter follow; docs/language.md ("Dates") states the same
//! rules for officers. Dates are proleptic Gregorian; a day number counts
//! days since 1970-01-01.

use jiff::civil::Date;

/// Days since 1970-01-01 (negative before).
pub fn days_from_date(date: Date) -> i64 {
    days_from_civil(
        i64::from(date.year()),
        i64::from(date.month()),
        i64::from(date.day()),
    )
}

/// The date of a day number, if it lies within years 0001..=9999.
pub fn date_from_days(days: i64) -> Option<Date> {
    let (year, month, day) = civil_from_days(days);
    let year = i16::try_from(year).ok()?;
    Date::new(year, i8::try_from(month).ok()?, i8::try_from(day).ok()?).ok()
}

/// Howard Hinnant's `days_from_civil`.
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// Howard Hinnant's `civil_from_days`: (year, month, day).
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

pub fn is_leap_year(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

pub fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `date + months`, clamped to the last day of the resulting month
/// (2024-01-31 + 1 month = 2024-02-29).
pub fn add_months(days: i64, months: i64) -> i64 {
    let (year, month, day) = civil_from_days(days);
    let total = year * 12 + (month - 1) + months;
    let new_year = total.div_euclid(12);
    let new_month = total.rem_euclid(12) + 1;
    let new_day = day.min(days_in_month(new_year, new_month));
    days_from_civil(new_year, new_month, new_day)
}

/// Completed months (满N个月): the largest n ≥ 0 with `from + n months <= to`,
/// or the negative count the other way round when `to` is before `from`.
pub fn months_between(from: i64, to: i64) -> i64 {
    if to < from {
        return -months_between(to, from);
    }
    let (fy, fm, _) = civil_from_days(from);
    let (ty, tm, _) = civil_from_days(to);
    let mut n = (ty - fy) * 12 + (tm - fm);
    while n > 0 && add_months(from, n) > to {
        n -= 1;
    }
    n
}

/// Age in full years (周岁) on `on`: the number of birthdays reached. A
/// 29 February birthday is reached on 1 March in common years.
pub fn age_on(birth: i64, on: i64) -> i64 {
    let (by, bm, bd) = civil_from_days(birth);
    let (oy, om, od) = civil_from_days(on);
    let mut age = oy - by;
    // In a common year a 29 February birthday falls on 1 March.
    let (bm, bd) = if bm == 2 && bd == 29 && !is_leap_year(oy) {
        (3, 1)
    } else {
        (bm, bd)
    };
    if (om, od) < (bm, bd) {
        age -= 1;
    }
    age
}

/// The first and last day a date may take: years 0001 to 9999, the dates
/// `YYYY-MM-DD` can write and a request may give. Date arithmetic that
/// leaves this range is an evaluation error.
pub const MIN_DAY: i64 = -719_162; // 0001-01-01
pub const MAX_DAY: i64 = 2_932_896; // 9999-12-31
/// The first and last year of that range.
pub const MIN_YEAR: i64 = 1;
pub const MAX_YEAR: i64 = 9999;

/// `date + n days`, or `None` outside the supported range.
pub fn checked_add_days(days: i64, n: i64) -> Option<i64> {
    days.checked_add(n)
        .filter(|d| (MIN_DAY..=MAX_DAY).contains(d))
}

/// `date + n months` (clamped to the month's end), or `None` outside the range.
pub fn checked_add_months(days: i64, months: i64) -> Option<i64> {
    if !(MIN_DAY..=MAX_DAY).contains(&days) {
        return None;
    }
    let (year, month, _) = civil_from_days(days);
    let total = (year * 12 + (month - 1)).checked_add(months)?;
    let new_year = total.div_euclid(12);
    if !(MIN_YEAR..=MAX_YEAR).contains(&new_year) {
        return None;
    }
    Some(add_months(days, months))
}

/// Division rounded by `mode`: 0 toward zero (`down`), 1 away from zero
/// (`up`), 2 half away from zero (`half_up`), 3 half to even (`half_even`).
/// `None` when dividing by zero or overflowing.
pub fn div_round(a: i64, b: i64, mode: u8) -> Option<i64> {
    let q = a.checked_div(b)?;
    let r = a.checked_rem(b)?;
    if r == 0 {
        return Some(q);
    }
    let sign = if (a < 0) != (b < 0) { -1 } else { 1 };
    let r_abs = r.unsigned_abs();
    let b_abs = b.unsigned_abs();
    let rest = b_abs - r_abs;
    let away = match mode {
        0 => false,
        1 => true,
        2 => r_abs >= rest,
        _ => r_abs > rest || (r_abs == rest && q % 2 != 0),
    };
    Some(if away { q + sign } else { q })
}

// ---------------------------------------------------------------- working days

/// The working-day calendar: which dates are 法定节假日 (days off on what
/// would be a working day, and the weekend days folded into them) and which
/// weekend dates are 调休 make-up working days, per year as the State
/// Council's General Office publishes them. Outside the years it holds
/// nothing is known: a deadline there is refused, never guessed.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct WorkCalendar {
    /// Ascending by year, no year twice.
    pub years: Vec<CalendarYear>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CalendarYear {
    pub year: i64,
    /// The notice that published the year's arrangement.
    pub notice: String,
    /// Day numbers off, sorted.
    pub holidays: Vec<i64>,
    /// Day numbers of weekend days that are worked, sorted.
    pub workdays: Vec<i64>,
}

/// A deadline that needs a day the calendar does not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BeyondCalendar {
    /// The first day that was needed and is not covered.
    pub day: i64,
}

/// Monday 0 … Sunday 6 (1970-01-01 was a Thursday).
pub fn weekday(days: i64) -> i64 {
    (days + 3).rem_euclid(7)
}

impl WorkCalendar {
    fn year(&self, days: i64) -> Option<&CalendarYear> {
        let (year, _, _) = civil_from_days(days);
        self.years.iter().find(|y| y.year == year)
    }

    /// The last year the calendar holds.
    pub fn last_year(&self) -> Option<i64> {
        self.years.last().map(|y| y.year)
    }

    /// Whether `days` is a working day; `None` outside the calendar's years.
    pub fn is_working_day(&self, days: i64) -> Option<bool> {
        let year = self.year(days)?;
        if year.holidays.binary_search(&days).is_ok() {
            return Some(false);
        }
        if year.workdays.binary_search(&days).is_ok() {
            return Some(true);
        }
        Some(weekday(days) < 5)
    }

    /// The day `n` working days after `start`: counting starts the day after
    /// (the day of acceptance is not counted). `n = 0` is `start` itself when
    /// it is a working day, else the next working day (the same as a period
    /// of 0 natural days).
    pub fn add_working_days(&self, start: i64, n: u32) -> Result<i64, BeyondCalendar> {
        if n == 0 {
            return self.add_natural_days(start, 0);
        }
        let mut day = start;
        let mut counted = 0;
        while counted < n {
            day += 1;
            match self.is_working_day(day) {
                Some(true) => counted += 1,
                Some(false) => {}
                None => return Err(BeyondCalendar { day }),
            }
        }
        Ok(day)
    }

    /// The last day of a period of `n` natural days from `start`: `start +
    /// n`, moved to the next working day when it falls on a day off
    /// (《民法典》第二百零三条: a period ending on a statutory holiday ends
    /// on the day after the holiday).
    pub fn add_natural_days(&self, start: i64, n: u32) -> Result<i64, BeyondCalendar> {
        let mut day = start + i64::from(n);
        loop {
            match self.is_working_day(day) {
                Some(true) => return Ok(day),
                Some(false) => day += 1,
                None => return Err(BeyondCalendar { day }),
            }
        }
    }
}

/// [`WorkCalendar`] as a table, for answering many deadlines fast: a flag
/// per day over the years it holds (from the first year on, as long as they
/// follow each other) and the number of working days before each. Same
/// answers as [`WorkCalendar`]'s (a test compares them for every day); the
/// engine builds one per policy at load because the day-by-day walk was
/// half of writing a decision (docs/benchmarks.md, issue 13).
#[derive(Debug, Clone, Default)]
pub struct WorkingDays {
    /// The first day covered.
    first: i64,
    /// Per day from `first`: whether it is a working day.
    working: Vec<bool>,
    /// `before[i]`: working days in `first .. first + i`.
    before: Vec<u32>,
}

impl WorkingDays {
    pub fn new(calendar: &WorkCalendar) -> WorkingDays {
        let Some(start) = calendar.years.first() else {
            return WorkingDays::default();
        };
        let first = days_from_civil(start.year, 1, 1);
        let mut year = start.year;
        while calendar.years.iter().any(|y| y.year == year + 1) {
            year += 1;
        }
        let end = days_from_civil(year + 1, 1, 1);
        let working: Vec<bool> = (first..end)
            .map(|day| calendar.is_working_day(day).unwrap_or(false))
            .collect();
        let mut before = Vec::with_capacity(working.len() + 1);
        let mut count = 0u32;
        before.push(0);
        for &w in &working {
            count += u32::from(w);
            before.push(count);
        }
        WorkingDays {
            first,
            working,
            before,
        }
    }

    fn index(&self, day: i64) -> Option<usize> {
        usize::try_from(day - self.first)
            .ok()
            .filter(|&i| i < self.working.len())
    }

    /// As [`WorkCalendar::add_working_days`].
    pub fn add_working_days(&self, start: i64, n: u32) -> Result<i64, BeyondCalendar> {
        if n == 0 {
            return self.add_natural_days(start, 0);
        }
        // Working days up to and including `start` (the count starts the
        // day after, which must be covered).
        let through_start = match self.index(start) {
            Some(at) => self.before[at + 1],
            None if start + 1 == self.first && !self.working.is_empty() => 0,
            None => return Err(BeyondCalendar { day: start + 1 }),
        };
        // The n-th working day after `start`: the first day whose count of
        // working days up to and including it reaches `through_start + n`.
        let wanted = through_start + n;
        // At most one working day a day: the day is at least `n` days on.
        // Short periods walk from there (a few weekends and holidays);
        // long ones search.
        let lowest = usize::try_from(start + i64::from(n) - self.first + 1).unwrap_or(0);
        let found = if n <= 64 {
            let mut j = lowest.min(self.before.len());
            while j < self.before.len() && self.before[j] < wanted {
                j += 1;
            }
            j
        } else {
            self.before.partition_point(|&c| c < wanted)
        };
        if found > self.working.len() {
            return Err(BeyondCalendar {
                day: self.first + self.working.len() as i64,
            });
        }
        Ok(self.first + found as i64 - 1)
    }

    /// As [`WorkCalendar::add_natural_days`].
    pub fn add_natural_days(&self, start: i64, n: u32) -> Result<i64, BeyondCalendar> {
        let mut day = start + i64::from(n);
        loop {
            match self.index(day).map(|i| self.working[i]) {
                Some(true) => return Ok(day),
                Some(false) => day += 1,
                None => return Err(BeyondCalendar { day }),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i64, m: i64, day: i64) -> i64 {
        days_from_civil(y, m, day)
    }

    #[test]
    fn range_constants_are_the_first_and_last_day() {
        assert_eq!(days_from_civil(1, 1, 1), MIN_DAY);
        assert_eq!(checked_add_days(MIN_DAY, -1), None);
        assert_eq!(checked_add_months(MIN_DAY, -1), None);
        assert_eq!(days_from_civil(9999, 12, 31), MAX_DAY);
        assert_eq!(checked_add_days(MAX_DAY, 1), None);
        assert_eq!(checked_add_months(days_from_civil(9999, 12, 1), 1), None);
    }

    #[test]
    fn division_rounds_by_mode() {
        // 7 / 2 = 3.5 ; -7 / 2 = -3.5 ; 5 / 2 = 2.5 ; 7 / 3 = 2.33
        assert_eq!(
            [0, 1, 2, 3].map(|m| div_round(7, 2, m)),
            [Some(3), Some(4), Some(4), Some(4)]
        );
        assert_eq!(
            [0, 1, 2, 3].map(|m| div_round(-7, 2, m)),
            [Some(-3), Some(-4), Some(-4), Some(-4)]
        );
        assert_eq!(
            [0, 1, 2, 3].map(|m| div_round(5, 2, m)),
            [Some(2), Some(3), Some(3), Some(2)]
        );
        assert_eq!(
            [0, 1, 2, 3].map(|m| div_round(7, 3, m)),
            [Some(2), Some(3), Some(2), Some(2)]
        );
        assert_eq!(div_round(1, 0, 0), None);
        assert_eq!(div_round(i64::MIN, -1, 0), None);
    }

    #[test]
    fn round_trips_days() {
        for days in [-800_000, -1, 0, 1, 59, 60, 11_016, 20_000, 2_000_000] {
            let (y, m, day) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, day), days);
        }
        assert_eq!(d(1970, 1, 1), 0);
        assert_eq!(d(2000, 3, 1) - d(2000, 2, 28), 2);
    }

    #[test]
    fn age_counts_full_years_and_leap_birthdays() {
        let birth = d(2008, 2, 29);
        assert_eq!(age_on(birth, d(2026, 2, 28)), 17);
        assert_eq!(age_on(birth, d(2026, 3, 1)), 18);
        assert_eq!(age_on(birth, d(2028, 2, 28)), 19);
        assert_eq!(age_on(birth, d(2028, 2, 29)), 20);
        assert_eq!(age_on(d(2000, 6, 15), d(2018, 6, 14)), 17);
        assert_eq!(age_on(d(2000, 6, 15), d(2018, 6, 15)), 18);
    }

    #[test]
    fn months_are_completed_months_with_clamping() {
        assert_eq!(months_between(d(2026, 1, 15), d(2026, 7, 14)), 5);
        assert_eq!(months_between(d(2026, 1, 15), d(2026, 7, 15)), 6);
        assert_eq!(months_between(d(2025, 8, 31), d(2026, 2, 28)), 6);
        assert_eq!(months_between(d(2025, 8, 31), d(2026, 2, 27)), 5);
        assert_eq!(months_between(d(2026, 3, 1), d(2026, 1, 1)), -2);
        assert_eq!(add_months(d(2024, 1, 31), 1), d(2024, 2, 29));
        assert_eq!(add_months(d(2024, 3, 31), -1), d(2024, 2, 29));
    }

    /// The State Council's arrangements for October 2025 and Spring Festival
    /// 2026 (国办发明电〔2024〕12号, 国办发明电〔2025〕7号), as far as these
    /// tests need them.
    fn calendar() -> WorkCalendar {
        let range = |a: i64, b: i64| (a..=b).collect::<Vec<_>>();
        WorkCalendar {
            years: vec![
                CalendarYear {
                    year: 2025,
                    notice: "国办发明电〔2024〕12号".into(),
                    holidays: range(d(2025, 10, 1), d(2025, 10, 8)),
                    workdays: vec![d(2025, 9, 28), d(2025, 10, 11)],
                },
                CalendarYear {
                    year: 2026,
                    notice: "国办发明电〔2025〕7号".into(),
                    holidays: range(d(2026, 2, 15), d(2026, 2, 23)),
                    workdays: vec![d(2026, 2, 14), d(2026, 2, 28)],
                },
            ],
        }
    }

    #[test]
    fn working_days_skip_holidays_and_count_make_up_days() {
        let cal = calendar();
        assert_eq!(weekday(d(2025, 9, 28)), 6, "a Sunday");
        assert_eq!(cal.is_working_day(d(2025, 9, 28)), Some(true));
        assert_eq!(cal.is_working_day(d(2025, 10, 3)), Some(false));
        assert_eq!(cal.is_working_day(d(2025, 10, 11)), Some(true));
        // Accepted Friday 26 September: 27 off, 28 worked (1), 29, 30 (3),
        // 1–8 October off, 9 (4), 10 (5).
        assert_eq!(cal.add_working_days(d(2025, 9, 26), 5), Ok(d(2025, 10, 10)));
        assert_eq!(cal.add_working_days(d(2025, 9, 26), 6), Ok(d(2025, 10, 11)));
        assert_eq!(cal.add_working_days(d(2025, 9, 26), 0), Ok(d(2025, 9, 26)));
        assert_eq!(cal.add_working_days(d(2025, 10, 1), 0), Ok(d(2025, 10, 9)));
        assert_eq!(cal.add_working_days(d(2025, 10, 1), 1), Ok(d(2025, 10, 9)));
        // Spring Festival 2026: Friday 13 February + 2 working days is
        // Saturday 14 (worked) then Tuesday 24.
        assert_eq!(cal.add_working_days(d(2026, 2, 13), 2), Ok(d(2026, 2, 24)));
    }

    #[test]
    fn natural_periods_ending_on_a_day_off_move_to_the_next_working_day() {
        let cal = calendar();
        assert_eq!(cal.add_natural_days(d(2025, 9, 21), 10), Ok(d(2025, 10, 9)));
        assert_eq!(cal.add_natural_days(d(2025, 9, 18), 10), Ok(d(2025, 9, 28)));
        assert_eq!(cal.add_natural_days(d(2025, 9, 1), 7), Ok(d(2025, 9, 8)));
    }

    #[test]
    fn deadlines_beyond_the_calendar_are_refused() {
        let cal = calendar();
        assert_eq!(
            cal.add_working_days(d(2026, 12, 28), 5),
            Err(BeyondCalendar { day: d(2027, 1, 1) })
        );
        assert_eq!(cal.is_working_day(d(2024, 6, 3)), None);
        assert_eq!(
            cal.add_natural_days(d(2024, 12, 20), 3),
            Err(BeyondCalendar {
                day: d(2024, 12, 23)
            })
        );
    }

    #[test]
    fn the_table_answers_as_the_calendar_for_every_day() {
        let cal = calendar();
        let table = WorkingDays::new(&cal);
        for start in d(2024, 12, 25)..d(2027, 1, 5) {
            for n in [0, 1, 2, 5, 15, 30, 400] {
                assert_eq!(
                    table.add_working_days(start, n),
                    cal.add_working_days(start, n),
                    "{start} + {n} working"
                );
                assert_eq!(
                    table.add_natural_days(start, n),
                    cal.add_natural_days(start, n),
                    "{start} + {n} natural"
                );
            }
        }
        let empty = WorkingDays::new(&WorkCalendar::default());
        assert_eq!(
            empty.add_working_days(d(2025, 1, 1), 1),
            WorkCalendar::default().add_working_days(d(2025, 1, 1), 1)
        );
    }
}
