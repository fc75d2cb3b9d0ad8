/* cl_map.h: CSV exports through mapping files (data/mappings/, one .json file each).
 *
 * A mapping says, for one kind of export: the header row that recognises it,
 * each column's type (string, integer, decimal, dateTime, date, time,
 * boolean), time format (ISO 8601 or YYYYMMDDHHMMSS site-local) and masking
 * (phone, national_id, pseudonym), the site's time zone, its rank in a
 * folder import, and the nodes each row becomes: IRI (template, hash, or an
 * alignment key: department, panel, epoch, channel, result), types, level,
 * and properties (literal values, IRIs, links to other nodes of the row,
 * links found through lookup facts).  The language is documented in
 * docs/mappings.md; a new site is a new mapping file, no C code.
 *
 * Mappings are read once per process from $ROOTLINE_MAPPINGS, else
 * <binary>/../data/mappings, else the source tree's data/mappings.
 * Thread safety: loading is guarded by pthread_once; afterwards read-only.
 */
#ifndef RL_CL_MAP_H
#define RL_CL_MAP_H

#include "format.h"

#include <stdio.h>

/* The "csv-export" import format: recognised by a mapping's header row. */
extern const rl_input_format rl_cl_csv_format;

/* Lists the mappings (name, rank, header) on out; the loading errors first.
 * Returns the number of mapping files that failed to load. */
int rl_cl_mappings_list(FILE *out);

#endif
