/* The environment: environ starts as the kernel's array on the stack; the first change copies
 * it into the heap, where setenv and unsetenv then edit it. Strings setenv makes are never
 * freed (a replaced one may still be referenced by a caller), as in most small libcs. */
#include "libc.h"

char **environ;
static int owned; /* environ was allocated here */

/* The slot holding NAME=..., or NULL. */
static char **find(const char *name, size_t len) {
  for (char **e = environ; e && *e; e++)
    if (strncmp(*e, name, len) == 0 && (*e)[len] == '=') return e;
  return NULL;
}

char *getenv(const char *name) {
  char **e = find(name, strlen(name));
  return e ? *e + strlen(name) + 1 : NULL;
}

static int own(size_t extra) {
  size_t n = 0;
  while (environ && environ[n]) n++;
  char **e = malloc((n + extra + 1) * sizeof *e);
  if (!e) return -1;
  for (size_t i = 0; i < n; i++) e[i] = environ[i];
  e[n] = NULL;
  if (owned) free(environ);
  environ = e;
  owned = 1;
  return 0;
}

int setenv(const char *name, const char *value, int overwrite) {
  size_t len = strlen(name);
  if (len == 0 || strchr(name, '=')) return errno = EINVAL, -1;
  char **e = find(name, len);
  if (e && !overwrite) return 0;
  char *s = malloc(len + strlen(value) + 2);
  if (!s) return -1;
  strcpy(s, name);
  s[len] = '=';
  strcpy(s + len + 1, value);
  if (e) {
    *e = s;
    return 0;
  }
  if (own(1) < 0) return -1;
  size_t n = 0;
  while (environ[n]) n++;
  environ[n] = s;
  environ[n + 1] = NULL;
  return 0;
}

int unsetenv(const char *name) {
  size_t len = strlen(name);
  if (len == 0 || strchr(name, '=')) return errno = EINVAL, -1;
  char **e;
  while ((e = find(name, len)) != NULL)
    do e[0] = e[1];
    while (*e++);
  return 0;
}
