/* File-system changes in an empty working directory: mkdir/rmdir, unlink, rename (incl.
 * renameat2 RENAME_NOREPLACE and RENAME_EXCHANGE), symlink/readlink, hard links, chmod, utimensat with explicit,
 * omitted and current times, truncate/ftruncate, unlinkat(AT_REMOVEDIR), and the errno of each
 * refusal. Prints nothing that depends on the time or the directory's name. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static void check(const char *what, int r) { printf("%-28s %d %s\n", what, r, r < 0 ? strerror(errno) : ""); }

static void mode_of(const char *path) {
  struct stat st;
  if (lstat(path, &st) == 0) printf("  %s: mode %o links %lu size %lld\n", path, st.st_mode & 07777, (unsigned long)st.st_nlink, (long long)st.st_size);
  else printf("  %s: %s\n", path, strerror(errno));
}

int main(void) {
  umask(022);
  check("mkdir d", mkdir("d", 0777));
  mode_of("d");
  check("mkdir d again", mkdir("d", 0777));
  check("mkdir missing/x", mkdir("missing/x", 0777));
  int fd = open("d/f", O_WRONLY | O_CREAT | O_TRUNC, 0666);
  check("write d/f", (int)write(fd, "hello, world\n", 13));
  close(fd);
  mode_of("d/f");
  check("rmdir d (not empty)", rmdir("d"));
  check("rmdir d/f (a file)", rmdir("d/f"));
  check("unlink d (a directory)", unlink("d"));
  check("rename d/f d/g", rename("d/f", "d/g"));
  check("rename missing", rename("d/f", "d/h"));
  fd = open("d/h", O_WRONLY | O_CREAT, 0600);
  close(fd);
  check("rename d/g over d/h", rename("d/g", "d/h"));
  mode_of("d/h");
  check("renameat2 noreplace", (int)syscall(SYS_renameat2, AT_FDCWD, "d/h", AT_FDCWD, "d", 1));
  /* RENAME_EXCHANGE: a file and a directory swap names; an open descriptor follows its file */
  mkdir("x", 0700);
  fd = open("d/h", O_RDONLY);
  check("renameat2 exchange", (int)syscall(SYS_renameat2, AT_FDCWD, "d/h", AT_FDCWD, "x", 2));
  struct stat xs;
  printf("  x is a directory %d, d/h is a directory %d\n", stat("x", &xs) == 0 && S_ISDIR(xs.st_mode), stat("d/h", &xs) == 0 && S_ISDIR(xs.st_mode));
  struct stat fs1, fs2;
  printf("  the descriptor's file is x now %d\n", fstat(fd, &fs1) == 0 && stat("x", &fs2) == 0 && fs1.st_ino == fs2.st_ino);
  close(fd);
  check("renameat2 exchange back", (int)syscall(SYS_renameat2, AT_FDCWD, "x", AT_FDCWD, "d/h", 2));
  check("renameat2 exchange missing", (int)syscall(SYS_renameat2, AT_FDCWD, "d/h", AT_FDCWD, "nothing", 2));
  check("renameat2 exchange|noreplace", (int)syscall(SYS_renameat2, AT_FDCWD, "d/h", AT_FDCWD, "x", 3));
  rmdir("x");
  check("symlink h -> d/s", symlink("h", "d/s"));
  char buf[64] = {0};
  check("readlink d/s", (int)readlink("d/s", buf, sizeof buf - 1));
  printf("  target %s\n", buf);
  check("link d/h d/hard", link("d/h", "d/hard"));
  mode_of("d/h");
  check("chmod d/h 640", chmod("d/h", 0640));
  mode_of("d/hard");
  struct timespec ts[2] = {{1000000000, 500}, {1234567890, 250000000}};
  check("utimensat explicit", utimensat(AT_FDCWD, "d/h", ts, 0));
  struct stat st;
  stat("d/h", &st);
  printf("  mtime %ld.%09ld atime %ld\n", (long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec, (long)st.st_atim.tv_sec);
  struct timespec omit[2] = {{0, UTIME_OMIT}, {42, 0}};
  check("utimensat omit atime", utimensat(AT_FDCWD, "d/h", omit, 0));
  stat("d/h", &st);
  printf("  mtime %ld atime %ld\n", (long)st.st_mtim.tv_sec, (long)st.st_atim.tv_sec);
  check("utimensat now", utimensat(AT_FDCWD, "d/h", NULL, 0));
  stat("d/h", &st);
  printf("  mtime recent %d\n", st.st_mtim.tv_sec > 1700000000);
  check("truncate d/h 5", truncate("d/h", 5));
  mode_of("d/h");
  fd = open("d/h", O_RDWR);
  check("ftruncate 100", ftruncate(fd, 100));
  close(fd);
  mode_of("d/h");
  check("unlink d/s", unlink("d/s"));
  check("unlink d/hard", unlink("d/hard"));
  check("unlink d/h", unlink("d/h"));
  check("unlinkat d removedir", unlinkat(AT_FDCWD, "d", AT_REMOVEDIR));
  check("unlinkat bad flags", unlinkat(AT_FDCWD, "d", 0x8000));
  mode_of("d");

  /* a rename moves what refers to the directory: the working directory, a directory
   * descriptor and the paths /proc shows for open files */
  mkdir("w", 0755);
  int wf = open("w/file", O_CREAT | O_RDWR, 0644);
  int wd = open("w", O_RDONLY | O_DIRECTORY);
  check("chdir w", chdir("w"));
  char here[4096], link[4096];
  getcwd(here, sizeof here);
  check("rename the working directory", rename(here, "../w2") == 0 ? rename("../w2", "../w3") : -1);
  check("create in it", close(open("made", O_CREAT | O_WRONLY, 0644)));
  char now[4096];
  getcwd(now, sizeof now);
  printf("  getcwd ends with /w3: %d\n", strlen(now) > 3 && strcmp(now + strlen(now) - 3, "/w3") == 0);
  check("openat through the descriptor", close(openat(wd, "file", O_RDONLY)));
  snprintf(here, sizeof here, "/proc/self/fd/%d", wf);
  ssize_t n = readlink(here, link, sizeof link - 1);
  link[n < 0 ? 0 : n] = 0;
  printf("  open file's link ends with /w3/file: %d\n", n > 8 && strcmp(link + n - 8, "/w3/file") == 0);
  check("unlink made", unlink("made"));
  check("unlink file", unlink("file"));
  close(wf);
  /* fstat of a directory descriptor sees a chmod made through it; an empty path is ENOENT
   * whatever the descriptor */
  check("fchmod w3 1777", fchmod(wd, 01777));
  struct stat ds;
  fstat(wd, &ds);
  printf("  fstat after fchmod: %o\n", ds.st_mode & 07777);
  int plain = open("plainfile", O_CREAT | O_WRONLY, 0644);
  check("fchmodat file fd, empty path", fchmodat(plain, "", 0600, 0));
  close(plain);
  unlink("plainfile");
  /* a null path: utimes and utimensat with AT_FDCWD fail with EFAULT */
  check("utimes(NULL)", utimes(NULL, NULL));
  check("utimensat(AT_FDCWD, NULL)", syscall(SYS_utimensat, AT_FDCWD, NULL, NULL, 0));
  /* readlinkat with an empty path reads the link an O_PATH | O_NOFOLLOW descriptor names */
  symlink("some/target", "lnk");
  int lf = open("lnk", O_PATH | O_NOFOLLOW);
  char lbuf[64] = {0};
  check("readlinkat(fd, \"\")", readlinkat(lf, "", lbuf, sizeof lbuf - 1));
  printf("  %s\n", lbuf);
  check("readlinkat(cwd, \"\")", readlinkat(AT_FDCWD, "", lbuf, sizeof lbuf));
  close(lf);
  unlink("lnk");
  close(wd);
  check("chdir ..", chdir(".."));
  check("rmdir w3", rmdir("w3"));
  /* a directory removed while open: fstat still works (no links left), listing it is ENOENT,
   * readahead is EINVAL as for any directory */
  mkdir("gone", 0700);
  int gd = open("gone", O_RDONLY | O_DIRECTORY);
  check("rmdir of an open directory", rmdir("gone"));
  struct stat gst;
  check("fstat of it", fstat(gd, &gst));
  printf("  a directory %d, links %lu\n", S_ISDIR(gst.st_mode), (unsigned long)gst.st_nlink);
  char dbuf[1024];
  check("getdents64 of it", (int)syscall(SYS_getdents64, gd, dbuf, sizeof dbuf));
  check("readahead of it", (int)readahead(gd, 0, 4096));
  close(gd);
  /* names that are not ASCII reach the file system byte for byte (UTF-8 and not): made,
   * listed by readdir, opened, renamed and removed by the same bytes */
  const char *names[] = {"d\xc3\xa9j\xc3\xa0", "\xff\xfe raw", "\xe2\x82\xac"};
  for (int i = 0; i < 3; i++) {
    char sub[64], file[128], moved[64];
    snprintf(sub, sizeof sub, "n%d-%s", i, names[i]);
    snprintf(file, sizeof file, "%s/%s", sub, names[i]);
    snprintf(moved, sizeof moved, "m%d-%s", i, names[i]);
    check("mkdir of a non-ASCII name", mkdir(sub, 0755));
    int nf = open(file, O_CREAT | O_WRONLY | O_EXCL, 0644);
    check("create inside it", nf);
    close(nf);
    DIR *nd = opendir(sub);
    struct dirent *ne;
    int seen = 0;
    while (nd && (ne = readdir(nd)) != NULL) seen += strcmp(ne->d_name, names[i]) == 0;
    if (nd) closedir(nd);
    printf("  readdir lists it by its bytes: %d\n", seen);
    check("unlink it", unlink(file));
    check("rename the directory", rename(sub, moved));
    check("rmdir it", rmdir(moved));
  }
  /* fchmodat2: a symbolic link itself has no mode; AT_EMPTY_PATH takes an O_PATH descriptor */
  {
    struct stat fst;
    close(open("m2", O_CREAT | O_WRONLY, 0644));
    symlink("m2", "m2link");
    check("fchmodat2 nofollow file", syscall(452, AT_FDCWD, "m2", 0600, AT_SYMLINK_NOFOLLOW));
    stat("m2", &fst);
    printf("  mode %o\n", fst.st_mode & 07777);
    check("fchmodat2 nofollow link", syscall(452, AT_FDCWD, "m2link", 0700, AT_SYMLINK_NOFOLLOW));
    check("fchmodat2 through link", syscall(452, AT_FDCWD, "m2link", 0640, 0));
    stat("m2", &fst);
    printf("  mode %o\n", fst.st_mode & 07777);
    int pf = open("m2", O_PATH);
    check("fchmodat2 O_PATH, empty", syscall(452, pf, "", 0604, AT_EMPTY_PATH));
    check("fchmodat2 empty, no flag", syscall(452, pf, "", 0604, 0));
    check("fchmod O_PATH", fchmod(pf, 0604));
    check("fchmodat2 bad flag", syscall(452, AT_FDCWD, "m2", 0604, 0x2000));
    fstat(pf, &fst);
    printf("  mode %o\n", fst.st_mode & 07777);
    check("fchownat O_PATH, empty", fchownat(pf, "", -1, -1, AT_EMPTY_PATH));
    check("fchown O_PATH", fchown(pf, -1, -1));
    struct timespec pts[2] = {{5, 0}, {6, 0}};
    check("utimensat O_PATH, empty", utimensat(pf, "", pts, AT_EMPTY_PATH));
    check("futimens O_PATH", futimens(pf, pts));
    fstat(pf, &fst);
    printf("  mtime %ld\n", (long)fst.st_mtime);
    close(pf);
    unlink("m2link");
    unlink("m2");
  }
  /* statx's birth time: where the file system keeps it, not before the file was made */
  {
    struct timespec t0;
    clock_gettime(CLOCK_REALTIME, &t0);
    close(open("born", O_CREAT | O_WRONLY, 0644));
    struct statx sx;
    statx(AT_FDCWD, "born", 0, STATX_BASIC_STATS | STATX_BTIME, &sx);
    printf("statx birth time: %s\n", !(sx.stx_mask & STATX_BTIME) ? "none" : (long long)sx.stx_btime.tv_sec >= (long long)t0.tv_sec - 1 ? "at creation" : "wrong");
    unlink("born");
  }
  /* times set to the microsecond come back exact, before 1970 too */
  {
    long cases[][2] = {{4, 5006000}, {1, 2003000}, {0, 999999000}, {-2, 500000000}, {-1, 999999000}, {1700000000, 123456000}};
    close(open("ut", O_CREAT | O_WRONLY, 0644));
    for (int i = 0; i < 6; i++) {
      struct timespec ts[2] = {{cases[i][0], cases[i][1]}, {cases[i][0], cases[i][1]}};
      int r = utimensat(AT_FDCWD, "ut", ts, 0);
      struct stat ust;
      stat("ut", &ust);
      printf("utimensat %ld.%09ld: %d, mtime %ld.%09ld atime %ld.%09ld\n", cases[i][0], cases[i][1], r, (long)ust.st_mtim.tv_sec, ust.st_mtim.tv_nsec, (long)ust.st_atim.tv_sec, ust.st_atim.tv_nsec);
    }
    unlink("ut");
  }
  return 0;
}
