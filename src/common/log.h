/* Process log: levelled lines on stderr (or a file); untrusted text escaped. */
#ifndef AGENTSH_COMMON_LOG_H
#define AGENTSH_COMMON_LOG_H

#include <stddef.h>

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

#define LOG_ESCAPE_MAX 512 /* bytes of untrusted text kept in one log field */

void log_set_level(enum log_level lvl);
/* Parse "error|warn|info|debug"; 0 or -EINVAL. */
int log_level_parse(const char *s, enum log_level *out);
void log_msg(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * Copy untrusted bytes into out (size outsz) with control characters,
 * backslashes and invalid UTF-8 escaped as \xNN; truncates with "...".
 */
void log_escape(const char *in, size_t n, char *out, size_t outsz);

#endif
