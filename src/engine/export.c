/* export.c: N-Quads through Raptor's serializer. */
#include "export.h"

rl_status rl_export_nquads(rl_store *st, const char *graph, FILE *out, uint64_t *n, char *err,
                           size_t cap)
{
    uint64_t dummy;
    librdf_world *w = rl_store_world(st);
    raptor_world *rw = librdf_world_get_raptor(w);
    librdf_node *g = NULL;
    librdf_stream *s = NULL;
    raptor_serializer *ser = NULL;
    raptor_iostream *ios = NULL;
    rl_status r = RL_OK;
    if (!n) n = &dummy;
    *n = 0;
    if ((r = rl_store_snapshot_begin(st)) != RL_OK)
        return rl_errorf(err, cap, r, "cannot open a read snapshot");
    if (graph) {
        g = librdf_new_node_from_uri_string(w, (const unsigned char *)graph);
        s = g ? librdf_model_context_as_stream(rl_store_model(st), g) : NULL;
    } else {
        s = librdf_model_as_stream(rl_store_model(st));
    }
    ser = raptor_new_serializer(rw, "nquads");
    ios = raptor_new_iostream_to_file_handle(rw, out);
    if (!s || !ser || !ios || raptor_serializer_start_to_iostream(ser, NULL, ios)) {
        r = rl_errorf(err, cap, RL_ERR_STORE, "cannot read the store: %s", rl_store_log_last(st));
        goto out;
    }
    for (; !librdf_stream_end(s); librdf_stream_next(s)) {
        librdf_statement *stmt = librdf_stream_get_object(s);
        librdf_node *ctx = graph ? g : librdf_stream_get_context2(s);
        raptor_statement copy = *stmt;
        copy.graph = ctx; /* borrowed for this call */
        raptor_serializer_serialize_statement(ser, &copy);
        (*n)++;
    }
    raptor_serializer_serialize_end(ser);
    if (fflush(out) != 0 || ferror(out)) r = rl_errorf(err, cap, RL_ERR_IO, "write failed");
    else if (graph && *n == 0)
        r = rl_errorf(err, cap, RL_ERR_NOTFOUND, "graph <%s> has no triples", graph);
out:
    if (ser) raptor_free_serializer(ser);
    if (ios) raptor_free_iostream(ios);
    if (s) librdf_free_stream(s);
    if (g) librdf_free_node(g);
    rl_store_snapshot_end(st);
    return r;
}
