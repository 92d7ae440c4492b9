/* The gateway's DNS listener, one per session (src/dns on the loop). */
#ifndef AGENTSH_DAEMON_DNSGW_H
#define AGENTSH_DAEMON_DNSGW_H

#include <stdbool.h>

struct daemon;
struct session;
struct sup_net_req;
struct json_object;

/* Start s's listener when sandbox.network.dns is enabled, on listen
 * (NULL: the configured address); a failure is logged and leaves the
 * session without one. */
void dnsgw_session_start(struct daemon *d, struct session *s,
			 const char *listen);
void dnsgw_session_stop(struct session *s);
/* Is r a connect or send to s's own DNS listener? */
bool dnsgw_is_self(const struct session *s, const struct sup_net_req *r);
/* Add "dns": "addr:port" to a session's JSON when it has a listener. */
void dnsgw_json(const struct session *s, struct json_object *o);

#endif
