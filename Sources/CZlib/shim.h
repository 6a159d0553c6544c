#ifndef AGENT_ZLIB_SHIM_H
#define AGENT_ZLIB_SHIM_H

#include <zlib.h>

// `inflateInit` is a macro over `inflateInit_` that Swift cannot import: a typed wrapper.
static inline int agent_inflate_init(z_stream *stream) {
    return inflateInit(stream);
}

#endif
