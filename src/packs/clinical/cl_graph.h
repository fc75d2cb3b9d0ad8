/* cl_graph.h: how clinical entities are named and linked in the graph, shared
 * by the HL7, ASTM and CSV converters so that one entity from any source is
 * one node (docs/modules/clinical.md lists every IRI form).
 *
 *   department   urn:rootline:clin:department:<MD5 key>        (SPEC §3)
 *   panel        urn:rootline:lab:panel:<SHA-256 key>
 *   epoch        urn:rootline:inst:epoch:<Base64url of the channel key>
 *   test         urn:rootline:lab:test:<local code>
 *   sample       urn:rootline:lab:sample:<specimen or QC sample id>
 *   analyzer     urn:rootline:inst:analyzer:<instrument id>
 *   channel      urn:rootline:inst:channel:<MAC>/<channel id>  (physical, stable)
 *   result       urn:rootline:lab:result:<first 16 bytes hex of SHA-256 over
 *                sample|test|instrument|completed (YYYYMMDDHHMMSS site-local),
 *                each field trimmed + NFC, as alignment keys are joined>
 *   patient      urn:rootline:lab:patient:<pseudonym>
 * Codes are percent-encoded (span.h).  Cross-file links go through lookup
 * facts (format.h): clin:deptLookupKey "campus|code" on departments,
 * lab:panelCode on panels, inst:channelLookupKey "instrument|test" on
 * physical channels, lab:loinc and lab:unit on tests, lab:hasMember.
 *
 * Thread-safe: pure functions.
 */
#ifndef RL_CL_GRAPH_H
#define RL_CL_GRAPH_H

#include "buf.h"
#include "format.h"

#define CL_CLIN "https://w3id.org/rootline/clinical/clin#"
#define CL_LAB "https://w3id.org/rootline/clinical/lab#"
#define CL_INST "https://w3id.org/rootline/clinical/inst#"
#define CL_RL "https://w3id.org/rootline/core#"
#define CL_SOSA "http://www.w3.org/ns/sosa/"
#define CL_ORG "http://www.w3.org/ns/org#"
#define CL_PROV "http://www.w3.org/ns/prov#"
#define CL_RDF_TYPE "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
#define CL_RDFS "http://www.w3.org/2000/01/rdf-schema#"
#define CL_XSD "http://www.w3.org/2001/XMLSchema#"
#define CL_LOINC "https://loinc.org/"

#define CL_IRI_MAX 512

/* The lookup predicates of every clinical format (NULL-terminated). */
extern const char *const rl_cl_lookups[];

/* prefix + percent-encoded code into out[CL_IRI_MAX]; RL_ERR_INPUT when the
 * code is empty or too long. */
rl_status rl_cl_iri_code(const char *prefix, const char *code, char *out);

/* The result IRI (see above).  ts14 is the completion time as YYYYMMDDHHMMSS
 * site-local (rl_cl_ts_normalize).  RL_ERR_INPUT (err says which field). */
rl_status rl_cl_iri_result(const char *sample, const char *test, const char *instrument,
                           const char *ts14, char *out, char *err, size_t cap);

/* Keyed entities: IRI into out[CL_IRI_MAX] and the key itself into key (its
 * size: 33 / 65 / CL_IRI_MAX). */
rl_status rl_cl_iri_department(const char *campus, const char *name, const char *parent, char *out,
                               char *key, char *err, size_t cap);
rl_status rl_cl_iri_panel(const char *name, const char *method, const char *unit, char *out,
                          char *key, char *err, size_t cap);
rl_status rl_cl_iri_epoch(const char *mac, const char *channel, const char *ts, int tz_minutes,
                          char *out, char *key, char *err, size_t cap);
/* Physical channel of MAC + channel id (MAC normalised). */
rl_status rl_cl_iri_channel(const char *mac, const char *channel, char *out, char *err, size_t cap);

/* A patient's pseudonym: "p-" + 32 hex of HMAC-SHA256(ROOTLINE_PSEUDONYM_KEY,
 * id), or of SHA-256("rootline-patient|" id) when that variable is unset. */
void rl_cl_pseudonym(const char *id, char out[40]);

/* Whether masking is on for this batch (param mask=off turns it off; the
 * first call per batch then records a warning in its provenance). */
int rl_cl_masking(rl_batch *b);

/* Site time zone of the batch: param tz=+HH:MM, default +08:00 (minutes). */
int rl_cl_tz(rl_batch *b);

/* ISO 8601 with offset from a site-local YYYYMMDDHHMMSS into out[32]. */
void rl_cl_ts14_iso(const char *ts14, int tz_minutes, char *out);

/* One result as a source gives it (strings borrowed; NULL or "" = absent). */
typedef struct rl_cl_result {
    const char *sample_id, *test_code, *instrument, *ts14; /* identity */
    const char *value, *unit, *ref_range, *flag, *status, *operator_id;
    const char *unreliable; /* why the analyzer/LIS marks it unreliable, or NULL */
} rl_cl_result;

/* Writes a result node (lab:Result, its sample, test, value, unit, flag and
 * reference interval as sent, status, completion time, analyzer, physical
 * channel through the lookup "instrument|test:CODE", rl:unreliable with the
 * reason) and puts its IRI into iri[CL_IRI_MAX].  *no_channel is set when
 * the channel lookup found nothing.  Errors: the batch's (RL_ERR_INPUT for
 * an identity field that cannot be keyed: err says which). */
rl_status rl_cl_emit_result(rl_batch *b, const rl_cl_result *r, int tz, char *iri, int *no_channel,
                            char *err, size_t cap);

/* Writes a sample node: lab:Specimen or lab:QcSample, lab:sampleId, the
 * specimen type and patient when given. */
rl_status rl_cl_emit_sample(rl_batch *b, const char *id, int qc, const char *type,
                            const char *patient_iri, char *iri);

/* A patient from a P record or PID segment: node urn:rootline:lab:patient:
 * <pseudonym of local_id, else of national_id>; national ID and phone stored
 * masked (rl_mask_*), raw only when masking is off.  The name and birth date
 * are never stored.  iri[CL_IRI_MAX] is "" when there is no id at all. */
rl_status rl_cl_emit_patient(rl_batch *b, const char *local_id, const char *national_id,
                             const char *phone, const char *sex, char *iri);

/* Whether s is a plain decimal number ("12", "-0.5"). */
int rl_cl_is_decimal(const char *s);

#endif
