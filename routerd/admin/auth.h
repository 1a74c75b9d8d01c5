/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * auth.h -- check a webhook request's credentials: a bearer token, HTTP
 * basic, or an HMAC-SHA256 of the body. Every comparison takes the same
 * time whatever the input, so a caller learns nothing from timing.
 */
#ifndef ROUTERD_AUTH_H
#define ROUTERD_AUTH_H

#include <stddef.h>
#include <stdint.h>

struct cfg_http;
struct auth;

enum auth_result {
	AUTH_OK = 0,
	AUTH_MISSING, /* no credentials: 401 */
	AUTH_DENIED,  /* wrong credentials: 403 */
};

/* Read the secrets named in CFG (files; trailing newlines dropped).
 * Returns 0, or -errno with "file: error: reason" in ERR. */
int auth_load(const struct cfg_http *cfg, struct auth **out, char *err, size_t errlen);
void auth_free(struct auth *a);

/* Whether any credentials are required. */
int auth_required(const struct auth *a);

/* Name of the header carrying the HMAC signature (lower case). */
const char *auth_signature_header(const struct auth *a);

/*
 * Check a request: AUTHORIZATION is the Authorization header (or NULL),
 * SIGNATURE the signature header (or NULL; "sha256=<hex>" or "<hex>"),
 * BODY the request body.
 */
enum auth_result auth_check(const struct auth *a, const char *authorization, const char *signature,
                            const uint8_t *body, size_t len);

#endif
