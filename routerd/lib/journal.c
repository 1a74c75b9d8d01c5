/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * journal.c -- see journal.h.
 *
 * Why a crash loses nothing and applies nothing twice: every record carries
 * a seq, and the snapshot records the seq of the last record it covers.
 * journal_snapshot() does, in order:
 *   1. write snapshot.tmp, fsync it;
 *   2. rename it to snapshot.json, fsync the directory;
 *   3. cut the journal to zero bytes, fdatasync it.
 * A crash before 2 leaves the old snapshot and the whole journal (the
 * stray snapshot.tmp is deleted at recovery). A crash between 2 and 3
 * leaves the new snapshot and the old records: recovery skips every record
 * whose seq the snapshot covers. After 3 the journal holds only records
 * newer than the snapshot. Appends always go at the end of the last good
 * record (pwrite at a tracked offset), so bytes of a failed or cut write
 * can only ever follow the last good record, where recovery stops.
 */
#include "lib/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"

#define HDR 8
#define SNAPSHOT_FORMAT 1

struct journal {
	char *dir;
	int dirfd, fd;
	uint64_t seq;      /* last written */
	uint64_t bytes;    /* end of the last good record */
	uint64_t records;  /* in the file, including ones the snapshot covers */
	int broken;        /* a failed write could not be cut back: refuse appends */
	struct journal_opts opts;
};

/* ---- CRC-32C, reflected polynomial 0x82F63B78 (RFC 3720 B.4) ---- */

static uint32_t crc_table[256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
		crc_table[i] = c;
	}
}

uint32_t journal_crc32c(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint32_t c = 0xFFFFFFFFu;
	pthread_once(&crc_once, crc_init);
	while (len--)
		c = crc_table[(c ^ *p++) & 0xFF] ^ (c >> 8);
	return c ^ 0xFFFFFFFFu;
}

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

const char *journal_strerror(int err)
{
	if (err == -EBADMSG)
		return "snapshot unreadable";
	if (err == -EUCLEAN)
		return "the journal is damaged: a bad record with good ones after it (routerd --recover)";
	return strerror(err < 0 ? -err : err);
}

/* ---- files ---- */

static int mkdir_p(const char *path, mode_t mode)
{
	char buf[4096];
	size_t len = strlen(path);
	if (len == 0 || len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int write_all(int fd, const void *buf, size_t len, off_t off)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = off < 0 ? write(fd, p, len) : pwrite(fd, p, len, off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
		if (off >= 0)
			off += n;
	}
	return 0;
}

static int read_file(int fd, unsigned char **out, size_t *len)
{
	struct stat sb;
	unsigned char *buf;
	size_t got = 0;

	if (fstat(fd, &sb) < 0)
		return -errno;
	buf = malloc((size_t)sb.st_size + 1);
	if (buf == NULL)
		return -ENOMEM;
	while (got < (size_t)sb.st_size) {
		ssize_t n = pread(fd, buf + got, (size_t)sb.st_size - got, (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = -errno;
			free(buf);
			return e;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	*out = buf;
	*len = got;
	return 0;
}

/* ---- recovery ---- */

static int read_snapshot(int dirfd, const char *dir, journal_cb cb, void *arg, struct journal_info *info)
{
	int fd = openat(dirfd, "snapshot.json", O_RDONLY | O_CLOEXEC), r;
	unsigned char *buf;
	size_t len;
	json_t *doc, *state;
	json_error_t jerr;

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	r = read_file(fd, &buf, &len);
	close(fd);
	if (r < 0)
		return r;
	doc = json_loadb((const char *)buf, len, 0, &jerr);
	free(buf);
	state = json_object_get(doc, "state");
	/* Written complete or not at all (rename): a bad one is damage, not a
	 * crash. Starting without it would serve a state nobody chose. */
	if (doc == NULL || json_integer_value(json_object_get(doc, "format")) != SNAPSHOT_FORMAT ||
	    !json_is_integer(json_object_get(doc, "seq")) || !json_is_object(state)) {
		log_error("%s/snapshot.json: unreadable (%s); move it aside to start without it", dir,
		          doc ? "not a routerd snapshot" : jerr.text);
		json_decref(doc);
		return -EBADMSG;
	}
	info->snapshot = 1;
	info->snapshot_seq = info->last_seq = (uint64_t)json_integer_value(json_object_get(doc, "seq"));
	r = cb ? cb(state, 1, arg) : 0;
	json_decref(doc);
	if (r != 0)
		log_error("%s/snapshot.json: the state in it cannot be loaded", dir);
	return r > 0 ? -EINVAL : r;
}

/* Why the record at OFF in BUF is not a good one, or NULL; its length in *N. */
static const char *check_record(const unsigned char *buf, size_t len, size_t off, uint32_t *n, json_t **rec)
{
	json_int_t seq;

	*rec = NULL;
	if (len - off < HDR)
		return "short header";
	*n = get32(buf + off);
	if (*n == 0 || *n > JOURNAL_MAX_RECORD)
		return "bad length";
	if (*n > len - off - HDR)
		return "short record";
	if (journal_crc32c(buf + off + HDR, *n) != get32(buf + off + 4))
		return "checksum mismatch";
	*rec = json_loadb((const char *)buf + off + HDR, *n, 0, NULL);
	seq = json_integer_value(json_object_get(*rec, "seq"));
	if (!json_is_object(*rec) || seq <= 0) {
		json_decref(*rec);
		*rec = NULL;
		return "not a journal record";
	}
	return NULL;
}

/* The offset of the first good record after OFF, or 0 when none follows:
 * then what is bad at OFF is a torn tail, else damage. Cheap tests first
 * (a plausible length, a JSON object's braces), the checksum last. */
static size_t next_good(const unsigned char *buf, size_t len, size_t off)
{
	for (size_t p = off + 1; p + HDR < len; p++) {
		uint32_t n = get32(buf + p);
		json_t *rec;
		if (n < 2 || n > len - p - HDR || buf[p + HDR] != '{' || buf[p + HDR + n - 1] != '}')
			continue;
		if (check_record(buf, len, p, &n, &rec) == NULL) {
			json_decref(rec);
			return p;
		}
	}
	return 0;
}

/* --recover: copy BUF[OFF..LEN) to journal.corrupt-SECONDS beside the
 * journal, durably, before the journal is cut there. */
static int set_aside(int dirfd, const char *dir, const unsigned char *buf, size_t len, size_t off, char *name,
                     size_t cap)
{
	int fd, r;

	snprintf(name, cap, "journal.corrupt-%lld", (long long)time(NULL));
	fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	r = write_all(fd, buf + off, len - off, -1);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	close(fd);
	if (r == 0 && fsync(dirfd) < 0)
		r = -errno;
	if (r < 0) {
		unlinkat(dirfd, name, 0);
		log_error("%s/%s: %s", dir, name, strerror(-r));
	}
	return r;
}

/* Replay the records of FD (the journal); returns the end of the last good
 * record in *GOOD, and *COUNT records in the file up to there. A bad last
 * record (a write cut short by a crash) is cut. A bad record with good ones
 * after it is damage: -EUCLEAN, unless REPAIR, which also takes a record
 * that CB cannot apply as the end, and sets everything from there aside. */
static int read_records(int fd, int dirfd, const char *dir, journal_cb cb, void *arg, struct journal_info *info,
                        uint64_t *good, uint64_t *count, int repair)
{
	unsigned char *buf;
	size_t len, off = 0, next = 0;
	const char *why = NULL;
	int r = read_file(fd, &buf, &len), unapplied = 0;
	char aside[64];

	if (r < 0)
		return r;
	*count = 0;
	while (off < len) {
		uint32_t n;
		json_t *rec;
		json_int_t seq;

		if ((why = check_record(buf, len, off, &n, &rec)) != NULL)
			break;
		seq = json_integer_value(json_object_get(rec, "seq"));
		if ((uint64_t)seq <= info->last_seq) {
			info->skipped++; /* in the snapshot already (crash before the cut) */
		} else {
			r = cb ? cb(rec, 0, arg) : 0;
			if (r != 0 && repair) {
				json_decref(rec);
				why = "a record this routerd cannot apply";
				unapplied = 1;
				break;
			}
			if (r != 0) {
				log_error("%s/journal: record %lld at offset %zu cannot be applied; `routerd --recover` "
				          "keeps the %llu records before it and sets it and the rest aside",
				          dir, (long long)seq, off, (unsigned long long)*count);
				json_decref(rec);
				free(buf);
				info->bad_offset = off;
				return r > 0 ? -EINVAL : r;
			}
			info->records++;
			info->last_seq = (uint64_t)seq;
		}
		json_decref(rec);
		off += HDR + n;
		(*count)++;
	}
	*good = off;
	if (why != NULL) {
		info->bad_offset = off;
		next = next_good(buf, len, off);
	}
	/* A record CB refused (REPAIR only) is good and so is damage too. */
	if (why != NULL && (next != 0 || unapplied)) {
		if (!repair) {
			log_error("%s/journal: %s at offset %zu, and good records follow it (the next at offset %zu): "
			          "this is damage, not a write cut short by a crash. Refusing to start rather than drop "
			          "acknowledged changes. `routerd --recover -c CONFIG` keeps the %llu records before "
			          "offset %zu and sets the %zu bytes from there aside in %s/journal.corrupt-TIME",
			          dir, why, off, next, (unsigned long long)*count, off, len - off, dir);
			free(buf);
			return -EUCLEAN;
		}
		r = set_aside(dirfd, dir, buf, len, off, aside, sizeof(aside));
		if (r < 0) {
			free(buf);
			return r;
		}
		info->set_aside_bytes = len - off;
		log_warning("%s/journal: %s at offset %zu: kept the %llu records before it, set the %zu bytes from "
		            "there aside in %s/%s",
		            dir, why, off, (unsigned long long)*count, len - off, dir, aside);
	} else if (why != NULL) {
		info->dropped_bytes = len - off;
		log_warning("%s/journal: %s at offset %zu, the last record: ignoring its %zu bytes (a write cut short "
		            "by a crash) and keeping the %llu records before it",
		            dir, why, off, len - off, (unsigned long long)*count);
	}
	free(buf);
	/* Cut so the next append follows the last good record. */
	if (why != NULL && (ftruncate(fd, (off_t)off) < 0 || fdatasync(fd) < 0))
		return -errno;
	return 0;
}

static int replay(int dirfd, const char *dir, journal_cb cb, void *arg, struct journal_info *info, uint64_t *good,
                  uint64_t *count, int repair)
{
	int fd, r;

	memset(info, 0, sizeof(*info));
	*good = *count = 0;
	/* A snapshot that was being written when we stopped: never complete. */
	if (unlinkat(dirfd, "snapshot.tmp", 0) == 0)
		log_info("%s: removed an unfinished snapshot.tmp", dir);
	r = read_snapshot(dirfd, dir, cb, arg, info);
	if (r < 0 && repair) {
		char aside[64];
		snprintf(aside, sizeof(aside), "snapshot.json.corrupt-%lld", (long long)time(NULL));
		if (renameat(dirfd, "snapshot.json", dirfd, aside) < 0 || fsync(dirfd) < 0)
			return -errno;
		log_warning("%s/snapshot.json: set aside as %s/%s; starting from the journal alone", dir, dir, aside);
		info->snapshot_set_aside = 1;
		info->snapshot = 0;
		info->snapshot_seq = info->last_seq = 0;
		r = 0;
	}
	if (r < 0)
		return r;
	fd = openat(dirfd, "journal", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	r = read_records(fd, dirfd, dir, cb, arg, info, good, count, repair);
	close(fd);
	return r;
}

static int open_dir(const char *dir)
{
	int r = mkdir_p(dir, 0750), fd;
	if (r < 0)
		return r;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* Replay DIR's journal; SALVAGE: keep what precedes damage (--recover). */
static int replay_dir(const char *dir, journal_cb cb, void *arg, struct journal_info *info, int salvage)
{
	struct journal_info dummy;
	uint64_t good, count;
	int dirfd = open_dir(dir), r;

	if (dirfd < 0)
		return dirfd;
	r = replay(dirfd, dir, cb, arg, info ? info : &dummy, &good, &count, salvage);
	close(dirfd);
	return r;
}

int journal_replay(const char *dir, journal_cb cb, void *arg, struct journal_info *info)
{
	return replay_dir(dir, cb, arg, info, 0);
}

int journal_recover(const char *dir, journal_cb cb, void *arg, struct journal_info *info)
{
	return replay_dir(dir, cb, arg, info, 1);
}

int journal_open(struct journal **out, const char *dir, const struct journal_opts *opts, journal_cb cb, void *arg,
                 struct journal_info *info)
{
	struct journal_info dummy;
	struct journal *j;
	struct stat sb;
	int r, created;

	*out = NULL;
	if (info == NULL)
		info = &dummy;
	j = calloc(1, sizeof(*j));
	if (j == NULL)
		return -ENOMEM;
	j->fd = j->dirfd = -1;
	j->dir = strdup(dir);
	if (opts != NULL)
		j->opts = *opts;
	if (j->opts.max_bytes == 0)
		j->opts.max_bytes = JOURNAL_MAX_BYTES_DEFAULT;
	if (j->opts.max_records == 0)
		j->opts.max_records = JOURNAL_MAX_RECORDS_DEFAULT;
	if (j->dir == NULL) {
		r = -ENOMEM;
		goto fail;
	}
	if ((j->dirfd = open_dir(dir)) < 0) {
		r = j->dirfd;
		goto fail;
	}
	if ((r = replay(j->dirfd, dir, cb, arg, info, &j->bytes, &j->records, 0)) < 0)
		goto fail;
	created = fstatat(j->dirfd, "journal", &sb, 0) < 0;
	j->fd = openat(j->dirfd, "journal", O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (j->fd < 0) {
		r = -errno;
		goto fail;
	}
	/* A new file's name must be durable too, or the first records could vanish with it. */
	if (created && fsync(j->dirfd) < 0) {
		r = -errno;
		goto fail;
	}
	j->seq = info->last_seq;
	*out = j;
	return 0;
fail:
	log_error("journal %s: %s", dir, journal_strerror(r));
	journal_close(j);
	return r;
}

void journal_close(struct journal *j)
{
	if (j == NULL)
		return;
	if (j->fd >= 0)
		close(j->fd);
	if (j->dirfd >= 0)
		close(j->dirfd);
	free(j->dir);
	free(j);
}

uint64_t journal_seq(const struct journal *j)
{
	return j->seq;
}

uint64_t journal_bytes(const struct journal *j)
{
	return j->bytes;
}

uint64_t journal_records(const struct journal *j)
{
	return j->records;
}

/* ---- writing ---- */

int journal_append(struct journal *j, json_t *rec)
{
	char *payload;
	unsigned char *buf;
	size_t n;
	int r;

	if (j->broken)
		return -EIO;
	if (!json_is_object(rec))
		return -EINVAL;
	if (json_object_set_new(rec, "seq", json_integer((json_int_t)(j->seq + 1))) < 0)
		return -ENOMEM;
	payload = json_dumps(rec, JSON_COMPACT);
	if (payload == NULL)
		return -ENOMEM;
	n = strlen(payload);
	if (n > JOURNAL_MAX_RECORD) {
		free(payload);
		return -EMSGSIZE;
	}
	buf = malloc(HDR + n);
	if (buf == NULL) {
		free(payload);
		return -ENOMEM;
	}
	put32(buf, (uint32_t)n);
	put32(buf + 4, journal_crc32c(payload, n));
	memcpy(buf + HDR, payload, n);
	free(payload);
	/* One write for header and payload; at the tracked end, not O_APPEND,
	 * so what a failed write left is overwritten by the next one. */
	r = write_all(j->fd, buf, HDR + n, (off_t)j->bytes);
	free(buf);
	if (r == 0 && fdatasync(j->fd) < 0)
		r = -errno;
	if (r < 0) {
		log_error("journal %s: append: %s", j->dir, journal_strerror(r));
		if (ftruncate(j->fd, (off_t)j->bytes) < 0 || fdatasync(j->fd) < 0) {
			log_errno(LOG_LVL_ERR, errno, "journal %s: cannot cut back a failed append; refusing further appends", j->dir);
			j->broken = 1;
		}
		return r;
	}
	j->seq++;
	j->bytes += HDR + n;
	j->records++;
	if (j->opts.snapshot_cb != NULL && (j->bytes >= j->opts.max_bytes || j->records >= j->opts.max_records)) {
		json_t *state = j->opts.snapshot_cb(j->opts.arg);
		int s = state ? journal_snapshot(j, state) : -ENOMEM;
		json_decref(state);
		if (s < 0)
			log_warning("journal %s: compaction failed (%s); the journal keeps growing", j->dir,
			            journal_strerror(s));
	}
	return 0;
}

int journal_snapshot(struct journal *j, const json_t *state)
{
	json_t *doc;
	char *text;
	int fd, r;

	if (j->broken)
		return -EIO;
	doc = json_pack("{s:i,s:I,s:O}", "format", SNAPSHOT_FORMAT, "seq", (json_int_t)j->seq, "state", state);
	text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	if (text == NULL)
		return -ENOMEM;
	/* Step 1: the whole snapshot on disk under a name recovery never reads. */
	fd = openat(j->dirfd, "snapshot.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0) {
		free(text);
		return -errno;
	}
	r = write_all(fd, text, strlen(text), -1);
	free(text);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	close(fd);
	if (r < 0)
		goto fail;
	/* Step 2: atomically the snapshot; durable once the directory is. */
	if (renameat(j->dirfd, "snapshot.tmp", j->dirfd, "snapshot.json") < 0 || fsync(j->dirfd) < 0) {
		r = -errno;
		goto fail;
	}
	/* Step 3: the records are covered (by seq); drop them. If this fails
	 * they stay and recovery skips them: nothing lost, nothing doubled. */
	if (ftruncate(j->fd, 0) < 0) {
		r = -errno;
		log_warning("journal %s: snapshot written but the journal not emptied: %s", j->dir,
		            journal_strerror(r));
		return r;
	}
	/* Cut in memory at least: appends must start at 0 now, or they would
	 * leave a hole of zeros that recovery takes for a bad length. The next
	 * append's fdatasync makes the new size durable if this one fails. */
	j->bytes = 0;
	j->records = 0;
	if (fdatasync(j->fd) < 0) {
		r = -errno;
		log_warning("journal %s: emptying the journal: %s", j->dir, journal_strerror(r));
		return r;
	}
	return 0;
fail:
	unlinkat(j->dirfd, "snapshot.tmp", 0);
	return r;
}
