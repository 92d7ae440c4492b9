/* Internal interfaces of the llm module: JSON lexer, policy walker, SSE
 * framing and token hold-back. Not for use outside src/llm. */
#ifndef AGENTSH_LLM_INT_H
#define AGENTSH_LLM_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "llm/llm.h"

#define LLM_KEY_MAX 64        /* a decoded key compared against the tables */
#define LLM_LANES_MAX 256     /* lanes with a carry in one response */
#define LLM_EDITS_MAX 1024    /* strings replaced in one SSE event */
#define LLM_TYPE_MAX 64       /* a "type" value compared against the tables */

/* ---- JSON lexer (llm_json.c) ---- */

struct llm_span {
	size_t s, e; /* [s, e) in the text; a string includes its quotes */
};

/* A cursor over one JSON text; the first error is kept. */
struct llm_json {
	const char *p;
	size_t n, pos;
	int depth;
	bool esc; /* the last string stepped over held an escape */
	size_t err_off;
	const char *err;
};

void llm_json_init(struct llm_json *j, const char *p, size_t n);
/* Record an error at the cursor (the first one wins) and return rc. */
int llm_json_fail(struct llm_json *j, int rc, const char *why);
void llm_json_ws(struct llm_json *j);
/* Validate the string at the cursor and step past it. */
int llm_json_skip_string(struct llm_json *j);
/* The same; if the string holds an escape (j->esc), also decode it into
 * dec (reset first) in the same pass. dec's bound must allow the rest of
 * the text (-E2BIG otherwise). */
int llm_json_take_string(struct llm_json *j, struct buf *dec);
/* Validate any value at the cursor and step past it. */
int llm_json_skip_value(struct llm_json *j);
/* After the top value: only whitespace may follow. */
int llm_json_end(struct llm_json *j);
/* Validate a whole text holding one value. */
int llm_json_validate(const char *p, size_t n, struct llm_json *j);
/* Decode a validated string literal (quotes included) into out. */
int llm_json_decode(const char *p, size_t n, struct buf *out);
/* Append s as a JSON string, quotes included / only the escaped body. */
int llm_json_encode(struct buf *out, const char *s, size_t n);
int llm_json_escape(struct buf *out, const char *s, size_t n);

/* Member key of the object starting at obj (a '{'): 1 found, 0 not. */
int llm_json_member(const char *p, size_t n, size_t obj, const char *key,
		    struct llm_span *v);
/* Follow a dotted path of keys from the value at v. */
int llm_json_get(const char *p, size_t n, struct llm_span v, const char *path,
		 struct llm_span *out);
/* Next element of the array starting at v.s; *it starts at 0. 1 or 0. */
int llm_json_next(const char *p, size_t n, struct llm_span v, size_t *it,
		  struct llm_span *el);
/* A non-negative integer value; false for anything else. */
bool llm_json_u64(const char *p, struct llm_span v, uint64_t *out);
/* Whether the string value v equals lit (decoded). */
bool llm_json_str_is(const char *p, struct llm_span v, const char *lit);

/* ---- policy walker (llm_walk.c, llm_policy.c) ---- */

/* What happens to a string at a place. */
enum llm_act {
	LLM_ACT_NONE,  /* copied verbatim */
	LLM_ACT_TEXT,  /* scan / restore as text */
	LLM_ACT_TOOL,  /* a string inside a tool input (decoded) */
	LLM_ACT_EMBED, /* a string holding JSON: walk its strings as TOOL */
	LLM_ACT_SRC,   /* a string holding JSON source text (tool lane) */
};

/* Node kinds of the field policy tables (llm_policy.c). */
enum llm_kind {
	LLM_K_SKIP, LLM_K_TEXT, LLM_K_ALL, LLM_K_EMBED, LLM_K_SRC,
	LLM_K_AROOT, LLM_K_AMSGS, LLM_K_AMSG, LLM_K_ACONTENT, LLM_K_ABLOCK,
	LLM_K_ADOCSRC,
	LLM_K_CROOT, LLM_K_CMSGS, LLM_K_CMSG, LLM_K_CCONTENT, LLM_K_CPART,
	LLM_K_CCALLS, LLM_K_CCALL, LLM_K_CFUNC,
	LLM_K_RROOT, LLM_K_RINPUT, LLM_K_RITEM, LLM_K_RCONTENT, LLM_K_RPART,
	/* responses */
	LLM_K_XAROOT, LLM_K_XABLOCKS, LLM_K_XABLOCK,
	LLM_K_XCROOT, LLM_K_XCCHOICES, LLM_K_XCCHOICE, LLM_K_XCMSG,
	LLM_K_XCCALLS, LLM_K_XCCALL, LLM_K_XCFUNC,
	LLM_K_XRROOT, LLM_K_XRITEMS, LLM_K_XRITEM, LLM_K_XRPARTS, LLM_K_XRPART,
	LLM_K_XRTOOL,
	/* Responses stream events carrying whole objects */
	LLM_K_XRTEXTDONE, LLM_K_XRPARTDONE, LLM_K_XRITEMEV, LLM_K_XRRESPEV,
	LLM_K_XRARGSDONE,
	LLM_K_COUNT
};

enum llm_act llm_policy_str(enum llm_kind k);
enum llm_kind llm_policy_elem(enum llm_kind k);
bool llm_policy_typed(enum llm_kind k);
/* The kind of member key (klen bytes, decoded) of an object of kind k
 * whose "type" is type ("" when absent). */
enum llm_kind llm_policy_member(enum llm_kind k, const char *type,
				const char *key, size_t klen);
/* Root kind of a request body / a non-stream response of dialect d. */
enum llm_kind llm_policy_request_root(enum llm_dialect d);
enum llm_kind llm_policy_response_root(enum llm_dialect d);

/*
 * s[0..n) is a decoded string at jpath with action act (not
 * NUL-terminated: it may point into the text walked): append the
 * replacement to out and return 1, 0 if unchanged, <0 to fail.
 */
typedef int (*llm_str_fn)(void *arg, enum llm_act act, const char *jpath,
			  const char *s, size_t n, struct buf *out);

struct llm_walk_res {
	bool changed;
	size_t err_off;
	const char *err;
};

/*
 * Walk the JSON text p[0..n) from root kind k, appending it to out with
 * each string the callback changes re-encoded. -EINVAL (invalid JSON,
 * r->err_off), -E2BIG, or the callback's error. prefix starts each path.
 */
int llm_walk(const char *p, size_t n, enum llm_kind k, const char *prefix,
	     llm_str_fn fn, void *arg, struct buf *out,
	     struct llm_walk_res *r);

/* ---- tokens and lanes (llm_lane.c) ---- */

/* One logical text stream of a response with its held-back bytes. */
struct llm_carry {
	uint64_t key;
	enum llm_lane lane;
	bool src;         /* the text is JSON source (escape restored values) */
	bool prev_word;   /* the last emitted byte was [A-Za-z0-9_] */
	bool used;
	size_t carry_len;
	char carry[LLM_TOKEN_MAX];
	struct buf tmpl;  /* a synthetic event for a flush: prefix, suffix */
	size_t tmpl_cut;  /* where the carry goes in tmpl */
};

bool llm_tok_is_token(const char *w, size_t n);
bool llm_tok_is_prefix(const char *w, size_t n);
/*
 * Push text s into lane l: append what can go out now (tokens restored
 * with h) to out; keep a possible partial token unless final.
 */
int llm_lane_push(struct llm_carry *l, const struct llm_restore_hooks *h,
		  const char *s, size_t n, bool final, struct buf *out);
/* Restore a whole string (no hold-back). */
int llm_restore_all(const struct llm_restore_hooks *h, enum llm_lane lane,
		    bool src, const char *s, size_t n, struct buf *out);

/* ---- SSE framing (llm_sse.c) ---- */

/* One parsed event: raw bytes and fields. */
struct llm_sse_ev {
	const char *raw;
	size_t raw_len;
	const char *type;   /* the event field, NUL-terminated; "" if none */
	const char *data;   /* data lines joined by '\n'; NULL if none */
	size_t data_len;
	const char *eol;    /* the line end the event used */
};

struct llm_sse {
	struct buf in;      /* bytes of the incomplete event */
	size_t scan;        /* bytes of in already scanned */
	size_t line_len;    /* bytes of the current line */
	bool cr;            /* the last scanned byte was CR */
	bool skip_lf;       /* a LF next belongs to an emitted CR */
	struct buf type, data;
};

void llm_sse_init(struct llm_sse *s);
void llm_sse_release(struct llm_sse *s);
typedef int (*llm_sse_fn)(void *arg, const struct llm_sse_ev *ev);
/* Feed bytes; fn sees each complete event, pass each byte that belongs
 * to no event (a LF after a CR ending an event) to raw. */
int llm_sse_feed(struct llm_sse *s, const char *p, size_t n, llm_sse_fn fn,
		 void *arg, struct buf *raw);
/* End of stream: an incomplete event's bytes go to raw verbatim. */
int llm_sse_finish(struct llm_sse *s, struct buf *raw);
/* Re-encode ev with its data replaced by d[0..n) (other lines kept). */
int llm_sse_reencode(const struct llm_sse_ev *ev, const char *d, size_t n,
		     struct buf *out);

/* ---- the response transformer (llm_stream.c, llm_events.c) ---- */

struct llm_edit {
	size_t s, e;     /* replaced bytes of the event data */
	size_t off, len; /* the replacement in edit_bytes */
};

struct llm_stream {
	enum llm_dialect d;
	bool sse, has_h;
	struct llm_restore_hooks h;
	struct llm_sse sp;
	struct buf body;          /* a non-SSE body until the end */
	struct llm_usage u;
	struct llm_carry *lanes;  /* LLM_LANES_MAX, on first use */
	struct buf *out;          /* where the current feed writes */
	const struct llm_sse_ev *ev;
	struct buf dec, emit, edit_bytes, ndata;
	bool walked;              /* ndata holds a rewritten event */
	size_t nedits;
	struct llm_edit edits[LLM_EDITS_MAX];
};

/* Lane of key (created unless it exists, NULL when the table is full). */
struct llm_carry *llm_st_lane(struct llm_stream *s, uint64_t key,
			      enum llm_lane lane, bool src);
/* The text string at v of the event data is the next piece of lane key:
 * restore, hold back, and record an edit if the text changed. */
int llm_st_delta(struct llm_stream *s, const char *d, size_t n,
		 struct llm_span v, uint64_t key, enum llm_lane lane, bool src,
		 bool final);
/* Send the carry of every lane with (key & mask) == val as a synthetic
 * event, and forget those lanes. */
int llm_st_flush(struct llm_stream *s, uint64_t mask, uint64_t val);
/* Restore the whole objects of the event data from kind k. */
int llm_st_walk(struct llm_stream *s, const char *d, size_t n,
		enum llm_kind k);
/* Usage members of the object at v for the stream's dialect. */
void llm_st_usage(struct llm_stream *s, const char *d, struct llm_span v);
/* The restore callback of the walker. */
int llm_st_restore_cb(void *arg, enum llm_act act, const char *jpath,
		      const char *str, size_t n, struct buf *out);
/* Template of the flush event of lane l: the event data with v cut out. */
int llm_st_tmpl(struct llm_stream *s, struct llm_carry *l, const char *d,
		size_t n, struct llm_span v);

/* Per dialect: look at one SSE event's data (valid JSON or not). */
int llm_ev_anthropic(struct llm_stream *s, const char *d, size_t n);
int llm_ev_chat(struct llm_stream *s, const char *d, size_t n);
int llm_ev_responses(struct llm_stream *s, const char *d, size_t n);
/* The flush event of a Chat Completions lane: a chunk with only it. */
int llm_ev_chat_tmpl(struct llm_stream *s, struct llm_carry *l,
		     const char *d, size_t n);

#endif
