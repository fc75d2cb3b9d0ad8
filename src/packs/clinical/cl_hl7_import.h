/* cl_hl7_import.h: HL7 v2 files as an import format ("hl7v2").
 *
 * MFN^M05: LOC/LRL -> departments (LOC-1.1 code, LOC-1.4 campus, LOC-2 full
 * name, LOC-3 type; parent code LRL-6.1, else LRL-5.10 / LRL-5.1).
 * MFN^M08: OM1/OM2 -> tests (OM1-2 local code with system L, LOINC with LN,
 * OM1-14 method, OM2-2 unit, OM2-6 reference range).  MFN^M10: OM1/OM5 ->
 * panels, keyed by OM1-2 name, OM1-14 method and the unit of the first OM5
 * member test (HL7 gives no panel unit).  ADT^A01/A02/A03/A04/A08: a patient
 * movement to the PV1-3 department.  ORU^R01: OBR (specimen OBR-3, else
 * OBR-2, ORC-3, ORC-2; panel OBR-4) and OBX results (test OBX-3, local code
 * or LOINC through the catalogue; OBX-18 instrument; completion OBX-19, else
 * OBX-14, else the order's or message's time with a warning; OBX-11 = X
 * unreliable), NTE comments.  PID: patient (cl_graph.h); PID-3 with type
 * NNCHN is the national ID.  Z-segments are kept as text after masking.
 * Masters define their lookup facts in a first pass, so one file may carry
 * masters and the records that use them in any order.
 */
#ifndef RL_CL_HL7_IMPORT_H
#define RL_CL_HL7_IMPORT_H

#include "format.h"

extern const rl_input_format rl_cl_hl7_format;

#endif
