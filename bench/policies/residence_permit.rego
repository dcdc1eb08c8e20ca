# The rules of residence_permit.rules in Rego (regorus). Dates are
# "YYYY-MM-DD" texts, read with time.parse_ns and time.date; the calendar
# arithmetic follows rules-dsl/src/calendar.rs: months added are clamped to
# the month's end, and a 29 February birthday falls on 1 March in common
# years. Rules, not functions, hold the derived values, so each is computed
# once per query.
package residence_permit

import rego.v1

applicant := input.facts.applicant

# [year, month, day]
today := time.date(time.parse_ns("2006-01-02", input.application_date))

birth := time.date(time.parse_ns("2006-01-02", applicant.birth_date))

registered := time.date(time.parse_ns("2006-01-02", applicant.residence_registered_on))

leap(y) if {
	y % 4 == 0
	y % 100 != 0
}

leap(y) if y % 400 == 0

# A date as the number yyyymmdd, so dates compare as numbers.
key(y, m, d) := ((y * 100) + m) * 100 + d

# The birthday [month, day] this year.
birthday := [3, 1] if {
	birth[1] == 2
	birth[2] == 29
	not leap(today[0])
} else := [birth[1], birth[2]]

# Age in full years (周岁).
age := (today[0] - birth[0]) - 1 if {
	key(0, today[1], today[2]) < key(0, birthday[0], birthday[1])
} else := today[0] - birth[0]

adult if age >= 16

away_from_hukou if applicant.hukou_city != "杭州"

# registered + 6 months, clamped to the end of the month.
months := ((registered[0] * 12) + registered[1]) + 5

new_month := (months % 12) + 1

new_year := (months - (new_month - 1)) / 12

month_days := 29 if {
	new_month == 2
	leap(new_year)
} else := 28 if {
	new_month == 2
} else := 30 if {
	new_month in {4, 6, 9, 11}
} else := 31

registered_six_months if {
	key(new_year, new_month, min([registered[2], month_days])) <= key(today[0], today[1], today[2])
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
