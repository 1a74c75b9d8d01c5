/* server.c -- see server.h. */
#include "server.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>
#include <uv.h>

#include "config.h"
#include "control.h"
#include "log.h"
#include "view.h"
#include "worker.h"

#define VERSION "0.1.0"

struct server {
	uv_loop_t loop;
	uv_signal_t sig_hup, sig_term, sig_int, sig_usr1;
	struct config *cfg;
	struct worker_set *workers;
	struct control *control;
};

static int load(const char *path, struct config **cfg, struct view **view)
{
	char err[1024];

	if (config_load(path, cfg, err, sizeof(err)) < 0) {
		log_error("%s", err);
		return -1;
	}
	if (view_build(*cfg, view, err, sizeof(err)) < 0) {
		log_error("%s", err);
		config_free(*cfg);
		*cfg = NULL;
		return -1;
	}
	return 0;
}

int server_check(const char *path)
{
	struct config *cfg;
	struct view *view;
	char err[1024];

	/* -t prints bare errors: they are the whole output, for editors and CI. */
	if (config_load(path, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (view_build(cfg, &view, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		config_free(cfg);
		return 1;
	}
	printf("%s: ok: %zu zones, %zu switches\n", path, view_zone_count(view), view_switch_count(view));
	view_free(view);
	config_free(cfg);
	return 0;
}

static int same_listen(const struct config *a, const struct config *b)
{
	if (a->n_listen != b->n_listen || a->workers != b->workers)
		return 0;
	for (size_t i = 0; i < a->n_listen; i++)
		if (strcmp(a->listen[i].text, b->listen[i].text) != 0)
			return 0;
	return 1;
}

/* Re-read config and zones; on any error the old ones keep serving. */
static int reload(void *arg, char *err, size_t errlen)
{
	struct server *s = arg;
	struct config *cfg;
	struct view *view;

	log_notice("reloading %s", s->cfg->path);
	if (config_load(s->cfg->path, &cfg, err, errlen) < 0) {
		log_error("%s", err);
		log_error("reload failed: still serving the previous configuration and zones");
		return -1;
	}
	if (view_build(cfg, &view, err, errlen) < 0) {
		log_error("%s", err);
		log_error("reload failed: still serving the previous configuration and zones");
		config_free(cfg);
		return -1;
	}
	if (!same_listen(s->cfg, cfg))
		log_warning("server.listen and server.workers take effect on restart only");
	view_publish(view);
	config_free(s->cfg);
	s->cfg = cfg;
	log_notice("reloaded: %zu zones, %zu switches", view_zone_count(view), view_switch_count(view));
	return 0;
}

static void on_signal(uv_signal_t *h, int signum)
{
	struct server *s = h->data;
	switch (signum) {
	case SIGHUP: {
		char err[1024];
		sd_notify(0, "RELOADING=1");
		control_reloaded(s->control, reload(s, err, sizeof(err)) == 0);
		sd_notify(0, "READY=1");
		break;
	}
	case SIGUSR1:
		/* Logs go to stderr, which the service manager owns: nothing to reopen. */
		log_notice("SIGUSR1: logs go to stderr; nothing to reopen");
		break;
	default:
		log_notice("signal %d: stopping", signum);
		sd_notify(0, "STOPPING=1");
		uv_stop(&s->loop);
	}
}

static int drop_privileges(const char *user)
{
	struct passwd *pw;
	if (user == NULL || geteuid() != 0)
		return 0;
	pw = getpwnam(user);
	if (pw == NULL) {
		log_error("server.user: no user named %s", user);
		return -1;
	}
	if (setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0) {
		log_err("cannot become user %s", user);
		return -1;
	}
	return 0;
}

static void watch(struct server *s, uv_signal_t *h, int signum)
{
	uv_signal_init(&s->loop, h);
	h->data = s;
	uv_signal_start(h, on_signal, signum);
}

static void close_walk(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

int server_run(const char *path)
{
	struct server s = { 0 };
	struct view *view;
	char err[1024];
	int rc = 1;

	signal(SIGPIPE, SIG_IGN);
	if (load(path, &s.cfg, &view) < 0)
		return 1;
	view_publish(view);
	if (workers_create(s.cfg, &s.workers, err, sizeof(err)) < 0) {
		log_error("%s", err);
		goto out;
	}
	if (drop_privileges(s.cfg->user) < 0 || workers_start(s.workers) < 0) {
		log_error("cannot start the DNS workers");
		goto out;
	}
	uv_loop_init(&s.loop);
	{
		struct control_host host = { &s.cfg, s.workers, reload, &s };
		s.control = control_start(&s.loop, &host, err, sizeof(err));
		if (s.control == NULL) {
			log_error("%s", err);
			uv_run(&s.loop, UV_RUN_NOWAIT);
			uv_loop_close(&s.loop);
			goto out;
		}
	}
	watch(&s, &s.sig_hup, SIGHUP);
	watch(&s, &s.sig_term, SIGTERM);
	watch(&s, &s.sig_int, SIGINT);
	watch(&s, &s.sig_usr1, SIGUSR1);
	for (size_t i = 0; i < s.cfg->n_listen; i++)
		log_notice("listening on %s (udp, tcp)", s.cfg->listen[i].text);
	log_notice("routerd %s serving %zu zones, %zu switches with %u workers", VERSION, view_zone_count(view),
	           view_switch_count(view), s.cfg->workers);
	sd_notify(0, "READY=1");
	uv_run(&s.loop, UV_RUN_DEFAULT);
	control_stop(s.control);
	uv_walk(&s.loop, close_walk, NULL);
	uv_run(&s.loop, UV_RUN_DEFAULT);
	uv_loop_close(&s.loop);
	rc = 0;
out:
	workers_destroy(s.workers);
	view_publish(NULL);
	config_free(s.cfg);
	return rc;
}
