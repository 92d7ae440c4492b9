#include "ydoc/ydoc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#define YDOC_ARENA_CHUNK 65536
#define YDOC_MAX_ANCHORS 4096

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, cap;
	max_align_t data[];
};

struct anchor {
	char *name;
	struct ydoc_node *node; /* NULL while the anchored node is open */
};

struct ydoc {
	char *file;
	struct ydoc_node *root;
	struct arena_chunk *chunks;
};

/* One open collection while events are consumed. */
struct frame {
	struct ydoc_node *node;
	size_t cap;
	char *anchor; /* anchor to bind when the collection closes */
};

struct builder {
	struct ydoc *doc;
	struct diag *d;
	yaml_parser_t parser;
	struct frame stack[YDOC_MAX_DEPTH + 1];
	size_t depth;
	struct anchor *anchors;
	size_t nanchors;
	size_t nodes; /* budget counter, alias expansions included */
	int documents;
};

static void *arena_alloc(struct ydoc *doc, size_t n)
{
	struct arena_chunk *c = doc->chunks;
	size_t al = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	void *p;

	if (c == NULL || c->cap - c->used < al) {
		size_t cap = al > YDOC_ARENA_CHUNK ? al : YDOC_ARENA_CHUNK;
		c = malloc(sizeof(*c) + cap);
		if (c == NULL)
			return NULL;
		c->next = doc->chunks;
		c->used = 0;
		c->cap = cap;
		doc->chunks = c;
	}
	p = (char *)c->data + c->used;
	c->used += al;
	memset(p, 0, n);
	return p;
}

void ydoc_free(struct ydoc *doc)
{
	struct arena_chunk *c, *next;

	if (doc == NULL)
		return;
	for (c = doc->chunks; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	free(doc->file);
	free(doc);
}

const struct ydoc_node *ydoc_root(const struct ydoc *doc)
{
	return doc->root;
}

const char *ydoc_file(const struct ydoc *doc)
{
	return doc->file;
}

static void builder_error(struct builder *b, const yaml_mark_t *m,
			  const char *code, const char *msg)
{
	diag_add(b->d, DIAG_ERROR, b->doc->file, m ? (int)m->line + 1 : 0,
		 m ? (int)m->column + 1 : 0, code, "%s", msg);
}

static struct ydoc_node *node_new(struct builder *b, enum ydoc_kind kind,
				  const yaml_mark_t *m)
{
	struct ydoc_node *n;

	if (++b->nodes > YDOC_MAX_NODES) {
		builder_error(b, m, "yaml-too-large",
			      "document has too many nodes (limit " "1000000)");
		return NULL;
	}
	n = arena_alloc(b->doc, sizeof(*n));
	if (n == NULL)
		return NULL;
	n->kind = kind;
	n->line = (int)m->line + 1;
	n->col = (int)m->column + 1;
	n->subtree = 1;
	return n;
}

static int anchor_bind(struct builder *b, const char *name,
		       struct ydoc_node *node, const yaml_mark_t *m)
{
	struct anchor *na;

	if (name == NULL)
		return 0;
	for (size_t i = 0; i < b->nanchors; i++) {
		if (strcmp(b->anchors[i].name, name) == 0) {
			b->anchors[i].node = node; /* YAML allows redefinition */
			return 0;
		}
	}
	if (b->nanchors >= YDOC_MAX_ANCHORS) {
		builder_error(b, m, "yaml-too-large", "too many anchors");
		return -E2BIG;
	}
	na = realloc(b->anchors, (b->nanchors + 1) * sizeof(*na));
	if (na == NULL)
		return -ENOMEM;
	b->anchors = na;
	na[b->nanchors].name = strdup(name);
	if (na[b->nanchors].name == NULL)
		return -ENOMEM;
	na[b->nanchors++].node = node;
	return 0;
}

/* Append a finished node to the open collection, or make it the root. */
static int attach(struct builder *b, struct ydoc_node *n)
{
	struct frame *f;
	struct ydoc_node **ni;

	if (b->depth == 0) {
		b->doc->root = n;
		return 0;
	}
	f = &b->stack[b->depth - 1];
	if (f->node->kind == YDOC_MAP && (f->node->n % 2) == 0 &&
	    n->kind != YDOC_SCALAR) {
		diag_add(b->d, DIAG_ERROR, b->doc->file, n->line, n->col,
			 "yaml-complex-key", "mapping keys must be plain scalars");
		return -EINVAL;
	}
	if (f->node->n == f->cap) {
		size_t ncap = f->cap ? f->cap * 2 : 8;
		ni = arena_alloc(b->doc, ncap * sizeof(*ni));
		if (ni == NULL)
			return -ENOMEM;
		if (f->node->n)
			memcpy(ni, f->node->items, f->node->n * sizeof(*ni));
		f->node->items = ni;
		f->cap = ncap;
	}
	f->node->items[f->node->n++] = n;
	f->node->subtree += n->subtree;
	return 0;
}

static int on_scalar(struct builder *b, const yaml_event_t *ev)
{
	struct ydoc_node *n = node_new(b, YDOC_SCALAR, &ev->start_mark);
	char *s;

	if (n == NULL)
		return -E2BIG;
	s = arena_alloc(b->doc, ev->data.scalar.length + 1);
	if (s == NULL)
		return -ENOMEM;
	memcpy(s, ev->data.scalar.value, ev->data.scalar.length);
	n->str = s;
	n->len = ev->data.scalar.length;
	n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
	if (memchr(s, '\0', n->len) != NULL) {
		builder_error(b, &ev->start_mark, "yaml-nul",
			      "scalar contains a NUL character");
		return -EINVAL;
	}
	if (anchor_bind(b, (const char *)ev->data.scalar.anchor, n,
			&ev->start_mark) < 0)
		return -ENOMEM;
	return attach(b, n);
}

static int on_alias(struct builder *b, const yaml_event_t *ev)
{
	const char *name = (const char *)ev->data.alias.anchor;

	for (size_t i = b->nanchors; i-- > 0;) {
		struct ydoc_node *n = b->anchors[i].node;
		if (strcmp(b->anchors[i].name, name) != 0)
			continue;
		if (n == NULL) {
			builder_error(b, &ev->start_mark, "yaml-alias",
				      "alias refers to an enclosing node");
			return -EINVAL;
		}
		b->nodes += n->subtree;
		if (b->nodes > YDOC_MAX_NODES) {
			builder_error(b, &ev->start_mark, "yaml-too-large",
				      "aliases expand past the node limit");
			return -E2BIG;
		}
		return attach(b, n);
	}
	builder_error(b, &ev->start_mark, "yaml-alias", "unknown alias");
	return -EINVAL;
}

static int on_open(struct builder *b, const yaml_event_t *ev,
		   enum ydoc_kind kind, const yaml_char_t *anchor)
{
	struct ydoc_node *n;

	if (b->depth >= YDOC_MAX_DEPTH) {
		builder_error(b, &ev->start_mark, "yaml-too-deep",
			      "nesting is too deep (limit 64)");
		return -E2BIG;
	}
	n = node_new(b, kind, &ev->start_mark);
	if (n == NULL)
		return -E2BIG;
	if (anchor != NULL && anchor_bind(b, (const char *)anchor, NULL,
					  &ev->start_mark) < 0)
		return -ENOMEM;
	b->stack[b->depth].node = n;
	b->stack[b->depth].cap = 0;
	b->stack[b->depth].anchor = anchor ? strdup((const char *)anchor) : NULL;
	b->depth++;
	return 0;
}

/* Reject duplicate keys in a finished mapping (strict, like the original). */
static int check_dup_keys(struct builder *b, const struct ydoc_node *map)
{
	for (size_t i = 1; i < map->n; i++) {
		const struct ydoc_node *k = map->items[2 * i];
		for (size_t j = 0; j < i; j++) {
			const struct ydoc_node *o = map->items[2 * j];
			if (k->len == o->len && memcmp(k->str, o->str, k->len) == 0) {
				diag_add(b->d, DIAG_ERROR, b->doc->file, k->line,
					 k->col, "duplicate-key",
					 "duplicate key '%s' (first at line %d)",
					 k->str, o->line);
				return -EINVAL;
			}
		}
	}
	return 0;
}

static int on_close(struct builder *b, const yaml_event_t *ev)
{
	struct frame *f = &b->stack[--b->depth];
	struct ydoc_node *n = f->node;
	int r = 0;

	if (n->kind == YDOC_MAP) {
		n->n /= 2;
		r = check_dup_keys(b, n);
	}
	if (r == 0 && f->anchor)
		r = anchor_bind(b, f->anchor, n, &ev->start_mark);
	free(f->anchor);
	f->anchor = NULL;
	if (r == 0)
		r = attach(b, n);
	return r;
}

static int on_event(struct builder *b, const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++b->documents > 1) {
			builder_error(b, &ev->start_mark, "yaml-multi-doc",
				      "only one YAML document is allowed");
			return -EINVAL;
		}
		return 0;
	case YAML_SCALAR_EVENT:
		return on_scalar(b, ev);
	case YAML_ALIAS_EVENT:
		return on_alias(b, ev);
	case YAML_SEQUENCE_START_EVENT:
		return on_open(b, ev, YDOC_SEQ, ev->data.sequence_start.anchor);
	case YAML_MAPPING_START_EVENT:
		return on_open(b, ev, YDOC_MAP, ev->data.mapping_start.anchor);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return on_close(b, ev);
	default:
		return 0;
	}
}

static void builder_parser_error(struct builder *b)
{
	const yaml_parser_t *p = &b->parser;
	const yaml_mark_t *m = p->problem ? &p->problem_mark : &p->context_mark;

	diag_add(b->d, DIAG_ERROR, b->doc->file, (int)m->line + 1,
		 (int)m->column + 1, "yaml-syntax", "YAML syntax error: %s%s%s",
		 p->problem ? p->problem : "unknown problem",
		 p->context ? " " : "", p->context ? p->context : "");
}

static int builder_run(struct builder *b)
{
	yaml_event_t ev;
	int done = 0, r = 0;

	while (!done && r == 0) {
		if (!yaml_parser_parse(&b->parser, &ev)) {
			builder_parser_error(b);
			return -EINVAL;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		r = on_event(b, &ev);
		yaml_event_delete(&ev);
	}
	return r;
}

static void builder_release(struct builder *b)
{
	for (size_t i = 0; i < b->nanchors; i++)
		free(b->anchors[i].name);
	free(b->anchors);
	while (b->depth > 0)
		free(b->stack[--b->depth].anchor);
	yaml_parser_delete(&b->parser);
}

int ydoc_parse(const char *data, size_t len, const char *file,
	       struct ydoc **out, struct diag *d)
{
	struct builder b;
	int r;

	*out = NULL;
	memset(&b, 0, sizeof(b));
	b.d = d;
	b.doc = calloc(1, sizeof(*b.doc));
	if (b.doc == NULL)
		return -ENOMEM;
	b.doc->file = strdup(file ? file : "<input>");
	if (b.doc->file == NULL || !yaml_parser_initialize(&b.parser)) {
		ydoc_free(b.doc);
		return -ENOMEM;
	}
	r = -E2BIG;
	if (len > YDOC_MAX_INPUT) {
		diag_add(d, DIAG_ERROR, b.doc->file, 0, 0, "yaml-too-large",
			 "file is larger than %u bytes", YDOC_MAX_INPUT);
		goto out;
	}
	yaml_parser_set_input_string(&b.parser, (const unsigned char *)data, len);
	r = builder_run(&b);
out:
	builder_release(&b);
	if (r < 0) {
		ydoc_free(b.doc);
		return r;
	}
	*out = b.doc;
	return 0;
}

int ydoc_parse_file(const char *path, struct ydoc **out, struct diag *d)
{
	struct stat st;
	char *data = NULL;
	size_t got = 0;
	int fd, r = 0;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		r = -errno;
		diag_add(d, DIAG_ERROR, path, 0, 0, "io", "cannot read: %s",
			 strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > (off_t)YDOC_MAX_INPUT) {
		r = -EINVAL;
		diag_add(d, DIAG_ERROR, path, 0, 0, "io",
			 S_ISREG(st.st_mode) ? "file is too large" :
					       "not a regular file");
		goto out;
	}
	data = malloc((size_t)st.st_size + 1);
	if (data == NULL) {
		r = -ENOMEM;
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, data + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	r = ydoc_parse(data, got, path, out, d);
out:
	if (fd >= 0)
		close(fd);
	free(data);
	return r;
}
