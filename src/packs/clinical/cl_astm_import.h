/* cl_astm_import.h: ASTM E1394 (LIS2-A2) sessions as an import format.
 *
 * H-5 (component 1) names the instrument (or --set instrument=ID); H-12 = Q
 * marks a QC session.  P: a patient node (lab-assigned id P-4 pseudonymised,
 * national ID P-3 and phone P-13 masked; name and birth date never stored).
 * O: the sample (O-3, else O-4); QC when H-12 = Q, O-12 = Q or O-16 starts
 * with CTRL (material O-16.2, level O-16.3); a following C record
 * "LOT^<lot>" names the QC lot.  R: one result (cl_graph.h) identified by
 * sample, test, instrument (R-14 or H-5) and completion time (R-13,
 * else R-12, else H-14 with a warning); R-9 = X or W, or a placeholder value
 * ("-----"), marks it unreliable.  Other C records become comments.
 * Parameters: instrument=ID, tz=+HH:MM (default +08:00), astm=strict.
 */
#ifndef RL_CL_ASTM_IMPORT_H
#define RL_CL_ASTM_IMPORT_H

#include "format.h"

extern const rl_input_format rl_cl_astm_format;

#endif
