#include "policy/glob.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GLOB_MAX_WORDS (POLICY_GLOB_MAX_STATES / 64)
#define GLOB_META "*?[]{},\\"
#define GLOB_CONT_WORD 2 /* bytes 0x80..0xbf, UTF-8 continuations */
#define GLOB_SAT(v)                                                        \
	(uint8_t)((v) > POLICY_GLOB_MAX_ALTERNATIVES ?                     \
			  POLICY_GLOB_MAX_ALTERNATIVES + 1 : (v))

/* A set of bytes, one bit each. */
struct glob_set {
	uint64_t w[4];
};

/* An NFA token: consumes one byte of set, or (loop) any run of them. */
struct glob_tok {
	struct glob_set set;
	uint64_t loop; /* 0 or 1; a full word leaves no padding for memcmp */
};

enum glob_lex_kind {
	LX_BYTE, LX_ANY, LX_STAR, LX_DSTAR, LX_CLASS,
	LX_OPEN, LX_COMMA, LX_CLOSE
};

/* A lexeme; link chains the '{', ',' and '}' of one group in order. */
struct glob_lex {
	uint8_t kind;
	uint8_t byte;  /* LX_BYTE: the byte; LX_CLASS: 1 when negated */
	uint16_t link; /* LX_OPEN, LX_COMMA: index of the next ',' or '}' */
	uint16_t off;  /* byte offset in the pattern */
	uint16_t cls;  /* LX_CLASS: index into glob_ctx.cls */
};

enum glob_kind { GLOB_LITERAL, GLOB_PREFIX_ANY, GLOB_PREFIX_SEG, GLOB_NFA };

struct policy_glob {
	char *pattern;
	char *prefix; /* literal prefix, lower-case with CASEFOLD */
	size_t prefix_len;
	enum glob_kind kind;
	char sep;
	unsigned flags;
	bool matches_all;
	/* GLOB_NFA only: bytes map to classes that no token tells apart. */
	uint8_t cmap[256];
	size_t nclass, nwords, eps_rounds;
	/* cons[nclass][nwords], loop[nclass][nwords], init, eps, accept */
	uint64_t *tab;
};

/* Scratch indexed by group depth (stack, sum, prod) or position (cur). */
struct glob_slot {
	uint16_t open;  /* the open group's '{' lexeme */
	uint16_t stack; /* the open group's last '{' or ',' lexeme */
	uint16_t cur;   /* lexemes of the alternative being expanded */
	uint8_t sum;    /* the group's expansions from finished branches */
	uint8_t prod;   /* the group's expansions from the current branch */
};

/* Compilation scratch, sized from the pattern length. */
struct glob_ctx {
	const char *pat;
	size_t len;
	char sep;
	unsigned flags;
	char *err;
	size_t errlen;
	struct glob_lex *lex;
	size_t nlex;
	struct glob_set *cls;
	size_t ncls;
	struct glob_slot *slot;
	size_t ncur;
	struct glob_tok *tok;
	size_t ntok, captok;
	size_t alt[POLICY_GLOB_MAX_ALTERNATIVES + 1]; /* first token of each */
	size_t nalt;
};

__attribute__((format(printf, 2, 3)))
static int glob_err(struct glob_ctx *c, const char *fmt, ...)
{
	va_list ap;

	if (c->err != NULL && c->errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(c->err, c->errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static unsigned char glob_lower(unsigned char ch)
{
	return ch >= 'A' && ch <= 'Z' ? (unsigned char)(ch + 32) : ch;
}

static void glob_set_add(struct glob_set *s, unsigned b)
{
	s->w[b >> 6] |= 1ull << (b & 63);
}

static bool glob_set_has(const struct glob_set *s, unsigned b)
{
	return (s->w[b >> 6] >> (b & 63)) & 1;
}

/* Remove b from s, unless b is '\0' (meaning: no separator). */
static void glob_set_del(struct glob_set *s, char b)
{
	if (b != '\0')
		s->w[(unsigned char)b >> 6] &= ~(1ull << (b & 63));
}

static void glob_set_fill(struct glob_set *s, char sep)
{
	memset(s->w, 0xff, sizeof(s->w));
	glob_set_del(s, sep);
}

static bool glob_set_subset(const struct glob_set *a, const struct glob_set *b)
{
	for (size_t i = 0; i < 4; i++)
		if (a->w[i] & ~b->w[i])
			return false;
	return true;
}

/* Add the other ASCII case of every letter in s ('A'..'Z' = word 1, 1..26). */
static void glob_set_fold(struct glob_set *s)
{
	uint64_t letters = 0x07fffffeull;
	uint64_t both = (s->w[1] | (s->w[1] >> 32)) & letters;

	s->w[1] |= both | (both << 32);
}

static void glob_lex_push(struct glob_ctx *c, int kind, unsigned byte,
			  size_t off)
{
	c->lex[c->nlex++] = (struct glob_lex){
		.kind = (uint8_t)kind, .byte = (uint8_t)byte,
		.off = (uint16_t)off};
}

/* One possibly escaped ASCII character of a class at *p. */
static int glob_class_char(struct glob_ctx *c, size_t *p, unsigned *out)
{
	size_t at = *p;
	unsigned char ch = (unsigned char)c->pat[at];

	if (ch == '\\') {
		if (at + 1 >= c->len)
			return glob_err(c, "trailing backslash at offset %zu",
					at);
		ch = (unsigned char)c->pat[++at];
	}
	if (ch >= 0x80)
		return glob_err(c, "non-ASCII byte in character class at "
				"offset %zu", at);
	*out = ch;
	*p = at + 1;
	return 0;
}

/* Lex the class "[...]" that starts at *i; leaves *i after its ']'. */
static int glob_lex_class(struct glob_ctx *c, size_t *i)
{
	size_t open = *i, p = *i + 1;
	struct glob_set *set = &c->cls[c->ncls];
	unsigned neg = 0, lo = 0, hi = 0;
	int r;

	memset(set, 0, sizeof(*set));
	if (p < c->len && (c->pat[p] == '!' || c->pat[p] == '^')) {
		neg = 1;
		p++;
	}
	if (p < c->len && c->pat[p] == ']')
		return glob_err(c, "empty character class at offset %zu", open);
	while (p < c->len && c->pat[p] != ']') {
		if ((r = glob_class_char(c, &p, &lo)) < 0)
			return r;
		hi = lo;
		if (p + 1 < c->len && c->pat[p] == '-' &&
		    c->pat[p + 1] != ']') {
			p++;
			if ((r = glob_class_char(c, &p, &hi)) < 0)
				return r;
			if (hi < lo)
				return glob_err(c, "invalid range '%c-%c' at "
						"offset %zu", lo, hi, open);
		}
		for (unsigned b = lo; b <= hi; b++)
			glob_set_add(set, b);
	}
	if (p >= c->len)
		return glob_err(c, "unclosed '[' at offset %zu", open);
	glob_lex_push(c, LX_CLASS, neg, open);
	c->lex[c->nlex - 1].cls = (uint16_t)c->ncls++;
	*i = p + 1;
	return 0;
}

/*
 * A ',' or '}' inside a group: chain it after the group's previous one and
 * count the expansions so far (saturating), before enumerating any.
 */
static void glob_lex_sep(struct glob_ctx *c, char ch, size_t i, size_t *depth)
{
	struct glob_slot *s = &c->slot[*depth];

	c->lex[s->stack].link = (uint16_t)c->nlex;
	s->sum = GLOB_SAT(s->sum + s->prod);
	s->prod = 1;
	if (ch == ',') {
		s->stack = (uint16_t)c->nlex;
		glob_lex_push(c, LX_COMMA, 0, i);
	} else {
		glob_lex_push(c, LX_CLOSE, 0, i);
		(*depth)--;
		s[-1].prod = GLOB_SAT(s[-1].prod * s->sum);
	}
}

/* Lex one item at *i (classes excepted) and step past it. */
static int glob_lex_one(struct glob_ctx *c, size_t *i, size_t *depth)
{
	char ch = c->pat[*i];

	if (ch == '{') {
		c->slot[++(*depth)].stack = (uint16_t)c->nlex;
		c->slot[*depth].open = (uint16_t)c->nlex;
		c->slot[*depth].sum = 0;
		c->slot[*depth].prod = 1;
		glob_lex_push(c, LX_OPEN, 0, *i);
	} else if ((ch == ',' || ch == '}') && *depth > 0) {
		glob_lex_sep(c, ch, *i, depth);
	} else if (ch == '*' && *i + 1 < c->len && c->pat[*i + 1] == '*') {
		glob_lex_push(c, LX_DSTAR, 0, (*i)++);
	} else if (ch == '*' || ch == '?') {
		glob_lex_push(c, ch == '*' ? LX_STAR : LX_ANY, 0, *i);
	} else if (ch == '\\') {
		if (*i + 1 >= c->len)
			return glob_err(c, "trailing backslash at offset %zu",
					*i);
		(*i)++;
		glob_lex_push(c, LX_BYTE, (unsigned char)c->pat[*i], *i);
	} else {
		glob_lex_push(c, LX_BYTE, (unsigned char)ch, *i);
	}
	(*i)++;
	return 0;
}

static int glob_lex_all(struct glob_ctx *c)
{
	size_t i = 0, depth = 0;
	int r = 0;

	c->slot[0].prod = 1;
	while (i < c->len && r == 0) {
		if (c->pat[i] == '[')
			r = glob_lex_class(c, &i);
		else
			r = glob_lex_one(c, &i, &depth);
	}
	if (r == 0 && depth > 0)
		r = glob_err(c, "unclosed '{' at offset %zu",
			     (size_t)c->lex[c->slot[depth].open].off);
	if (r == 0 && c->slot[0].prod > POLICY_GLOB_MAX_ALTERNATIVES)
		r = glob_err(c, "'{...}' groups expand to more than %d "
			     "alternatives", POLICY_GLOB_MAX_ALTERNATIVES);
	return r;
}

static int glob_tok_push(struct glob_ctx *c, const struct glob_set *set,
			 bool loop)
{
	struct glob_tok *prev =
		c->ntok > c->alt[c->nalt] ? &c->tok[c->ntok - 1] : NULL;

	/* Adjacent loops A*B* where one set holds the other are one loop. */
	if (loop && prev != NULL && prev->loop) {
		if (glob_set_subset(set, &prev->set))
			return 0;
		if (glob_set_subset(&prev->set, set)) {
			prev->set = *set;
			return 0;
		}
	}
	if (c->ntok + c->nalt + 2 > POLICY_GLOB_MAX_STATES)
		return glob_err(c, "pattern too complex (more than %d states)",
				POLICY_GLOB_MAX_STATES);
	if (c->ntok == c->captok) {
		size_t ncap = c->captok ? c->captok * 2 : 64;
		struct glob_tok *t = realloc(c->tok, ncap * sizeof(*t));

		if (t == NULL)
			return -ENOMEM;
		c->tok = t;
		c->captok = ncap;
	}
	c->tok[c->ntok].set = *set;
	c->tok[c->ntok++].loop = loop ? 1 : 0;
	return 0;
}

/*
 * Tokens for one lexeme. "?" and negated classes match one UTF-8 character:
 * a byte that is not a continuation byte, then any continuation bytes.
 */
static int glob_emit_lex(struct glob_ctx *c, const struct glob_lex *lx)
{
	struct glob_set s = {{0}}, cont = {{0}};
	bool neg = lx->kind == LX_ANY || (lx->kind == LX_CLASS && lx->byte);
	int r;

	cont.w[GLOB_CONT_WORD] = UINT64_MAX;
	if (lx->kind == LX_STAR || lx->kind == LX_DSTAR) {
		glob_set_fill(&s, lx->kind == LX_STAR ? c->sep : '\0');
		return glob_tok_push(c, &s, true);
	}
	if (lx->kind == LX_BYTE)
		glob_set_add(&s, lx->byte);
	else if (lx->kind == LX_CLASS)
		s = c->cls[lx->cls];
	if (c->flags & POLICY_GLOB_CASEFOLD)
		glob_set_fold(&s);
	if (neg) {
		for (size_t i = 0; i < 4; i++)
			s.w[i] = ~s.w[i];
		s.w[GLOB_CONT_WORD] = 0;
	}
	if (lx->kind != LX_BYTE)
		glob_set_del(&s, c->sep);
	r = glob_tok_push(c, &s, false);
	if (r == 0 && neg)
		r = glob_tok_push(c, &cont, true);
	return r;
}

/* Is the alternative being built (tokens from start) a duplicate? */
static bool glob_alt_dup(const struct glob_ctx *c, size_t start)
{
	size_t n = c->ntok - start;

	for (size_t k = 0; k < c->nalt; k++)
		if (c->alt[k + 1] - c->alt[k] == n &&
		    (n == 0 || memcmp(&c->tok[c->alt[k]], &c->tok[start],
				      n * sizeof(c->tok[0])) == 0))
			return true;
	return false;
}

/* Turn the expanded alternative in c->cur into tokens. */
static int glob_emit(struct glob_ctx *c)
{
	size_t start = c->ntok;
	int r = 0;

	if (c->nalt >= POLICY_GLOB_MAX_ALTERNATIVES)
		return glob_err(c, "too many alternatives");
	for (size_t i = 0; i < c->ncur && r == 0; i++)
		r = glob_emit_lex(c, &c->lex[c->slot[i].cur]);
	if (r < 0)
		return r;
	if (glob_alt_dup(c, start)) {
		c->ntok = start;
		return 0;
	}
	c->alt[++c->nalt] = c->ntok;
	return 0;
}

static int glob_branches(struct glob_ctx *c, size_t open);

/*
 * Expand from lexeme pos to the end of the pattern, depth first. Only
 * groups with two or more branches recurse, and each adds an alternative,
 * so the depth stays below POLICY_GLOB_MAX_ALTERNATIVES.
 */
static int glob_walk(struct glob_ctx *c, size_t pos)
{
	while (pos < c->nlex) {
		const struct glob_lex *lx = &c->lex[pos];

		if (lx->kind == LX_COMMA) /* end of a branch: skip the rest */
			pos = lx->link;
		else if (lx->kind == LX_CLOSE)
			pos++;
		else if (lx->kind != LX_OPEN)
			c->slot[c->ncur++].cur = (uint16_t)pos++;
		else if (c->lex[lx->link].kind == LX_CLOSE)
			pos++;
		else
			return glob_branches(c, pos);
	}
	return glob_emit(c);
}

static int glob_branches(struct glob_ctx *c, size_t open)
{
	size_t mark = c->ncur, b = open;
	int r = 0;

	while (r == 0 && c->lex[b].kind != LX_CLOSE) {
		c->ncur = mark;
		r = glob_walk(c, b + 1);
		b = c->lex[b].link;
	}
	c->ncur = mark;
	return r;
}

/* The character a token stands for if it is a literal (folded). */
static bool glob_tok_lit(const struct glob_tok *t, unsigned flags,
			 char *ch)
{
	unsigned n = 0, first = 0;

	if (t->loop)
		return false;
	for (size_t i = 4; i-- > 0;) {
		if (t->set.w[i] != 0)
			first = (unsigned)(i * 64) +
				(unsigned)__builtin_ctzll(t->set.w[i]);
		n += (unsigned)__builtin_popcountll(t->set.w[i]);
	}
	if (n == 2 && (flags & POLICY_GLOB_CASEFOLD) && first >= 'A' &&
	    first <= 'Z' && glob_set_has(&t->set, first + 32))
		first += 32;
	else if (n != 1)
		return false;
	*ch = (char)first;
	return true;
}

static bool glob_tok_full(const struct glob_tok *t, char sep)
{
	struct glob_set all;

	glob_set_fill(&all, sep);
	return t->loop && memcmp(&t->set, &all, sizeof(all)) == 0;
}

/* Common literal prefix, the fast-path kind and matches_all. */
static void glob_analyse(const struct glob_ctx *c, struct policy_glob *g)
{
	size_t lp = 0, n = c->alt[1];
	bool tail;
	char ch;

	for (size_t k = 0; k < c->nalt; k++) {
		size_t i = 0, a = c->alt[k];

		for (; a < c->alt[k + 1] && (k == 0 || i < lp); a++, i++) {
			if (!glob_tok_lit(&c->tok[a], c->flags, &ch))
				break;
			if (k == 0)
				g->prefix[i] = ch;
			else if (g->prefix[i] != ch)
				break;
		}
		lp = i;
		if (c->alt[k + 1] - c->alt[k] == 1 &&
		    glob_tok_full(&c->tok[c->alt[k]], '\0'))
			g->matches_all = true;
	}
	g->prefix[lp] = '\0';
	g->prefix_len = lp;
	tail = c->nalt == 1 && lp + 1 == n;
	if (g->matches_all || (tail && glob_tok_full(&c->tok[lp], '\0')))
		g->kind = GLOB_PREFIX_ANY;
	else if (c->nalt == 1 && lp == n)
		g->kind = GLOB_LITERAL;
	else if (tail && c->sep != '\0' && glob_tok_full(&c->tok[lp], c->sep))
		g->kind = GLOB_PREFIX_SEG;
	else
		g->kind = GLOB_NFA;
}

/* Split bytes into classes that every token treats alike; rep[] holds one. */
static void glob_partition(const struct glob_ctx *c, struct policy_glob *g,
			   uint8_t *rep)
{
	int16_t map[512];
	size_t n = 1;

	memset(g->cmap, 0, sizeof(g->cmap));
	for (size_t t = 0; t < c->ntok; t++) {
		if (t > 0 && !memcmp(&c->tok[t], &c->tok[t - 1],
				     sizeof(c->tok[0])))
			continue;
		memset(map, 0xff, sizeof(map));
		n = 0;
		for (unsigned b = 0; b < 256; b++) {
			unsigned key = g->cmap[b] * 2u +
				       glob_set_has(&c->tok[t].set, b);

			if (map[key] < 0)
				map[key] = (int16_t)n++;
			g->cmap[b] = (uint8_t)map[key];
		}
	}
	for (unsigned b = 256; b-- > 0;)
		rep[g->cmap[b]] = (uint8_t)b;
	g->nclass = n;
}

static void glob_bit(uint64_t *v, size_t bit)
{
	v[bit / 64] |= 1ull << (bit % 64);
}

/* Follow the empty moves past loop tokens, one step per round. */
static void glob_closure(const struct policy_glob *g, uint64_t *d)
{
	const uint64_t *eps = g->tab + (2 * g->nclass + 1) * g->nwords;

	for (size_t r = 0; r < g->eps_rounds; r++) {
		uint64_t carry = 0;

		for (size_t w = 0; w < g->nwords; w++) {
			uint64_t x = d[w] & eps[w];

			d[w] |= (x << 1) | carry;
			carry = x >> 63;
		}
	}
}

/* State tables: alternative k's token a is state a + k, its end alt[k+1]+k. */
static int glob_build(const struct glob_ctx *c, struct policy_glob *g)
{
	size_t nw = (c->ntok + c->nalt + 63) / 64, run = 0;
	uint64_t *cons, *loop, *init, *eps;
	uint8_t rep[256];

	glob_partition(c, g, rep);
	g->nwords = nw;
	g->tab = calloc((2 * g->nclass + 3) * nw, sizeof(uint64_t));
	if (g->tab == NULL)
		return -ENOMEM;
	cons = g->tab;
	loop = cons + g->nclass * nw;
	init = loop + g->nclass * nw;
	eps = init + nw;
	for (size_t k = 0; k < c->nalt; k++) {
		for (size_t a = c->alt[k]; a < c->alt[k + 1]; a++) {
			const struct glob_tok *t = &c->tok[a];

			for (size_t cl = 0; cl < g->nclass; cl++)
				if (glob_set_has(&t->set, rep[cl]))
					glob_bit((t->loop ? loop : cons) +
						 cl * nw, a + k);
			if (t->loop)
				glob_bit(eps, a + k);
			run = t->loop ? run + 1 : 0;
			if (run > g->eps_rounds)
				g->eps_rounds = run;
		}
		run = 0;
		glob_bit(init, c->alt[k] + k);
		glob_bit(eps + nw, c->alt[k + 1] + k);
	}
	glob_closure(g, init);
	return 0;
}

static int glob_finish(const struct glob_ctx *c, struct policy_glob **out)
{
	struct policy_glob *g = calloc(1, sizeof(*g));
	int r = -ENOMEM;

	if (g == NULL)
		goto out;
	g->sep = c->sep;
	g->flags = c->flags;
	g->pattern = strdup(c->pat);
	g->prefix = malloc(c->len + 1);
	if (g->pattern == NULL || g->prefix == NULL)
		goto out;
	glob_analyse(c, g);
	r = g->kind == GLOB_NFA ? glob_build(c, g) : 0;
out:
	if (r < 0) {
		policy_glob_free(g);
		g = NULL;
	}
	*out = g;
	return r;
}

int policy_glob_compile(const char *pattern, char sep, unsigned flags,
			struct policy_glob **out, char *err, size_t errlen)
{
	struct glob_ctx c = {.pat = pattern, .sep = sep, .flags = flags,
			     .err = err, .errlen = errlen};
	int r;

	*out = NULL;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (pattern == NULL)
		return glob_err(&c, "no pattern");
	c.len = strnlen(pattern, POLICY_GLOB_MAX_PATTERN + 1);
	if (c.len > POLICY_GLOB_MAX_PATTERN)
		return glob_err(&c, "pattern longer than %d bytes",
				POLICY_GLOB_MAX_PATTERN);
	if ((unsigned char)sep >= 0x80)
		return glob_err(&c, "separator must be an ASCII character");
	c.lex = calloc(c.len + 1, sizeof(*c.lex));
	c.cls = calloc(c.len / 3 + 1, sizeof(*c.cls));
	c.slot = calloc(c.len + 1, sizeof(*c.slot));
	r = c.lex && c.cls && c.slot ? glob_lex_all(&c) : -ENOMEM;
	if (r == 0)
		r = glob_walk(&c, 0);
	if (r == 0)
		r = glob_finish(&c, out);
	free(c.lex);
	free(c.cls);
	free(c.slot);
	free(c.tok);
	if (r == -ENOMEM && err != NULL && errlen > 0)
		snprintf(err, errlen, "out of memory");
	return r;
}

/* Compare n bytes of s with lit (which is already folded under fold). */
static bool glob_eq(const unsigned char *s, const char *lit, size_t n,
		    bool fold)
{
	if (!fold)
		return memcmp(s, lit, n) == 0;
	for (size_t i = 0; i < n; i++)
		if (glob_lower(s[i]) != (unsigned char)lit[i])
			return false;
	return true;
}

static bool glob_run1(const struct policy_glob *g, const unsigned char *s,
		      size_t len)
{
	const uint64_t *cons = g->tab, *loop = g->tab + g->nclass;
	uint64_t d = cons[2 * g->nclass], eps = cons[2 * g->nclass + 1];

	for (size_t i = 0; i < len; i++) {
		unsigned k = g->cmap[s[i]];

		d = ((d & cons[k]) << 1) | (d & loop[k]);
		for (size_t r = 0; r < g->eps_rounds; r++)
			d |= (d & eps) << 1;
		if (d == 0)
			return false;
	}
	return (d & cons[2 * g->nclass + 2]) != 0;
}

static bool glob_runn(const struct policy_glob *g, const unsigned char *s,
		      size_t len)
{
	size_t nw = g->nwords;
	const uint64_t *acc = g->tab + (2 * g->nclass + 2) * nw;
	uint64_t d[GLOB_MAX_WORDS], any = 0;

	memcpy(d, g->tab + 2 * g->nclass * nw, nw * sizeof(d[0]));
	for (size_t i = 0; i < len; i++) {
		const uint64_t *cons = g->tab + g->cmap[s[i]] * nw;
		const uint64_t *loop = cons + g->nclass * nw;
		uint64_t carry = 0;

		any = 0;
		for (size_t w = 0; w < nw; w++) {
			uint64_t t = d[w] & cons[w];

			d[w] = (t << 1) | carry | (d[w] & loop[w]);
			carry = t >> 63;
			any |= d[w];
		}
		if (any == 0)
			return false;
		glob_closure(g, d);
	}
	for (size_t w = 0; w < nw; w++)
		if (d[w] & acc[w])
			return true;
	return false;
}

bool policy_glob_match(const struct policy_glob *g, const char *s, size_t len)
{
	const unsigned char *u;

	if (len == 0)
		s = "";
	u = (const unsigned char *)s;
	if (len < g->prefix_len ||
	    !glob_eq(u, g->prefix, g->prefix_len,
		     g->flags & POLICY_GLOB_CASEFOLD))
		return false;
	switch (g->kind) {
	case GLOB_LITERAL:
		return len == g->prefix_len;
	case GLOB_PREFIX_ANY:
		return true;
	case GLOB_PREFIX_SEG:
		return memchr(u + g->prefix_len, g->sep,
			      len - g->prefix_len) == NULL;
	default:
		return g->nwords == 1 ? glob_run1(g, u, len) :
					glob_runn(g, u, len);
	}
}

const char *policy_glob_pattern(const struct policy_glob *g)
{
	return g->pattern;
}

bool policy_glob_is_literal(const struct policy_glob *g)
{
	return g->kind == GLOB_LITERAL;
}

size_t policy_glob_prefix(const struct policy_glob *g, const char **prefix)
{
	*prefix = g->prefix;
	return g->prefix_len;
}

bool policy_glob_matches_all(const struct policy_glob *g)
{
	return g->matches_all;
}

bool policy_glob_covers(const struct policy_glob *a,
			const struct policy_glob *b)
{
	bool afold = a->flags & POLICY_GLOB_CASEFOLD;
	bool bfold = b->flags & POLICY_GLOB_CASEFOLD;

	if (a->matches_all)
		return true;
	if (a->sep == b->sep && (afold || !bfold) &&
	    strcmp(a->pattern, b->pattern) == 0)
		return true;
	/* A folded b also matches other case spellings: give up. */
	if (bfold && !afold)
		return false;
	if (b->kind == GLOB_LITERAL)
		return policy_glob_match(a, b->prefix, b->prefix_len);
	if (a->kind != GLOB_PREFIX_ANY || b->prefix_len < a->prefix_len)
		return false;
	return glob_eq((const unsigned char *)b->prefix, a->prefix,
		       a->prefix_len, afold);
}

void policy_glob_free(struct policy_glob *g)
{
	if (g == NULL)
		return;
	free(g->pattern);
	free(g->prefix);
	free(g->tab);
	free(g);
}

int policy_glob_escape(const char *s, char *out, size_t outsz)
{
	size_t start = strnlen(out, outsz), o = start;

	if (start >= outsz)
		return -E2BIG;
	for (; *s != '\0'; s++) {
		size_t need = strchr(GLOB_META, *s) != NULL ? 2 : 1;

		if (o + need >= outsz) {
			out[start] = '\0';
			return -E2BIG;
		}
		if (need == 2)
			out[o++] = '\\';
		out[o++] = *s;
	}
	out[o] = '\0';
	return 0;
}
