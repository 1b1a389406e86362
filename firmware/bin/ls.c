/* ls [-l] [-a] [-1] [-d] [FILE...]: lists directories (sorted by name, in byte order) and
 * files. -a shows names starting with '.', -l the long format (mode, links, owner, group, size
 * or device numbers, modification time in UTC, "-> target" for links), -d lists directories
 * themselves, -1 one name per line. On a terminal names go in columns across its width;
 * otherwise one per line. Owner and group names come from /etc/passwd and /etc/group. */
#include "libc.h"

static int all, longfmt, one, dirs_as_files;
static time_t now;

typedef struct {
  char *name; /* as shown */
  char *path; /* to stat and readlink */
  struct stat st;
} Entry;

/* The name for id in a passwd-style file (name:x:id:...), or NULL. */
static const char *lookup(const char *file, unsigned long id, char *buf, size_t n) {
  FILE *f = fopen(file, "r");
  if (!f) return NULL;
  const char *found = NULL;
  while (!found && fgets(buf, n, f)) {
    char *c1 = strchr(buf, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c2) continue;
    char *end;
    if (strtoul(c2 + 1, &end, 10) == id && *end == ':' && end > c2 + 1) {
      *c1 = 0;
      found = buf;
    }
  }
  fclose(f);
  return found;
}

/* A one-entry cache each: listings are mostly owned by one user. */
static const char *owner(unsigned long id, int group) {
  static char names[2][256], bufs[2][256];
  static unsigned long ids[2] = { ~0ul, ~0ul };
  if (ids[group] != id) {
    const char *n = lookup(group ? "/etc/group" : "/etc/passwd", id, bufs[group], sizeof bufs[group]);
    if (n) snprintf(names[group], sizeof names[group], "%s", n);
    else snprintf(names[group], sizeof names[group], "%lu", id);
    ids[group] = id;
  }
  return names[group];
}

static void mode_string(unsigned m, char *s) {
  static const char types[] = "?pc?d?b?-?l?s???";
  s[0] = types[(m >> 12) & 15];
  const char *rwx = "rwxrwxrwx";
  for (int i = 0; i < 9; i++) s[1 + i] = (m & (0400 >> i)) ? rwx[i] : '-';
  if (m & S_ISUID) s[3] = (m & 0100) ? 's' : 'S';
  if (m & S_ISGID) s[6] = (m & 0010) ? 's' : 'S';
  if (m & S_ISVTX) s[9] = (m & 0001) ? 't' : 'T';
  s[10] = 0;
}

static int width_of(unsigned long long v) {
  int w = 1;
  while (v >= 10) v /= 10, w++;
  return w;
}

static void print_long(Entry *e, int n) {
  int wl = 1, wu = 1, wg = 1, ws = 1;
  for (int i = 0; i < n; i++) {
    struct stat *st = &e[i].st;
    int w = width_of(st->st_nlink);
    if (w > wl) wl = w;
    if ((w = strlen(owner(st->st_uid, 0))) > wu) wu = w;
    if ((w = strlen(owner(st->st_gid, 1))) > wg) wg = w;
    if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode)) w = width_of(major(st->st_rdev)) + 2 + width_of(minor(st->st_rdev));
    else w = width_of(st->st_size);
    if (w > ws) ws = w;
  }
  for (int i = 0; i < n; i++) {
    struct stat *st = &e[i].st;
    char mode[11], size[32], date[32];
    mode_string(st->st_mode, mode);
    if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode)) snprintf(size, sizeof size, "%u, %u", major(st->st_rdev), minor(st->st_rdev));
    else snprintf(size, sizeof size, "%lld", st->st_size);
    struct tm tm;
    time_t t = st->st_mtime;
    gmtime_r(&t, &tm);
    const char *mon = __month_names[tm.tm_mon];
    /* Like GNU ls: the time for the last six months, the year otherwise. */
    if (t > now - 15778476 && t <= now + 60) snprintf(date, sizeof date, "%.3s %2d %02d:%02d", mon, tm.tm_mday, tm.tm_hour, tm.tm_min);
    else snprintf(date, sizeof date, "%.3s %2d  %d", mon, tm.tm_mday, tm.tm_year + 1900);
    printf("%s %*u %-*s %-*s %*s %s %s", mode, wl, st->st_nlink, wu, owner(st->st_uid, 0), wg, owner(st->st_gid, 1), ws, size, date, e[i].name);
    if (S_ISLNK(st->st_mode)) {
      char target[PATH_MAX];
      ssize_t k = readlink(e[i].path, target, sizeof target - 1);
      if (k >= 0) {
        target[k] = 0;
        printf(" -> %s", target);
      }
    }
    putchar('\n');
  }
}

/* Columns filled top to bottom, as many as fit the terminal's width with two spaces between. */
static void print_columns(Entry *e, int n) {
  struct winsize ws;
  int width = ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_col ? ws.ws_col : 80;
  int maxlen = 1;
  for (int i = 0; i < n; i++)
    if ((int)strlen(e[i].name) > maxlen) maxlen = strlen(e[i].name);
  int cols = width / (maxlen + 2);
  if (cols < 1) cols = 1;
  int rows = (n + cols - 1) / cols;
  for (int r = 0; r < rows; r++) {
    for (int c = 0; c < cols; c++) {
      int i = c * rows + r;
      if (i >= n) break;
      int last = i + rows >= n;
      printf("%-*s", last ? 0 : maxlen + 2, e[i].name);
      if (last) break;
    }
    putchar('\n');
  }
}

static void print_entries(Entry *e, int n) {
  if (longfmt) print_long(e, n);
  else if (!one && isatty(1)) print_columns(e, n);
  else
    for (int i = 0; i < n; i++) puts(e[i].name);
}

static int by_name(const void *a, const void *b) { return strcmp(((const Entry *)a)->name, ((const Entry *)b)->name); }
static int by_string(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int list_dir(const char *path) {
  DIR *d = opendir(path);
  if (!d) return warn("cannot open directory '%s'", path), 2;
  int n = 0, cap = 64;
  Entry *e = xmalloc(cap * sizeof *e);
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (de->d_name[0] == '.' && !all) continue;
    if (n == cap) e = realloc(e, (cap *= 2) * sizeof *e);
    if (!e) err(2, "out of memory");
    e[n].name = xstrdup(de->d_name);
    e[n].path = xmalloc(strlen(path) + strlen(de->d_name) + 2);
    sprintf(e[n].path, "%s/%s", path, de->d_name);
    if (longfmt && lstat(e[n].path, &e[n].st) < 0) {
      warn("cannot access '%s'", e[n].path);
      continue;
    }
    n++;
  }
  closedir(d);
  qsort(e, n, sizeof *e, by_name);
  if (longfmt) {
    unsigned long long blocks = 0;
    for (int i = 0; i < n; i++) blocks += e[i].st.st_blocks;
    printf("total %llu\n", blocks / 2);
  }
  print_entries(e, n);
  for (int i = 0; i < n; i++) free(e[i].name), free(e[i].path);
  free(e);
  return 0;
}

int main(int argc, char **argv) {
  int c, status = 0;
  while ((c = getopt(argc, argv, "la1d")) != -1) {
    if (c == 'l') longfmt = 1;
    else if (c == 'a') all = 1;
    else if (c == '1') one = 1;
    else if (c == 'd') dirs_as_files = 1;
    else return 2;
  }
  now = time(NULL);
  char *dot[] = { ".", NULL };
  char **ops = optind < argc ? argv + optind : dot;
  int nops = optind < argc ? argc - optind : 1;
  /* Operands that are files (or -d) are listed first, together; then each directory. */
  Entry *files = xmalloc(nops * sizeof *files);
  char **dirs = xmalloc(nops * sizeof *dirs);
  int nf = 0, nd = 0;
  for (int i = 0; i < nops; i++) {
    struct stat st;
    if ((longfmt ? lstat(ops[i], &st) : stat(ops[i], &st)) < 0) {
      warn("cannot access '%s'", ops[i]);
      status = 2;
      continue;
    }
    if (S_ISDIR(st.st_mode) && !dirs_as_files) {
      dirs[nd++] = ops[i];
    } else {
      files[nf].name = files[nf].path = ops[i];
      files[nf++].st = st;
    }
  }
  qsort(files, nf, sizeof *files, by_name);
  qsort(dirs, nd, sizeof *dirs, by_string);
  print_entries(files, nf);
  for (int i = 0; i < nd; i++) {
    if (nf + nd > 1 || status) printf("%s%s:\n", (nf || i) ? "\n" : "", dirs[i]);
    int r = list_dir(dirs[i]);
    if (r > status) status = r;
  }
  return status;
}
