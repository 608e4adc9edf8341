/*
 * logfn.h - the logging callback the daemon's state store and password
 * backends report through.  The daemon's logger (daemon/log.c) owns the
 * output (stderr with sd-daemon prefixes); these units only format the
 * message.  prio is a syslog priority (LOG_ERR, LOG_WARNING, LOG_INFO, ...).
 * Messages never contain a password, token or hash.  A NULL callback means
 * "do not log".  The callback must be thread-safe: it is called from the
 * daemon's worker threads.
 */
#ifndef ISSUERD_LOGFN_H
#define ISSUERD_LOGFN_H

typedef void issuerd_log_fn(int prio, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif /* ISSUERD_LOGFN_H */
