#include "common/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/utf8.h"

/* The one process-wide setting in common: programs set it once at start. */
static enum log_level log_level_cur = LOG_LVL_INFO;

void log_set_level(enum log_level lvl)
{
	log_level_cur = lvl;
}

int log_level_parse(const char *s, enum log_level *out)
{
	static const char *const names[] = {"error", "warn", "info", "debug"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	if (strcmp(s, "warning") == 0) {
		*out = LOG_LVL_WARN;
		return 0;
	}
	return -EINVAL;
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	static const char *const tags[] = {"error", "warn", "info", "debug"};
	char ts[32];
	struct timespec now;
	struct tm tm;
	va_list ap;

	if (lvl > log_level_cur)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ldZ agentsh %s: ", ts, now.tv_nsec / 1000000,
		tags[lvl]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void log_escape(const char *in, size_t n, char *out, size_t outsz)
{
	size_t o = 0, i = 0;

	if (outsz == 0)
		return;
	while (i < n) {
		unsigned char c = (unsigned char)in[i];
		size_t cl = c >= 0x80 ? utf8_seq_len(in + i, n - i) : 1;
		size_t need = (c < 0x20 || c == 0x7f || c == '\\' || cl == 0) ? 4 : (cl ? cl : 1);

		if (o + need + 4 > outsz) {
			if (o + 4 <= outsz) {
				memcpy(out + o, "...", 3);
				o += 3;
			}
			break;
		}
		if (c < 0x20 || c == 0x7f || c == '\\' || cl == 0) {
			snprintf(out + o, 5, "\\x%02x", c);
			o += 4;
			i++;
		} else {
			memcpy(out + o, in + i, cl);
			o += cl;
			i += cl;
		}
	}
	out[o] = '\0';
}
