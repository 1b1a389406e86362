/* The exec family over execve: execvp searches PATH (default "/bin:/usr/bin") for a name
 * without a slash, tries the next directory on ENOENT/EACCES/ENOTDIR, and reports EACCES if
 * some file was found but none could be run. */
#include "libc.h"

int execv(const char *path, char *const argv[]) { return execve(path, argv, environ); }

int execvpe(const char *file, char *const argv[], char *const envp[]) {
  if (*file == 0) return errno = ENOENT, -1;
  if (strchr(file, '/')) return execve(file, argv, envp);
  const char *path = getenv("PATH");
  if (path == NULL) path = "/bin:/usr/bin";
  size_t flen = strlen(file);
  char buf[PATH_MAX];
  int seen_eacces = 0;
  for (const char *p = path;; p++) {
    const char *end = strchr(p, ':');
    if (!end) end = p + strlen(p);
    size_t dlen = end - p;
    if (dlen + flen + 2 <= sizeof buf) {
      memcpy(buf, p, dlen);
      if (dlen == 0) buf[dlen++] = '.'; /* an empty entry means the working directory */
      buf[dlen] = '/';
      memcpy(buf + dlen + 1, file, flen + 1);
      execve(buf, argv, envp);
      if (errno == EACCES) seen_eacces = 1;
      else if (errno != ENOENT && errno != ENOTDIR) return -1;
    }
    if (*end == 0) break;
    p = end;
  }
  if (seen_eacces) errno = EACCES;
  return -1;
}

int execvp(const char *file, char *const argv[]) { return execvpe(file, argv, environ); }

/* The list forms gather their arguments into an array on the stack. */
#define LIST_TO_ARGV(first, argv)                                   \
  va_list ap;                                                       \
  int n = 1;                                                        \
  va_start(ap, first);                                              \
  while (va_arg(ap, char *)) n++;                                   \
  va_end(ap);                                                       \
  char *argv[n + 1];                                                \
  argv[0] = (char *)first;                                          \
  va_start(ap, first);                                              \
  for (int i = 1; i <= n; i++) argv[i] = va_arg(ap, char *);        \
  va_end(ap)

int execl(const char *path, const char *arg, ...) {
  LIST_TO_ARGV(arg, argv);
  return execve(path, argv, environ);
}

int execlp(const char *file, const char *arg, ...) {
  LIST_TO_ARGV(arg, argv);
  return execvp(file, argv);
}
