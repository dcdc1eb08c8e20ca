# The rules of residence_permit.rules in Rego (regorus). Dates are
# "YYYY-MM-DD" texts; the calendar arithmetic follows rules-dsl/src/calendar.rs:
# months added are clamped to the month's end, and a 29 February birthday
# falls on 1 March in common years.
package residence_permit

import rego.v1

# "YYYY-MM-DD" → [year, month, day]
ymd(text) := time.date(time.parse_ns("2006-01-02", text))

leap(y) if {
	y % 4 == 0
	y % 100 != 0
}

leap(y) if y % 400 == 0

days_in_month(y, m) := 29 if {
	m == 2
	leap(y)
}

days_in_month(y, m) := 28 if {
	m == 2
	not leap(y)
}

days_in_month(_, m) := 30 if m in {4, 6, 9, 11}

days_in_month(_, m) := 31 if m in {1, 3, 5, 7, 8, 10, 12}

# A date as the number yyyymmdd, so dates compare as numbers.
key(y, m, d) := ((y * 100) + m) * 100 + d

# date + n months, clamped to the last day of the month.
add_months(y, m, d, n) := key(ny, nm, min([d, days_in_month(ny, nm)])) if {
	total := ((y * 12) + m) + (n - 1)
	nm := (total % 12) + 1
	ny := (total - (nm - 1)) / 12
}

# The birthday (month, day) in year y.
birthday(bm, bd, y) := [3, 1] if {
	bm == 2
	bd == 29
	not leap(y)
} else := [bm, bd]

# Age in full years (周岁) on a date.
age(birth, on) := years if {
	[by, bm, bd] := ymd(birth)
	[oy, om, od] := ymd(on)
	[cm, cd] := birthday(bm, bd, oy)
	years := (oy - by) - before(key(0, om, od), key(0, cm, cd))
}

before(a, b) := 1 if a < b

else := 0

applicant := input.facts.applicant

adult if age(applicant.birth_date, input.application_date) >= 16

away_from_hukou if applicant.hukou_city != "杭州"

registered_six_months if {
	[ry, rm, rd] := ymd(applicant.residence_registered_on)
	[ty, tm, td] := ymd(input.application_date)
	add_months(ry, rm, rd, 6) <= key(ty, tm, td)
}

# The exception: joining a spouse with Hangzhou hukou waives the six months.
joins_spouse if {
	some member in input.facts.household.members
	member.relation == "spouse"
	member.hukou_city == "杭州"
}

registered_half_year if joins_spouse

registered_half_year if registered_six_months

stable_employment if {
	applicant.social_insurance_months >= 12
	applicant.has_labour_contract
}

stable_residence if applicant.owns_home

stable_residence if {
	applicant.lease_filed
	applicant.lease_months >= 12
}

continuous_study if applicant.enrolled_student

basis if stable_employment

basis if stable_residence

basis if continuous_study

default eligible := false

eligible if {
	adult
	away_from_hukou
	registered_half_year
	basis
}
