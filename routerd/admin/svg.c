/* SPDX-License-Identifier: BSD-3-Clause */
/* svg.c -- see svg.h. */
#include "admin/svg.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The canvas and the plot inside it, in SVG user units. */
#define W 960
#define H 540
#define PLOT_L 70.0  /* the share labels */
#define PLOT_R 890.0 /* the error-rate labels on the right */
#define PLOT_T 100.0 /* three lines of headline above */
#define PLOT_B 360.0
/* The error rates get a strip of their own under the plot, on the same
 * x scale: drawn over the band they would hide it. */
#define ERR_T 374.0
#define ERR_B 434.0
#define PRE_W 80.0   /* the strip for the minutes before the flip */
/* Reports end after a day (prop.h): a week bounds a garbage age_s, and
 * an hour the error minutes before the flip (prop keeps ten). */
#define T_CAP (7 * 86400.0)
#define T_PRE_CAP 3600.0
/* Points closer than this in x add nothing visible: a day of curve is
 * 2,000 points, the plot 800 units wide. */
#define MIN_DX 0.75

#define C_BAND "#1f77b4"
#define C_REFETCH "#2ca02c"
#define C_OLDERR "#d62728"
#define C_NEWERR "#9467bd"
#define C_BELOW "#ff7f0e"

enum {
	F_LO = 1,
	F_EX = 2,
	F_UP = 4,
	F_RF = 8,
};

struct pt {
	double t, v[4]; /* lower, expected, upper, refetched */
	unsigned have;  /* F_* */
};

struct errmin {
	double t, old_req, old_err, new_req, new_err;
};

/* The x scale: linear before the flip (when errors cover it), ln(1 + t)
 * after it. */
struct frame {
	double x0;    /* where the flip is */
	double tmin;  /* start of the strip before the flip (< 0), or 0 */
	double tmax;  /* the right edge, seconds after the flip */
	double lnmax; /* ln(1 + tmax) */
	double emax;  /* top of the error-rate axis; 0: no errors */
	double bottom; /* of the lowest panel: the time labels go below */
};

static double clamp(double v, double lo, double hi)
{
	return v < lo ? lo : (v > hi ? hi : v);
}

static double xpos(const struct frame *fr, double t)
{
	if (t < 0) {
		if (fr->tmin >= 0)
			return fr->x0;
		t = clamp(t, fr->tmin, 0);
		return PLOT_L + (t - fr->tmin) / -fr->tmin * (fr->x0 - PLOT_L);
	}
	t = clamp(t, 0, fr->tmax);
	return fr->x0 + log1p(t) / fr->lnmax * (PLOT_R - fr->x0);
}

static double ypos(double share)
{
	return PLOT_B - clamp(share, 0, 1) * (PLOT_B - PLOT_T);
}

static int num(const json_t *o, const char *key, double *out)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_number(v))
		return 0;
	*out = json_number_value(v);
	return 1;
}

static const char *str(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

void svg_escape(FILE *f, const char *s)
{
	for (; s != NULL && *s; s++) {
		unsigned char c = (unsigned char)*s;
		switch (c) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default:
			/* XML 1.0 allows no C0 control but tab and newlines. */
			if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
				fputs("\xEF\xBF\xBD", f);
			else
				fputc(c, f);
		}
	}
}

char *svg_duration(double s, char *out, size_t cap)
{
	long v, a, b;

	if (s != s) {
		snprintf(out, cap, "?");
		return out;
	}
	if (s < 0) {
		out[0] = '-';
		svg_duration(-s, out + (cap > 1), cap > 1 ? cap - 1 : cap);
		return out;
	}
	if (s < 59.5 || s > 1e12) {
		snprintf(out, cap, "%.3gs", s);
		return out;
	}
	v = (long)(s + 0.5);
	if (v < 3600) {
		a = v / 60, b = v % 60;
		snprintf(out, cap, b ? "%ldm%02lds" : "%ldm", a, b);
	} else if (v < 86400) {
		a = v / 3600, b = v % 3600 / 60;
		snprintf(out, cap, b ? "%ldh%02ldm" : "%ldh", a, b);
	} else {
		a = v / 86400, b = v % 86400 / 3600;
		snprintf(out, cap, b ? "%ldd%02ldh" : "%ldd", a, b);
	}
	return out;
}

void svg_put_pct(FILE *f, double share)
{
	double p = share * 100;
	/* Below a thousandth of a percent %g turns to exponents: not news. */
	if (p > 0 && p < 0.001)
		fputs("&lt;0.001%", f);
	else
		fprintf(f, "%.3g%%", p);
}

static int by_t(const void *a, const void *b)
{
	double x = ((const struct pt *)a)->t, y = ((const struct pt *)b)->t;
	return (x > y) - (x < y);
}

/* The curve's usable points, sorted by t; *N of them. */
static struct pt *read_curve(const json_t *report, size_t *n)
{
	static const char *const keys[4] = { "lower", "expected", "upper", "refetched" };
	const json_t *curve = json_object_get(report, "curve");
	size_t cap = json_array_size(curve), i;
	struct pt *p = calloc(cap ? cap : 1, sizeof(*p));

	*n = 0;
	for (i = 0; p != NULL && i < cap; i++) {
		const json_t *e = json_array_get(curve, i);
		struct pt q = { 0 };
		if (!num(e, "t", &q.t) || !(q.t >= 0) || q.t > T_CAP)
			continue;
		for (int k = 0; k < 4; k++)
			if (num(e, keys[k], &q.v[k]))
				q.have |= 1u << k;
		p[(*n)++] = q;
	}
	if (p != NULL && *n > 1)
		qsort(p, *n, sizeof(*p), by_t);
	return p;
}

static struct errmin *read_errors(const json_t *report, size_t *n)
{
	const json_t *errs = json_object_get(report, "errors");
	size_t cap = json_array_size(errs), i;
	struct errmin *m = calloc(cap ? cap : 1, sizeof(*m));

	*n = 0;
	for (i = 0; m != NULL && i < cap; i++) {
		const json_t *e = json_array_get(errs, i);
		struct errmin q = { 0 };
		if (!num(e, "t", &q.t) || q.t < -T_PRE_CAP || q.t > T_CAP)
			continue;
		num(e, "old_requests", &q.old_req);
		num(e, "old_errors", &q.old_err);
		num(e, "new_requests", &q.new_req);
		num(e, "new_errors", &q.new_err);
		m[(*n)++] = q;
	}
	return m;
}

static double rate(double errors, double requests)
{
	return requests > 0 && errors > 0 ? clamp(errors / requests, 0, 1) : 0;
}

/* The top of the error-rate axis: the next of 1, 2, 5, 10, 20, 50, 100%. */
static double nice_ceiling(double r)
{
	static const double steps[] = { 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1 };
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (r <= steps[i])
			return steps[i];
	return 1;
}

static void make_frame(struct frame *fr, const json_t *report, const struct pt *p, size_t n,
                       const struct errmin *e, size_t ne)
{
	double age, below, top = 0;
	int any = 0;

	fr->tmin = 0;
	fr->tmax = 60; /* a minute at least: the ticks need somewhere to be */
	if (num(report, "age_s", &age))
		fr->tmax = clamp(age, fr->tmax, T_CAP);
	if (n > 0 && p[n - 1].t > fr->tmax)
		fr->tmax = p[n - 1].t;
	/* A predicted crossing after now is worth the room: the scale is log. */
	if (num(report, "below_1pct_s", &below) && below > fr->tmax)
		fr->tmax = clamp(below * 1.2, fr->tmax, T_CAP);
	for (size_t i = 0; i < ne; i++) {
		if (e[i].t < fr->tmin)
			fr->tmin = e[i].t;
		if (e[i].old_req > 0 || e[i].new_req > 0)
			any = 1;
		if (rate(e[i].old_err, e[i].old_req) > top)
			top = rate(e[i].old_err, e[i].old_req);
		if (rate(e[i].new_err, e[i].new_req) > top)
			top = rate(e[i].new_err, e[i].new_req);
	}
	fr->x0 = fr->tmin < 0 ? PLOT_L + PRE_W : PLOT_L;
	fr->lnmax = log1p(fr->tmax);
	fr->emax = any ? nice_ceiling(top) : 0;
	fr->bottom = fr->emax > 0 ? ERR_B : PLOT_B;
}

/* ---- pieces of the picture ---- */

static void headline(FILE *f, const json_t *r)
{
	const char *sw = str(r, "switch"), *from = str(r, "from"), *to = str(r, "to");
	const char *state = str(r, "state"), *when = str(r, "flip_time");
	const json_t *now = json_object_get(r, "now");
	double v, m;
	char d[32];

	fputs("<g class=\"headline\">\n<text x=\"16\" y=\"28\" font-size=\"18\" font-weight=\"bold\">Propagation of ", f);
	svg_escape(f, sw ? sw : "(unnamed switch)");
	if (from || to) {
		fputs(": ", f);
		svg_escape(f, from ? from : "?");
		fputs(" \xE2\x86\x92 ", f); /* → */
		svg_escape(f, to ? to : "?");
	}
	fputs("</text>\n<text x=\"16\" y=\"50\" font-size=\"13\">", f);
	if (num(r, "flip", &v)) {
		fprintf(f, "flip %.6g", v);
		if (num(r, "flips", &m))
			fprintf(f, " of %.6g", m);
		fputs(" \xC2\xB7 ", f); /* · */
	}
	if (when) {
		fputs("flipped ", f);
		svg_escape(f, when);
		fputs(" \xC2\xB7 ", f);
	}
	if (num(r, "ttl_s", &v))
		fprintf(f, "TTL %s \xC2\xB7 ", svg_duration(v, d, sizeof(d)));
	if (num(r, "client_hold_s", &v))
		fprintf(f, "client hold %s \xC2\xB7 ", svg_duration(v, d, sizeof(d)));
	if (num(r, "resolvers", &v)) {
		fprintf(f, "%.6g resolver%s", v, v == 1 ? "" : "s");
		if (num(r, "at_risk", &m))
			fprintf(f, ", %.6g at risk", m);
		if (num(r, "refetched", &m))
			fprintf(f, ", %.6g re-fetched", m);
		fputs(" \xC2\xB7 ", f);
	}
	if (state)
		svg_escape(f, state);
	if (num(r, "age_s", &v))
		fprintf(f, "%s%s after the flip", state ? ", " : "", svg_duration(v, d, sizeof(d)));
	fputs("</text>\n<text x=\"16\" y=\"72\" font-size=\"13\">", f);
	{
		static const char *const keys[4] = { "lower", "expected", "upper", "refetched" };
		static const char *const names[4] = { "lower", "expected", "upper", "re-fetched" };
		int any = 0;
		for (int k = 0; k < 4; k++)
			if (num(now, keys[k], &v)) {
				fprintf(f, "%s%s ", any++ ? " \xC2\xB7 " : "now: ", names[k]);
				svg_put_pct(f, v);
			}
		if (any)
			fputs(" \xC2\xB7 ", f);
	}
	if (num(r, "below_1pct_s", &v))
		fprintf(f, "below 1%% at %s", svg_duration(v, d, sizeof(d)));
	else
		fputs("below 1%: not expected yet", f);
	fputs("</text>\n</g>\n", f);
}

static void axes(FILE *f, const struct frame *fr)
{
	static const double ticks[] = { 0, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600,
		                        1200, 1800, 3600, 7200, 14400, 21600, 43200, 86400, 172800, 345600, 604800 };
	double last = -1e9;
	char d[32];

	fputs("<g class=\"axes\" font-size=\"11\" fill=\"#444\">\n", f);
	if (fr->tmin < 0) {
		fprintf(f, "<rect class=\"before\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#f0f0f0\"/>\n",
		        PLOT_L, PLOT_T, fr->x0 - PLOT_L, fr->bottom - PLOT_T);
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">before</text>\n", (PLOT_L + fr->x0) / 2,
		        PLOT_T + 14);
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"start\">%s</text>\n", PLOT_L, fr->bottom + 16,
		        svg_duration(fr->tmin, d, sizeof(d)));
	}
	for (int pct = 0; pct <= 100; pct += 25) {
		double y = ypos(pct / 100.0);
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", PLOT_L, y, PLOT_R, y);
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%d%%</text>\n", PLOT_L - 6, y + 4, pct);
	}
	for (size_t i = 0; i < sizeof(ticks) / sizeof(ticks[0]) && ticks[i] <= fr->tmax; i++) {
		double x = xpos(fr, ticks[i]);
		/* Room for a label like "12h" between two ticks. */
		if (x - last < 34)
			continue;
		last = x;
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>\n", x, PLOT_T, x,
		        fr->bottom);
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", x, fr->bottom + 16,
		        ticks[i] == 0 ? "0" : svg_duration(ticks[i], d, sizeof(d)));
	}
	fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#444\"/>\n", PLOT_L, PLOT_B, PLOT_R,
	        PLOT_B);
	fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#444\"/>\n", PLOT_L, PLOT_T, PLOT_L,
	        PLOT_B);
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">time after the flip (log scale)</text>\n",
	        (fr->x0 + PLOT_R) / 2, fr->bottom + 34);
	fprintf(f, "<text transform=\"translate(18 %.1f) rotate(-90)\" text-anchor=\"middle\">share of traffic on the old side</text>\n",
	        (PLOT_T + PLOT_B) / 2);
	if (fr->emax > 0) {
		fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#ccc\"/>\n",
		        PLOT_L, ERR_T, PLOT_R - PLOT_L, ERR_B - ERR_T);
		for (int k = 0; k <= 1; k++)
			fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" fill=\"" C_OLDERR "\">%.3g%%</text>\n", PLOT_R + 6,
			        k ? ERR_T + 8 : ERR_B, fr->emax * k * 100);
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" fill=\"" C_OLDERR "\">errors</text>\n",
		        PLOT_L - 6, (ERR_T + ERR_B) / 2 + 4);
	}
	fputs("</g>\n", f);
}

static void error_marks(FILE *f, const struct frame *fr, const struct errmin *e, size_t ne,
                        const json_t *report)
{
	double age = fr->tmax;
	char d[32];

	num(report, "age_s", &age);

	if (fr->emax <= 0)
		return;
	fputs("<g class=\"errors-old\" fill=\"" C_OLDERR "\" fill-opacity=\"0.5\">\n", f);
	for (size_t i = 0; i < ne; i++) {
		/* The minute under way ends now. */
		double end = e[i].t + 60 > age && age > e[i].t ? age : e[i].t + 60;
		double r = rate(e[i].old_err, e[i].old_req), x1 = xpos(fr, e[i].t), x2 = xpos(fr, end);
		double h = r / fr->emax * (ERR_B - ERR_T);
		if (e[i].old_req <= 0)
			continue;
		fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"><title>minute from %s: %.6g of %.6g old-side requests failed (",
		        x1, ERR_B - h, x2 - x1 > 1 ? x2 - x1 : 1, h, svg_duration(e[i].t, d, sizeof(d)), e[i].old_err,
		        e[i].old_req);
		svg_put_pct(f, r);
		fputs(")</title></rect>\n", f);
	}
	fputs("</g>\n<g class=\"errors-new\" fill=\"" C_NEWERR "\">\n", f);
	for (size_t i = 0; i < ne; i++) {
		double r = rate(e[i].new_err, e[i].new_req);
		if (e[i].new_req <= 0)
			continue;
		fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\"><title>minute from %s: %.6g of %.6g new-side requests failed (",
		        xpos(fr, e[i].t + 30), ERR_B - r / fr->emax * (ERR_B - ERR_T), svg_duration(e[i].t, d, sizeof(d)),
		        e[i].new_err, e[i].new_req);
		svg_put_pct(f, r);
		fputs(")</title></circle>\n", f);
	}
	fputs("</g>\n", f);
}

/* Whether point I may be skipped: close to the last one drawn, and not
 * the end of its run. */
static int skip_point(const struct frame *fr, const struct pt *p, size_t n, size_t i, unsigned need, double lastx)
{
	return xpos(fr, p[i].t) - lastx < MIN_DX && i + 1 < n && (p[i + 1].have & need) == need;
}

/* The band: one closed path per run of points that have both bounds. */
static void band(FILE *f, const struct frame *fr, const struct pt *p, size_t n)
{
	const unsigned need = F_LO | F_UP;
	size_t *keep = malloc((n ? n : 1) * sizeof(*keep)), i = 0;

	if (keep == NULL)
		return;
	fputs("<path class=\"band\" fill=\"" C_BAND "\" fill-opacity=\"0.25\" stroke=\"" C_BAND
	      "\" stroke-opacity=\"0.4\" stroke-width=\"0.5\" d=\"",
	      f);
	while (i < n) {
		size_t k = 0;
		double lastx = -1e9;
		for (; i < n && (p[i].have & need) != need; i++)
			;
		for (; i < n && (p[i].have & need) == need; i++) {
			if (k > 0 && skip_point(fr, p, n, i, need, lastx))
				continue;
			keep[k++] = i;
			lastx = xpos(fr, p[i].t);
		}
		for (size_t j = 0; j < k; j++)
			fprintf(f, "%c%.1f %.1f", j ? 'L' : 'M', xpos(fr, p[keep[j]].t), ypos(p[keep[j]].v[2]));
		for (size_t j = k; j-- > 0;)
			fprintf(f, "L%.1f %.1f", xpos(fr, p[keep[j]].t), ypos(p[keep[j]].v[0]));
		if (k > 0)
			fputc('Z', f);
	}
	fputs("\"/>\n", f);
	free(keep);
}

/* A line through field K, broken where a point lacks it. */
static void line(FILE *f, const struct frame *fr, const struct pt *p, size_t n, int k, const char *cls,
                 const char *attrs)
{
	int pen = 0;
	double lastx = -1e9;

	fprintf(f, "<path class=\"%s\" fill=\"none\" %s d=\"", cls, attrs);
	for (size_t i = 0; i < n; i++) {
		if (!(p[i].have & (1u << k))) {
			pen = 0;
			continue;
		}
		if (pen && skip_point(fr, p, n, i, 1u << k, lastx))
			continue;
		lastx = xpos(fr, p[i].t);
		fprintf(f, "%c%.1f %.1f", pen ? 'L' : 'M', lastx, ypos(p[i].v[k]));
		pen = 1;
	}
	fputs("\"/>\n", f);
}

static void vmarker(FILE *f, const struct frame *fr, const char *cls, double t, const char *color, const char *label)
{
	double x = xpos(fr, t);
	int left = x > PLOT_R - 160;

	fprintf(f, "<g class=\"%s\"><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-dasharray=\"4 3\"/>",
	        cls, x, PLOT_T, x, fr->bottom, color);
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"%s\" text-anchor=\"%s\">", left ? x - 4 : x + 4,
	        PLOT_T + 28, color, left ? "end" : "start");
	svg_escape(f, label);
	fputs("</text></g>\n", f);
}

static void markers(FILE *f, const struct frame *fr, const json_t *r)
{
	const char *state = str(r, "state");
	double v, y1 = ypos(0.01);
	char d[32], label[96];

	fprintf(f, "<g class=\"one-pct\"><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#555\" stroke-dasharray=\"2 2\"/>"
	           "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" fill=\"#555\">1%%</text></g>\n",
	        fr->x0, y1, PLOT_R, y1, fr->x0 + 4, y1 - 3);
	fprintf(f, "<g class=\"flip-marker\"><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#222\" stroke-width=\"1.5\"/>"
	           "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"middle\">flip</text></g>\n",
	        fr->x0, PLOT_T - 4, fr->x0, fr->bottom, fr->x0, PLOT_T - 8);
	if (state != NULL && strcmp(state, "running") == 0 && num(r, "age_s", &v) && v >= 0)
		vmarker(f, fr, "now-marker", v, "#777", "now");
	if (num(r, "below_1pct_s", &v) && v >= 0) {
		const json_t *range = json_object_get(r, "below_1pct_range_s");
		char d2[32], d3[32];
		int n = snprintf(label, sizeof(label), "below 1%% at %s", svg_duration(v, d, sizeof(d)));
		/* The range the truth falls under 1% in (the bounds' times). */
		if (json_is_number(json_array_get(range, 0)) && n > 0 && (size_t)n < sizeof(label))
			snprintf(label + n, sizeof(label) - (size_t)n, " (%s\xE2\x80\x93%s)",
			         svg_duration(json_number_value(json_array_get(range, 0)), d2, sizeof(d2)),
			         json_is_number(json_array_get(range, 1))
			             ? svg_duration(json_number_value(json_array_get(range, 1)), d3, sizeof(d3))
			             : "1d+");
		vmarker(f, fr, "below-marker", v, C_BELOW, label);
	}
}

/* The fleet (dnstap): when each secondary first served the new side, a
 * marker each, and the listed secondaries that sent nothing. */
#define C_SERVER "#17becf"
static void server_markers(FILE *f, const struct frame *fr, const json_t *r)
{
	const json_t *servers = json_object_get(r, "servers"), *s, *unobs = json_object_get(r, "unobserved");
	size_t i, k = 0;
	double v;

	json_array_foreach(servers, i, s) {
		const char *name = str(s, "server");
		if (name == NULL || !num(s, "first_new_s", &v) || v < 0)
			continue;
		double x = xpos(fr, v), y = PLOT_T + 44 + 14 * (double)(k++ % 8);
		int left = x > PLOT_R - 160;
		fprintf(f, "<g class=\"server-marker\"><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
		           "stroke-dasharray=\"1 3\"/><text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" fill=\"%s\" text-anchor=\"%s\">",
		        x, PLOT_T, x, fr->bottom, C_SERVER, left ? x - 4 : x + 4, y, C_SERVER, left ? "end" : "start");
		svg_escape(f, name);
		fputs(" new</text></g>\n", f);
	}
	if (json_array_size(unobs) == 0)
		return;
	fprintf(f, "<text class=\"unobserved\" x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"#b00\" text-anchor=\"end\">no dnstap from:", PLOT_R,
	        PLOT_T - 8);
	json_array_foreach(unobs, i, s) {
		fputc(' ', f);
		svg_escape(f, json_is_string(s) ? json_string_value(s) : "?");
	}
	fputs(" (not in the estimate)</text>\n", f);
}

static void legend(FILE *f, const struct frame *fr)
{
	static const struct {
		const char *text, *swatch;
		int needs_errors;
	} items[] = {
		{ "estimate band (lower\xE2\x80\x93upper, 90%)",
		  "<rect x=\"0\" y=\"-9\" width=\"22\" height=\"10\" fill=\"" C_BAND "\" fill-opacity=\"0.25\"/>", 0 },
		{ "expected", "<line x1=\"0\" y1=\"-4\" x2=\"22\" y2=\"-4\" stroke=\"" C_BAND "\" stroke-width=\"2\"/>", 0 },
		{ "re-fetched", "<line x1=\"0\" y1=\"-4\" x2=\"22\" y2=\"-4\" stroke=\"" C_REFETCH "\" stroke-width=\"2\" stroke-dasharray=\"6 3\"/>", 0 },
		{ "1% of traffic", "<line x1=\"0\" y1=\"-4\" x2=\"22\" y2=\"-4\" stroke=\"#555\" stroke-dasharray=\"2 2\"/>", 0 },
		{ "old side: errors / requests a minute",
		  "<rect x=\"0\" y=\"-9\" width=\"22\" height=\"10\" fill=\"" C_OLDERR "\" fill-opacity=\"0.5\"/>", 1 },
		{ "new side", "<circle cx=\"11\" cy=\"-4\" r=\"3\" fill=\"" C_NEWERR "\"/>", 1 },
	};
	double x = PLOT_L, y = fr->bottom + 62;

	fputs("<g class=\"legend\" font-size=\"12\">\n", f);
	for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
		/* About 6.5 units a character at 12 px, and room for the swatch. */
		double w = 40 + 6.5 * (double)strlen(items[i].text);
		if (items[i].needs_errors && fr->emax <= 0)
			continue;
		if (x + w > W - 20) {
			x = PLOT_L;
			y += 20;
		}
		fprintf(f, "<g transform=\"translate(%.1f %.1f)\">%s<text x=\"28\" y=\"0\">", x, y, items[i].swatch);
		svg_escape(f, items[i].text);
		fputs("</text></g>\n", f);
		x += w;
	}
	fputs("</g>\n", f);
}

char *svg_propagation(const json_t *report, size_t *len)
{
	struct frame fr;
	struct pt *p;
	struct errmin *e;
	size_t n = 0, ne = 0, size = 0;
	char *buf = NULL;
	FILE *f;
	const char *sw = str(report, "switch");

	p = read_curve(report, &n);
	e = read_errors(report, &ne);
	f = open_memstream(&buf, &size);
	if (p == NULL || e == NULL || f == NULL) {
		if (f)
			fclose(f);
		free(buf);
		free(p);
		free(e);
		return NULL;
	}
	make_frame(&fr, report, p, n, e, ne);
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"propagation\" width=\"%d\" height=\"%d\" "
	           "viewBox=\"0 0 %d %d\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" font-size=\"12\">\n",
	        W, H, W, H);
	fputs("<title>Propagation of ", f);
	svg_escape(f, sw ? sw : "(unnamed switch)");
	fprintf(f, "</title>\n<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n", W, H);
	headline(f, report);
	axes(f, &fr);
	error_marks(f, &fr, e, ne, report);
	if (n > 0) {
		band(f, &fr, p, n);
		line(f, &fr, p, n, 3, "refetched", "stroke=\"" C_REFETCH "\" stroke-width=\"1.5\" stroke-dasharray=\"6 3\"");
		line(f, &fr, p, n, 1, "expected", "stroke=\"" C_BAND "\" stroke-width=\"2\"");
	} else {
		fprintf(f, "<text class=\"empty\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"16\" fill=\"#888\">no curve yet</text>\n",
		        (fr.x0 + PLOT_R) / 2, (PLOT_T + PLOT_B) / 2);
	}
	markers(f, &fr, report);
	server_markers(f, &fr, report);
	legend(f, &fr);
	fputs("</svg>\n", f);
	free(p);
	free(e);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	if (len)
		*len = size;
	return buf;
}
