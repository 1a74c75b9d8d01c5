/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * status_page.h -- the operator's page at GET / on the HTTP listener: the
 * switches with both sides and the one served, pins, armed TTLs, the
 * safety brake, and the latest flip's propagation picture (svg.h) with its
 * headline numbers. One self-contained HTML document: inline CSS, the SVG
 * inline, no scripts, nothing fetched from anywhere.
 */
#ifndef ROUTERD_STATUS_PAGE_H
#define ROUTERD_STATUS_PAGE_H

#include <jansson.h>
#include <stddef.h>

struct config;

/*
 * The page. SWITCHES is what the admin command "list" answers: its rows
 * (an array), the whole reply ({"ok":true,"data":rows}), or an object
 * {"switches": rows, "brake": B} where B is the "brake" object of
 * `status` (then the brake is shown too). Rows may carry "cdn_answer" and
 * "origin_answer" as `show` has them (status_page_add_answers()).
 * LATEST_REPORT is a propagation report (prop.h) or NULL: "no flip yet".
 * The table lists at most STATUS_PAGE_MAX_ROWS switches, the notable ones
 * (on the origin, pinned, armed, held, a side down) first. Returns a
 * malloc'd NUL-terminated document, its length in *LEN (may be NULL), or
 * NULL when out of memory.
 */
char *status_page_html(const json_t *switches, const json_t *latest_report, size_t *len);

/* Rows shown at most: the page stays small with 10,000 switches;
 * `routerctl list` has them all. */
#define STATUS_PAGE_MAX_ROWS 500

/* Add to each list row (objects with "switch") what its sides serve, from
 * CFG, as "cdn_answer" and "origin_answer" ({"cname":...} or {"a":[...],
 * "aaaa":[...]}, the shape of `show`). O(n log n) in the switches. */
void status_page_add_answers(json_t *rows, const struct config *cfg);

/* The name of the switch that flipped last (largest "last_flip" > 0) among
 * SWITCHES (any form status_page_html() takes), or NULL. Points into
 * SWITCHES. */
const char *status_page_latest(const json_t *switches);

#endif
