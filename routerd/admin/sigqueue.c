/* SPDX-License-Identifier: BSD-3-Clause */
/* sigqueue.c -- see sigqueue.h. */
#include "admin/sigqueue.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "switch/switching.h"

struct job {
	struct job *next;
	struct http_pending *http;
	int endpoint;
	struct signal_event *ev;
	size_t n, done, per_part, ignored;
	int flips;
};

struct sigqueue {
	uv_idle_t tick; /* one part per turn of the loop */
	struct switching *sw;
	sigqueue_done_fn done;
	void *arg;
	struct job *head, *tail;
};

static void answer(struct sigqueue *q, struct job *j, int status, json_t *body)
{
	struct http_response r = { 0 };
	if (status == 200) {
		char *text = json_dumps(body, JSON_COMPACT);
		r.status = 200;
		r.content_type = "application/json";
		if (text != NULL) {
			size_t n = strlen(text);
			r.body = malloc(n + 2);
			if (r.body != NULL) {
				memcpy(r.body, text, n);
				r.body[n] = '\n';
				r.body_len = n + 1;
			}
			free(text);
		}
	} else {
		http_error(&r, status, json_string_value(json_object_get(body, "error")));
	}
	json_decref(body);
	http_finish(j->http, &r);
	q->done(q->arg, j->endpoint, status);
}

static void job_free(struct job *j)
{
	free(j->ev);
	free(j);
}

/* Apply the next part of the job at the head; answer and drop it when done. */
static void on_tick(uv_idle_t *h)
{
	struct sigqueue *q = h->data;
	struct job *j = q->head;
	char err[512];
	size_t k;
	int rc;

	if (j == NULL) {
		uv_idle_stop(h);
		return;
	}
	k = j->n - j->done < j->per_part ? j->n - j->done : j->per_part;
	rc = switching_signals_apply(q->sw, j->ev + j->done, k, err, sizeof(err));
	if (rc >= 0) {
		j->flips += rc;
		j->done += k;
	}
	if (rc >= 0 && j->done < j->n)
		return;
	q->head = j->next;
	if (q->head == NULL) {
		q->tail = NULL;
		uv_idle_stop(h);
	}
	if (rc < 0) {
		char msg[700];
		snprintf(msg, sizeof(msg), "%s (%zu of %zu signals applied before it)", err, j->done, j->n);
		answer(q, j, 500, json_pack("{s:s}", "error", msg));
	} else {
		answer(q, j, 200,
		       json_pack("{s:s,s:I,s:I,s:i}", "status", "ok", "signals", (json_int_t)j->n, "ignored",
		                 (json_int_t)j->ignored, "flips", j->flips));
	}
	job_free(j);
}

struct sigqueue *sigqueue_new(uv_loop_t *loop, struct switching *sw, sigqueue_done_fn done, void *arg)
{
	struct sigqueue *q = calloc(1, sizeof(*q));
	if (q == NULL)
		return NULL;
	q->sw = sw;
	q->done = done;
	q->arg = arg;
	uv_idle_init(loop, &q->tick);
	q->tick.data = q;
	return q;
}

static void on_closed(uv_handle_t *h)
{
	free(h->data);
}

void sigqueue_free(struct sigqueue *q)
{
	if (q == NULL)
		return;
	while (q->head != NULL) {
		struct job *j = q->head;
		q->head = j->next;
		answer(q, j, 503, json_pack("{s:s}", "error", "routerd is stopping"));
		job_free(j);
	}
	uv_close((uv_handle_t *)&q->tick, on_closed);
}

int sigqueue_busy(const struct sigqueue *q)
{
	return q != NULL && q->head != NULL;
}

void sigqueue_submit(struct sigqueue *q, struct http_pending *p, int endpoint, struct signal_event *ev, size_t n,
                     size_t ops, size_t ignored)
{
	struct job *j = calloc(1, sizeof(*j));
	if (j == NULL) {
		struct http_response r = { 0 };
		http_error(&r, 500, "out of memory");
		http_finish(p, &r);
		free(ev);
		q->done(q->arg, endpoint, 500);
		return;
	}
	j->http = p;
	j->endpoint = endpoint;
	j->ev = ev;
	j->n = n;
	j->ignored = ignored;
	/* Events per part so that a part is about SIGQUEUE_PART_OPS updates
	 * (an event on a glob updates every switch it matches). */
	j->per_part = ops > 0 ? SIGQUEUE_PART_OPS * n / ops : n;
	if (j->per_part == 0)
		j->per_part = 1;
	if (q->tail)
		q->tail->next = j;
	else
		q->head = j;
	q->tail = j;
	uv_idle_start(&q->tick, on_tick);
}
