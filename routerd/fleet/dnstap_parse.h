/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dnstap_parse.h -- the dnstap collector's pure half: Frame Streams
 * framing, dnstap messages, and which side of a switch a secondary's
 * answer was. No I/O and no thread: dnstap.c feeds bytes in, the unit
 * tests and the fuzzer do the same.
 *
 * Frame Streams (the fstrm library's protocol): a data frame is a 32-bit
 * big-endian length and that many bytes; a control frame is a zero
 * length, its own 32-bit length, and a payload fstrm_control_decode()
 * reads. A bidirectional sender (NSD, Knot and BIND on a Unix socket or
 * TCP) opens with READY, we answer ACCEPT, it sends START, data, STOP, we
 * answer FINISH. A unidirectional one opens with START. The content type
 * must be "protobuf:dnstap.Dnstap".
 *
 * A dnstap frame is a protobuf Dnstap message (dnstap.proto, compiled by
 * protoc-c at build time). From AUTH_RESPONSE messages we take the time,
 * the resolver, its ECS subnet and the response; the side is decided by
 * the answer's records against both sides precompiled in the view, never
 * by the time (a secondary serves the old zone until it has transferred).
 */
#ifndef ROUTERD_DNSTAP_PARSE_H
#define ROUTERD_DNSTAP_PARSE_H

#include <stddef.h>
#include <stdint.h>

struct view;
struct fstrm_control;

#define DT_CONTENT_TYPE "protobuf:dnstap.Dnstap"
/* A dnstap frame carries at most a query and a response of 64 KiB each
 * (TCP) and a few small fields: a longer length is not dnstap. */
#define DT_FRAME_MAX (160u * 1024u)

/* Errors: a connection that shows one is closed (dnstap.c). */
enum dt_error {
	DT_E_GARBAGE = -1,      /* not Frame Streams: a bad control frame, a frame out of order */
	DT_E_OVERSIZED = -2,    /* a frame longer than DT_FRAME_MAX (or a control frame over 512) */
	DT_E_CONTENT_TYPE = -3, /* READY or START without protobuf:dnstap.Dnstap */
	DT_E_TRUNCATED = -4,    /* the stream ended inside a frame */
	DT_E_MESSAGE = -5,      /* a data frame that is not a dnstap protobuf */
	DT_E_NOMEM = -6,
};
#define DT_N_ERRORS 6
/* "garbage", "oversized", ...: the metrics label and the log word. */
const char *dt_strerror(int rc);

/* ---- Frame Streams ---------------------------------------------------------- */

enum dt_fs_state { DT_FS_OPEN = 0,
	           DT_FS_DATA,
	           DT_FS_STOPPED };

struct dt_fs {
	enum dt_fs_state state;
	int bidirectional;         /* READY came first: STOP is answered with FINISH */
	struct fstrm_control *ctl; /* reused for every control frame */
};

int dt_fs_init(struct dt_fs *fs);
void dt_fs_free(struct dt_fs *fs);

/* Called with each data frame; a negative return stops the feed with it. */
typedef int (*dt_data_fn)(void *arg, const uint8_t *frame, size_t len);

/*
 * Take the whole frames at the start of BUF (LEN bytes): data frames go to
 * ON_DATA, control frames move the state on, and the replies they need
 * (ACCEPT, FINISH) are appended to REPLY (REPLY_CAP bytes, *REPLY_LEN
 * used). Returns the bytes consumed (an incomplete frame is left for the
 * next call) or a negative dt_error. After STOP the state is
 * DT_FS_STOPPED and nothing more is read.
 */
long dt_fs_feed(struct dt_fs *fs, const uint8_t *buf, size_t len, dt_data_fn on_data, void *arg, uint8_t *reply,
                size_t reply_cap, size_t *reply_len);

/* ---- dnstap messages ---------------------------------------------------------- */

enum dt_kind { DT_OTHER = 0,
	       DT_AUTH_QUERY,
	       DT_AUTH_RESPONSE };

struct dt_msg {
	enum dt_kind kind;
	uint64_t time_ns;          /* response time for a response, else query time; 0: none */
	const uint8_t *identity;   /* the sender's identity (points into the scratch), or NULL */
	size_t identity_len;
	uint8_t family;            /* AF_INET, AF_INET6 of the resolver; 0: unknown */
	uint8_t addr[16];
	uint8_t ecs_family;        /* RFC 7871 family (1, 2) or 0 */
	uint8_t ecs_prefix;
	uint8_t ecs_addr[16];
	uint16_t qtype;
	long switch_id;            /* the view's switch index, -1: not a switched name */
	int side;           /* 0 cdn, 1 origin, -1: not decided by the answer */
};

/* Scratch memory one decoder uses for one message at a time (protobuf-c
 * unpacks into it; nothing is malloc'ed per message). */
struct dt_scratch;
struct dt_scratch *dt_scratch_new(void);
void dt_scratch_free(struct dt_scratch *s);

/* Both sides of every switch of a view, by name (dnstap.c builds one per view). */
struct dt_matcher;
/* NULL on out of memory. The view is read only during the call. */
struct dt_matcher *dt_matcher_build(const struct view *v);
void dt_matcher_free(struct dt_matcher *m);
size_t dt_matcher_switches(const struct dt_matcher *m);

/*
 * Decode one data frame into OUT. M may be NULL (nothing is switched).
 * Returns 0 (OUT->kind says whether it is of interest) or DT_E_MESSAGE.
 */
int dt_decode(struct dt_scratch *s, const struct dt_matcher *m, const uint8_t *frame, size_t len, struct dt_msg *out);

/*
 * The side a DNS response MSG (LEN bytes) was answered from, for a matcher:
 * sets *SWITCH_ID (-1: not switched) and *QTYPE, returns 0, 1 or -1.
 */
int dt_match_response(const struct dt_matcher *m, const uint8_t *msg, size_t len, long *switch_id, uint16_t *qtype,
                      struct dt_msg *ecs_out);

#endif
