/*
 * log.h - jwt-issuerd logging: one line per event on stderr, prefixed with
 * the sd-daemon priority (<3> SD_ERR ... <7> SD_DEBUG) so journald files it
 * at the right level.  Never pass a password, client secret, token,
 * signature or key to these functions.
 */
#ifndef JI_LOG_H
#define JI_LOG_H

#include <stdarg.h>
#include <syslog.h>

/* log_set_debug: 1 enables LOG_DEBUG lines (--debug). */
void log_set_debug(int on);
int log_debug_enabled(void);

/*
 * log_msg: format one line and write it to stderr with a single write(2),
 * so lines from concurrent threads never interleave.  Control characters in
 * the formatted text (from client-supplied names) are replaced by '?'.
 * prio is a syslog LOG_* priority.
 */
void log_msg(int prio, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void log_vmsg(int prio, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

#define log_err(...)     log_msg(LOG_ERR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...)  log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...)    log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)   log_msg(LOG_DEBUG, __VA_ARGS__)

/*
 * log_safe: copy at most cap-1 bytes of s into buf, replacing anything but
 * printable ASCII by '?'; "(null)" for NULL.  For names that come from the
 * network (user names, client ids) before they reach a log line.
 */
const char *log_safe(char *buf, size_t cap, const char *s);

#endif /* JI_LOG_H */
