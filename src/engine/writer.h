/* writer.h: a bounded hand-off from a parser thread to one store-writer
 * thread, so parsing and dictionary/index work run on two cores.
 *
 * The producer appends quads of encoded terms (term.h) to the current chunk;
 * full chunks go through a queue of at most `max_chunks` (the memory
 * ceiling).  The writer thread opens the LMDB write transaction, maps terms to
 * ids and adds the quads; rl_writer_finish(commit) commits or aborts it in
 * that same thread (LMDB requires it) and returns the result.
 *
 * Thread safety: one producer thread; the quad store must not be used by
 * anyone else between rl_writer_new and rl_writer_finish.
 */
#ifndef RL_WRITER_H
#define RL_WRITER_H

#include "quadstore.h"

typedef struct rl_writer rl_writer;

/* Starts the writer thread on `qs`.  RL_ERR_NOMEM / RL_ERR_INTERNAL on failure. */
rl_status rl_writer_new(rl_qs *qs, rl_writer **out);
/* Queues one quad given as four term encodings (graph must be given).
 * Blocks while the queue is full.  Returns the writer's error, if it failed,
 * so the producer can stop early; the message is in rl_writer_errmsg. */
rl_status rl_writer_add(rl_writer *w, const unsigned char *const t[4], const size_t n[4]);
/* Drains the queue, commits (commit != 0 and no error) or aborts, joins the
 * thread and frees the writer.  Returns the final status. */
rl_status rl_writer_finish(rl_writer *w, int commit, char *err, size_t cap);
/* The writer's error message so far ("" if none).  Producer thread only. */
const char *rl_writer_errmsg(rl_writer *w);

#endif
