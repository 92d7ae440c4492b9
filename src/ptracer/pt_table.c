/*
 * The tracee table: an unordered array with swap-removal. A linear scan
 * over at most PTRACER_TRACEES_MAX small entries costs less than the ptrace
 * stop that triggers it.
 */
#include <stdatomic.h>

#include "ptracer/pt_int.h"

struct pt_tracee *pt_find(struct ptracer *t, pid_t pid)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->tab[i].pid == pid)
			return &t->tab[i];
	return NULL;
}

struct pt_tracee *pt_add(struct ptracer *t, pid_t pid)
{
	struct pt_tracee *e = pt_find(t, pid);

	if (e)
		return e;
	if (t->n >= PTRACER_TRACEES_MAX)
		return NULL;
	e = &t->tab[t->n++];
	*e = (struct pt_tracee){.pid = pid, .state = PT_RUNNING, .depth = -1,
			       .pending = -1};
	atomic_store(&t->st_tracees, t->n);
	atomic_fetch_add(&t->st_attached, 1);
	return e;
}

void pt_remove(struct ptracer *t, struct pt_tracee *e)
{
	size_t i = (size_t)(e - t->tab);

	if (i >= t->n)
		return;
	t->tab[i] = t->tab[--t->n];
	atomic_store(&t->st_tracees, t->n);
}
