/*
 * log.c - stderr logging with sd-daemon priority prefixes.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static int debug_on;

void
log_set_debug(int on)
{
	debug_on = on;
}

int
log_debug_enabled(void)
{
	return debug_on;
}

const char *
log_safe(char *buf, size_t cap, const char *s)
{
	size_t i;

	if (cap == 0)
		return "";
	if (s == NULL)
		s = "(null)";
	for (i = 0; i + 1 < cap && s[i] != '\0'; i++)
		buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	buf[i] = '\0';
	return buf;
}

void
log_vmsg(int prio, const char *fmt, va_list ap)
{
	char line[1024];
	int saved_errno = errno;
	int n, len;

	if (prio == LOG_DEBUG && !debug_on)
		return;
	n = snprintf(line, sizeof(line), "<%d>", prio & LOG_PRIMASK);
	if (n < 0)
		return;
	len = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	if (len < 0)
		return;
	len += n;
	if ((size_t)len > sizeof(line) - 2)
		len = (int)sizeof(line) - 2;
	/* One record per line: newlines in the text would forge records. */
	for (int i = n; i < len; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = '?';
	line[len++] = '\n';
	/* A short or failed write to stderr has nowhere better to go. */
	if (write(STDERR_FILENO, line, (size_t)len) < 0)
		(void)0;
	errno = saved_errno;
}

void
log_msg(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(prio, fmt, ap);
	va_end(ap);
}
