#include "script.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int script_add_force(script_t *s, double t_s, int32_t raw0, int32_t raw1) {
  force_point_t *p = realloc(s->force, sizeof(*p) * (size_t)(s->n_force + 1));
  if (!p) return -1;
  s->force = p;
  p[s->n_force].t_s = t_s;
  p[s->n_force].raw[0] = raw0;
  p[s->n_force].raw[1] = raw1;
  s->n_force++;
  return 0;
}

int script_add_gap(script_t *s, double t_s, int32_t gap_mm) {
  gap_point_t *p = realloc(s->gap, sizeof(*p) * (size_t)(s->n_gap + 1));
  if (!p) return -1;
  s->gap = p;
  p[s->n_gap].t_s = t_s;
  p[s->n_gap].gap_mm = gap_mm;
  s->n_gap++;
  return 0;
}

int script_parse_gap(const char *text, int32_t *gap_mm) {
  if (!strcmp(text, "none")) *gap_mm = GAP_NO_ECHO;
  else if (!strcmp(text, "absent")) *gap_mm = GAP_ABSENT;
  else if (!strcmp(text, "floating")) *gap_mm = GAP_FLOATING;
  else {
    char *end;
    long v = strtol(text, &end, 10);
    if (*end || v < 0 || v > 10000) return -1;
    *gap_mm = (int32_t)v;
  }
  return 0;
}

int script_load(script_t *s, const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) {
    perror(path);
    return -1;
  }
  char line[256];
  int lineno = 0;
  while (fgets(line, sizeof line, f)) {
    lineno++;
    char kind[16], a[64], b[64], c[64];
    char *hash = strchr(line, '#');
    if (hash) *hash = '\0';
    int n = sscanf(line, "%15s %63s %63s %63s", kind, a, b, c);
    if (n <= 0) continue;
    double t = atof(a);
    int bad = 0;
    if (!strcmp(kind, "force") && n == 4) {
      long r0 = strtol(b, NULL, 10), r1 = strtol(c, NULL, 10);
      bad = r0 < -8388608L || r0 > 8388607L || r1 < -8388608L || r1 > 8388607L ||
            script_add_force(s, t, (int32_t)r0, (int32_t)r1);
    } else if (!strcmp(kind, "gap") && n == 3) {
      int32_t g;
      bad = script_parse_gap(b, &g) || script_add_gap(s, t, g);
    } else {
      bad = 1;
    }
    if (bad) {
      fprintf(stderr, "%s:%d: cannot read this line\n", path, lineno);
      fclose(f);
      return -1;
    }
  }
  fclose(f);
  return 0;
}

/* The last point at or before t (points are taken in file order). */
void script_force_at(const script_t *s, double t_s, int32_t raw[2]) {
  raw[0] = raw[1] = 0;
  for (int i = 0; i < s->n_force && s->force[i].t_s <= t_s; i++) {
    raw[0] = s->force[i].raw[0];
    raw[1] = s->force[i].raw[1];
  }
}

int32_t script_gap_at(const script_t *s, double t_s) {
  int32_t gap = GAP_ABSENT;
  for (int i = 0; i < s->n_gap && s->gap[i].t_s <= t_s; i++) gap = s->gap[i].gap_mm;
  return gap;
}

void script_free(script_t *s) {
  free(s->force);
  free(s->gap);
  memset(s, 0, sizeof(*s));
}
