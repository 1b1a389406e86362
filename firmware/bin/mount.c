/* mount: without arguments lists the mounted file systems from /proc/mounts as
 * "SOURCE on DIR type TYPE (OPTIONS)". mount [-t TYPE] [-o OPTIONS] SOURCE DIR mounts one
 * through mount(2); OPTIONS may include ro, rw, remount, nosuid, nodev, noexec, and anything
 * else, which is passed on to the file system as data. */
#include "libc.h"

static const struct { const char *name; unsigned long flag; } FLAGS[] = {
  { "ro", 1 }, { "rw", 0 }, { "nosuid", 2 }, { "nodev", 4 }, { "noexec", 8 }, { "remount", 32 },
  { "bind", 4096 }, { "defaults", 0 },
};

/* The next space-separated field of *s (NULL at the end of the line). */
static char *field(char **s) {
  char *p = *s + strspn(*s, " \t\n");
  if (*p == 0) return NULL;
  char *end = p + strcspn(p, " \t\n");
  *s = *end ? end + 1 : end;
  *end = 0;
  return p;
}

static int list(void) {
  FILE *f = fopen("/proc/mounts", "r");
  if (!f) err(1, "/proc/mounts");
  char line[1024];
  while (fgets(line, sizeof line, f)) {
    char *s = line, *src = field(&s), *dir = field(&s), *type = field(&s), *opts = field(&s);
    if (opts) printf("%s on %s type %s (%s)\n", src, dir, type, opts);
  }
  fclose(f);
  return 0;
}

int main(int argc, char **argv) {
  const char *type = NULL, *opts = "";
  int c;
  while ((c = getopt(argc, argv, "t:o:")) != -1) {
    if (c == 't') type = optarg;
    else if (c == 'o') opts = optarg;
    else return 1;
  }
  if (optind == argc) return list();
  if (argc - optind != 2) errx(1, "usage: mount [-t TYPE] [-o OPTIONS] SOURCE DIR");
  unsigned long flags = 0;
  char *data = xmalloc(strlen(opts) + 1), *d = data;
  char *copy = xstrdup(opts);
  for (char *o = copy; o && *o;) {
    char *comma = strchr(o, ',');
    if (comma) *comma = 0;
    int known = 0;
    for (unsigned k = 0; k < sizeof FLAGS / sizeof *FLAGS; k++)
      if (strcmp(o, FLAGS[k].name) == 0) flags |= FLAGS[k].flag, known = 1;
    if (!known) d += sprintf(d, "%s%s", d == data ? "" : ",", o);
    o = comma ? comma + 1 : NULL;
  }
  if (mount(argv[optind], argv[optind + 1], type ? type : "", flags, data) < 0)
    err(1, "mounting %s on %s", argv[optind], argv[optind + 1]);
  return 0;
}
