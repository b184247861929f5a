/* SPDX-License-Identifier: GPL-2.0 */
/* The C part of the vswap module: what rust/sys.rs calls. */
#ifndef _VSWAP_RQ_H
#define _VSWAP_RQ_H

struct request;

/* What vswap_rq_serve() did; keep in sync with rust/sys.rs. */
enum {
	VSWAP_RQ_READ = 0,
	VSWAP_RQ_WRITE = 1,
	VSWAP_RQ_FLUSH = 2,
};

int vswap_rq_serve(struct request *rq, void *header, unsigned int header_len);

#endif /* _VSWAP_RQ_H */
