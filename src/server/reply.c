/* reply.c: one response from a copied buffer. */
#include "reply.h"

enum MHD_Result rl__reply(struct MHD_Connection *c, unsigned status, const char *type, const void *body, size_t n,
                          const char *allow, unsigned *code)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(n, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    if (allow) MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    enum MHD_Result ok = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    *code = status;
    return ok;
}
