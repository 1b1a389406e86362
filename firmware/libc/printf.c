/* The printf family. One engine, __format, walks the format and hands finished pieces to an
 * output function; printf/fprintf write them to a FILE, snprintf to a buffer.
 * Conversions: %d %i %u %x %X %o %s %c %p %%; flags - 0 + space #; width and precision as
 * numbers or *; length modifiers h hh l ll z (h and hh are accepted and ignored). */
#include "libc.h"

typedef void (*Out)(void *ctx, const char *s, size_t n);

static void pad(Out out, void *ctx, char c, int n) {
  char buf[32];
  memset(buf, c, sizeof buf);
  for (; n > 0; n -= sizeof buf) out(ctx, buf, n < (int)sizeof buf ? (size_t)n : sizeof buf);
}

int __format(Out out, void *ctx, const char *fmt, va_list ap) {
  int total = 0;
  while (*fmt) {
    if (*fmt != '%') {
      const char *p = fmt;
      while (*p && *p != '%') p++;
      out(ctx, fmt, p - fmt);
      total += p - fmt;
      fmt = p;
      continue;
    }
    fmt++;
    int left = 0, zero = 0, plus = 0, space = 0, alt = 0, width = 0, prec = -1, lng = 0;
    for (;; fmt++) {
      if (*fmt == '-') left = 1;
      else if (*fmt == '0') zero = 1;
      else if (*fmt == '+') plus = 1;
      else if (*fmt == ' ') space = 1;
      else if (*fmt == '#') alt = 1;
      else break;
    }
    if (*fmt == '*') {
      width = va_arg(ap, int);
      if (width < 0) left = 1, width = -width;
      fmt++;
    } else {
      while (isdigit(*fmt)) width = width * 10 + (*fmt++ - '0');
    }
    if (*fmt == '.') {
      fmt++;
      prec = 0;
      if (*fmt == '*') {
        prec = va_arg(ap, int);
        fmt++;
      } else {
        while (isdigit(*fmt)) prec = prec * 10 + (*fmt++ - '0');
      }
    }
    for (;; fmt++) {
      if (*fmt == 'l') lng++;
      else if (*fmt != 'h' && *fmt != 'z') break;
    }
    char conv = *fmt++;
    char digits[24], *body = digits;
    int len = 0;
    const char *prefix = "";
    switch (conv) {
      case '\0':
        fmt--;
        continue;
      case '%':
        out(ctx, "%", 1);
        total++;
        continue;
      case 'c':
        digits[0] = (char)va_arg(ap, int);
        len = 1;
        prec = -1;
        zero = 0;
        break;
      case 's':
        body = va_arg(ap, char *);
        if (body == NULL) body = "(null)";
        while (body[len] && (prec < 0 || len < prec)) len++;
        prec = -1;
        zero = 0;
        break;
      case 'd': case 'i': case 'u': case 'x': case 'X': case 'o': case 'p': {
        unsigned long long v;
        int neg = 0;
        if (conv == 'p') {
          v = (uintptr_t)va_arg(ap, void *);
          prefix = "0x";
        } else if (conv == 'd' || conv == 'i') {
          long long s = lng >= 2 ? va_arg(ap, long long) : va_arg(ap, long);
          neg = s < 0;
          v = neg ? -(unsigned long long)s : (unsigned long long)s;
          prefix = neg ? "-" : plus ? "+" : space ? " " : "";
        } else {
          v = lng >= 2 ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned long);
        }
        unsigned base = conv == 'o' ? 8 : (conv == 'x' || conv == 'X' || conv == 'p') ? 16 : 10;
        const char *dig = conv == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
        char *e = digits + sizeof digits;
        body = e;
        while (v) {
          *--body = dig[v % base];
          v /= base;
        }
        if (body == e && prec != 0) *--body = '0';
        if (alt && conv == 'o' && *body != '0') *--body = '0';
        if (alt && (conv == 'x' || conv == 'X') && body != e && *body != '0') prefix = conv == 'x' ? "0x" : "0X";
        len = e - body;
        if (prec >= 0) zero = 0;
        break;
      }
      default: /* unknown: print it as it stands */
        out(ctx, fmt - 2, 2);
        total += 2;
        continue;
    }
    int plen = strlen(prefix);
    int zeros = prec > len ? prec - len : 0;
    int fill = width - plen - zeros - len;
    if (zero && !left && fill > 0) zeros += fill, fill = 0;
    if (!left && fill > 0) pad(out, ctx, ' ', fill);
    out(ctx, prefix, plen);
    pad(out, ctx, '0', zeros);
    out(ctx, body, len);
    if (left && fill > 0) pad(out, ctx, ' ', fill);
    total += plen + zeros + len + (fill > 0 ? fill : 0);
  }
  return total;
}

/* snprintf's output: keep what fits, count everything. */
struct Buf { char *p; size_t room; };
static void to_buf(void *ctx, const char *s, size_t n) {
  struct Buf *b = ctx;
  size_t k = n < b->room ? n : b->room;
  memcpy(b->p, s, k);
  b->p += k;
  b->room -= k;
}

int vsnprintf(char *buf, size_t n, const char *fmt, va_list ap) {
  struct Buf b = { buf, n ? n - 1 : 0 };
  int len = __format(to_buf, &b, fmt, ap);
  if (n) *b.p = 0;
  return len;
}

int snprintf(char *buf, size_t n, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int r = vsnprintf(buf, n, fmt, ap);
  va_end(ap);
  return r;
}

int sprintf(char *buf, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int r = vsnprintf(buf, INT_MAX, fmt, ap);
  va_end(ap);
  return r;
}

int fprintf(FILE *f, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int r = vfprintf(f, fmt, ap);
  va_end(ap);
  return r;
}

int printf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int r = vfprintf(stdout, fmt, ap);
  va_end(ap);
  return r;
}

/* dprintf goes straight to the descriptor in one write (used where no FILE exists). */
int dprintf(int fd, const char *fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  int r = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  write(fd, buf, r < (int)sizeof buf ? (size_t)r : sizeof buf - 1);
  return r;
}
