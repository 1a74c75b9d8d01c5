/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tsig.h -- TSIG (RFC 8945): verify signed requests, sign responses and
 * requests, with hmac-sha256 or hmac-sha512 through OpenSSL's EVP_MAC.
 *
 * One module for every path: the DNS workers verify any query that carries
 * a TSIG (whatever its type) and sign the answer; the fleet signs NOTIFY and
 * SOA queries and every message of a zone transfer. A key is a name, an
 * algorithm and a secret; a keyring is a flat array (a handful of keys).
 *
 * The MAC covers (RFC 8945 4.3): for a request, the message without its
 * TSIG RR (ARCOUNT one less, the original ID) and the TSIG variables; for
 * a response, the request's MAC first; for the second and later messages
 * of a multi-message response, the previous message's MAC, the message and
 * the timers only (4.3.1).
 */
#ifndef ROUTERD_TSIG_H
#define ROUTERD_TSIG_H

#include <stddef.h>
#include <stdint.h>

#define TYPE_TSIG 250
#define RCODE_NOTAUTH 9
/* TSIG errors (RFC 8945 3, the extended RCODE space). */
#define TSIG_NOERROR 0
#define TSIG_BADSIG 16
#define TSIG_BADKEY 17
#define TSIG_BADTIME 18
/* tsig_verify_request(): the TSIG RR itself is malformed (FORMERR). */
#define TSIG_FORMERR (-1)

#define TSIG_MAC_MAX 64  /* hmac-sha512 */
#define TSIG_SECRET_MAX 256
/* Default fudge: the clock skew allowed between signer and verifier. */
#define TSIG_FUDGE 300

enum tsig_alg { TSIG_HMAC_SHA256 = 1,
	        TSIG_HMAC_SHA512 = 2 };

struct tsig_key {
	uint8_t name[255];   /* lower-case wire format */
	uint8_t name_len;
	enum tsig_alg alg;
	uint8_t secret[TSIG_SECRET_MAX];
	size_t secret_len;
	char text[256];      /* the name in presentation form, final dot */
};

/* What one signed exchange carries from message to message. */
struct tsig_ctx {
	const struct tsig_key *key;
	uint8_t mac[TSIG_MAC_MAX]; /* the last MAC (request's, then each response's) */
	size_t mac_len;
	uint64_t req_time;         /* Time Signed of the request (BADTIME answers) */
	uint16_t error;            /* TSIG error to report in the response */
	uint16_t orig_id;
};

/* Parse "hmac-sha256" / "hmac-sha512" (any case, optional final dot). 0 or -1. */
int tsig_alg_parse(const char *text, enum tsig_alg *alg);
const char *tsig_alg_name(enum tsig_alg alg);

/* Fill K from a presentation name, an algorithm and a raw secret. 0 or -1. */
int tsig_key_init(struct tsig_key *k, const char *name, enum tsig_alg alg, const uint8_t *secret, size_t len);

/* Decode base64 TEXT (whitespace ignored) into OUT; the length or -1. */
long tsig_base64_decode(const char *text, uint8_t *out, size_t cap);

/* Bytes a TSIG RR signed with K takes at most (reserve it in a response). */
size_t tsig_rr_size(const struct tsig_key *k);

/*
 * Verify the request MSG (LEN bytes) whose TSIG RR starts at OFF (the last
 * record). Returns TSIG_NOERROR with CTX ready for tsig_sign(); TSIG_BADKEY,
 * TSIG_BADSIG or TSIG_BADTIME with CTX ready for tsig_error_rr(); or
 * TSIG_FORMERR. NOW is seconds since the epoch.
 */
int tsig_verify_request(const struct tsig_key *keys, size_t n_keys, const uint8_t *msg, size_t len, size_t off,
                        uint64_t now, struct tsig_ctx *ctx);

/*
 * Sign the message in BUF (*LEN bytes, CAP room) and append the TSIG RR:
 * FIRST for a request or the first message of a response (every variable),
 * else a later message of a stream (timers only). CTX->mac holds the MAC to
 * chain from (none for a request: mac_len 0) and receives the new one.
 * Returns 0, or -1 when CAP is too small (nothing changed).
 */
int tsig_sign(struct tsig_ctx *ctx, uint8_t *buf, size_t *len, size_t cap, uint64_t now, int first);

/*
 * Append the answer to a request that failed verification (CTX from
 * tsig_verify_request): for BADKEY and BADSIG an unsigned TSIG with the
 * error and an empty MAC (RFC 8945 5.2); for BADTIME a signed one carrying
 * the server's time (5.2.3). The rcode itself (NOTAUTH) is the caller's.
 * MSG/OFF are the request and its TSIG offset. Returns 0 or -1 (no room).
 */
int tsig_error_rr(struct tsig_ctx *ctx, const uint8_t *req, size_t req_len, size_t off, uint8_t *buf, size_t *len,
                  size_t cap, uint64_t now);

/* Find the TSIG RR of MSG: its offset, or 0 when there is none, or -1 when
 * the message is malformed or a TSIG is not the last record. */
long tsig_find(const uint8_t *msg, size_t len);

/*
 * Verify a response to a request we signed with CTX (tsig_sign with
 * first=1 set CTX->mac). Returns TSIG_NOERROR, an error, or TSIG_FORMERR
 * (no TSIG, malformed).
 */
int tsig_verify_response(struct tsig_ctx *ctx, const uint8_t *msg, size_t len, uint64_t now);

#endif
