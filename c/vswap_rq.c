// SPDX-License-Identifier: GPL-2.0
/*
 * The data path of /dev/vswap0, in C because the 7.2 Rust block layer
 * abstractions give a driver no access to a request's data.
 *
 * The device carries no swap data. It serves its first page, the swap
 * header, from memory (so that swapon works without mkswap and blkid sees
 * a swap device), takes writes to that page (so that mkswap works) and
 * answers every other read with zeroes. Writes anywhere else fail.
 */
#include <linux/blk-mq.h>
#include <linux/bvec.h>
#include <linux/highmem.h>

#include "vswap_rq.h"

/**
 * vswap_rq_serve() - serve a request to the vswap block device
 * @rq: the request, owned by the driver.
 * @header: the header page.
 * @header_len: its size in bytes.
 *
 * Context: Any context; the caller serialises access to @header.
 * Return: VSWAP_RQ_READ or VSWAP_RQ_WRITE for a read or write served,
 * VSWAP_RQ_FLUSH for a flush, -EIO for a write outside the header, or
 * -EOPNOTSUPP for any other operation.
 */
int vswap_rq_serve(struct request *rq, void *header, unsigned int header_len)
{
	u64 pos = (u64)blk_rq_pos(rq) << SECTOR_SHIFT;
	struct req_iterator iter;
	struct bio_vec bv;
	bool write;

	switch (req_op(rq)) {
	case REQ_OP_READ:
		write = false;
		break;
	case REQ_OP_WRITE:
		if (pos + blk_rq_bytes(rq) > header_len)
			return -EIO;
		write = true;
		break;
	case REQ_OP_FLUSH:
		return VSWAP_RQ_FLUSH;
	default:
		return -EOPNOTSUPP;
	}

	rq_for_each_segment(bv, rq, iter) {
		unsigned int n = 0;

		if (pos < header_len)
			n = min_t(u64, header_len - pos, bv.bv_len);
		if (write) {
			memcpy_from_bvec(header + pos, &bv);
		} else {
			char *p = bvec_kmap_local(&bv);

			if (n)
				memcpy(p, header + pos, n);
			memset(p + n, 0, bv.bv_len - n);
			kunmap_local(p);
		}
		pos += bv.bv_len;
	}
	return write ? VSWAP_RQ_WRITE : VSWAP_RQ_READ;
}
