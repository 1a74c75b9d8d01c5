/* SPDX-License-Identifier: BSD-3-Clause */
/* sigqueue.c -- see sigqueue.h. */
#include "admin/sigqueue.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "switch/switching.h"

struct job {
	struct job *next;
	struct sigqueue *q;
	struct http_pending *http;
	int endpoint;
	struct signal_event *ev;
	size_t n, done, per_part, ignored;
	int flips;
	/* A body parsed in the thread pool: not ready until after_parse. */
	int ready, status; /* status: an error to answer with instead (400, 422, 500) */
	int orphan;        /* the queue stopped while it was parsed */
	uv_work_t work;
	char *body;
	size_t body_len;
	enum webhook_source source;
	char *armed_label, *armed_value;
	int parse_rc;
	char err[512];
};

struct sigqueue {
	uv_idle_t tick; /* one part per turn of the loop */
	uv_loop_t *loop;
	struct switching *sw;
	sigqueue_done_fn done;
	void *arg;
	struct job *head, *tail;
	size_t in_flight; /* jobs in the thread pool */
	int closed;       /* tick closed: free once in_flight is 0 */
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
	free(j->body);
	free(j->armed_label);
	free(j->armed_value);
	free(j);
}

static void answer_error(struct sigqueue *q, struct job *j, int status, const char *msg)
{
	answer(q, j, status, json_pack("{s:s}", "error", msg));
}

/* Apply the next part of the job at the head; answer and drop it when done. */
static void on_tick(uv_idle_t *h)
{
	struct sigqueue *q = h->data;
	struct job *j = q->head;
	char err[512];
	size_t k;
	int rc;

	if (j == NULL || !j->ready) {
		uv_idle_stop(h); /* after_parse starts it again */
		return;
	}
	if (j->status != 0) {
		q->head = j->next;
		if (q->head == NULL)
			q->tail = NULL;
		answer_error(q, j, j->status, j->err);
		job_free(j);
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
	q->loop = loop;
	q->sw = sw;
	q->done = done;
	q->arg = arg;
	uv_idle_init(loop, &q->tick);
	q->tick.data = q;
	return q;
}

static void on_closed(uv_handle_t *h)
{
	struct sigqueue *q = h->data;
	q->closed = 1;
	if (q->in_flight == 0)
		free(q);
}

void sigqueue_free(struct sigqueue *q)
{
	if (q == NULL)
		return;
	while (q->head != NULL) {
		struct job *j = q->head;
		q->head = j->next;
		if (!j->ready && !j->orphan && j->body != NULL) {
			/* In the thread pool: after_parse drops it (the control
			 * side is gone by then: nothing else to call). */
			j->orphan = 1;
			continue;
		}
		answer_error(q, j, 503, "routerd is stopping");
		job_free(j);
	}
	q->tail = NULL;
	uv_close((uv_handle_t *)&q->tick, on_closed);
}

/* In the thread pool: only the job's own memory is touched. */
static void parse_work(uv_work_t *w)
{
	struct job *j = w->data;
	struct webhook_opts o = { j->armed_label, j->armed_value };
	j->parse_rc = webhook_parse_signals(j->source, j->body, j->body_len, &o, &j->ev, &j->n, &j->ignored, j->err,
	                                    sizeof(j->err));
}

static void after_parse(uv_work_t *w, int status)
{
	struct job *j = w->data;
	struct sigqueue *q = j->q;
	size_t ops = 0;
	int rc;

	q->in_flight--;
	if (j->orphan) {
		struct http_response r = { 0 };
		http_error(&r, 503, "routerd is stopping");
		http_finish(j->http, &r);
		job_free(j);
		if (q->closed && q->in_flight == 0)
			free(q);
		return;
	}
	free(j->body);
	j->body = NULL;
	j->ready = 1;
	if (status < 0 || j->parse_rc < 0) {
		j->status = 400;
		if (status < 0)
			snprintf(j->err, sizeof(j->err), "%s", uv_strerror(status));
	} else {
		rc = switching_signals_check(q->sw, j->ev, j->n, &ops, j->err, sizeof(j->err));
		if (rc < 0)
			j->status = rc == -ENOENT ? 422 : 500;
		j->per_part = ops > 0 ? SIGQUEUE_PART_OPS * j->n / ops : j->n;
		if (j->per_part == 0)
			j->per_part = 1;
	}
	uv_idle_start(&q->tick, on_tick);
}

void sigqueue_submit_body(struct sigqueue *q, struct http_pending *p, int endpoint, enum webhook_source source,
                          const char *body, size_t len, const struct webhook_opts *opts)
{
	struct job *j = calloc(1, sizeof(*j));
	if (j != NULL) {
		j->body = malloc(len ? len : 1);
		j->armed_label = opts->armed_label ? strdup(opts->armed_label) : NULL;
		j->armed_value = opts->armed_value ? strdup(opts->armed_value) : NULL;
	}
	if (j == NULL || j->body == NULL || (opts->armed_label && !j->armed_label) ||
	    (opts->armed_value && !j->armed_value)) {
		struct http_response r = { 0 };
		http_error(&r, 500, "out of memory");
		http_finish(p, &r);
		if (j != NULL)
			job_free(j);
		q->done(q->arg, endpoint, 500);
		return;
	}
	memcpy(j->body, body, len);
	j->body_len = len;
	j->q = q;
	j->http = p;
	j->endpoint = endpoint;
	j->source = source;
	j->work.data = j;
	if (q->tail)
		q->tail->next = j;
	else
		q->head = j;
	q->tail = j;
	if (uv_queue_work(q->loop, &j->work, parse_work, after_parse) < 0) {
		j->ready = 1;
		j->status = 500;
		snprintf(j->err, sizeof(j->err), "cannot queue the parse");
		uv_idle_start(&q->tick, on_tick);
		return;
	}
	q->in_flight++;
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
	j->q = q;
	j->ready = 1;
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
