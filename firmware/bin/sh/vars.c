/* Shell variables: a list of NAME, value and whether it is exported; the environment passed
 * to commands is built from the exported ones. Also the positional parameters ($0, $1...). */
#include "sh.h"

typedef struct Var {
  struct Var *next;
  char *name, *value;
  int exported;
} Var;

static Var *vars;
char *arg0 = "sh";
char **posv;
int posc;

int var_valid_name(const char *s, size_t n) {
  if (n == 0 || !(isalpha(*s) || *s == '_')) return 0;
  for (size_t i = 1; i < n; i++)
    if (!(isalnum(s[i]) || s[i] == '_')) return 0;
  return 1;
}

static Var *find(const char *name) {
  for (Var *v = vars; v; v = v->next)
    if (strcmp(v->name, name) == 0) return v;
  return NULL;
}

char *var_get(const char *name) {
  Var *v = find(name);
  return v && v->value ? v->value : NULL;
}

void var_set(const char *name, const char *value, int export) {
  Var *v = find(name);
  if (!v) {
    v = xmalloc(sizeof *v);
    v->name = xstrdup(name);
    v->value = NULL;
    v->exported = 0;
    v->next = vars;
    vars = v;
  }
  if (value) {
    char *old = v->value;
    v->value = xstrdup(value);
    free(old);
  }
  if (export) v->exported = 1;
}

void var_export(const char *name) { var_set(name, NULL, 1); }

void var_unset(const char *name) {
  for (Var **p = &vars; *p; p = &(*p)->next) {
    if (strcmp((*p)->name, name) == 0) {
      Var *v = *p;
      *p = v->next;
      free(v->name);
      free(v->value);
      free(v);
      return;
    }
  }
}

char **var_environ(void) {
  int n = 0;
  for (Var *v = vars; v; v = v->next) n += v->exported && v->value;
  char **env = xmalloc((n + 1) * sizeof *env);
  int i = n;
  env[i] = NULL;
  /* The list is newest first; the environment keeps the order variables arrived in. */
  for (Var *v = vars; v; v = v->next) {
    if (!v->exported || !v->value) continue;
    env[--i] = xmalloc(strlen(v->name) + strlen(v->value) + 2);
    sprintf(env[i], "%s=%s", v->name, v->value);
  }
  return env;
}

void vars_import(char **envp) {
  for (char **e = envp; e && *e; e++) {
    char *eq = strchr(*e, '=');
    if (!eq || !var_valid_name(*e, eq - *e)) continue;
    char *name = strndup(*e, eq - *e);
    var_set(name, eq + 1, 1);
    free(name);
  }
}

static int by_name(const void *a, const void *b) { return strcmp((*(Var *const *)a)->name, (*(Var *const *)b)->name); }

/* Prints NAME='value' lines, sorted, quoted so the shell could read them back. */
void var_print(int exported_only) {
  int n = 0;
  for (Var *v = vars; v; v = v->next) n++;
  Var **all = xmalloc((n + 1) * sizeof *all);
  n = 0;
  for (Var *v = vars; v; v = v->next)
    if (!exported_only || v->exported) all[n++] = v;
  qsort(all, n, sizeof *all, by_name);
  for (int i = 0; i < n; i++) {
    if (exported_only) printf("export ");
    fputs(all[i]->name, stdout);
    if (all[i]->value) {
      fputs("='", stdout);
      for (char *p = all[i]->value; *p; p++) {
        if (*p == '\'') fputs("'\\''", stdout);
        else putchar(*p);
      }
      putchar('\'');
    }
    putchar('\n');
  }
  free(all);
}

void set_positional(char **v, int n) {
  char **nv = xmalloc((n + 1) * sizeof *nv);
  for (int i = 0; i < n; i++) nv[i] = xstrdup(v[i]);
  nv[n] = NULL;
  for (int i = 0; i < posc; i++) free(posv[i]);
  free(posv);
  posv = nv;
  posc = n;
}
