/* Scripted ground truth for the harness: per-channel raw counts and the gap,
 * piecewise constant over device time (seconds since the last AVR reset). */
#pragma once
#include <stdint.h>

#define GAP_NO_ECHO (-1)    /* the sensor sends its 38 ms "nothing in range" pulse */
#define GAP_ABSENT (-2)     /* no sensor: ECHO never rises */
#define GAP_FLOATING (-3)   /* no sensor and ECHO floating: a noise edge now and then */

typedef struct { double t_s; int32_t raw[2]; } force_point_t;
typedef struct { double t_s; int32_t gap_mm; } gap_point_t;

typedef struct {
  force_point_t *force;
  int n_force;
  gap_point_t *gap;
  int n_gap;
} script_t;

/* Lines: "force T RAW0 RAW1", "gap T MM" (MM may be "none" = no echo,
 * "absent" = no sensor, "floating" = no sensor on a floating ECHO), '#' comments. Returns 0, or -1 with a message. */
int script_load(script_t *s, const char *path);
int script_add_force(script_t *s, double t_s, int32_t raw0, int32_t raw1);
int script_add_gap(script_t *s, double t_s, int32_t gap_mm);
int script_parse_gap(const char *text, int32_t *gap_mm);
void script_force_at(const script_t *s, double t_s, int32_t raw[2]);
int32_t script_gap_at(const script_t *s, double t_s);
void script_free(script_t *s);
