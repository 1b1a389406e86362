/* Buffered streams. stdout is line buffered on a terminal and fully buffered otherwise; stderr
 * is flushed at the end of every call that writes to it; exit() flushes every open stream.
 * A stream either reads or writes at a time (switching needs an fflush, as in C). */
#include "libc.h"

#define BUFSZ 4096
enum { F_READ = 1, F_WRITE = 2, F_EOF = 4, F_ERR = 8, F_LINE = 16, F_UNBUF = 32, F_STATIC = 64, F_PROBED = 128 };

struct FILE {
  int fd;
  int flags;
  char *buf;
  size_t pos, len; /* reading: next byte and end of the data; writing: pos bytes pending */
  struct FILE *next;
};

static char inbuf[BUFSZ], outbuf[BUFSZ], errbuf[512];
static FILE f_stdin = { 0, F_READ | F_STATIC, inbuf, 0, 0, NULL };
static FILE f_stdout = { 1, F_WRITE | F_STATIC, outbuf, 0, 0, &f_stdin };
static FILE f_stderr = { 2, F_WRITE | F_STATIC | F_UNBUF | F_PROBED, errbuf, 0, 0, &f_stdout };
FILE *stdin = &f_stdin, *stdout = &f_stdout, *stderr = &f_stderr;
static FILE *all = &f_stderr;

static size_t cap(FILE *f) { return f == &f_stderr ? sizeof errbuf : BUFSZ; }

/* Writes out everything pending; a failed write marks the stream and drops the data. */
static int flush_one(FILE *f) {
  if (!(f->flags & F_WRITE)) return 0;
  size_t done = 0;
  while (done < f->pos) {
    ssize_t n = write(f->fd, f->buf + done, f->pos - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      f->flags |= F_ERR;
      f->pos = 0;
      return EOF;
    }
    done += n;
  }
  f->pos = 0;
  return 0;
}

int fflush(FILE *f) {
  if (f) return flush_one(f);
  int r = 0;
  for (FILE *p = all; p; p = p->next) r |= flush_one(p);
  return r;
}

static FILE *make(int fd, int flags) {
  FILE *f = malloc(sizeof *f);
  char *b = malloc(BUFSZ);
  if (!f || !b) {
    free(f);
    free(b);
    return NULL;
  }
  *f = (FILE){ fd, flags, b, 0, 0, all };
  all = f;
  return f;
}

static int mode_flags(const char *mode, int *oflags) {
  int rw = strchr(mode, '+') ? O_RDWR : 0;
  int cloexec = strchr(mode, 'e') ? O_CLOEXEC : 0;
  switch (mode[0]) {
    case 'r': *oflags = (rw ? rw : O_RDONLY) | cloexec; return rw ? F_READ | F_WRITE : F_READ;
    case 'w': *oflags = (rw ? rw : O_WRONLY) | O_CREAT | O_TRUNC | cloexec; return rw ? F_READ | F_WRITE : F_WRITE;
    case 'a': *oflags = (rw ? rw : O_WRONLY) | O_CREAT | O_APPEND | cloexec; return rw ? F_READ | F_WRITE : F_WRITE;
  }
  errno = EINVAL;
  return 0;
}

FILE *fopen(const char *path, const char *mode) {
  int oflags, flags = mode_flags(mode, &oflags);
  if (!flags) return NULL;
  int fd = open(path, oflags, 0666);
  if (fd < 0) return NULL;
  FILE *f = make(fd, flags);
  if (!f) close(fd);
  return f;
}

FILE *fdopen(int fd, const char *mode) {
  int oflags, flags = mode_flags(mode, &oflags);
  return flags ? make(fd, flags) : NULL;
}

int fclose(FILE *f) {
  int r = flush_one(f);
  if (close(f->fd) < 0) r = EOF;
  for (FILE **p = &all; *p; p = &(*p)->next)
    if (*p == f) {
      *p = f->next;
      break;
    }
  if (!(f->flags & F_STATIC)) {
    free(f->buf);
    free(f);
  }
  return r;
}

int fileno(FILE *f) { return f->fd; }
int feof(FILE *f) { return (f->flags & F_EOF) != 0; }
int ferror(FILE *f) { return (f->flags & F_ERR) != 0; }

/* ---- writing ---- */

size_t fwrite(const void *p, size_t size, size_t n, FILE *f) {
  const char *s = p;
  size_t total = size * n;
  if (!(f->flags & F_PROBED)) {
    f->flags |= F_PROBED | (isatty(f->fd) ? F_LINE : 0);
  }
  for (size_t i = 0; i < total; i++) {
    if (f->pos == cap(f) && flush_one(f)) return i / size;
    f->buf[f->pos++] = s[i];
    if (s[i] == '\n' && (f->flags & F_LINE) && flush_one(f)) return (i + 1) / size;
  }
  if ((f->flags & F_UNBUF) && flush_one(f)) return 0;
  return n;
}

int fputc(int c, FILE *f) {
  unsigned char b = (unsigned char)c;
  return fwrite(&b, 1, 1, f) == 1 ? b : EOF;
}

int putchar(int c) { return fputc(c, stdout); }
int fputs(const char *s, FILE *f) { return fwrite(s, 1, strlen(s), f) == strlen(s) ? 0 : EOF; }

int puts(const char *s) {
  if (fputs(s, stdout) == EOF) return EOF;
  return fputc('\n', stdout) == EOF ? EOF : 0;
}

static void to_file(void *ctx, const char *s, size_t n) { fwrite(s, 1, n, ctx); }

/* An unbuffered stream (stderr) still gets a whole message in one write. */
int vfprintf(FILE *f, const char *fmt, va_list ap) {
  int unbuf = f->flags & F_UNBUF;
  f->flags &= ~F_UNBUF;
  int r = __format(to_file, f, fmt, ap);
  f->flags |= unbuf;
  if (unbuf) flush_one(f);
  return r;
}

void perror(const char *what) {
  if (what && *what) fprintf(stderr, "%s: %s\n", what, strerror(errno));
  else fprintf(stderr, "%s\n", strerror(errno));
}

/* ---- reading ---- */

static int fill(FILE *f) {
  if (f->flags & F_EOF) return 0;
  if (f == stdin) fflush(stdout); /* a prompt without a newline shows before we wait */
  ssize_t n;
  do n = read(f->fd, f->buf, BUFSZ);
  while (n < 0 && errno == EINTR);
  if (n <= 0) {
    f->flags |= n < 0 ? F_ERR : F_EOF;
    return 0;
  }
  f->pos = 0;
  f->len = n;
  return 1;
}

int fgetc(FILE *f) {
  if (f->pos == f->len && !fill(f)) return EOF;
  return (unsigned char)f->buf[f->pos++];
}

int getchar(void) { return fgetc(stdin); }

char *fgets(char *buf, int n, FILE *f) {
  int i = 0;
  while (i < n - 1) {
    int c = fgetc(f);
    if (c == EOF) break;
    buf[i++] = (char)c;
    if (c == '\n') break;
  }
  if (i == 0) return NULL;
  buf[i] = 0;
  return buf;
}

ssize_t getline(char **line, size_t *capacity, FILE *f) {
  size_t len = 0;
  for (;;) {
    int c = fgetc(f);
    if (c == EOF && len == 0) return -1;
    if (len + 2 > *capacity) {
      size_t nc = *capacity ? *capacity * 2 : 128;
      char *p = realloc(*line, nc);
      if (!p) return -1;
      *line = p;
      *capacity = nc;
    }
    if (c == EOF) break;
    (*line)[len++] = (char)c;
    if (c == '\n') break;
  }
  (*line)[len] = 0;
  return len;
}

size_t fread(void *p, size_t size, size_t n, FILE *f) {
  char *d = p;
  size_t total = size * n, got = 0;
  while (got < total) {
    if (f->pos == f->len && !fill(f)) break;
    size_t k = f->len - f->pos;
    if (k > total - got) k = total - got;
    memcpy(d + got, f->buf + f->pos, k);
    f->pos += k;
    got += k;
  }
  return size ? got / size : 0;
}
