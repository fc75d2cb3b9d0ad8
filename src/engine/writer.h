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
 * anyone else between rl_writer_new and rl_writer_finish, except through
 * readers (rl_qs_reader_*) and by a next writer made with `wait_turn`.
 */
#ifndef RL_WRITER_H
#define RL_WRITER_H

#include "quadstore.h"

typedef struct rl_writer rl_writer;

/* Starts the writer thread on `qs`.  With `wait_turn` the thread waits for
 * a write transaction another writer holds to end (rl_qs_write_begin_wait)
 * and the producer may queue up to 256 chunks (256 MiB) meanwhile; without,
 * a transaction already open is the writer's error.  RL_ERR_NOMEM /
 * RL_ERR_INTERNAL on failure. */
rl_status rl_writer_new(rl_qs *qs, int wait_turn, rl_writer **out);
/* Queues one quad given as four term encodings (graph must be given).
 * Blocks while the queue is full.  Returns the writer's error, if it failed,
 * so the producer can stop early; the message is in rl_writer_errmsg. */
rl_status rl_writer_add(rl_writer *w, const unsigned char *const t[4], const size_t n[4]);
/* Ends the producer's part: the queue is drained and the transaction
 * committed (commit != 0 and no error) or aborted in the writer thread while
 * this returns at once.  Nothing may be added after it.  Calling it again
 * changes nothing. */
void rl_writer_close(rl_writer *w, int commit);
/* rl_writer_close (unless it was called), then waits for the writer thread
 * and frees the writer.  Returns the final status (the first error, with its
 * message in err[cap]; err may be NULL). */
rl_status rl_writer_finish(rl_writer *w, int commit, char *err, size_t cap);
/* The writer's error message so far ("" if none).  Producer thread only. */
const char *rl_writer_errmsg(rl_writer *w);

#endif
