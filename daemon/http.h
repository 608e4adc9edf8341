/*
 * http.h - the HTTP server (every libmicrohttpd specific lives in http.c).
 */
#ifndef JI_HTTP_H
#define JI_HTTP_H

struct conf;
struct http;

/*
 * http_start: serve on listen_fd (a bound, listening socket: from systemd or
 * from http_listen; the server takes it over, and closes it on failure
 * too) with the [http] settings of c:
 * thread pool, connection limits, per-connection memory, timeout, TLS.
 * workers: threads for blocking handler work (password checks).
 * Returns NULL (logged) on failure.
 */
struct http *http_start(const struct conf *c, int listen_fd, unsigned threads,
    unsigned workers);

/*
 * http_listen: parse "ADDR:PORT" ("127.0.0.1:8080", "[::1]:8080",
 * "*:8080" or ":8080" for every address) and return a listening socket, or
 * -1 (logged).  Called before privileges are dropped, so ports below 1024
 * work.
 */
int http_listen(const char *spec);

/*
 * http_drain: stop accepting, let requests in flight finish (at most
 * timeout_s seconds), then stop and free.  NULL-safe.
 */
void http_drain(struct http *h, unsigned timeout_s);

#endif /* JI_HTTP_H */
