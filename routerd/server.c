/* SPDX-License-Identifier: BSD-3-Clause */
/* server.c -- see server.h. */
#include "server.h"

#include <errno.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>
#include <uv.h>

#include "config.h"
#include "fdbudget.h"
#include "admin/control.h"
#include "lib/log.h"
#include "zone/view.h"
#include "zone/zone.h"
#include "dns/rrl.h"
#include "dns/worker.h"
#include "dns/tcp.h"
#include "fleet/fleet.h"
#include "service.h"



struct server {
	uv_loop_t loop;
	uv_signal_t sig_hup, sig_term, sig_int, sig_usr1;
	struct config *cfg;
	struct worker_set *workers;
	struct control *control;
	struct fleet *fleet;
	struct service_watchdog *watchdog;
	int loop_ready;
};

static int load(const char *path, struct config **cfg, struct view **view)
{
	char err[1024];
	int rc;

	if (config_load(path, cfg, err, sizeof(err)) < 0) {
		log_error("%s", err);
		return -1;
	}
	rc = view_build(*cfg, view, err, sizeof(err));
	zone_heap_settle();
	if (rc < 0) {
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
	int rc;

	/* -t prints bare errors: they are the whole output, for editors and CI. */
	if (config_load(path, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	rc = view_build(cfg, &view, err, sizeof(err));
	zone_heap_settle();
	if (rc < 0) {
		fprintf(stderr, "%s\n", err);
		config_free(cfg);
		return 1;
	}
	printf("%s: ok: %zu zones, %zu switches\n", path, view_zone_count(view), view_switch_count(view));
	view_free(view);
	config_free(cfg);
	return 0;
}

/* The sockets and workers were made at startup from these settings; a
 * reload cannot rebind (privileges are gone). Warn about a change, and
 * keep the running values in the new config so status reports what is
 * really served. */
static void keep_socket_settings(struct config *old, struct config *cfg)
{
	int same = old->n_listen == cfg->n_listen && old->workers == cfg->workers &&
	           old->tcp_idle_timeout == cfg->tcp_idle_timeout && old->tcp_max_clients == cfg->tcp_max_clients;
	for (size_t i = 0; same && i < old->n_listen; i++)
		same = strcmp(old->listen[i].text, cfg->listen[i].text) == 0;
	if (same)
		return;
	log_warning("server.listen, workers, tcp_idle_timeout and tcp_max_clients take effect on restart only: "
	            "keeping the running values");
	struct cfg_addr *l = old->listen;
	size_t n = old->n_listen;
	old->listen = cfg->listen;
	old->n_listen = cfg->n_listen;
	cfg->listen = l;
	cfg->n_listen = n;
	cfg->workers = old->workers;
	cfg->tcp_idle_timeout = old->tcp_idle_timeout;
	cfg->tcp_max_clients = old->tcp_max_clients;
}

/* A reload cannot bind (the sockets were made at startup), and once the
 * capabilities are gone a port below 1024 could not be bound even at the
 * next start under the same user: refuse such a config outright rather
 * than keep half of it. */
static int check_new_low_ports(const struct config *old, const struct config *cfg, char *err, size_t errlen)
{
	if (service_can_bind_low_ports())
		return 0;
	for (size_t i = 0; i < cfg->n_listen; i++) {
		const struct cfg_addr *a = &cfg->listen[i];
		in_port_t port = a->ss.ss_family == AF_INET6 ? ((const struct sockaddr_in6 *)&a->ss)->sin6_port
		                                             : ((const struct sockaddr_in *)&a->ss)->sin_port;
		int known = 0;
		for (size_t j = 0; j < old->n_listen && !known; j++)
			known = old->listen[j].len == a->len && memcmp(&old->listen[j].ss, &a->ss, a->len) == 0;
		if (!known && ntohs(port) < 1024) {
			snprintf(err, errlen,
			         "%s: server.listen adds %s: a port below 1024 needs root or CAP_NET_BIND_SERVICE, "
			         "which routerd gave up after binding; restart routerd to serve it",
			         cfg->path, a->text);
			return -1;
		}
	}
	return 0;
}

/* Re-read config and zones; on any error the old ones keep serving. */
static int server_reload(void *arg, char *err, size_t errlen)
{
	struct server *s = arg;
	struct config *cfg;
	struct view *view;
	int rc;

	log_notice("reloading %s", s->cfg->path);
	log_debug("reload: reading the config, then every zone, then compiling a new view");
	if (config_load(s->cfg->path, &cfg, err, errlen) < 0) {
		log_error("%s", err);
		log_error("reload failed: still serving the previous configuration and zones");
		return -1;
	}
	if (check_new_low_ports(s->cfg, cfg, err, errlen) < 0) {
		log_error("%s", err);
		log_error("reload failed: still serving the previous configuration and zones");
		config_free(cfg);
		return -1;
	}
	rc = view_build(cfg, &view, err, errlen);
	zone_heap_settle();
	if (rc < 0) {
		log_error("%s", err);
		log_error("reload failed: still serving the previous configuration and zones");
		config_free(cfg);
		return -1;
	}
	keep_socket_settings(s->cfg, cfg);
	view_publish(view);
	rrl_publish(rrl_conf_new(&cfg->rrl, cfg->workers));
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
		service_notify_reloading();
		control_reloaded(s->control, server_reload(s, err, sizeof(err)) == 0);
		sd_notify(0, "READY=1");
		break;
	}
	case SIGUSR1: {
		/* README "Signals": a log file rotated away is opened again by name. */
		int rc = log_reopen();
		if (rc < 0)
			log_errno(LOG_LVL_ERR, -rc, "SIGUSR1: cannot reopen the log file");
		else
			log_notice(rc ? "SIGUSR1: log file reopened" : "SIGUSR1: logs go to stderr, not a file; nothing to reopen");
		break;
	}
	default:
		log_notice("signal %d: stopping", signum);
		sd_notify(0, "STOPPING=1");
		uv_stop(&s->loop);
	}
}

/* After every socket is bound (port 53 needs root or
 * CAP_NET_BIND_SERVICE), give up root for good. What the daemon must
 * still write as the new user changes hands first: the admin socket (so
 * the user can serve it, its group can use it) and the state directory
 * (the journal is written at runtime). Then supplementary groups, the
 * group, and the user last (after setuid the others are not allowed). */
static int drop_privileges(const struct config *cfg)
{
	const char *user = cfg->user;
	struct passwd *pw;
	int rc;

	if (geteuid() != 0) {
		/* Under systemd (DynamicUser=, AmbientCapabilities=): what bound
		 * port 53 is not needed any more. A system call filter that
		 * forbids capset only leaves us with what we had. */
		if ((rc = service_drop_caps(0)) < 0)
			log_warning("cannot give up capabilities: %s", strerror(-rc));
		if (user != NULL)
			log_info("server.user %s: not running as root, nothing to drop", user);
		return 0;
	}
	if (user == NULL)
		return 0;
	pw = getpwnam(user);
	if (pw == NULL) {
		log_error("server.user: no user named %s", user);
		return -1;
	}
	if (cfg->control_socket != NULL && chown(cfg->control_socket, pw->pw_uid, pw->pw_gid) < 0)
		log_errno(LOG_LVL_WARNING, errno, "cannot give %s to user %s", cfg->control_socket, user);
	if (cfg->state_dir != NULL) {
		if (mkdir(cfg->state_dir, 0750) < 0 && errno != EEXIST) {
			log_errno(LOG_LVL_ERR, errno, "state_dir %s", cfg->state_dir);
			return -1;
		}
		if (chown(cfg->state_dir, pw->pw_uid, pw->pw_gid) < 0) {
			log_errno(LOG_LVL_ERR, errno, "cannot give state_dir %s to user %s", cfg->state_dir, user);
			return -1;
		}
	}
	if (setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0) {
		log_errno(LOG_LVL_ERR, errno, "cannot become user %s", user);
		return -1;
	}
	/* A process that can get root back has not dropped it. */
	if (setuid(0) == 0) {
		log_error("server.user %s: could regain root after setuid", user);
		return -1;
	}
	log_info("running as user %s (uid %u, gid %u)", user, (unsigned)pw->pw_uid, (unsigned)pw->pw_gid);
	return 0;
}

/* "127.0.0.1:5353, [::1]:5353" for the startup line. */
static void log_addrs(const struct config *cfg, char *out, size_t outlen)
{
	size_t used = 0;

	out[0] = 0;
	for (size_t i = 0; i < cfg->n_listen && used < outlen; i++) {
		int n = snprintf(out + used, outlen - used, "%s%s", i ? ", " : "", cfg->listen[i].text);
		if (n < 0)
			break;
		used += (size_t)n;
	}
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

/* Load, bind, drop privileges, start the workers and the control loop.
 * Returns 0 or -1 (logged); server_stop() cleans up either way. */
static int server_start(struct server *s, const char *path)
{
	struct view *view;
	char err[1024], addrs[512];
	int rc;

	if (load(path, &s->cfg, &view) < 0)
		return -1;
	/* Before any socket: every limit must fit in RLIMIT_NOFILE with a
	 * reserve, so DNS clients can never take the descriptors routerctl,
	 * webhooks and compaction need. */
	if (fd_budget_apply(s->cfg, addrs, sizeof(addrs), err, sizeof(err)) < 0) {
		log_error("%s", err);
		view_free(view);
		return -1;
	}
	if (addrs[0] != '\0')
		log_info("%s", addrs);
	view_publish(view);
	rrl_publish(rrl_conf_new(&s->cfg->rrl, s->cfg->workers));
	/* Every socket is bound here, still privileged; a bind failure is
	 * fatal at startup (lib/err.h: fail fast at start, softly at runtime). */
	if (workers_create(s->cfg, &s->workers, err, sizeof(err)) < 0) {
		log_error("%s", err);
		return -1;
	}
	if ((rc = uv_loop_init(&s->loop)) < 0) {
		log_error("cannot create the main loop: %s", uv_strerror(rc));
		return -1;
	}
	s->loop_ready = 1;
	s->fleet = fleet_create(s->cfg, err, sizeof(err));
	if (s->fleet == NULL) {
		log_error("%s", err);
		return -1;
	}
	/* The bounding set and no_new_privs are per thread: set them before
	 * control_start() makes the first thread, so every thread inherits
	 * them. Root keeps its effective capabilities until setuid() below. */
	if (s->cfg->user != NULL && geteuid() == 0 && (rc = service_drop_caps(1)) < 0) {
		log_error("cannot empty the capability bounding set: %s", strerror(-rc));
		return -1;
	}
	struct control_host host = { &s->cfg, s->workers, server_reload, s, s->fleet };
	s->control = control_start(&s->loop, &host, err, sizeof(err));
	if (s->control == NULL) {
		log_error("%s", err);
		return -1;
	}
	/* The admin socket and the HTTP listener are bound too: drop root. */
	if (drop_privileges(s->cfg) < 0)
		return -1;
	/* After the switch state is recovered and published, before any
	 * worker answers: the zones' serials continue the persisted ones. */
	if (fleet_start(s->fleet, err, sizeof(err)) < 0) {
		log_error("%s", err);
		return -1;
	}
	tcp_set_xfr_handler(fleet_take_connection, s->fleet);
	s->watchdog = service_watchdog_start(&s->loop, s->workers);
	if ((rc = workers_start(s->workers)) < 0) {
		log_errno(LOG_LVL_ERR, -rc, "cannot start the DNS workers");
		return -1;
	}
	watch(s, &s->sig_hup, SIGHUP);
	watch(s, &s->sig_term, SIGTERM);
	watch(s, &s->sig_int, SIGINT);
	watch(s, &s->sig_usr1, SIGUSR1);
	log_addrs(s->cfg, addrs, sizeof(addrs));
	log_notice("routerd %s serving %zu zones on %s (udp, tcp; %zu switches, %u workers)", ROUTERD_VERSION,
	           view_zone_count(view), addrs, view_switch_count(view), s->cfg->workers);
	return 0;
}

/* Stop the control side, then the workers (each closes its handles and
 * connections), then free the view once no worker reads it. */
static void server_stop(struct server *s)
{
	service_watchdog_stop(s->watchdog);
	if (s->control != NULL)
		control_stop(s->control);
	if (s->loop_ready) {
		uv_walk(&s->loop, close_walk, NULL);
		uv_run(&s->loop, UV_RUN_DEFAULT);
		if (uv_loop_close(&s->loop) != 0)
			log_error("main loop: handles left open at exit");
	}
	service_watchdog_free(s->watchdog);
	workers_destroy(s->workers);
	fleet_stop(s->fleet);
	view_publish(NULL);
	rrl_publish(NULL);
	config_free(s->cfg);
}

int server_run(const char *path)
{
	struct server s = { 0 };
	int rc;

	/* A resolver that resets a TCP connection must not kill the server:
	 * writes report EPIPE instead. */
	signal(SIGPIPE, SIG_IGN);
	rc = server_start(&s, path);
	if (rc == 0) {
		sd_notify(0, "READY=1");
		uv_run(&s.loop, UV_RUN_DEFAULT);
	}
	server_stop(&s);
	return rc == 0 ? 0 : 1;
}
