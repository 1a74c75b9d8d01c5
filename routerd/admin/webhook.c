/* SPDX-License-Identifier: BSD-3-Clause */
/* webhook.c -- see webhook.h. */
#include "admin/webhook.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/err.h"
#include "lib/hash.h"

#define LABEL_SWITCH "routerd_switch"
#define LABEL_TARGET "routerd_target"
/* Bounds on one notification: Alertmanager groups are rarely above a few
 * hundred alerts; anything larger is a misconfigured route. */
#define ALERTS_MAX 10000

/* The body is refused: FMT with ARG in ERR, -EINVAL (lib/err.h). */
static int fail(char *err, size_t errlen, const char *fmt, const char *arg)
{
	snprintf(err, errlen, fmt, arg);
	return -EINVAL;
}

static int copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);
	if (n >= cap)
		return -ENAMETOOLONG;
	memcpy(dst, src, n + 1);
	return 0;
}

/* The start of the labels hash. Not FNV's offset basis (it is a digit
 * short), but the ids it made are in journals and in Alertmanager's
 * memory of what it sent: a "resolved" must find its "firing" across
 * releases (test/integration/signal-ids), so it stays. */
#define LABELS_HASH_SEED 1469598103934665603ull

/* Without a fingerprint (hand-written payloads), the sorted label set is
 * the alert's identity, as Alertmanager defines it. */
static void labels_fingerprint(json_t *labels, char *out, size_t cap)
{
	char *dump = json_dumps(labels, JSON_SORT_KEYS | JSON_COMPACT);
	const char *text = dump ? dump : "";
	snprintf(out, cap, "labels-%016llx", (unsigned long long)hash_bytes(LABELS_HASH_SEED, text, strlen(text)));
	free(dump);
}

static const char *opt_string(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* One alert of an Alertmanager or Grafana notification. Returns 1 when it
 * produced an event, 0 when it is not addressed to routerd, -1 on error. */
static int parse_alert(json_t *alert, enum webhook_source src, const struct webhook_opts *o, struct signal_event *ev,
                       char *err, size_t errlen)
{
	json_t *labels = json_object_get(alert, "labels");
	const char *status, *sw, *target, *fp, *name, *level;

	if (!json_is_object(alert) || !json_is_object(labels))
		return fail(err, errlen, "%s", "an alert without a labels object");
	sw = opt_string(labels, LABEL_SWITCH);
	if (sw == NULL)
		return 0;
	status = opt_string(alert, "status");
	if (status == NULL || (strcmp(status, "firing") != 0 && strcmp(status, "resolved") != 0))
		return fail(err, errlen, "alert for %s: status must be \"firing\" or \"resolved\"", sw);
	memset(ev, 0, sizeof(*ev));
	ev->source = src;
	if (copy_str(ev->target, sizeof(ev->target), sw) < 0 || sw[0] == '\0')
		return fail(err, errlen, "%s", "routerd_switch label empty or too long");
	target = opt_string(labels, LABEL_TARGET);
	if (target != NULL && side_parse_anycase(target, &ev->side) < 0)
		return fail(err, errlen, "routerd_target must be cdn or origin, not \"%s\"", target);
	fp = opt_string(alert, "fingerprint");
	if (fp != NULL && fp[0] != '\0') {
		if (copy_str(ev->id, sizeof(ev->id), fp) < 0)
			return fail(err, errlen, "%s", "fingerprint too long");
	} else {
		labels_fingerprint(labels, ev->id, sizeof(ev->id));
	}
	name = opt_string(labels, "alertname");
	snprintf(ev->reason, sizeof(ev->reason), "%s", name ? name : "alert");
	level = o && o->armed_label ? opt_string(labels, o->armed_label) : NULL;
	if (level != NULL && o->armed_value != NULL && strcasecmp(level, o->armed_value) == 0)
		ev->kind = strcmp(status, "firing") == 0 ? SIG_WARN : SIG_WARN_CLEAR;
	else
		ev->kind = strcmp(status, "firing") == 0 ? SIG_DOWN : SIG_UP;
	return 1;
}

static int parse_alert_group(json_t *root, enum webhook_source src, const struct webhook_opts *o,
                             struct signal_event **out, size_t *n, size_t *ignored, char *err, size_t errlen)
{
	json_t *alerts = json_object_get(root, "alerts");
	const char *version = opt_string(root, "version");
	const char *want = src == SRC_ALERTMANAGER ? "4" : "1";
	struct signal_event *ev;
	size_t count;

	/* The version names the payload's shape; a different one may mean
	 * different fields, so say so rather than guess. */
	if (version != NULL && strcmp(version, want) != 0)
		return fail(err, errlen, "unsupported payload version \"%s\"", version);
	if (!json_is_array(alerts))
		return fail(err, errlen, "%s", "\"alerts\" must be an array");
	count = json_array_size(alerts);
	if (count > ALERTS_MAX)
		return fail(err, errlen, "%s", "too many alerts in one notification");
	ev = calloc(count ? count : 1, sizeof(*ev));
	if (ev == NULL)
		return err_set(err, errlen, -ENOMEM, "out of memory");
	*n = 0;
	for (size_t i = 0; i < count; i++) {
		int rc = parse_alert(json_array_get(alerts, i), src, o, &ev[*n], err, errlen);
		if (rc < 0) {
			free(ev);
			return rc;
		}
		if (rc == 0)
			(*ignored)++;
		*n += (size_t)rc;
	}
	*out = ev;
	return 0;
}

static int parse_signal(json_t *root, struct signal_event **out, size_t *n, char *err, size_t errlen)
{
	const char *sw = opt_string(root, "switch"), *target = opt_string(root, "target");
	const char *status = opt_string(root, "status"), *id = opt_string(root, "id");
	const char *reason = opt_string(root, "reason");
	struct signal_event *ev;
	enum side side = SIDE_CDN;

	if (sw == NULL || sw[0] == '\0')
		return fail(err, errlen, "%s", "\"switch\" (string) is required");
	if (status == NULL || (strcmp(status, "down") != 0 && strcmp(status, "up") != 0))
		return fail(err, errlen, "%s", "\"status\" must be \"down\" or \"up\"");
	if (target != NULL && side_parse_anycase(target, &side) < 0)
		return fail(err, errlen, "\"target\" must be cdn or origin, not \"%s\"", target);
	if (json_object_get(root, "target") != NULL && target == NULL)
		return fail(err, errlen, "%s", "\"target\" must be a string");
	ev = calloc(1, sizeof(*ev));
	if (ev == NULL)
		return err_set(err, errlen, -ENOMEM, "out of memory");
	ev->source = SRC_SIGNAL;
	ev->side = side;
	ev->kind = strcmp(status, "down") == 0 ? SIG_DOWN : SIG_UP;
	snprintf(ev->reason, sizeof(ev->reason), "%s", reason ? reason : "signal");
	/* Without an id, one signal per (switch, side): a repeat is the same signal. */
	if (copy_str(ev->target, sizeof(ev->target), sw) < 0 ||
	    snprintf(ev->id, sizeof(ev->id), "%s", id ? id : side_name(side)) >= (int)sizeof(ev->id)) {
		free(ev);
		return fail(err, errlen, "%s", "\"switch\" or \"id\" too long");
	}
	*out = ev;
	*n = 1;
	return 0;
}

int webhook_parse_signals(enum webhook_source source, const char *body, size_t len, const struct webhook_opts *o,
                          struct signal_event **out, size_t *n, size_t *ignored, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	int rc;

	*out = NULL;
	*n = 0;
	*ignored = 0;
	if (root == NULL)
		return err_set(err, errlen, -EINVAL, "malformed JSON at line %d column %d: %s", jerr.line, jerr.column,
		               jerr.text);
	if (!json_is_object(root))
		rc = fail(err, errlen, "%s", "the body must be a JSON object");
	else if (source == SRC_SIGNAL)
		rc = parse_signal(root, out, n, err, errlen);
	else
		rc = parse_alert_group(root, source, o, out, n, ignored, err, errlen);
	json_decref(root);
	return rc;
}

/* JSON numbers are doubles to many senders: 2^53 is where they stop being exact. */
/* A trillion requests in one report is no real log: above it a count is
 * garbage (and sums of many could overflow). */
#define COUNT_MAX 1000000000000ull

static int get_count(json_t *root, const char *key, uint64_t *out, char *err, size_t errlen)
{
	json_t *v = json_object_get(root, key);
	if (!json_is_integer(v) || json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) > COUNT_MAX)
		return fail(err, errlen, "\"%s\" must be an integer from 0 to 10^12", key);
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

int webhook_parse_errors(const char *body, size_t len, struct error_report *out, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr), *w;
	const char *sw, *target;
	int rc = -EINVAL;

	memset(out, 0, sizeof(*out));
	if (root == NULL)
		return err_set(err, errlen, -EINVAL, "malformed JSON at line %d column %d: %s", jerr.line, jerr.column,
		               jerr.text);
	sw = opt_string(root, "switch");
	target = opt_string(root, "target");
	w = json_object_get(root, "window_s");
	if (!json_is_object(root) || sw == NULL || sw[0] == '\0' || copy_str(out->target, sizeof(out->target), sw) < 0)
		fail(err, errlen, "%s", "\"switch\" (string) is required");
	else if (target == NULL || side_parse_anycase(target, &out->side) < 0)
		fail(err, errlen, "%s", "\"target\" must be cdn or origin");
	else if (w != NULL && (!json_is_integer(w) || json_integer_value(w) < 1 || json_integer_value(w) > 86400))
		fail(err, errlen, "%s", "\"window_s\" must be an integer from 1 to 86400");
	else if (get_count(root, "requests", &out->requests, err, errlen) == 0 &&
	         get_count(root, "errors", &out->errors, err, errlen) == 0) {
		out->window_s = w ? (uint32_t)json_integer_value(w) : 60;
		if (out->errors > out->requests)
			fail(err, errlen, "%s", "\"errors\" cannot exceed \"requests\"");
		else
			rc = 0;
	}
	json_decref(root);
	return rc;
}
