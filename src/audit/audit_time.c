/* RFC 3339 timestamps with nanoseconds, to and from Unix nanoseconds. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "audit/audit.h"

#define AUDIT_NS 1000000000LL

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t audit_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static unsigned audit_days_in_month(int64_t y, unsigned m)
{
	static const unsigned days[] = {31, 28, 31, 30, 31, 30,
					31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

void audit_time_format(int64_t ns, char out[AUDIT_TIME_MAX])
{
	int64_t secs = ns / AUDIT_NS, frac = ns % AUDIT_NS;
	time_t t;
	struct tm tm;

	if (frac < 0) {
		frac += AUDIT_NS;
		secs--;
	}
	t = (time_t)secs;
	if (gmtime_r(&t, &tm) == NULL) {
		snprintf(out, AUDIT_TIME_MAX, "1970-01-01T00:00:00.000000000Z");
		return;
	}
	snprintf(out, AUDIT_TIME_MAX, "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, (long long)frac);
}

/* Read exactly n digits at s[*i]; -1 when they are not all digits. */
static int64_t audit_tdigits(const char *s, size_t len, size_t *i, size_t n)
{
	int64_t v = 0;

	if (len - *i < n)
		return -1;
	for (size_t k = 0; k < n; k++) {
		char ch = s[*i + k];

		if (ch < '0' || ch > '9')
			return -1;
		v = v * 10 + (ch - '0');
	}
	*i += n;
	return v;
}

static bool audit_tsep(const char *s, size_t len, size_t *i, const char *set)
{
	if (*i >= len)
		return false;
	for (; *set; set++) {
		if (s[*i] == *set) {
			(*i)++;
			return true;
		}
	}
	return false;
}

/* ".123" (any digit count up to 9 kept) into nanoseconds. */
static int64_t audit_tfrac(const char *s, size_t len, size_t *i)
{
	int64_t v = 0, scale = AUDIT_NS;
	size_t start;

	if (*i >= len || s[*i] != '.')
		return 0;
	start = ++(*i);
	while (*i < len && s[*i] >= '0' && s[*i] <= '9') {
		if (scale > 1) {
			scale /= 10;
			v += (s[*i] - '0') * scale;
		}
		(*i)++;
	}
	return *i == start ? -1 : v;
}

/* "Z" or "+hh:mm" / "-hh:mm" as seconds east of UTC; INT64_MIN if bad. */
static int64_t audit_tzone(const char *s, size_t len, size_t *i)
{
	int64_t hh, mm, sign;

	if (audit_tsep(s, len, i, "Zz"))
		return 0;
	if (*i >= len || (s[*i] != '+' && s[*i] != '-'))
		return INT64_MIN;
	sign = s[(*i)++] == '-' ? -1 : 1;
	hh = audit_tdigits(s, len, i, 2);
	if (hh < 0 || hh > 23 || !audit_tsep(s, len, i, ":"))
		return INT64_MIN;
	mm = audit_tdigits(s, len, i, 2);
	if (mm < 0 || mm > 59)
		return INT64_MIN;
	return sign * (hh * 3600 + mm * 60);
}

int audit_time_parse(const char *s, size_t len, int64_t *ns)
{
	size_t i = 0;
	int64_t y, mo, d, h, mi, sec, frac, zone, secs;

	y = audit_tdigits(s, len, &i, 4);
	mo = audit_tsep(s, len, &i, "-") ? audit_tdigits(s, len, &i, 2) : -1;
	d = audit_tsep(s, len, &i, "-") ? audit_tdigits(s, len, &i, 2) : -1;
	h = audit_tsep(s, len, &i, "Tt ") ? audit_tdigits(s, len, &i, 2) : -1;
	mi = audit_tsep(s, len, &i, ":") ? audit_tdigits(s, len, &i, 2) : -1;
	sec = audit_tsep(s, len, &i, ":") ? audit_tdigits(s, len, &i, 2) : -1;
	if (y < 0 || mo < 1 || mo > 12 || d < 1 ||
	    d > audit_days_in_month(y, (unsigned)mo) || h < 0 || h > 23 ||
	    mi < 0 || mi > 59 || sec < 0 || sec > 59)
		return -EINVAL;
	frac = audit_tfrac(s, len, &i);
	zone = audit_tzone(s, len, &i);
	if (frac < 0 || zone == INT64_MIN || i != len)
		return -EINVAL;
	secs = audit_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
	       h * 3600 + mi * 60 + sec - zone;
	/* int64 nanoseconds cover the years 1678 to 2262. */
	if (secs >= INT64_MAX / AUDIT_NS || secs <= INT64_MIN / AUDIT_NS)
		return -ERANGE;
	*ns = secs * AUDIT_NS + frac;
	return 0;
}
