/* cl_site.h: the clinical facts of a store, loaded once into memory for the
 * findings and the causal trace (docs/modules/diagnose.md).
 *
 * rl__cl_site_load reads the predicates the analysis needs (memgraph.h),
 * then builds: results (patient and QC) with their evaluation (the flag
 * sent with the result; QC: z against the LIS target in force at the
 * completion time), streams (analyzer x channel x test, patients as one
 * stream and each QC material level as its own), runs of consecutive
 * results beyond their limit, Westgard rule hits per QC result, and the
 * centrifuge runs with their deviations.  Results completed after `as_of`
 * are left out, as are events after it.
 *
 * Internal to the clinical pack (rl__ prefix): the structs are visible to
 * cl_trace.c and cl_weights.c, nobody else.
 * Thread safety: a loaded site is read-only.
 */
#ifndef RL_CL_SITE_H
#define RL_CL_SITE_H

#include "memgraph.h"
#include "store.h"

#include <stddef.h>
#include <stdint.h>

/* The predicates the analysis reads: X(id, IRI). */
#define CL_SITE_PREDICATES(X)                                                                      \
    X(SPECIMEN, CL_LAB "specimen") X(TEST, CL_LAB "test") X(VALUE, CL_LAB "value")                 \
    X(UNIT, CL_LAB "unit") X(FLAG, CL_LAB "flag") X(REFRANGE, CL_LAB "referenceRange")             \
    X(RESULT_TIME, CL_SOSA "resultTime") X(ANALYZER, CL_INST "analyzer")                           \
    X(CHANNEL, CL_INST "channel") X(OPERATOR, CL_LAB "operator") X(UNRELIABLE, CL_RL "unreliable") \
    X(UNRELIABLE_WHY, CL_LAB "unreliableReason") X(TMEAN_IF, CL_LAB "targetMeanInForce")           \
    X(TSD_IF, CL_LAB "targetSdInForce") X(SAMPLE_ID, CL_LAB "sampleId") X(QC_LOT, CL_LAB "qcLot") \
    X(QC_LEVEL, CL_LAB "qcLevel") X(QC_MATERIAL_NAME, CL_LAB "qcMaterialName")                     \
    X(ORDERING_DEPT, CL_CLIN "orderingDepartment") X(ORDERING_CODE, CL_CLIN "orderingDeptCode")    \
    X(SPECIMEN_TYPE, CL_LAB "specimenType") X(CF_RUN, CL_INST "centrifugeRun")                     \
    X(CENTRIFUGE, CL_INST "centrifuge") X(ORDERED_PANEL, CL_LAB "orderedPanel")                    \
    X(LOCAL_CODE, CL_LAB "localCode") X(BENCH, CL_LAB "bench") X(HAS_MEMBER, CL_LAB "hasMember")   \
    X(PANEL_CODE, CL_LAB "panelCode") X(ALIGN_KEY, CL_RL "alignmentKey") X(LABEL, CL_RDFS "label") \
    X(DEPT_CODE, CL_CLIN "deptCode") X(FULL_NAME, CL_CLIN "fullName")                              \
    X(HOST_DEPT, CL_INST "hostDepartment") X(INSTRUMENT_ID, CL_INST "instrumentId")                \
    X(CHANNEL_OF, CL_INST "channelOf") X(CHANNEL_ID, CL_INST "channelId") X(MAC, CL_INST "mac")   \
    X(EPOCH_OF, CL_INST "epochOf") X(CALIBRATED_AT, CL_INST "calibratedAt")                        \
    X(REAGENT_LOT, CL_INST "reagentLot") X(CALIBRATOR_LOT, CL_INST "calibratorLot")                \
    X(ISI, CL_INST "isiConfigured") X(MNPT, CL_INST "mnptConfiguredS") X(COMMENT, CL_RDFS "comment") \
    X(AT, CL_INST "at") X(PARAMETER, CL_INST "parameter") X(OLD_VALUE, CL_INST "oldValue")         \
    X(NEW_VALUE, CL_INST "newValue") X(MATERIAL, CL_LAB "material") X(LOT_NUMBER, CL_LAB "lotNumber") \
    X(IN_USE_FROM, CL_LAB "inUseFrom") X(IN_USE_TO, CL_LAB "inUseTo")                              \
    X(TARGET_MEAN, CL_LAB "targetMean") X(TARGET_SD, CL_LAB "targetSd")                            \
    X(VALID_FROM, CL_RL "validFrom") X(VALID_TO, CL_LAB "validTo") X(ENTERED_BY, CL_LAB "enteredBy") \
    X(TARGET_SOURCE, CL_LAB "targetSource") X(LAB_AT, CL_LAB "at") X(EVENT, CL_LAB "event")        \
    X(ACTION, CL_LAB "action") X(LAB_ACTION, CL_INST "action") X(OLD_LOW, CL_LAB "oldLow")         \
    X(OLD_HIGH, CL_LAB "oldHigh") X(NEW_LOW, CL_LAB "newLow") X(NEW_HIGH, CL_LAB "newHigh")        \
    X(DATE, CL_LAB "date") X(SHIFT, CL_LAB "shift") X(START_HM, CL_LAB "start") X(END_HM, CL_LAB "end") \
    X(INST_DEPT, CL_INST "department") X(SOP_CIT, CL_INST "sopMinRcfCitrate")                      \
    X(SOP_SER, CL_INST "sopMinRcfSerum") X(ROTOR, CL_INST "rotorRadiusCm")                         \
    X(EQUIPMENT_ID, CL_INST "equipmentId") X(RUN_ID, CL_INST "runId") X(RUN_START, CL_INST "start") \
    X(PROGRAM, CL_INST "program") X(SET_RPM, CL_INST "setRpm") X(RPM, CL_INST "rpm")               \
    X(RCF, CL_INST "rcf") X(DURATION, CL_INST "durationMin") X(TEMP, CL_INST "tempC")              \
    X(CF_EVENT, CL_INST "event") X(COLLECTED_AT, CL_LAB "collectedAt")                             \
    X(CENTRIFUGED_AT, CL_LAB "centrifugedAt") X(CAMPUS_ID, CL_CLIN "campusId")                     \
    X(RULE_LEVEL, CL_RL "forLevel") X(LEVEL_INDEX, CL_RL "levelIndex") X(RULE_BASE, CL_RL "baseWeight")                            \
    X(RULE_RAISED, CL_RL "raisedWeight") X(RULE_THRESHOLD, CL_RL "raiseThreshold")                 \
    X(RULE_WINDOW, CL_RL "windowHours") X(W_VALUE, CL_RL "weight")                            \
    X(W_COMPUTED, CL_RL "computedAt") X(W_EVIDENCE, CL_RL "evidenceCount")

#define CL_P_ENUM(id, iri) CL_P_##id,
enum { CL_SITE_PREDICATES(CL_P_ENUM) CL_P_COUNT };
#undef CL_P_ENUM

/* Westgard rules, as bits of cl_res.westgard. */
enum {
    CL_WG_12S = 1 << 0,
    CL_WG_13S = 1 << 1,
    CL_WG_22S = 1 << 2,   /* two in a row beyond 2 SD on one side, this level */
    CL_WG_22S_X = 1 << 3, /* across levels, one QC run */
    CL_WG_R4S = 1 << 4,   /* one level beyond +2 SD, another beyond -2 SD, one QC run */
    CL_WG_41S = 1 << 5,
    CL_WG_41S_X = 1 << 6,
    CL_WG_10X = 1 << 7,
    CL_WG_10X_X = 1 << 8,
};
#define CL_WG_REJECT (~(unsigned)CL_WG_12S)

typedef struct cl_res {
    rl_mg_id iri, sample, test, analyzer, channel, dept, lot, level, material;
    double t;     /* completion time, seconds since the epoch */
    double value; /* when has_value */
    double z, mean, sd; /* QC, when has_z */
    int has_value, has_z, qc, unreliable;
    int evaluated; /* a flag or z says where it stands */
    int dir;       /* beyond its limit: +1 high, -1 low, 2 abnormal without a side; 0 within */
    unsigned westgard;
    uint32_t stream;
    rl_mg_id target; /* the QcTarget node used, or 0 (the result's own in-force values) */
} cl_res;

typedef struct cl_stream {
    char id[512];
    rl_mg_id analyzer, channel, test, material, level;
    char material_name[96], level_name[32];
    int qc;
    uint32_t *res; /* indexes into site->res, by completion time */
    size_t n, cap;
} cl_stream;

typedef struct cl_run {
    uint32_t stream;
    uint32_t *res; /* the results of the run (site->res indexes), in order */
    size_t n;
} cl_run;

typedef struct cl_cfrun {
    rl_mg_id iri, centrifuge, dept;
    double t;
    char run_id[64], type[32];
    double rcf, sop;  /* rcf < 0: unknown; sop < 0: no SOP for the type */
    int rcf_computed; /* from rpm and rotor radius */
    int aborted;
    int respin_of;    /* index + 1 of the aborted run this one re-spins, or 0 */
    int below_sop;
} cl_cfrun;

typedef struct rl__cl_site {
    rl_memgraph *g;
    rl_mg_id p[CL_P_COUNT];
    int tz;       /* site offset, minutes east of UTC (output times) */
    double as_of; /* seconds since the epoch; +inf when not given */
    int min_run;
    cl_res *res;
    size_t nres;
    cl_stream *streams;
    size_t nstreams;
    cl_run *runs;
    size_t nruns;
    cl_cfrun *cf;
    size_t ncf;
    /* the weights' evidence (cl_weights.c) as sorted completion times, built
     * at load: QC results a Westgard rule rejects; beyond-limit patient or QC
     * results on a channel recalibrated or reset in the 7 days before */
    double *ev_qc, *ev_ch;
    size_t nev_qc, nev_ch;
} rl__cl_site;

/* Index of the first result of stream sn completed at or after t (its
 * results are in completion-time order): where a window's scan starts. */
size_t rl__cl_stream_from(const rl__cl_site *s, const cl_stream *sn, double t);

/* Builds s->ev_qc / s->ev_ch (cl_weights.c); called by rl__cl_site_load. */
rl_status rl__cl_weights_index(rl__cl_site *s);

/* Loads and analyses the site.  as_of: seconds since the epoch, or INFINITY;
 * min_run >= 2; tz_min: the site offset for output.  RL_ERR_STORE,
 * RL_ERR_NOMEM, RL_ERR_LIMIT with err. */
rl_status rl__cl_site_load(rl_store *st, double as_of, int min_run, int tz_min, rl__cl_site **out,
                           char *err, size_t cap);
/* NULL is a no-op. */
void rl__cl_site_free(rl__cl_site *s);

/* Helpers over the loaded graph (all thread-safe on a loaded site). */
/* The time of literal object (s, p) into *t: 1 when present and valid. */
int rl__cl_time(const rl__cl_site *s, rl_mg_id subj, int pred, double *t);
/* The code at the end of an IRI ("urn:rootline:lab:test:PT" -> "PT"),
 * percent-decoded, into out[cap]. */
const char *rl__cl_tail(const rl__cl_site *s, rl_mg_id iri, char *out, size_t cap);
/* Display codes of an analyzer, physical channel, test (the entity's own
 * code property, else its IRI's tail). */
const char *rl__cl_analyzer_code(const rl__cl_site *s, rl_mg_id a, char *out, size_t cap);
const char *rl__cl_channel_code(const rl__cl_site *s, rl_mg_id c, char *out, size_t cap);
const char *rl__cl_test_code(const rl__cl_site *s, rl_mg_id t, char *out, size_t cap);
/* The Westgard rule names of a bit set, e.g. "1-2s", "2-2s (across levels)". */
const char *rl__cl_wg_name(unsigned bit);
/* The stream whose id is `id`, or -1. */
long rl__cl_stream_find(const rl__cl_site *s, const char *id);

#endif
